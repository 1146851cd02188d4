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
import { forEachSharedBucket } from './shared-buckets';
import type { WeightedSample } from './weighted-sample';

export function wassersteinRange(canary: WeightedSample, baseline: WeightedSample): Bounds {
  let lower = 0;
  let upper = 0;
  let previous = NaN;
  forEachSharedBucket(canary, baseline, (b) => {
    // Buckets empty on both sides between the previous bound and this bucket: both CDFs are
    // flat there, so that stretch adds the same known area to both ends.
    const flat = b.lower - previous;
    if (flat > 0 && b.canaryBelow !== b.baselineBelow) {
      lower += flat * Math.abs(b.canaryBelow - b.baselineBelow);
      upper += flat * Math.abs(b.canaryBelow - b.baselineBelow);
    }
    const largestGap = Math.max(b.canary - b.baselineBelow, b.baseline - b.canaryBelow);
    const smallestGap = Math.max(0, b.canaryBelow - b.baseline, b.baselineBelow - b.canary);
    const width = b.bound - b.lower;
    // 0 x Infinity would be NaN: a gap of 0 adds nothing, however wide the bucket.
    if (largestGap > 0) upper += width * largestGap;
    if (smallestGap > 0) lower += width * smallestGap;
    previous = b.bound;
  });
  return { lower, upper };
}
