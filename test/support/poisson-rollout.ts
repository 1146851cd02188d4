/** Simulated per-minute error counts of the seed's rollout, for the light simulation tests. */
import type { RateInterval } from '../../src/stats/conditional-rate-ratio-e-process';
import { seededRandom } from './random';

/**
 * 21 minutes at 10,000 requests, the canary's share 1 % -> 10 % -> 50 % (7 minutes each), the
 * baseline's error rate 0.5 % and the canary's times `ratio(minute)`; errors in clusters of
 * `size` on one side (Poisson clusters, the mean rate unchanged).
 */
export function poissonRollout(seed: number, ratio: (minute: number) => number, size = 1): RateInterval[] {
  const uniform = seededRandom(seed);
  // Poisson by inversion is enough at these rates (the counts are small).
  const poisson = (mean: number) => {
    let k = 0;
    let p = Math.exp(-mean);
    let cdf = p;
    const u = uniform();
    while (u > cdf && k < 10_000) (p *= mean / ++k), (cdf += p);
    return k;
  };
  return Array.from({ length: 21 }, (_, m) => {
    const canaryTotal = 10_000 * [0.01, 0.1, 0.5][Math.floor(m / 7)];
    const baselineTotal = 10_000 - canaryTotal;
    return { canaryEvents: size * poisson((canaryTotal * 0.005 * ratio(m)) / size), canaryTotal, baselineEvents: size * poisson((baselineTotal * 0.005) / size), baselineTotal };
  });
}
