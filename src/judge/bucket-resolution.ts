/**
 * Whether a histogram's buckets can ever answer a quantile's margin.
 *
 * Bounds from a histogram are the edges of buckets (see src/stats/quantile-bounds.ts): however
 * much data arrives, a quantile inside (100, 250] is only known to lie in (100, 250]. So the
 * narrowest interval the buckets allow is found by putting each side's bounds at the edges of
 * the bucket that holds its estimate. If even that interval cannot decide against the margin
 * (Envoy's default buckets are 2-2.5x apart where model latency lives, so a +10 % margin never
 * fits inside one), more data will not help, and the person on call needs to hear that
 * instead of "not yet enough evidence", with the two ways out: finer bounds, or the share of
 * observations above a bound (`threshold`), which buckets measure exactly.
 */
import type { WeightedSample } from '../stats/weighted-sample';
import { FORMAT_BY_UNIT, tolerated } from './describe';
import { checkAgainstMargins, type EffectCandidate, type ErrorRates } from './margin-check';
import type { Bounds, Direction } from './types';

/** The bucket (lower, upper] of a histogram that holds its p-quantile, by histogram_quantile's rank rule. */
export function bucketHolding(sample: WeightedSample, p: number): Bounds {
  const rank = p * sample.n;
  let seen = 0;
  for (let i = 0; i < sample.points.length; i++) {
    seen += sample.counts[i];
    if (rank <= seen) return { lower: sample.lowerEdges![i], upper: sample.points[i] };
  }
  const last = sample.points.length - 1;
  return { lower: sample.lowerEdges![last], upper: sample.points[last] };
}

export interface ResolutionInput {
  readonly subject: string;
  readonly baselineBucket: Bounds;
  readonly canaryBucket: Bounds;
  /** The metric's effect candidates, bounded as if each side's bound sat on its bucket's edges. */
  readonly limitCandidates: readonly EffectCandidate[];
  readonly direction: Direction;
  readonly rates: ErrorRates;
}

/**
 * The sentence that explains why the buckets can never decide, or null when they could (with
 * enough data) reach a pass or a fail.
 */
export function unresolvableBuckets(input: ResolutionInput): string | null {
  const limit = checkAgainstMargins(input.limitCandidates, input.direction, input.rates);
  if (limit.verdict !== 'inconclusive') return null;
  const best = limit.checks[0].effect;
  const format = FORMAT_BY_UNIT[best.unit];
  const where = sameBucket(input.baselineBucket, input.canaryBucket)
    ? `${input.subject} lies in the bucket ${bucketText(input.baselineBucket)} on both sides`
    : `${input.subject} lies in the bucket ${bucketText(input.baselineBucket)} on the baseline and ${bucketText(input.canaryBucket)} on the canary`;
  return (
    `the histogram's buckets are too coarse to ever tell whether it is within the tolerated ${tolerated(best.tolerance, input.direction, format)}: ` +
    `${where}, so even with unlimited data the interval stays ${format(best.lower)} to ${format(best.upper)}. ` +
    `Give the histogram finer bounds around ${input.subject} (for Istio's metrics, the pod annotation sidecar.istio.io/statsHistogramBuckets, ` +
    `${spacingAdvice(best)}), or judge the share of observations above a bucket bound with "threshold" (for example ${suggestedThreshold(input.baselineBucket)})`
  );
}

/**
 * How close the bounds must be: the claims bracket the quantile by its bucket's edges on both
 * sides (src/stats/matched-quantile-shift-e-process.ts), so two neighbouring buckets must span
 * less than the margin (for +10 %: bounds about 4 % apart; 5 % apart never decide it).
 */
function spacingAdvice(effect: { readonly unit: string; readonly tolerance: number }): string {
  if (effect.unit !== 'relative') return 'bounds so close that two neighbouring buckets span less than the margin';
  return `bounds at most ${Math.max(1, Math.floor((effect.tolerance * 100) / 2.3))} % apart, so that two neighbouring buckets span less than the margin`;
}

function sameBucket(a: Bounds, b: Bounds): boolean {
  return a.lower === b.lower && a.upper === b.upper;
}

function bucketText(bucket: Bounds): string {
  if (bucket.upper === Infinity) return `above the highest finite bound ${bucket.lower}`;
  return `(${bucket.lower === -Infinity ? '-Inf' : bucket.lower}, ${bucket.upper}]`;
}

/** The bound just above the baseline's quantile: the share above it is about 1 - p on the baseline. */
function suggestedThreshold(baselineBucket: Bounds): number {
  return Number.isFinite(baselineBucket.upper) ? baselineBucket.upper : baselineBucket.lower;
}
