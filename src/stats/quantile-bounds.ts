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
 * Binned data: the order statistic is read by linear interpolation inside its bucket, the
 * rule of Prometheus' histogram_quantile. Bucket edges alone would be valid whatever happened
 * inside a bucket, but with Istio's default buckets (..., 50, 100, 250 ms) they are 2-2.5x
 * apart, so no latency margin under 100 % could ever pass. A bound in the +Inf bucket (or
 * below a first bucket with no lower edge) stays infinite.
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

/** The 1-based k-th smallest observation; for binned data interpolated inside its bucket. */
export function orderStatistic(sample: WeightedSample, k: number, side: 'lower' | 'upper'): number {
  const observations = sample.observations;
  // Same answer as the scan below: the first observation whose cumulative count reaches k.
  if (observations && !sample.lowerEdges) return observations[Math.min(Math.max(Math.ceil(k), 1), observations.length) - 1];
  let seen = 0;
  for (let i = 0; i < sample.points.length; i++) {
    seen += sample.counts[i];
    if (k <= seen) {
      const lowerEdge = sample.lowerEdges?.[i];
      if (lowerEdge === undefined) return sample.points[i];
      return interpolateInBucket(lowerEdge, sample.points[i], (k - (seen - sample.counts[i])) / sample.counts[i], side);
    }
  }
  return sample.points[sample.points.length - 1];
}

/** Where the fraction `position` of a bucket's observations lies, assuming an even spread. */
function interpolateInBucket(lowerEdge: number, upperEdge: number, position: number, side: 'lower' | 'upper'): number {
  if (upperEdge === Infinity) return side === 'lower' ? lowerEdge : Infinity;
  if (lowerEdge === -Infinity) return side === 'lower' ? -Infinity : upperEdge;
  return lowerEdge + (upperEdge - lowerEdge) * position;
}
