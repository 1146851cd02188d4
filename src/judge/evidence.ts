/**
 * How confidence bounds are obtained. The judge's verdict rule only asks an `Evidence` for
 * bounds at given one-sided error rates, so the method can be swapped: fixed-sample bounds
 * (valid for one look at the data) here, anytime-valid ones for rollouts that look again at
 * every interval.
 */
import type { Bounds } from '../stats/quantile-bounds';
import { quantileBounds } from '../stats/quantile-bounds';
import { rateRatioBounds } from '../stats/rate-ratio-bounds';
import { exactDifferenceBounds } from '../stats/exact-difference-bounds';
import { dkwHalfWidth } from '../stats/dkw-band';
import type { WeightedSample } from '../stats/weighted-sample';

export interface Evidence {
  /** Named in every response, so a reader knows which guarantee the bounds carry. */
  readonly name: string;
  /** Valid at every look at once: then a timeline's past looks may be re-judged (sticky verdicts) and its intervals tested sequentially. */
  readonly sequential?: boolean;
  quantileBounds(sample: WeightedSample, p: number, alphaLower: number, alphaUpper: number): Bounds;
  /** Half-width of a band that holds for the whole empirical CDF at once (two-sided). */
  cdfBandHalfWidth(n: number, alpha: number): number;
  rateRatioBounds(canaryEvents: number, canaryTotal: number, baselineEvents: number, baselineTotal: number, alphaLower: number, alphaUpper: number): Bounds;
  proportionDifferenceBounds(canaryEvents: number, canaryTotal: number, baselineEvents: number, baselineTotal: number, alphaLower: number, alphaUpper: number): Bounds;
}

/** Classic bounds, exact or conservative for a single look at the data. */
export const fixedSampleEvidence: Evidence = {
  name: 'fixed-sample',
  quantileBounds,
  cdfBandHalfWidth: dkwHalfWidth,
  rateRatioBounds,
  // Exact at every sample size (an inverted unconditional test), so rare events keep alpha.
  proportionDifferenceBounds: exactDifferenceBounds,
};
