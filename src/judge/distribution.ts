/**
 * Distribution metrics (prediction scores, any output whose whole shape matters): the verdict
 * rests on the Kolmogorov-Smirnov distance between canary and baseline, the largest gap
 * between their CDFs, bounded by simultaneous CDF bands for each side (|D_true - D| <= eps_c +
 * eps_b). On histograms the distance is read at the bucket bounds, which bounds it from
 * below; from above it is bounded by the largest gap the buckets allow (ks-distance-range.ts).
 * Drift tools' effect sizes (PSI, Jensen-Shannon, Wasserstein) are reported beside the classic
 * tests with their customary thresholds, to explain the verdict.
 */
import { ksDistance } from '../stats/kolmogorov-smirnov';
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
import { judged, resolve, withoutEvidence, type MetricContext } from './metric-context';
import { valuesData } from './values-data';
import type { MetricInput, MetricResult, TestReport } from './types';

type DistributionMetric = Extract<MetricInput, { kind: 'distribution' }>;

/** Customary thresholds of the drift tools (Evidently's defaults; PSI's rule of thumb). */
export const DRIFT_THRESHOLDS = { psi: 0.1, jensenShannon: 0.1, wasserstein: 0.1 } as const;

export function judgeDistribution(metric: DistributionMetric, ctx: MetricContext): MetricResult {
  const resolved = resolve(metric);
  const { pair, summaries, tests, gap } = valuesData(metric, resolved.minSamples, distributionTests);
  if (gap) return withoutEvidence(metric, resolved, summaries, gap, tests);

  const distances = ksDistance(pair.canary, pair.baseline);
  // Histograms show the distance at their bounds only; inside a bucket it may be larger, and
  // a pass must hold for every distribution the buckets allow.
  const largest = pair.binned ? ksDistanceUpperLimits(pair.canary, pair.baseline) : distances;
  const [estimate, upTo, subject] =
    resolved.direction === 'increase'
      ? [distances.dPlus, largest.dPlus, 'the KS distance towards higher canary values']
      : resolved.direction === 'decrease'
        ? [distances.dMinus, largest.dMinus, 'the KS distance towards lower canary values']
        : [distances.d, largest.d, 'the KS distance between canary and baseline'];
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

function distributionTests(canary: WeightedSample, baseline: WeightedSample, binned: boolean): TestReport[] {
  const [mw, ks] = rankTests(canary, baseline);
  const bins = driftBins(baseline, canary, binned);
  return [
    ks,
    mw,
    { name: 'psi', statistic: populationStabilityIndex(bins.baseline, bins.canary), threshold: DRIFT_THRESHOLDS.psi },
    { name: 'jensen-shannon', statistic: jensenShannonDistance(bins.baseline, bins.canary), threshold: DRIFT_THRESHOLDS.jensenShannon },
    {
      name: 'wasserstein',
      statistic: normalisedWasserstein(canary, baseline),
      threshold: DRIFT_THRESHOLDS.wasserstein,
      // Explanatory only, never the verdict: on histograms each bucket is read at its upper
      // bound, and the method states the range of raw distances the buckets allow.
      method: binned ? `normalised by the baseline standard deviation; on histograms each bucket is read at its upper bound: ${wassersteinRangeText(canary, baseline)}` : 'normalised by the baseline standard deviation',
    },
  ];
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
