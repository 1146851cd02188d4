/**
 * A confidence sequence for a population quantile: order-statistic bounds that hold at every
 * sample size at once, for repeated looks at a growing sample.
 *
 * For the true p-quantile q, the count of observations at or below q is Binomial(n, p), so
 * the beta-binomial mixture e-value of that count against p is a martingale. The quantile's
 * confidence set is every q whose count keeps the e-value below 1/alpha: the counts form a
 * range [kLow, kHigh] around n*p, and the bounds are the kLow-th and (kHigh+1)-th smallest
 * observations (for histograms, the edges of their buckets: see quantile-bounds.ts).
 * Unlike a DKW band, whose width is the same at every p, it narrows in the tails (the p95
 * and p99 of latency), where the binomial variance p(1-p) is small.
 *
 * Reference: Howard, S. R. & Ramdas, A. (2022) "Sequential estimation of quantiles with
 * applications to A/B-testing and best-arm identification", Bernoulli 28(3), Theorem 2.
 *
 * @example quantileConfidenceSequence(fromValues(latencies), 0.95, 0.0125, 0.025)
 */
import { logBernoulliMixtureEValue } from './bernoulli-mixture-e-value';
import { orderStatistic, type Bounds } from './quantile-bounds';
import type { WeightedSample } from './weighted-sample';

export function quantileConfidenceSequence(sample: WeightedSample, p: number, alphaLower: number, alphaUpper: number): Bounds {
  if (!(p > 0 && p < 1)) throw new Error('The quantile level must lie strictly between 0 and 1');
  const n = sample.n;
  if (n === 0) return { lower: -Infinity, upper: Infinity };
  const centre = Math.min(n, Math.max(0, Math.round(n * p)));
  const lowRank = firstAccepted(n, p, Math.log(1 / alphaLower), centre, 'down');
  const highRank = firstAccepted(n, p, Math.log(1 / alphaUpper), centre, 'up');
  return {
    lower: lowRank !== null && lowRank >= 1 ? orderStatistic(sample, lowRank, 'lower') : -Infinity,
    upper: highRank !== null && highRank + 1 <= n ? orderStatistic(sample, highRank + 1, 'upper') : Infinity,
  };
}

/**
 * The count furthest from the centre (towards 0 or n) whose e-value is below the threshold;
 * the e-value grows monotonically away from n*p, so a binary search finds it.
 */
function firstAccepted(n: number, p: number, threshold: number, centre: number, way: 'down' | 'up'): number | null {
  const accepted = (k: number) => logBernoulliMixtureEValue(k, n, p) < threshold;
  if (!accepted(centre)) return null;
  let inside = centre;
  let outside = way === 'down' ? -1 : n + 1;
  while (Math.abs(outside - inside) > 1) {
    const middle = Math.floor((inside + outside) / 2);
    if (accepted(middle)) inside = middle;
    else outside = middle;
  }
  return inside;
}
