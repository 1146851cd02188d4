/**
 * The stable's latency as the planner models it (src/planner/plan.ts): its histogram's bucket
 * probabilities, a CDF that is log-linear inside each bucket (latencies spread multiplicatively;
 * linear inside the first, from 0), the harmful canary as the stable scaled by a factor, and the
 * stable's quantiles read off that CDF.
 */
import type { StableHistory } from './history';

export interface LatencyModel {
  readonly bounds: readonly number[];
  readonly probabilities: Float64Array;
}

export function latencyModel(latency: NonNullable<StableHistory['latency']>): LatencyModel {
  const total = latency.counts.reduce((a, b) => a + b, 0);
  return { bounds: latency.bounds, probabilities: Float64Array.from(latency.counts, (c) => c / total) };
}

/** The stable's CDF at x: linear inside the first bucket (from 0), log-linear inside the others (latencies spread multiplicatively). */
export function cdfAt(latency: LatencyModel, x: number): number {
  let below = 0;
  let lower = 0;
  for (let i = 0; i < latency.bounds.length; i++) {
    const upper = latency.bounds[i];
    const p = latency.probabilities[i];
    if (x >= upper) {
      below += p;
      lower = upper;
      continue;
    }
    if (upper === Infinity || x <= lower) return below;
    const inside = lower > 0 ? Math.log(x / lower) / Math.log(upper / lower) : (x - lower) / (upper - lower);
    return below + p * Math.min(1, Math.max(0, inside));
  }
  return 1;
}

/** Bucket probabilities of the stable's latency times `factor`: P(factor X <= le) = F(le / factor). */
export function scaled(latency: LatencyModel, factor: number): Float64Array {
  if (factor === 1) return latency.probabilities;
  let previous = 0;
  return Float64Array.from(latency.bounds, (le) => {
    const c = le === Infinity ? 1 : cdfAt(latency, le / factor);
    const p = Math.max(0, c - previous);
    previous = Math.max(previous, c);
    return p;
  });
}

/** The level-q point of the stable's latency (the inverse of cdfAt). */
export function quantileOf(latency: LatencyModel, q: number): number {
  let lo = 0;
  let hi = latency.bounds.filter(Number.isFinite).at(-1) ?? 0;
  if (cdfAt(latency, hi) < q) return hi;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (cdfAt(latency, mid) < q) lo = mid;
    else hi = mid;
  }
  return hi;
}
