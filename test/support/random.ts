/** Seeded random numbers for reproducible benchmarks and simulations (mulberry32 + Box-Muller). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normalSampler(uniform: () => number): () => number {
  return () => {
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** Lognormal latencies in milliseconds around a median, as a Float64Array. */
export function latencies(n: number, medianMs: number, sigma: number, seed: number): Float64Array {
  const normal = normalSampler(seededRandom(seed));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = medianMs * Math.exp(sigma * normal());
  return out;
}
