/**
 * Distribution metrics (prediction scores, any output whose whole shape matters): the verdict
 * rests on the Kolmogorov-Smirnov distance between canary and baseline, the largest gap
 * between their CDFs, bounded by simultaneous CDF bands for each side (|D_true - D| <= eps_c +
 * eps_b). On histograms the distance is read at the bucket bounds, which bounds it from
 * below; from above it is bounded by the largest gap the buckets allow (ks-distance-range.ts).
 * Drift tools' effect sizes (PSI, Jensen-Shannon, Wasserstein) are reported beside the classic
 * tests with their customary thresholds, to explain the verdict. With a timeline and anytime-valid
 * evidence the distance is matched in time and the effect sizes are read time-matched
 * (src/judge/distribution-timeline.ts).
 */
import { ksDistance } from '../stats/kolmogorov-smirnov';
import { timeMatched } from '../stats/time-matched-baseline';
import { ksDistanceUpperLimits } from '../stats/ks-distance-range';
import { populationStabilityIndex } from '../stats/psi';
import { jensenShannonDistance } from '../stats/jensen-shannon';
import { wassersteinDistance } from '../stats/wasserstein';
import { wassersteinRange } from '../stats/wasserstein-range';
import type { WeightedSample } from '../stats/weighted-sample';
import { rankTests } from './continuous';
import { describeDistance } from './describe';
import { driftBins } from './drift-bins';
import { droppedBoundsNote } from './dropped-bounds';
import { checkAgainstMargin } from './margin-check';
import { judgeDistributionTimeline } from './distribution-timeline';
import { judged, resolve, withoutEvidence, type MetricContext, type Resolved } from './metric-context';
import { judgedTimeline } from './timeline-checks';
import { valuesData, type ValuesData } from './values-data';
import type { Direction, MetricInput, MetricResult, TestReport, ValuesInterval } from './types';

type DistributionMetric = Extract<MetricInput, { kind: 'distribution' }>;

/** Customary thresholds of the drift tools (Evidently's defaults; PSI's rule of thumb). */
export const DRIFT_THRESHOLDS = { psi: 0.1, jensenShannon: 0.1, wasserstein: 0.1 } as const;

const SUBJECTS: Record<Direction, string> = {
  increase: 'the KS distance towards higher canary values',
  decrease: 'the KS distance towards lower canary values',
  either: 'the KS distance between canary and baseline',
};

export function judgeDistribution(metric: DistributionMetric, ctx: MetricContext): MetricResult {
  const resolved = resolve(metric);
  const timeline = ctx.evidence.sequential && metric.baseline.intervals && metric.canary.intervals ? { baseline: metric.baseline.intervals, canary: metric.canary.intervals } : undefined;
  // On a timeline the tests are read time-matched (below), not on the pooled sides.
  const { pair, summaries, tests, gap } = valuesData(metric, resolved.minSamples, timeline ? () => [] : (c, b, binned) => distributionTests(c, b, binned));
  if (gap) return withoutEvidence(metric, resolved, summaries, gap, tests);
  if (timeline) return judgeTimeline(metric, resolved, timeline, summaries, pair.binned, pair.bounds, ctx);

  const distances = ksDistance(pair.canary, pair.baseline);
  // Histograms show the distance at their bounds only; inside a bucket it may be larger, and
  // a pass must hold for every distribution the buckets allow.
  const largest = pair.binned ? ksDistanceUpperLimits(pair.canary, pair.baseline) : distances;
  const [estimate, upTo] =
    resolved.direction === 'increase' ? [distances.dPlus, largest.dPlus] : resolved.direction === 'decrease' ? [distances.dMinus, largest.dMinus] : [distances.d, largest.d];
  const subject = SUBJECTS[resolved.direction];
  // Both bands must hold at once: each gets half the error rate.
  const slack = (alpha: number) =>
    ctx.evidence.cdfBandHalfWidth(pair.canary.n, alpha / 2) + ctx.evidence.cdfBandHalfWidth(pair.baseline.n, alpha / 2);
  const check = checkAgainstMargin(
    {
      measure: 'Kolmogorov-Smirnov distance',
      unit: 'distance',
      estimate,
      tolerance: resolved.margin.absolute!,
      bounds: (aL, aU) => ({ lower: Math.max(0, estimate - slack(aL)), upper: Math.min(1, upTo + slack(aU)) }),
    },
    'increase', // a distance only grows with harm, whichever way the distributions moved
    ctx.rates,
  );
  const tolerance = resolved.margin.absolute!;
  const insideBuckets =
    upTo <= estimate
      ? ''
      : check.verdict === 'inconclusive' && upTo > tolerance
        ? `; read at the bucket bounds, while inside the buckets it may reach ${significant(upTo)}, more than the tolerated ${significant(tolerance)}: ` +
          `the buckets are too coarse to ever show it within the margin; give the histogram finer bounds where the observations are${droppedBoundsNote(metric, pair.bounds)}`
        : `; read at the bucket bounds, while inside the buckets it may reach ${significant(upTo)}`;
  return judged(metric, resolved, summaries, tests, { verdict: check.verdict, checks: [check], decisive: check, reason: `${describeDistance(subject, check)}${insideBuckets}` });
}

/**
 * A timeline: the KS distance matched in time (src/judge/distribution-timeline.ts), and the
 * explanatory statistics read against the baseline reweighted to the canary's traffic per
 * interval. When a cell of the grid holds as much of the baseline as the margin, no pass can
 * ever be shown, and an inconclusive reason says so.
 */
function judgeTimeline(
  metric: DistributionMetric,
  resolved: Resolved,
  timeline: { baseline: readonly ValuesInterval[]; canary: readonly ValuesInterval[] },
  summaries: ValuesData['summaries'],
  binned: boolean,
  bounds: readonly number[] | undefined,
  ctx: MetricContext,
): MetricResult {
  const tolerance = resolved.margin.absolute!;
  const decision = judgeDistributionTimeline(timeline.baseline, timeline.canary, tolerance, resolved.direction, ctx);
  const matched = timeMatched(decision.intervals);
  const tests = matched.canary.n > 0 && matched.baseline.n > 0 ? distributionTests(matched.canary, matched.baseline, binned, true) : [];
  // (The words "too coarse to ever" also keep the projection away: more data cannot help.)
  const tooCoarse =
    decision.verdict === 'inconclusive' && decision.widestCell >= tolerance
      ? `; the ${binned ? 'buckets are' : 'tied values are'} too coarse to ever show it within the margin: one cell of the matched test's grid holds ${significant(decision.widestCell)} of the baseline, as much as the tolerated ${significant(tolerance)}` +
        (binned ? `; give the histogram finer bounds where the observations are${droppedBoundsNote(metric, bounds)}` : '')
      : '';
  const subject = `${SUBJECTS[resolved.direction]}, matched by interval`;
  return judgedTimeline(metric, resolved, summaries, tests, { ...decision, intervals: timeline.baseline.length }, subject, (decisive) => `${describeDistance(subject, decisive)}${tooCoarse}`);
}

/** The reported tests; `matched`: read on the time-matched sides, where a classic p-value (one unweighted sample per side) does not apply. */
function distributionTests(canary: WeightedSample, baseline: WeightedSample, binned: boolean, matched = false): TestReport[] {
  const bins = driftBins(baseline, canary, binned);
  const drift: TestReport[] = [
    { name: 'psi', statistic: populationStabilityIndex(bins.baseline, bins.canary), threshold: DRIFT_THRESHOLDS.psi, ...(matched ? { method: MATCHED } : {}) },
    { name: 'jensen-shannon', statistic: jensenShannonDistance(bins.baseline, bins.canary), threshold: DRIFT_THRESHOLDS.jensenShannon, ...(matched ? { method: MATCHED } : {}) },
    wasserstein(canary, baseline, binned, matched),
  ];
  if (matched) return [{ name: 'kolmogorov-smirnov', statistic: ksDistance(canary, baseline).d, method: `${MATCHED}; no p-value: the classic one assumes one unweighted sample per side` }, ...drift];
  const [mw, ks] = rankTests(canary, baseline);
  return [ks, mw, ...drift];
}

const MATCHED = "time-matched: the baseline's observations of each interval reweighted to the canary's count there";

function wasserstein(canary: WeightedSample, baseline: WeightedSample, binned: boolean, matched: boolean): TestReport {
  const normalised = 'normalised by the baseline standard deviation';
  const method = binned ? `${normalised}; on histograms each bucket is read at its upper bound: ${wassersteinRangeText(canary, baseline)}` : normalised;
  return {
    name: 'wasserstein',
    statistic: normalisedWasserstein(canary, baseline),
    threshold: DRIFT_THRESHOLDS.wasserstein,
    // Explanatory only, never the verdict: on histograms each bucket is read at its upper
    // bound, and the method states the range of raw distances the buckets allow.
    method: matched ? `${MATCHED}; ${method}` : method,
  };
}

function wassersteinRangeText(canary: WeightedSample, baseline: WeightedSample): string {
  const { lower, upper } = wassersteinRange(canary, baseline);
  return `the buckets allow an unnormalised distance from ${significant(lower)} to ${Number.isFinite(upper) ? significant(upper) : 'unbounded (observations in the +Inf bucket)'}`;
}

/** Wasserstein distance in baseline standard deviations (Evidently's normalisation). */
function normalisedWasserstein(canary: WeightedSample, baseline: WeightedSample): number {
  const c = withFinitePoints(canary);
  const b = withFinitePoints(baseline);
  const distance = wassersteinDistance(c, b);
  const sd = standardDeviation(b);
  if (sd > 0) return distance / sd;
  return distance === 0 ? 0 : Infinity;
}

/** A +Inf bucket is read as its lower edge, as histogram_quantile does. */
function withFinitePoints(sample: WeightedSample): WeightedSample {
  const last = sample.points.length - 1;
  if (last < 0 || sample.points[last] !== Infinity) return sample;
  const declared = sample.lowerEdges ? sample.lowerEdges[last] : sample.points[last - 1];
  const edge = Number.isFinite(declared) ? declared : 0;
  if (last > 0 && sample.points[last - 1] === edge) {
    // The edge is already a point: fold the +Inf count into it.
    const counts = sample.counts.slice(0, last);
    counts[last - 1] += sample.counts[last];
    return { points: sample.points.subarray(0, last), counts, n: sample.n };
  }
  const points = sample.points.slice();
  points[last] = edge;
  return { points, counts: sample.counts, n: sample.n };
}

function standardDeviation(sample: WeightedSample): number {
  let mean = 0;
  for (let i = 0; i < sample.points.length; i++) mean += sample.points[i] * sample.counts[i];
  mean /= sample.n;
  let squares = 0;
  for (let i = 0; i < sample.points.length; i++) squares += sample.counts[i] * (sample.points[i] - mean) ** 2;
  return Math.sqrt(squares / sample.n);
}

function significant(x: number): number {
  return Number(x.toPrecision(3));
}
