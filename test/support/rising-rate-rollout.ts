/**
 * A rollout's timeline of error counts for coverage simulations: the canary's share steps up
 * (1 % -> 10 % -> 50 %, a third of the intervals each) while the baseline's error rate rises
 * from 0.2 % to 1.0 %; the canary's rate at each moment is `canaryRate(baseline's rate)`.
 */
import type { RateInterval } from '../../src/stats/conditional-rate-ratio-e-process';
import { binomial } from '../../bench/simulate/binomial';
import { normalSampler, seededRandom } from './random';

export function risingRateRollout(seed: number, canaryRate: (baselineRate: number) => number, requestsPerInterval = 10_000, intervals = 30): RateInterval[] {
  const uniform = seededRandom(seed);
  const normal = normalSampler(uniform);
  const shares = [0.01, 0.1, 0.5];
  return Array.from({ length: intervals }, (_, i) => {
    const share = shares[Math.min(2, Math.floor((3 * i) / intervals))];
    const rate = 0.002 + (0.008 * i) / (intervals - 1);
    const canaryTotal = Math.round(requestsPerInterval * share);
    const baselineTotal = requestsPerInterval - canaryTotal;
    return {
      canaryEvents: binomial(canaryTotal, Math.min(1, canaryRate(rate)), uniform, normal),
      canaryTotal,
      baselineEvents: binomial(baselineTotal, rate, uniform, normal),
      baselineTotal,
    };
  });
}
