/**
 * A confidence sequence for a Bernoulli rate (an error rate, a category's share): the rates
 * theta0 whose beta-binomial mixture e-value is still below 1/alpha. It covers the true rate
 * at every n simultaneously with probability 1 - alpha, so a rollout may look at it every
 * minute. Each bound takes its own one-sided alpha (the two-sided mixture is used for both,
 * which is conservative). With no trials the sequence is [0, 1]: no evidence.
 *
 * Reference: Howard, Ramdas, McAuliffe & Sekhon (2021), Ann. Statist. 49(2), section 3;
 * see bernoulli-mixture-e-value.ts.
 *
 * @example bernoulliConfidenceSequence(50, 10000, 0.025, 0.025) // { lower: ~0.0029, upper: ~0.0078 }
 */
import { logBernoulliMixtureEValue } from './bernoulli-mixture-e-value';
import type { Bounds } from './quantile-bounds';

export function bernoulliConfidenceSequence(successes: number, trials: number, alphaLower: number, alphaUpper: number): Bounds {
  if (trials <= 0) return { lower: 0, upper: 1 };
  const estimate = successes / trials;
  return {
    lower: successes === 0 ? 0 : edge(successes, trials, Math.log(1 / alphaLower), 0, estimate),
    upper: successes === trials ? 1 : edge(successes, trials, Math.log(1 / alphaUpper), 1, estimate),
  };
}

/**
 * Bisects between `outside` (0 or 1, where the e-value is infinite) and the estimate (where
 * it is smallest) for the rate at which the e-value reaches the threshold.
 */
function edge(k: number, n: number, threshold: number, outside: number, estimate: number): number {
  let out = outside;
  let inside = estimate;
  for (let i = 0; i < 200 && Math.abs(out - inside) > 1e-12 * inside; i++) {
    const probe = (out + inside) / 2;
    if (logBernoulliMixtureEValue(k, n, probe) < threshold) inside = probe;
    else out = probe;
  }
  return inside;
}
