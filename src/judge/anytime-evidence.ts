/**
 * Anytime-valid bounds: every interval holds at all sample sizes at once, so the verdict
 * keeps its error rates however many times Argo Rollouts (`count`) or Flagger (every
 * interval) look at the growing data of one rollout. Stateless: each call needs only the
 * cumulative data so far, so no state is kept between looks and a restart loses nothing.
 *
 * - quantiles (continuous metrics): beta-binomial mixture confidence sequences on order
 *   statistics (Howard & Ramdas 2022), tight in the tails where p95/p99 live;
 * - distributions: the time-uniform DKW band (Howard & Ramdas 2022), i.e. a sequential KS test;
 * - means: not here: betting on paired contrasts of bounded data (src/judge/mean-timeline.ts),
 *   exact at every look for both evidences;
 * - rates and shares (proportions, categories): a beta-binomial mixture confidence sequence
 *   per side, each at half the error rate, combined into ratio or difference bounds. Per side
 *   rather than conditional on the total events, because the traffic split changes at every
 *   step of a rollout (1 % -> 10 % -> 50 %), which a conditional test on cumulative totals
 *   would mistake for a difference. With a timeline (`intervals`), rate ratios use the
 *   per-interval conditional e-process instead (src/judge/rate-timeline.ts), which is exactly
 *   what a changing split needs.
 */
import { bernoulliConfidenceSequence } from '../stats/bernoulli-confidence-sequence';
import { dkwConfidenceSequenceHalfWidth } from '../stats/dkw-confidence-sequence';
import { quantileConfidenceSequence } from '../stats/quantile-confidence-sequence';
import type { Bounds } from '../stats/quantile-bounds';
import type { Evidence } from './evidence';

function sideBounds(ce: number, ct: number, be: number, bt: number, alphaLower: number, alphaUpper: number) {
  // The lower bound of (canary vs baseline) pairs the canary's lower with the baseline's upper.
  return {
    canary: bernoulliConfidenceSequence(ce, ct, alphaLower / 2, alphaUpper / 2),
    baseline: bernoulliConfidenceSequence(be, bt, alphaUpper / 2, alphaLower / 2),
  };
}

export const anytimeValidEvidence: Evidence = {
  name: 'anytime-valid',
  sequential: true,
  quantileBounds: quantileConfidenceSequence,
  cdfBandHalfWidth: dkwConfidenceSequenceHalfWidth,
  rateRatioBounds(ce, ct, be, bt, alphaLower, alphaUpper): Bounds {
    const { canary, baseline } = sideBounds(ce, ct, be, bt, alphaLower, alphaUpper);
    return {
      lower: baseline.upper > 0 ? canary.lower / baseline.upper : 0,
      upper: baseline.lower > 0 ? canary.upper / baseline.lower : Infinity,
    };
  },
  proportionDifferenceBounds(ce, ct, be, bt, alphaLower, alphaUpper): Bounds {
    const { canary, baseline } = sideBounds(ce, ct, be, bt, alphaLower, alphaUpper);
    return { lower: canary.lower - baseline.upper, upper: canary.upper - baseline.lower };
  },
};
