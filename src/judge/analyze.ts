/**
 * One analysis: judge every metric against its margin, then combine them. This is the only
 * entry point the HTTP contracts call.
 *
 * Error budget: `alpha` (default 0.05) bounds the false-fail rate of the whole analysis, so
 * each metric's fail decision gets alpha / m (Bonferroni) and adding metrics does not
 * multiply false rollbacks. Each pass decision keeps the full alpha: the analysis passes only
 * if every (critical) metric does, which is an intersection-union test at level alpha.
 *
 * Timelines (`intervals` on both sides): with anytime-valid evidence, rates, quantiles and
 * category shares are tested per interval and every kind reports the first decisive look
 * (src/judge/timeline.ts).
 *
 * Evidence: anytime-valid bounds by default (valid at every look of a rollout); fixed-sample
 * bounds on request, for a single look such as a one-off comparison.
 */
import { judgeCategorical } from './categorical';
import { judgeContinuous } from './continuous';
import { DEFAULT_ALPHA, DEFAULT_THRESHOLDS } from './defaults';
import { judgeDistribution } from './distribution';
import { anytimeValidEvidence } from './anytime-evidence';
import { fixedSampleEvidence, type Evidence } from './evidence';
import type { MetricContext } from './metric-context';
import { overallVerdict } from './overall';
import { judgeProportion } from './proportion';
import { checkTrafficSplit } from './traffic-split';
import { gatedWindowStarts } from './interval-settling';
import { intervalSizes, stickyOverPrefixes, timelineLength } from './timeline';
import { withProjection } from './projection';
import type { AnalysisInput, AnalysisResult, EvidenceName, MetricInput, MetricResult } from './types';

export const EVIDENCE: Record<EvidenceName, Evidence> = {
  'anytime-valid': anytimeValidEvidence,
  'fixed-sample': fixedSampleEvidence,
};

export function analyze(input: AnalysisInput, evidence: Evidence = EVIDENCE[input.evidence ?? 'anytime-valid']): AnalysisResult {
  const alpha = input.alpha ?? DEFAULT_ALPHA;
  const thresholds = { ...DEFAULT_THRESHOLDS, ...input.thresholds };
  const ctx: MetricContext = { evidence, rates: { fail: alpha / Math.max(1, input.metrics.length), pass: alpha } };
  const metrics = input.metrics.map((metric) => withProjection(judgeMetric(metric, ctx), latestCanaryInterval(metric), metric.intervalSeconds, evidenceCanaryN(metric, ctx)));
  const overall = overallVerdict(metrics, thresholds);
  if (!input.traffic) return { ...overall, alpha, evidence: evidence.name, metrics };
  const traffic = checkTrafficSplit(input.traffic, alpha);
  // A broken split invalidates every comparison, failing ones included; no traffic at all
  // leaves nothing to pass on.
  const verdict =
    traffic.verdict === 'fail'
      ? { ...overall, verdict: input.traffic.onMismatch ?? 'inconclusive', reason: traffic.reason }
      : traffic.verdict === 'inconclusive' && overall.verdict === 'pass'
        ? { ...overall, verdict: 'inconclusive' as const, reason: traffic.reason }
        : overall;
  return { ...verdict, alpha, evidence: evidence.name, metrics, checks: [traffic] };
}

/** Rates, quantiles and category shares judge their timeline per interval themselves; the mean and distributions re-judge past looks. */
function judgedPerInterval(metric: MetricInput): boolean {
  return metric.kind === 'proportion' || metric.kind === 'categorical' || (metric.kind === 'continuous' && metric.quantile !== 'mean');
}

function judgeMetric(metric: MetricInput, ctx: MetricContext): MetricResult {
  if (ctx.evidence.sequential && timelineLength(metric) > 0 && !judgedPerInterval(metric)) return stickyOverPrefixes(metric, (m) => judgeLook(m, ctx));
  return judgeLook(metric, ctx);
}

/**
 * The canary observations an undecided per-interval metric's effect rests on: its gated window
 * (src/judge/interval-settling.ts), what more data add to; undefined (all of them) otherwise.
 */
function evidenceCanaryN(metric: MetricInput, ctx: MetricContext): number | undefined {
  const n = timelineLength(metric);
  if (!ctx.evidence.sequential || n === 0 || !judgedPerInterval(metric)) return undefined;
  const sizes = intervalSizes(metric);
  const start = gatedWindowStarts(sizes)[n - 1];
  return sizes.slice(start).reduce((sum, s) => sum + s.canaryTotal, 0);
}

function judgeLook(metric: MetricInput, ctx: MetricContext): MetricResult {
  switch (metric.kind) {
    case 'continuous':
      return judgeContinuous(metric, ctx);
    case 'distribution':
      return judgeDistribution(metric, ctx);
    case 'proportion':
      return judgeProportion(metric, ctx);
    case 'categorical':
      return judgeCategorical(metric, ctx);
  }
}

/** The canary's observations in the latest interval of a timeline (requests for rates), for the projection in intervals. */
function latestCanaryInterval(metric: MetricInput): number | undefined {
  const latest = metric.canary.intervals?.at(-1);
  if (!latest) return undefined;
  if ('total' in latest) return latest.total;
  if ('counts' in latest) return latest.counts.reduce((sum, [, n]) => sum + n, 0);
  if ('values' in latest) return latest.values.length;
  return latest.histogram.buckets.at(-1)?.count;
}
