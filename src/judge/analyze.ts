/**
 * One analysis: judge every metric against its margin, then combine them. This is the only
 * entry point the HTTP contracts call.
 *
 * Error budget: `alpha` (default 0.05) bounds the false-fail rate of the whole analysis, so
 * each metric's fail decision gets alpha / m (Bonferroni) and adding metrics does not
 * multiply false rollbacks. Each pass decision keeps the full alpha: the analysis passes only
 * if every (critical) metric does, which is an intersection-union test at level alpha.
 *
 * Timelines (`intervals` on both sides): with anytime-valid evidence every kind is tested per
 * interval, matched in time, and verdicts follow the canary: a fail at any look stands, a pass
 * rests on the traffic at the canary's current weight (src/judge/timeline.ts,
 * src/judge/timeline-checks.ts). Cumulative totals across an evidently changed split (the
 * traffic check) never fail a metric.
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
import { judgePaired } from './paired';
import { judgeLabelled } from './labelled-quality';
import { judgeProportion } from './proportion';
import { judgeSegments } from './segments';
import { checkTrafficSplit, type TrafficCheck } from './traffic-split';
import { atCurrentWeight } from './current-weight';
import { gatedWindowStarts } from './interval-settling';
import { intervalSize, intervalSizes, timelineLength } from './timeline';
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
  const traffic = input.traffic ? checkTrafficSplit(input.traffic, alpha) : undefined;
  const weightNow = input.canaryWeight ?? input.traffic?.expectedCanaryShare;
  const judgeOne = (metric: MetricInput, c: MetricContext) => withProjection(judgeMetric(metric, c), latestCanaryInterval(metric), metric.intervalSeconds, evidenceCanaryN(metric, c));
  const metrics = input.metrics.map((metric) => {
    // Labelled quality: only the prediction intervals whose labels are in (src/judge/labelled-quality.ts).
    const judgeMaybeLabelled = (m: MetricInput) => (m.labelled ? judgeLabelled({ ...m, labelled: m.labelled }, (x) => judgeOne(x, ctx)) : judgeOne(m, ctx));
    // A segmented metric is judged per segment, each at its share of the metric's fail rate (src/judge/segments.ts).
    const judgedMetric = withNote(metric.segments ? judgeSegments(metric, ctx, judgeOne) : judgeMaybeLabelled(metric), metric.note);
    // A pass rests on the current weight's traffic, which the caller may know before the data show it.
    const result = evidence.sequential ? atCurrentWeight(metric, judgedMetric, weightNow) : judgedMetric;
    return traffic?.verdict === 'fail' ? acrossChangedSplit(metric, result, traffic) : result;
  });
  const overall = overallVerdict(metrics, thresholds);
  if (!input.traffic || !traffic) return { ...overall, alpha, evidence: evidence.name, metrics };
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

function judgeOne(metric: MetricInput, ctx: MetricContext): MetricResult {
  return withNote(withProjection(judgeMetric(metric, ctx), latestCanaryInterval(metric), metric.intervalSeconds, evidenceCanaryN(metric, ctx)), metric.note);
}

/**
 * The canary observations an undecided per-interval metric's effect rests on: its gated window
 * (src/judge/interval-settling.ts), what more data add to; undefined (all of them) otherwise.
 */
function evidenceCanaryN(metric: MetricInput, ctx: MetricContext): number | undefined {
  const n = timelineLength(metric);
  if (!ctx.evidence.sequential || n === 0) return undefined;
  const sizes = intervalSizes(metric);
  const start = gatedWindowStarts(sizes)[n - 1];
  return sizes.slice(start).reduce((sum, s) => sum + s.canaryTotal, 0);
}

/** Every kind judges its timeline per interval itself (src/judge/timeline.ts). */
function judgeMetric(metric: MetricInput, ctx: MetricContext): MetricResult {
  switch (metric.kind) {
    case 'continuous':
      return judgeContinuous(metric, ctx);
    case 'distribution':
      return judgeDistribution(metric, ctx);
    case 'proportion':
      return judgeProportion(metric, ctx);
    case 'categorical':
      return judgeCategorical(metric, ctx);
    case 'paired':
      return judgePaired(metric, ctx);
  }
}

function withNote(result: MetricResult, note: string | undefined): MetricResult {
  return note ? { ...result, reason: `${result.reason}; ${note}` } : result;
}

/**
 * A fail from cumulative totals when the traffic check shows the canary's share over the
 * window differs clearly from the share the routing promises now: the split evidently changed
 * within the window (a window reaching back into earlier, smaller steps; Flagger's `lookback`
 * across steps), and totals summed across a changing split can pose a rate or a mix that moved
 * over time on both sides as a canary effect (Simpson's paradox). Such a fail is not evidence:
 * the metric is inconclusive, with the reason and the way out (issue 21). Per-interval data
 * compare each interval's own split, so a timeline keeps its verdict.
 */
function acrossChangedSplit(metric: MetricInput, result: MetricResult, traffic: TrafficCheck): MetricResult {
  if (result.verdict !== 'fail' || timelineLength(metric) > 0) return result;
  const share = (x: number | null) => (x === null ? 'no' : `${Number((x * 100).toPrecision(3))}%`);
  return {
    ...result,
    verdict: 'inconclusive',
    reason:
      `not judged on these totals: the canary had ${share(traffic.observedCanaryShare)} of the requests over the window against the ${share(traffic.expectedCanaryShare)} it has now, ` +
      'so the split changed within the window (or the routing is broken), and totals summed across a changing split can pose a trend shared by both sides as a canary effect; ' +
      `send the data per interval ("intervals", or "timelineStep" for Prometheus) or a window within the current step. On the totals alone: ${result.reason}`,
  };
}

/** The canary's observations in the latest interval of a timeline (requests for rates), for the projection in intervals. */
function latestCanaryInterval(metric: MetricInput): number | undefined {
  const latest = metric.canary.intervals?.at(-1);
  return latest ? intervalSize(latest) : undefined;
}
