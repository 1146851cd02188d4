/** Seeded request bodies for the API and judge tests. */
import { latencies, normalSampler, seededRandom } from './random';

export const toArray = (xs: Float64Array) => Array.from(xs, (x) => Math.round(x * 1000) / 1000);

export function continuousMetric(name: string, canaryFactor: number, canaryN: number, extra: Record<string, unknown> = {}) {
  return {
    name,
    kind: 'continuous',
    baseline: { values: toArray(latencies(20000, 40, 0.5, 11)) },
    canary: { values: toArray(latencies(canaryN, 40 * canaryFactor, 0.5, 12)) },
    ...extra,
  };
}

export function scores(n: number, shift: number, seed: number): number[] {
  const normal = normalSampler(seededRandom(seed));
  return Array.from({ length: n }, () => Math.round((0.6 + 0.1 * (normal() + shift)) * 1e4) / 1e4);
}

export function distributionMetric(name: string, shiftSd: number, n = 20000) {
  return { name, kind: 'distribution', baseline: { values: scores(n, 0, 21) }, canary: { values: scores(n, shiftSd, 22) } };
}

export function proportionMetric(name: string, canary: [number, number], baseline: [number, number], extra: Record<string, unknown> = {}) {
  return {
    name,
    kind: 'proportion',
    baseline: { events: baseline[0], total: baseline[1] },
    canary: { events: canary[0], total: canary[1] },
    ...extra,
  };
}

export function categoricalMetric(name: string, canary: Record<string, number>, baseline: Record<string, number>) {
  return { name, kind: 'categorical', baseline: { counts: baseline }, canary: { counts: canary } };
}
