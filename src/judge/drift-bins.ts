/**
 * Aligned bins for the drift effect sizes (PSI, Jensen-Shannon), which compare two
 * histograms bin by bin. Binned data keep their buckets. Raw values are cut at the baseline's
 * deciles, the usual choice for PSI, so each bin holds about a tenth of the baseline.
 */
import { quantile } from '../stats/quantile';
import type { WeightedSample } from '../stats/weighted-sample';

export interface AlignedCounts {
  readonly baseline: Float64Array;
  readonly canary: Float64Array;
}

const RAW_BINS = 10;

export function driftBins(baseline: WeightedSample, canary: WeightedSample, binned: boolean): AlignedCounts {
  const edges = binned ? unionOfPoints(baseline, canary) : baselineQuantileEdges(baseline);
  return { baseline: countInto(baseline, edges), canary: countInto(canary, edges) };
}

/** Upper edges; the last is +Infinity so every observation lands in a bin. */
function baselineQuantileEdges(baseline: WeightedSample): Float64Array {
  const edges = new Set<number>();
  for (let i = 1; i < RAW_BINS; i++) edges.add(quantile(baseline, i / RAW_BINS));
  edges.add(Infinity);
  return Float64Array.from([...edges].sort((a, b) => a - b));
}

function unionOfPoints(a: WeightedSample, b: WeightedSample): Float64Array {
  const all = new Set<number>([...a.points, ...b.points, Infinity]);
  return Float64Array.from([...all].sort((x, y) => x - y));
}

/** Counts of the sample in bins (edges[i-1], edges[i]], by one merge over sorted points. */
function countInto(sample: WeightedSample, edges: Float64Array): Float64Array {
  const counts = new Float64Array(edges.length);
  let bin = 0;
  for (let i = 0; i < sample.points.length; i++) {
    while (sample.points[i] > edges[bin]) bin++;
    counts[bin] += sample.counts[i];
  }
  return counts;
}
