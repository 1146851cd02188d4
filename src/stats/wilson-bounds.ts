/**
 * Wilson score bounds for a binomial proportion.
 *
 * Inverts the score test rather than the Wald one, so it stays inside [0, 1] and keeps close
 * to nominal coverage with 0 or n events, where the Wald interval collapses to a point.
 * Each side takes its own one-sided alpha.
 *
 * Reference: Wilson, E. B. (1927) "Probable inference, the law of succession, and statistical
 * inference", JASA 22(158); Brown, Cai & DasGupta (2001) Statistical Science 16(2).
 *
 * @example wilsonBounds(0, 100, 0.025, 0.025) // { lower: 0, upper: ~0.037 }
 */
import { normalQuantileOf } from './normal';
import type { Bounds } from './quantile-bounds';

export function wilsonBounds(events: number, total: number, alphaLower: number, alphaUpper: number): Bounds {
  if (!(total > 0)) throw new Error('The total must be positive');
  return {
    lower: wilsonSide(events, total, normalQuantileOf(1 - alphaLower), -1),
    upper: wilsonSide(events, total, normalQuantileOf(1 - alphaUpper), +1),
  };
}

function wilsonSide(events: number, total: number, z: number, sign: -1 | 1): number {
  const p = events / total;
  const z2 = z * z;
  const centre = p + z2 / (2 * total);
  const spread = z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total));
  const bound = (centre + sign * spread) / (1 + z2 / total);
  return Math.min(1, Math.max(0, bound));
}
