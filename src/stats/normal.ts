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

/**
 * z such that P(Z <= z) = p. stdlib's quantile loses digits below p ~ 1e-8 and returns
 * -Infinity near 1e-20, so deep lower tails are polished by Newton steps on log P(Z <= z),
 * which converge in a few iterations because log Phi is smooth and concave.
 *
 * @example normalQuantileOf(0.975) // 1.959963984540054
 */
export function normalQuantileOf(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const start = normalQuantile(p, 0, 1);
  if (p >= DEEP_TAIL) return start;
  let z = Number.isFinite(start) ? start : -Math.sqrt(-2 * Math.log(p));
  const target = Math.log(p);
  for (let i = 0; i < 50; i++) {
    const cdf = normalCdf(z);
    const density = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    const step = ((Math.log(cdf) - target) * cdf) / density;
    z -= step;
    if (Math.abs(step) <= 1e-15 * Math.abs(z)) break;
  }
  return z;
}

const DEEP_TAIL = 1e-7;
