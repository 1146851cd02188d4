/**
 * The largest Kolmogorov-Smirnov distances that two histograms on the same bucket bounds allow.
 *
 * A histogram knows its CDF only at its bucket bounds, so the distance read there (what
 * `ksDistance` returns for binned samples) is the smallest the data allow: the gap between
 * the CDFs inside a bucket may be larger. Inside a bucket (a, b] the baseline's CDF is at
 * most F_b(b) and the canary's at least F_c(a), so sup (F_b - F_c) over the bucket is at
 * most F_b(b) - F_c(a), reached when the baseline's observations of the bucket sit at its
 * bottom and the canary's at its top. The largest distance any pair of distributions
 * consistent with both histograms can have is the largest such gap over the buckets; a
 * verdict that a histogram supports must hold for all of them, so a pass bounds the distance
 * with this value, not with the one read at the bounds.
 *
 * Reference: the bound follows from the monotonicity of CDFs; see e.g. Dvoretzky, Kiefer &
 * Wolfowitz (1956) for the band it is combined with, and Kolmogorov-Smirnov on grouped data
 * in Conover, W. J. (1972) "A Kolmogorov goodness-of-fit test for discontinuous
 * distributions", JASA 67(339).
 *
 * @example
 * // Both samples fill one bucket (0, 10]: the bounds show no gap, yet the true gap may be 1.
 * ksDistanceUpperLimits(fromBuckets([10, Infinity], [5, 0], 0), fromBuckets([10, Infinity], [5, 0], 0))
 * // { d: 1, dPlus: 1, dMinus: 1 }
 */
import type { KsDistance } from './kolmogorov-smirnov';
import { forEachSharedBucket } from './shared-buckets';
import type { WeightedSample } from './weighted-sample';

export function ksDistanceUpperLimits(canary: WeightedSample, baseline: WeightedSample): KsDistance {
  let dPlus = 0;
  let dMinus = 0;
  forEachSharedBucket(canary, baseline, (b) => {
    dPlus = Math.max(dPlus, b.baseline - b.canaryBelow);
    dMinus = Math.max(dMinus, b.canary - b.baselineBelow);
  });
  dPlus = Math.min(1, dPlus);
  dMinus = Math.min(1, dMinus);
  return { d: Math.max(dPlus, dMinus), dPlus, dMinus };
}
