/**
 * The smallest and largest Wasserstein (earth mover's) distances that two histograms on the
 * same bucket bounds allow.
 *
 * W1 = integral of |F_canary(x) - F_baseline(x)| dx. A histogram fixes each CDF at its bucket
 * bounds only; inside a bucket (a, b] each CDF may rise from its value at a to its value at b
 * along any path, independently of the other side and of the other buckets. So per bucket:
 * - the largest gap is max(F_c(b) - F_b(a), F_b(b) - F_c(a)) all the way across (one side's
 *   observations at the bottom of the bucket, the other's at the top), giving (b - a) times it;
 * - the smallest is 0 when the two ranges [F_c(a), F_c(b)] and [F_b(a), F_b(b)] overlap (both
 *   jump to a common value at once), else the distance between the ranges, times (b - a).
 * Summing gives the range; a bucket with observations and no finite width (the +Inf bucket, or
 * a first bucket with no lower edge) makes the upper end infinite.
 *
 * Reference: Vallender, S. S. (1974) "Calculation of the Wasserstein distance between
 * probability distributions on the line", Theory of Probability and its Applications 18(4)
 * (W1 as the area between the CDFs).
 *
 * @example
 * // Both histograms put everything in (0, 10]: the distance may be anything from 0 to 10.
 * wassersteinRange(fromBuckets([10, Infinity], [5, 0], 0), fromBuckets([10, Infinity], [5, 0], 0))
 * // { lower: 0, upper: 10 }
 */
import type { Bounds } from './quantile-bounds';
import type { WeightedSample } from './weighted-sample';

export function wassersteinRange(canary: WeightedSample, baseline: WeightedSample): Bounds {
  if (!canary.lowerEdges || !baseline.lowerEdges) throw new Error('Both samples must be histograms');
  if (!(canary.n > 0 && baseline.n > 0)) throw new Error('Neither sample can be empty');
  let i = 0;
  let j = 0;
  let canaryCdf = 0;
  let baselineCdf = 0;
  let lower = 0;
  let upper = 0;
  // Walk the union of both samples' non-empty buckets in order; each step covers the bucket
  // from the previous bound (or the bucket's own lower edge, for the first) to this one.
  let previous = Math.min(canary.lowerEdges[0], baseline.lowerEdges[0]);
  while (i < canary.points.length || j < baseline.points.length) {
    // A side that has run out takes no step, even at a +Inf bound the other side has.
    const c = i < canary.points.length ? canary.points[i] : NaN;
    const b = j < baseline.points.length ? baseline.points[j] : NaN;
    const bound = Number.isNaN(c) ? b : Number.isNaN(b) ? c : Math.min(c, b);
    // This step covers this bucket only: from its lower edge (the previous bound, unless
    // buckets empty on both sides lie between) to its bound.
    const from = Math.max(previous, c === bound ? canary.lowerEdges[i] : -Infinity, b === bound ? baseline.lowerEdges[j] : -Infinity);
    const canaryBelow = canaryCdf;
    const baselineBelow = baselineCdf;
    // Buckets empty on both sides between the previous bound and this bucket: both CDFs are
    // flat there, so that stretch adds the same known area to both ends.
    const flat = from - previous;
    if (flat > 0 && canaryBelow !== baselineBelow) {
      lower += flat * Math.abs(canaryBelow - baselineBelow);
      upper += flat * Math.abs(canaryBelow - baselineBelow);
    }
    if (c === bound) canaryCdf += canary.counts[i++] / canary.n;
    if (b === bound) baselineCdf += baseline.counts[j++] / baseline.n;
    const largestGap = Math.max(canaryCdf - baselineBelow, baselineCdf - canaryBelow);
    const smallestGap = Math.max(0, canaryBelow - baselineCdf, baselineBelow - canaryCdf);
    const width = bound - from;
    upper += largestGap > 0 ? width * largestGap : 0;
    lower += smallestGap > 0 ? width * smallestGap : 0;
    previous = bound;
  }
  return { lower, upper };
}
