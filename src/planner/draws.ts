/**
 * Cheap binomial and multinomial draws for simulated rollouts: the decision benchmark's
 * (bench/simulate/rollout.ts) and the planner's (src/planner/plan.ts), from a seeded stream so
 * that a plan or a benchmark run is reproducible.
 *
 * A rollout at 10,000 requests per minute has 2e5 requests per side over 21 looks; drawing
 * every request's latency, score and class 1000 times over 9 scenarios would take ~1e10
 * draws. Bucketed data only need bucket counts, so each minute draws a multinomial over the
 * buckets by sequential binomial splitting: ~85 binomial draws per side and minute.
 *
 * Binomial(n, p), with p folded to <= 1/2 (draw the failures instead):
 * - exact inversion of the CDF from 0 (pmf recursion) while n p (1 - p) <= 30, i.e. at most
 *   ~60 steps: tail buckets, error counts and the 1 % step stay exact;
 * - above that, the normal approximation N(np, np(1-p)) rounded to the nearest integer and
 *   clamped to [0, n]. Its mean is exact up to the clamp (never reached at this variance),
 *   its variance is off by the 1/12 of rounding, its skewness (1 - 2p)/sqrt(np(1-p)) < 0.19
 *   is dropped. Canary and baseline go through the same approximation, so an A/A rollout
 *   stays an A/A rollout in distribution.
 */

export type Uniform = () => number;
export type Normal = () => number;

/** A seeded uniform stream on [0, 1) (mulberry32). */
export { seededUniform } from '../stats/seeded-uniform';

/** Standard normal draws from a uniform stream (Box-Muller). */
export function normalFrom(uniform: Uniform): Normal {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Largest n p (1 - p) for which the exact inversion is used. */
export const NORMAL_APPROXIMATION_VARIANCE = 30;

export function binomial(n: number, p: number, uniform: Uniform, normal: Normal): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(n, 1 - p, uniform, normal);
  const q = 1 - p;
  const mean = n * p;
  const variance = mean * q;
  if (variance > NORMAL_APPROXIMATION_VARIANCE) {
    const x = Math.round(mean + Math.sqrt(variance) * normal());
    return x < 0 ? 0 : x > n ? n : x;
  }
  // Inversion: walk the CDF up from k = 0. n p <= 60 here, so (1 - p)^n >= e^-84: no underflow.
  const u = uniform();
  const ratio = p / q;
  let pmf = Math.exp(n * Math.log1p(-p));
  let cdf = pmf;
  let k = 0;
  while (u > cdf && k < n) {
    pmf *= (ratio * (n - k)) / (k + 1);
    k++;
    cdf += pmf;
  }
  return k;
}

/**
 * Multinomial(n, probabilities) into `out` (same length), by sequential binomial splitting:
 * bucket i takes Binomial(remaining, p_i / remaining mass). The probabilities must sum to 1
 * (the last bucket takes whatever is left).
 */
export function multinomial(n: number, probabilities: Float64Array, out: Float64Array, uniform: Uniform, normal: Normal): void {
  let remaining = n;
  let mass = 1;
  const last = probabilities.length - 1;
  for (let i = 0; i < last; i++) {
    const p = probabilities[i];
    if (remaining === 0 || p <= 0) {
      out[i] = 0;
    } else {
      const conditional = mass > p ? p / mass : 1;
      const x = binomial(remaining, conditional, uniform, normal);
      out[i] = x;
      remaining -= x;
    }
    mass -= p;
  }
  out[last] = remaining;
}
