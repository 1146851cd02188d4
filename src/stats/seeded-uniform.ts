/**
 * A seeded stream of uniform numbers on [0, 1): mulberry32, a 32-bit generator with a period
 * of 2^32, fast and well spread for simulation and for the fixed pseudo-random orders some
 * statistics need (src/stats/paired-mean-betting-e-process.ts pairs observations in an order
 * independent of their values). Not for anything secret.
 *
 * Reference: T. Ettinger's mulberry32 (public domain, 2017), as tested by PractRand to 2^32
 * outputs; the same generator as test/fixtures/paired-mean-betting.py re-implements.
 *
 * @example seededUniform(1)() // 0.6270739405881613
 */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
