/** Seeded random numbers for reproducible benchmarks and simulations (mulberry32 + Box-Muller): the planner's own draws. */
import { normalFrom, seededUniform } from '../../src/planner/draws';

export const seededRandom = seededUniform;
export const normalSampler = normalFrom;

/** Lognormal latencies in milliseconds around a median, as a Float64Array. */
export function latencies(n: number, medianMs: number, sigma: number, seed: number): Float64Array {
  const normal = normalSampler(seededRandom(seed));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = medianMs * Math.exp(sigma * normal());
  return out;
}
