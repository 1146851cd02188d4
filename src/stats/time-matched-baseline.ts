/**
 * The baseline reweighted to the canary's traffic over time (direct standardisation): each
 * interval's baseline observations count n_c,i / n_b,i times, so the baseline's pooled sample
 * has the canary's time profile. A drift shared by both sides (scores by time of day, latency
 * by load) then weighs the same on both sides, and the drift tools' effect sizes (PSI,
 * Jensen-Shannon, Wasserstein, the KS statistic) read on the canary against it describe the
 * canary, not when it was served; on the two pooled samples a split stepping 1 % -> 10 % -> 50 %
 * while scores drift makes them describe the drift (Simpson's paradox).
 *
 * E[reweighted baseline CDF](x) = sum_i (n_c,i / N_c) F_b,i(x), the canary's own mixture over
 * intervals when the versions are alike. Intervals where one side has no observations are left
 * out of both samples (no counterpart to weigh them against).
 *
 * References: Kitagawa, E. (1964) "Standardization and decomposition of rates", and Keiding, N.
 * & Clayton, D. (2014) "Standardization and control for confounding in observational studies:
 * a historical perspective", Statist. Sci. 29(4) (direct standardisation against Simpson's
 * paradox).
 *
 * @example
 * timeMatched([{ canary: fromValues([1]), baseline: fromValues([1, 2]) }, { canary: fromValues([5, 6]), baseline: fromValues([5]) }])
 * // baseline points [1, 2, 5] with counts [0.5, 0.5, 2]: the canary's 1 and 2 observations per interval
 */
import type { WeightedSample } from './weighted-sample';

export interface SidesOfInterval {
  readonly canary: WeightedSample;
  readonly baseline: WeightedSample;
}

/** Both sides pooled over the intervals where both have observations, the baseline reweighted to the canary's counts. */
export function timeMatched(intervals: readonly SidesOfInterval[]): SidesOfInterval {
  const both = intervals.filter((i) => i.canary.n > 0 && i.baseline.n > 0);
  return {
    canary: pooled(both.map((i) => ({ sample: i.canary, weight: 1 }))),
    baseline: pooled(both.map((i) => ({ sample: i.baseline, weight: i.canary.n / i.baseline.n }))),
  };
}

/** Weighted samples merged: the union of their points, counts times weights; a point's bucket lower edge from the first sample that has it. */
function pooled(parts: readonly { sample: WeightedSample; weight: number }[]): WeightedSample {
  const counts = new Map<number, number>();
  const edges = new Map<number, number>();
  const binned = parts.length > 0 && parts.every((p) => p.sample.lowerEdges !== undefined);
  for (const { sample, weight } of parts) {
    for (let i = 0; i < sample.points.length; i++) {
      const x = sample.points[i];
      counts.set(x, (counts.get(x) ?? 0) + sample.counts[i] * weight);
      if (binned && !edges.has(x)) edges.set(x, sample.lowerEdges![i]);
    }
  }
  const points = Float64Array.from([...counts.keys()].sort((a, b) => a - b));
  const out = Float64Array.from(points, (x) => counts.get(x)!);
  const n = out.reduce((a, b) => a + b, 0);
  return { points, counts: out, n, ...(binned ? { lowerEdges: Float64Array.from(points, (x) => edges.get(x)!) } : {}) };
}
