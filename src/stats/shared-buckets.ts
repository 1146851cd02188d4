/**
 * The buckets of two histograms on the same bounds, walked together: for every bucket that
 * holds observations on either side, its edges and both sides' CDFs at its lower edge and at
 * its bound. Inside a bucket a histogram does not say how each CDF rises from the one value to
 * the other, which is what the range statistics (ks-distance-range.ts, wasserstein-range.ts)
 * bound. Buckets empty on both sides are skipped: both CDFs are flat across them.
 *
 * Reference: none needed; a merge of two sorted bound lists.
 *
 * @example
 * forEachSharedBucket(fromBuckets([1, 2, Infinity], [1, 1, 0], 0), fromBuckets([1, 2, Infinity], [2, 0, 0], 0), (b) => console.log(b))
 * // { lower: 0, bound: 1, canaryBelow: 0, canary: 0.5, baselineBelow: 0, baseline: 1 }
 * // { lower: 1, bound: 2, canaryBelow: 0.5, canary: 1, baselineBelow: 1, baseline: 1 }
 */
import type { WeightedSample } from './weighted-sample';

export interface SharedBucket {
  /** The bucket's lower edge (exclusive) and upper bound (inclusive, possibly +Infinity). */
  readonly lower: number;
  readonly bound: number;
  /** Each side's CDF (a share of its observations) at the lower edge and at the bound. */
  readonly canaryBelow: number;
  readonly canary: number;
  readonly baselineBelow: number;
  readonly baseline: number;
}

export function forEachSharedBucket(canary: WeightedSample, baseline: WeightedSample, visit: (bucket: SharedBucket) => void): void {
  if (!canary.lowerEdges || !baseline.lowerEdges) throw new Error('Both samples must be histograms');
  if (!(canary.n > 0 && baseline.n > 0)) throw new Error('Neither sample can be empty');
  let i = 0;
  let j = 0;
  let canaryCdf = 0;
  let baselineCdf = 0;
  while (i < canary.points.length || j < baseline.points.length) {
    // A side that has run out takes no step, even at a +Inf bound the other side has.
    const c = i < canary.points.length ? canary.points[i] : NaN;
    const b = j < baseline.points.length ? baseline.points[j] : NaN;
    const bound = Number.isNaN(c) ? b : Number.isNaN(b) ? c : Math.min(c, b);
    // Both sides share the bounds, so a side stepping here has this bucket's lower edge.
    const lower = c === bound ? canary.lowerEdges[i] : baseline.lowerEdges[j];
    const canaryBelow = canaryCdf;
    const baselineBelow = baselineCdf;
    if (c === bound) canaryCdf += canary.counts[i++] / canary.n;
    if (b === bound) baselineCdf += baseline.counts[j++] / baseline.n;
    visit({ lower, bound, canaryBelow, canary: canaryCdf, baselineBelow, baseline: baselineCdf });
  }
}
