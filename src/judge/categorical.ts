/**
 * Categorical metrics (predicted class mix): the verdict rests on the largest change in any
 * category's share, with the evidence's difference bounds per category (exact ones with
 * fixed-sample evidence) made simultaneous by Bonferroni over the categories. Chi-squared
 * homogeneity, Jensen-Shannon distance and PSI explain it. With a timeline and anytime-valid
 * evidence every category's share is tested per interval (src/judge/categorical-timeline.ts).
 */
import { chiSquaredHomogeneity } from '../stats/chi-squared';
import { jensenShannonDistance } from '../stats/jensen-shannon';
import { populationStabilityIndex } from '../stats/psi';
import { asPercentagePoints, describeDistance, quoted } from './describe';
import { insufficientData } from './data-gate';
import { DRIFT_THRESHOLDS } from './distribution';
import { checkAgainstMargin } from './margin-check';
import { judged, resolve, withoutEvidence, type MetricContext } from './metric-context';
import { categoricalSummary } from './summaries';
import { judgeCategoricalTimeline, LARGEST_SHARE_CHANGE } from './categorical-timeline';
import { judgedTimeline } from './timeline-checks';
import type { Bounds, MetricInput, MetricResult, TestReport } from './types';

type CategoricalMetric = Extract<MetricInput, { kind: 'categorical' }>;

export function judgeCategorical(metric: CategoricalMetric, ctx: MetricContext): MetricResult {
  const resolved = resolve(metric);
  const summaries = { baseline: categoricalSummary(metric.baseline), canary: categoricalSummary(metric.canary) };
  const { categories, baseline, canary } = alignCategories(metric.baseline.counts, metric.canary.counts);
  const nb = baseline.reduce((a, b) => a + b, 0);
  const nc = canary.reduce((a, b) => a + b, 0);
  const tests = nb > 0 && nc > 0 ? categoricalTests(canary, baseline) : [];
  const gap = insufficientData(nb, nc, resolved.minSamples, 'observations');
  if (gap) return withoutEvidence(metric, resolved, summaries, gap, tests);

  const timeline = { baseline: metric.baseline.intervals, canary: metric.canary.intervals };
  if (ctx.evidence.sequential && timeline.baseline && timeline.canary) {
    const decision = judgeCategoricalTimeline(timeline.baseline, timeline.canary, resolved.margin.absolute!, ctx);
    const subject = `the largest change in a category's share, matched by interval (${quoted(decision.largest.category)}: ${asPercentagePoints(decision.largest.change)})`;
    return judgedTimeline(metric, resolved, summaries, tests, { ...decision, intervals: timeline.baseline.length }, subject, (decisive) => describeDistance(subject, decisive));
  }

  const k = categories.length;
  const changes = categories.map((_, i) => canary[i] / nc - baseline[i] / nb);
  const largest = changes.reduce((best, d, i) => (Math.abs(d) > Math.abs(changes[best]) ? i : best), 0);
  // Simultaneous two-sided bounds for every category's share change: alpha / (2k) per tail.
  const perCategory = (alpha: number): Bounds[] =>
    categories.map((_, i) => ctx.evidence.proportionDifferenceBounds(canary[i], nc, baseline[i], nb, alpha / (2 * k), alpha / (2 * k)));
  const check = checkAgainstMargin(
    {
      measure: LARGEST_SHARE_CHANGE,
      unit: 'share',
      estimate: Math.abs(changes[largest]),
      tolerance: resolved.margin.absolute!,
      bounds: (aL, aU) => {
        // Loops, not Math.max(...spread): a spread of 200,000 categories overflows the stack.
        let lower = 0;
        for (const b of perCategory(aL)) lower = Math.max(lower, b.lower, -b.upper);
        let upper = -Infinity;
        for (const b of perCategory(aU)) upper = Math.max(upper, Math.abs(b.lower), Math.abs(b.upper));
        return { lower, upper };
      },
    },
    'increase', // the largest change only grows with harm
    ctx.rates,
  );
  const subject = `the largest change in a category's share (${quoted(categories[largest])}: ${asPercentagePoints(changes[largest])})`;
  return judged(metric, resolved, summaries, tests, { verdict: check.verdict, checks: [check], decisive: check, reason: describeDistance(subject, check) });
}

/** Both sides' counts over the union of categories, in first-seen order. */
function alignCategories(
  baseline: ReadonlyArray<readonly [string, number]>,
  canary: ReadonlyArray<readonly [string, number]>,
): { categories: string[]; baseline: number[]; canary: number[] } {
  const index = new Map<string, number>();
  for (const side of [baseline, canary]) for (const [category] of side) if (!index.has(category)) index.set(category, index.size);
  const b = new Array<number>(index.size).fill(0);
  const c = new Array<number>(index.size).fill(0);
  for (const [category, count] of baseline) b[index.get(category)!] += count;
  for (const [category, count] of canary) c[index.get(category)!] += count;
  return { categories: [...index.keys()], baseline: b, canary: c };
}

function categoricalTests(canary: number[], baseline: number[]): TestReport[] {
  const chi = chiSquaredHomogeneity(canary, baseline);
  return [
    { name: 'chi-squared', statistic: chi.statistic, pValue: chi.pValue, method: `${chi.method}, ${chi.dof} degrees of freedom` },
    { name: 'jensen-shannon', statistic: jensenShannonDistance(baseline, canary), threshold: DRIFT_THRESHOLDS.jensenShannon },
    { name: 'psi', statistic: populationStabilityIndex(baseline, canary), threshold: DRIFT_THRESHOLDS.psi },
  ];
}
