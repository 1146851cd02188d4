/**
 * The p-quantile of a mixture of samples: each sample's empirical distribution weighted by its
 * mixing weight, F(x) = sum_s w_s F_s(x) / sum_s w_s, inverted. With each sample weighted by its
 * own size this is the quantile of the samples pooled; with another group's weights it is the
 * directly standardised quantile (src/stats/direct-standardisation.ts): what the quantile would
 * be on that group's mix of strata.
 *
 * Raw observations: the smallest observation x with F(x) >= p (the inverse empirical CDF,
 * Hyndman & Fan type 1; with equal weights per observation, numpy's `inverted_cdf`). Binned
 * samples (all on the same bucket bounds): Prometheus' `histogram_quantile` rule on the mixed
 * cumulative counts, linear inside the bucket that holds rank p, the highest finite bound when
 * that bucket is +Inf.
 *
 * Reference: Hyndman, R. J. & Fan, Y. (1996) "Sample quantiles in statistical packages", The
 * American Statistician 50(4); Prometheus docs, "histogram_quantile()"; Fleiss, Levin & Paik
 * (2003) chapter 19 for standardisation.
 *
 * @example mixtureQuantile([fromValues([1, 2]), fromValues([10, 20])], [3, 1], 0.5) // 2
 */
import type { WeightedSample } from './weighted-sample';

export function mixtureQuantile(samples: readonly WeightedSample[], weights: readonly number[], p: number): number {
  if (samples.length !== weights.length) throw new Error('Every sample needs a weight');
  if (!(p > 0 && p < 1)) throw new Error('The quantile level must lie strictly between 0 and 1');
  const parts = samples.map((s, i) => ({ s, w: weights[i] })).filter(({ s, w }) => w > 0 && s.n > 0);
  if (!parts.length) throw new Error('Cannot take a quantile of an empty mixture');
  const totalWeight = parts.reduce((sum, { w }) => sum + w, 0);
  const binned = parts.every(({ s }) => s.lowerEdges);
  if (!binned && parts.some(({ s }) => s.lowerEdges)) throw new Error('Cannot mix raw and binned samples');
  // Every point with its mass in the mixture, ascending; equal points merged.
  const mass = new Map<number, number>();
  const lowerEdge = new Map<number, number>();
  for (const { s, w } of parts) {
    for (let j = 0; j < s.points.length; j++) {
      const point = s.points[j];
      mass.set(point, (mass.get(point) ?? 0) + (w / totalWeight) * (s.counts[j] / s.n));
      if (s.lowerEdges) {
        const edge = s.lowerEdges[j];
        if (lowerEdge.has(point) && lowerEdge.get(point) !== edge) throw new Error('Binned samples must share their bucket bounds');
        lowerEdge.set(point, edge);
      }
    }
  }
  const points = [...mass.keys()].sort((a, b) => a - b);
  // Float noise in the masses must not move the rank past its point.
  const tolerance = 1e-12;
  let seen = 0;
  for (const point of points) {
    const before = seen;
    seen += mass.get(point)!;
    if (p > seen + tolerance) continue;
    if (!binned) return point;
    const lower = lowerEdge.get(point)!;
    if (point === Infinity) return highestFinite(points, lowerEdge);
    if (lower === -Infinity) return point;
    return lower + ((point - lower) * Math.min(1, Math.max(0, p - before))) / mass.get(point)!;
  }
  return binned ? highestFinite(points, lowerEdge) : points[points.length - 1];
}

function highestFinite(points: readonly number[], lowerEdge: ReadonlyMap<number, number>): number {
  const last = points[points.length - 1];
  return last === Infinity ? lowerEdge.get(last)! : last;
}
