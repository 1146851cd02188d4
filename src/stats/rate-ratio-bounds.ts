/**
 * Confidence bounds for the ratio of two event rates (canary rate / baseline rate), exact
 * by conditioning on the total number of events.
 *
 * If events arrive as Poisson processes with rates r_c * total_c and r_b * total_b, then given
 * the total x = events_c + events_b, events_c ~ Binomial(x, pi) with
 * pi = R*total_c / (R*total_c + total_b) and R = r_c / r_b. A Clopper-Pearson interval for pi
 * maps one-to-one onto R. This is the conditional test behind Netflix's sequential count
 * tests, and it handles the case canaries meet most: a baseline with zero errors (upper bound
 * infinite: no evidence the canary is within any ratio) or a canary with zero errors (lower
 * bound 0). For binomial proportions far from 0 it is conservative, not exact.
 *
 * Reference: Lehmann, E. L. & Romano, J. P. (2005) "Testing Statistical Hypotheses", 4.6
 * (comparing two Poisson means); Clopper, C. J. & Pearson, E. S. (1934) Biometrika 26(4).
 *
 * @example rateRatioBounds(3, 100, 12, 9900, 0.05, 0.05) // { lower: ~5.97, upper: ~77.7 }
 */
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import type { Bounds } from './quantile-bounds';

export function rateRatioBounds(
  canaryEvents: number,
  canaryTotal: number,
  baselineEvents: number,
  baselineTotal: number,
  alphaLower: number,
  alphaUpper: number,
): Bounds {
  if (!(canaryTotal > 0 && baselineTotal > 0)) throw new Error('Both totals must be positive');
  const x = canaryEvents + baselineEvents;
  if (x === 0) return { lower: 0, upper: Infinity };
  const piLower = canaryEvents === 0 ? 0 : betaQuantile(alphaLower, canaryEvents, x - canaryEvents + 1);
  const piUpper = canaryEvents === x ? 1 : betaQuantile(1 - alphaUpper, canaryEvents + 1, x - canaryEvents);
  return { lower: ratioFromShare(piLower, canaryTotal, baselineTotal), upper: ratioFromShare(piUpper, canaryTotal, baselineTotal) };
}

/** Inverts pi = R*tc / (R*tc + tb). */
function ratioFromShare(pi: number, canaryTotal: number, baselineTotal: number): number {
  if (pi >= 1) return Infinity;
  return (pi / (1 - pi)) * (baselineTotal / canaryTotal);
}
