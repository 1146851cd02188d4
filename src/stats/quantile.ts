/**
 * Sample quantile of a weighted sample.
 *
 * Raw observations use linear interpolation between order statistics (Hyndman & Fan type 7,
 * numpy's and R's default), so the numbers match what people compute by hand. Binned data
 * use Prometheus' `histogram_quantile` rule: find the bucket that holds rank p*n and
 * interpolate linearly inside it; a quantile that falls in the +Inf bucket is reported as the
 * highest finite bound, as Prometheus does.
 *
 * Reference: Hyndman, R. J. & Fan, Y. (1996) "Sample quantiles in statistical packages",
 * The American Statistician 50(4); Prometheus docs, "histogram_quantile()".
 *
 * @example quantile(fromValues([1, 2, 3, 4]), 0.5) // 2.5
 */
import type { WeightedSample } from './weighted-sample';

export function quantile(sample: WeightedSample, p: number): number {
  if (sample.n === 0) throw new Error('Cannot take a quantile of an empty sample');
  if (!(p >= 0 && p <= 1)) throw new Error('The quantile level must lie in [0, 1]');
  return sample.lowerEdges ? binnedQuantile(sample, p) : interpolatedQuantile(sample, p);
}

function interpolatedQuantile(sample: WeightedSample, p: number): number {
  const position = (sample.n - 1) * p; // zero-based fractional rank
  const below = Math.floor(position);
  const fraction = position - below;
  const lowValue = valueAtRank(sample, below);
  if (fraction === 0) return lowValue;
  return lowValue + fraction * (valueAtRank(sample, below + 1) - lowValue);
}

/** The value of the zero-based k-th smallest observation. */
function valueAtRank(sample: WeightedSample, k: number): number {
  const observations = sample.observations;
  if (observations) return observations[Math.min(k, observations.length - 1)];
  let seen = 0;
  for (let i = 0; i < sample.points.length; i++) {
    seen += sample.counts[i];
    if (k < seen) return sample.points[i];
  }
  return sample.points[sample.points.length - 1];
}

function binnedQuantile(sample: WeightedSample, p: number): number {
  const { points, counts, lowerEdges } = sample;
  const rank = p * sample.n;
  let seen = 0;
  for (let i = 0; i < points.length; i++) {
    const before = seen;
    seen += counts[i];
    if (rank <= seen) {
      const upper = points[i];
      const lower = lowerEdges![i];
      if (upper === Infinity) return highestFiniteBound(sample);
      if (lower === -Infinity) return upper;
      return lower + ((upper - lower) * (rank - before)) / counts[i];
    }
  }
  return highestFiniteBound(sample);
}

function highestFiniteBound(sample: WeightedSample): number {
  const { points, lowerEdges } = sample;
  const last = points.length - 1;
  return points[last] === Infinity ? lowerEdges![last] : points[last];
}
