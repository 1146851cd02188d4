/**
 * Clopper-Pearson bounds for a binomial proportion: the exact interval, inverting the two
 * one-sided binomial tests, so each bound holds at its own one-sided alpha for every n and p
 * (conservative: the binomial's discreteness makes the coverage at least nominal). A bound is
 * a beta quantile: lower = Beta(alpha; k, n - k + 1), upper = Beta(1 - alpha; k + 1, n - k);
 * 0 with no events, 1 with all of them. With no trials, [0, 1].
 *
 * Reference: Clopper, C. J. & Pearson, E. S. (1934) "The use of confidence or fiducial limits
 * illustrated in the case of the binomial", Biometrika 26(4); scipy.stats.binomtest(k,
 * n).proportion_ci(method="exact") computes the same.
 *
 * @example clopperPearsonBounds(200, 10000, 0.025, 0.025) // { lower: ~0.01735, upper: ~0.02294 }
 */
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import type { Bounds } from './quantile-bounds';

export function clopperPearsonBounds(events: number, trials: number, alphaLower: number, alphaUpper: number): Bounds {
  if (!(events >= 0 && events <= trials && Number.isInteger(events) && Number.isInteger(trials))) throw new Error('Events must be a whole number between 0 and the trials');
  if (trials === 0) return { lower: 0, upper: 1 };
  return {
    lower: events === 0 ? 0 : betaQuantile(alphaLower, events, trials - events + 1),
    upper: events === trials ? 1 : betaQuantile(1 - alphaUpper, events + 1, trials - events),
  };
}
