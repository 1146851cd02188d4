/**
 * From metric verdicts to the analysis verdict, Kayenta-style but fail-closed.
 *
 * score = 100 * sum(weight * credit) / sum(weight), credit 1 for pass, 0.5 for inconclusive,
 * 0 for fail. Rules, in order:
 *   1. a critical metric fails -> fail;
 *   2. some metric fails and score < thresholds.marginal -> fail;
 *   3. a critical metric is not a pass -> inconclusive;
 *   4. score >= thresholds.pass and at least one metric passes -> pass; otherwise inconclusive.
 * With no failures the score of an all-inconclusive analysis is 50, so missing data alone can
 * never fail a canary (rule 2 needs a failure), and with the default pass threshold of 100 it
 * can never pass one either.
 */
import type { MetricResult, ScoreThresholds, Verdict } from './types';

const CREDIT: Record<Verdict, number> = { pass: 1, inconclusive: 0.5, fail: 0 };

export function overallVerdict(metrics: readonly MetricResult[], thresholds: ScoreThresholds): { verdict: Verdict; score: number; reason: string } {
  const totalWeight = metrics.reduce((sum, m) => sum + m.weight, 0);
  const score = totalWeight > 0 ? (100 * metrics.reduce((sum, m) => sum + m.weight * CREDIT[m.verdict], 0)) / totalWeight : 0;
  const rounded = Math.round(score * 10) / 10;
  const named = (list: readonly MetricResult[]) => list.map((m) => `${m.name}: ${m.reason}`).join('; ');
  const failed = metrics.filter((m) => m.verdict === 'fail');
  const criticalFailed = failed.filter((m) => m.critical);
  if (criticalFailed.length) {
    return { verdict: 'fail', score: rounded, reason: `critical metric ${named(criticalFailed)}` };
  }
  if (failed.length && score < thresholds.marginal) {
    return { verdict: 'fail', score: rounded, reason: `score ${rounded} is below the marginal threshold ${thresholds.marginal}; ${named(failed)}` };
  }
  const criticalOpen = metrics.filter((m) => m.critical && m.verdict !== 'pass');
  if (criticalOpen.length) {
    return { verdict: 'inconclusive', score: rounded, reason: `critical metric not yet passing, ${named(criticalOpen)}` };
  }
  // However low a user sets the pass threshold, a pass needs evidence from at least one metric.
  if (score >= thresholds.pass && metrics.some((m) => m.verdict === 'pass')) {
    return { verdict: 'pass', score: rounded, reason: `all ${metrics.length} metric${metrics.length > 1 ? 's' : ''} within their margins (score ${rounded})` };
  }
  const open = metrics.filter((m) => m.verdict !== 'pass');
  return {
    verdict: 'inconclusive',
    score: rounded,
    reason: `score ${rounded} is below the pass threshold ${thresholds.pass}; ${named(open)}`,
  };
}
