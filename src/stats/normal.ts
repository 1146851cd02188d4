/**
 * Standard normal tail probabilities and quantiles, accurate far into the tails.
 *
 * p-values must match scipy to 1e-6 relative even when they are 1e-30, so the survival
 * function goes through erfc (complementary error function) instead of 1 - cdf, which
 * loses every digit once the cdf rounds to 1. Both come from stdlib, whose
 * implementations follow FreeBSD's msun (erfc) and Wichura's AS241 (quantile).
 *
 * Reference: Abramowitz & Stegun 26.2.29; Wichura, M. J. (1988) "Algorithm AS 241".
 */
import erfc from '@stdlib/math-base-special-erfc';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

/** P(Z > z) for a standard normal Z. @example normalSf(1.959963984540054) // 0.025 */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** P(Z <= z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** z such that P(Z <= z) = p. @example normalQuantileOf(0.975) // 1.959963984540054 */
export function normalQuantileOf(p: number): number {
  return normalQuantile(p, 0, 1);
}
