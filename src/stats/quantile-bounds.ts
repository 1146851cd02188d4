/**
 * Distribution-free confidence bounds for a population quantile from order statistics.
 *
 * The number of observations at or below the true p-quantile is Binomial(n, p) for any
 * continuous distribution, so the l-th smallest observation lies below it with probability
 * P(Bin(n, p) >= l). The lower bound is the largest such order statistic that still does so
 * with probability 1 - alphaLower; the upper bound mirrors it. No shape is assumed, which is
 * why it suits latency (skewed, multi-modal). When n is too small for the requested
 * confidence a bound is infinite: "no evidence", never a guess.
 *
 * Binned data: a histogram does not say where inside its bucket the l-th observation lay, so
 * a bound must hold for every distribution consistent with the bucket counts. A lower bound
 * whose order statistic falls in bucket (a, b] is a, an upper bound is b. Interpolating inside
 * the bucket (histogram_quantile's rule) would make up precision the data do not have: on
 * Istio's default buckets (..., 100, 250 ms) a 150 ms wide bucket gave a 2 % wide interval,
 * and a canary 20 % slower passed a +10 % margin. The point estimate may still interpolate
 * (src/stats/quantile.ts); bounds may not. A bound in the +Inf bucket (or below a first
 * bucket with no lower edge) stays infinite.
 *
 * Reference: David, H. A. & Nagaraja, H. N. (2003) "Order Statistics", 3rd ed., section 7.1;
 * Hahn, G. J. & Meeker, W. Q. (1991) "Statistical Intervals", section 5.2.
 *
 * @example quantileBounds(fromValues(latencies), 0.95, 0.025, 0.025) // { lower, upper }
 */
import binomialQuantile from '@stdlib/stats-base-dists-binomial-quantile';
import type { WeightedSample } from './weighted-sample';

export interface Bounds {
  readonly lower: number;
  readonly upper: number;
}

export function quantileBounds(
  sample: WeightedSample,
  p: number,
  alphaLower: number,
  alphaUpper: number,
): Bounds {
  if (!(p > 0 && p < 1)) throw new Error('The quantile level must lie strictly between 0 and 1');
  const n = sample.n;
  if (n === 0) return { lower: -Infinity, upper: Infinity };
  // The lower rank l is the largest with P(Bin(n,p) <= l-1) <= alphaLower. The binomial
  // quantile k is the smallest with cdf(k) >= alphaLower, so l = k except when cdf(k) equals
  // alphaLower exactly, where l = k is one rank conservative. l = 0 means no lower bound.
  const lowerRank = binomialQuantile(alphaLower, n, p);
  // Smallest u with P(Bin(n,p) <= u-1) >= 1 - alphaUpper; u > n means no upper bound exists.
  const upperRank = binomialQuantile(1 - alphaUpper, n, p) + 1;
  return {
    lower: lowerRank >= 1 ? orderStatistic(sample, lowerRank, 'lower') : -Infinity,
    upper: upperRank <= n ? orderStatistic(sample, upperRank, 'upper') : Infinity,
  };
}

/**
 * The 1-based k-th smallest observation, or for binned data the edge of its bucket on the
 * given side: the lower edge bounds it from below, the upper edge from above.
 */
export function orderStatistic(sample: WeightedSample, k: number, side: 'lower' | 'upper'): number {
  const observations = sample.observations;
  // Same answer as the scan below: the first observation whose cumulative count reaches k.
  if (observations && !sample.lowerEdges) return observations[Math.min(Math.max(Math.ceil(k), 1), observations.length) - 1];
  let seen = 0;
  for (let i = 0; i < sample.points.length; i++) {
    seen += sample.counts[i];
    if (k <= seen) return bucketEdge(sample, i, side);
  }
  return bucketEdge(sample, sample.points.length - 1, side);
}

/** A raw point is its own edge; a bucket (lowerEdge, le] gives lowerEdge below and le above. */
function bucketEdge(sample: WeightedSample, i: number, side: 'lower' | 'upper'): number {
  const lowerEdge = sample.lowerEdges?.[i];
  return lowerEdge !== undefined && side === 'lower' ? lowerEdge : sample.points[i];
}
