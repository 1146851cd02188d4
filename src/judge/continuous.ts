/**
 * Continuous metrics (latency, scores): the verdict rests on a quantile of canary vs baseline
 * (p95 by default), with distribution-free order-statistic bounds for each side combined by
 * Bonferroni; on the mean (`statistic: "mean"`, raw values and a `range` only) by betting on
 * paired contrasts matched in time (src/judge/mean-timeline.ts); or, with
 * `threshold`, on the share of observations above it (src/judge/threshold-share.ts).
 * Histogram bounds are bucket edges, and when the buckets around the quantile are too coarse
 * to ever decide against the margin, the reason says so (src/judge/bucket-resolution.ts).
 * With a timeline and anytime-valid evidence a quantile is judged per interval, matched in
 * time (src/judge/quantile-timeline.ts).
 * Mann-Whitney U and Kolmogorov-Smirnov are reported to explain the shape of any difference;
 * they do not decide, because with enough data they flag shifts far below any margin a user
 * cares about.
 */
import { kolmogorovSmirnov } from '../stats/kolmogorov-smirnov';
import { mannWhitneyU } from '../stats/mann-whitney-u';
import { quantile } from '../stats/quantile';
import type { WeightedSample } from '../stats/weighted-sample';
import { bucketHolding, unresolvableBuckets } from './bucket-resolution';
import { droppedBoundsNote } from './dropped-bounds';
import { DEFAULT_QUANTILE } from './defaults';
import { describeChange, describeCheck, significant } from './describe';
import { checkAgainstMargins, type Check, type EffectCandidate } from './margin-check';
import { judged, resolve, withoutEvidence, type MetricContext, type Resolved } from './metric-context';
import { judgeMeanTimeline, meanRefusal } from './mean-timeline';
import { judgeQuantileTimeline } from './quantile-timeline';
import { judgeThresholdShare } from './threshold-share';
import { toSamplePair } from './side-samples';
import { sumValuesIntervals } from './timeline';
import { evidenceText, judgedTimeline } from './timeline-checks';
import { valuesData, type ValuesData } from './values-data';
import type { Bounds, Margin, MetricInput, MetricResult, TestReport } from './types';

type ContinuousMetric = Extract<MetricInput, { kind: 'continuous' }>;

export function judgeContinuous(metric: ContinuousMetric, ctx: MetricContext): MetricResult {
  const resolved = resolve(metric);
  const data = valuesData(metric, resolved.minSamples, rankTests);
  const { pair, summaries, tests, gap } = data;
  if (gap) return withoutEvidence(metric, resolved, summaries, gap, tests);
  if (metric.threshold !== undefined) return judgeThresholdShare(metric, metric.threshold, resolved, data, ctx);

  const statistic = metric.quantile ?? DEFAULT_QUANTILE;
  if (statistic === 'mean') return judgeMean(metric, resolved, data, ctx);

  const subject = quantileLabel(statistic);
  const estimates = { baseline: quantile(pair.baseline, statistic), canary: quantile(pair.canary, statistic) };
  // Each side's bound takes half the error rate of the combined bound (Bonferroni).
  const candidates = quantileCandidates(estimates, subject, resolved.margin, (side, aL, aU) =>
    ctx.evidence.quantileBounds(pair[side], statistic, aL / 2, aU / 2),
  );
  // A binned estimate is interpolated inside its bucket (as histogram_quantile does); its
  // bounds are bucket edges, and the buckets may be too coarse to ever decide.
  const estimated = pair.binned ? `${subject} (interpolated inside its bucket)` : subject;
  const whyInconclusive = pair.binned
    ? (check: Check, changed = estimated, on: { baseline: WeightedSample; canary: WeightedSample } = pair) => {
        const buckets = { baseline: bucketHolding(on.baseline, statistic), canary: bucketHolding(on.canary, statistic) };
        const unresolvable = unresolvableBuckets({
          subject,
          baselineBucket: buckets.baseline,
          canaryBucket: buckets.canary,
          limitCandidates: quantileCandidates(estimates, subject, resolved.margin, (side) => buckets[side]),
          direction: resolved.direction,
          rates: ctx.rates,
        });
        // "Not yet enough evidence" would promise that waiting helps; with these buckets it cannot.
        return unresolvable && `${describeChange(changed, check)}; ${unresolvable}${droppedBoundsNote(metric, pair.bounds)}`;
      }
    : undefined;
  const timeline = { baseline: metric.baseline.intervals, canary: metric.canary.intervals };
  if (ctx.evidence.sequential && timeline.baseline && timeline.canary) {
    const decision = judgeQuantileTimeline(timeline.baseline, timeline.canary, statistic, resolved.margin, resolved.direction, ctx, subject);
    const matched = `${subject} is ${significant(estimates.canary, 4)} on the canary vs ${significant(estimates.baseline, 4)} on the baseline over the timeline; matched by interval (each against the baseline's ${subject} of the intervals before)`;
    const result = judgedTimeline(metric, resolved, summaries, tests, { ...decision, intervals: timeline.baseline.length }, matched);
    // The buckets that hold the quantile in the intervals the verdict rests on (the gated window): a
    // drift over the rollout moves the cumulative data's buckets, not what each interval compares.
    const { from, to } = decision.range;
    const window = to >= from ? toSamplePair(sumValuesIntervals(timeline.baseline.slice(from, to + 1)), sumValuesIntervals(timeline.canary.slice(from, to + 1))) : pair;
    const why = decision.verdict === 'inconclusive' ? whyInconclusive?.(decision.decisive, `matched by interval, ${subject}`, window.binned && window.baseline.n > 0 && window.canary.n > 0 ? window : pair) : null;
    return why ? { ...result, reason: `${why}; ${evidenceText(decision)}` } : result;
  }
  return decide(metric, resolved, summaries, tests, candidates, estimated, ctx, whyInconclusive);
}

/**
 * The mean: paired contrasts matched in time by betting, given the data's range
 * (src/judge/mean-timeline.ts); refused with the reason without a range or raw values.
 */
function judgeMean(metric: ContinuousMetric, resolved: Resolved, data: ValuesData, ctx: MetricContext): MetricResult {
  const { summaries, tests } = data;
  const sides = { baseline: metric.baseline.intervals ?? [metric.baseline], canary: metric.canary.intervals ?? [metric.canary] };
  const refusal = meanRefusal(sides, metric.range, resolved.margin);
  if (refusal) return withoutEvidence(metric, resolved, summaries, refusal, tests);
  const decision = judgeMeanTimeline(sides.baseline, sides.canary, metric.range!, resolved.margin, resolved.direction, ctx);
  if (metric.baseline.intervals && ctx.evidence.sequential) {
    const means = `the mean is ${significant(data.pair.canaryMean ?? NaN, 4)} on the canary vs ${significant(data.pair.baselineMean ?? NaN, 4)} on the baseline over the timeline; matched by interval (each canary observation against the baseline's of its interval)`;
    return judgedTimeline(metric, resolved, summaries, tests, { ...decision, intervals: sides.baseline.length }, means);
  }
  const { verdict, checks, decisive } = decision;
  return judged(metric, resolved, summaries, tests, { verdict, checks, decisive, reason: describeCheck('the mean', decisive, resolved.direction) });
}

/**
 * The verdict over the candidates and its reason; `whyInconclusive` may replace the reason of
 * an inconclusive verdict with a better one.
 */
function decide(
  metric: ContinuousMetric,
  resolved: Resolved,
  summaries: ValuesData['summaries'],
  tests: readonly TestReport[],
  candidates: EffectCandidate[],
  subject: string,
  ctx: MetricContext,
  whyInconclusive?: (decisive: Check) => string | null,
): MetricResult {
  const { verdict, checks } = checkAgainstMargins(candidates, resolved.direction, ctx.rates);
  const decisive = checks.find((c) => c.verdict === verdict) ?? checks[0];
  const reason = (verdict === 'inconclusive' && whyInconclusive?.(decisive)) || describeCheck(subject, decisive, resolved.direction);
  return judged(metric, resolved, summaries, tests, { verdict, checks, decisive, reason });
}

type SideBounds = (side: 'baseline' | 'canary', alphaLower: number, alphaUpper: number) => Bounds;

/** Relative and/or absolute shifts of a quantile, bounded from each side's bounds. */
function quantileCandidates(estimates: { baseline: number; canary: number }, subject: string, margin: Margin, sideBounds: SideBounds): EffectCandidate[] {
  const { baseline: qb, canary: qc } = estimates;
  // The lower bound of the shift pairs the canary's lower bound with the baseline's upper one.
  const both = (aL: number, aU: number) => ({ c: sideBounds('canary', aL, aU), b: sideBounds('baseline', aU, aL) });
  const candidates: EffectCandidate[] = [];
  if (margin.relative !== undefined) {
    candidates.push({
      measure: `relative shift of ${subject}`,
      unit: 'relative',
      estimate: qb > 0 ? qc / qb - 1 : NaN,
      tolerance: margin.relative,
      bounds: (aL, aU) => {
        const { c, b } = both(aL, aU);
        return { lower: ratioLower(c.lower, b.upper) - 1, upper: ratioUpper(c.upper, b.lower) - 1 };
      },
    });
  }
  if (margin.absolute !== undefined) {
    candidates.push({
      measure: `shift of ${subject}`,
      unit: 'units',
      estimate: qc - qb,
      tolerance: margin.absolute,
      bounds: (aL, aU) => {
        const { c, b } = both(aL, aU);
        return { lower: c.lower - b.upper, upper: c.upper - b.lower };
      },
    });
  }
  return candidates;
}

export function quantileLabel(p: number): string {
  return `p${Number((p * 100).toPrecision(6))}`;
}

/** Lower bound of c/b from a lower bound of c and an upper bound of b (relative margins assume positive data). */
function ratioLower(canaryLower: number, baselineUpper: number): number {
  if (!(baselineUpper > 0) || !(canaryLower >= 0)) return -Infinity;
  return canaryLower / baselineUpper;
}

function ratioUpper(canaryUpper: number, baselineLower: number): number {
  if (!(baselineLower > 0)) return Infinity;
  return canaryUpper / baselineLower;
}

/** Mann-Whitney U and Kolmogorov-Smirnov, as reported for continuous and distribution metrics. */
export function rankTests(canary: WeightedSample, baseline: WeightedSample): TestReport[] {
  const mw = mannWhitneyU(canary, baseline);
  const ks = kolmogorovSmirnov(canary, baseline);
  return [
    { name: 'mann-whitney-u', statistic: mw.statistic, pValue: mw.pValue, method: mw.method },
    { name: 'kolmogorov-smirnov', statistic: ks.statistic, pValue: ks.pValue, method: ks.method },
  ];
}
