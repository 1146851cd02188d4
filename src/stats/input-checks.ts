/**
 * The input checks the statistics share: each test validates what its arithmetic relies on
 * and says what is wrong in a plain sentence. Kept apart from the hot merges on purpose: V8
 * optimises a tight loop better when validation is not mixed into it.
 */
import type { WeightedSample } from './weighted-sample';

// A module-level constant: inside jest's sandbox every global lookup in a hot loop is slow.
const POSITIVE_INFINITY = Number.POSITIVE_INFINITY;

/** Sum of a weighted sample's counts, after checking the invariants the merges rely on. */
export function checkedSampleTotal(sample: WeightedSample): number {
  const { points, counts } = sample;
  if (points.length !== counts.length) throw new Error('A sample needs one count per point');
  let total = 0;
  // The previous point is carried in a local rather than read back: one load per point less.
  let previous = points.length > 0 ? points[0] : 0;
  for (let k = 0; k < points.length; k++) {
    const point = points[k];
    const count = counts[k];
    // NaN fails both comparisons; +Infinity is a legitimate top histogram bucket.
    if (k > 0 && !(point > previous)) throw new Error('Sample points must be strictly ascending');
    if (point !== point) throw new Error('Sample points must be numbers, not NaN');
    if (!(count >= 0 && count < POSITIVE_INFINITY)) throw new Error('Counts must be finite and not negative');
    previous = point;
    total += count;
  }
  return total;
}

/** Sum of bin or category counts, each finite and not negative. */
export function checkedCountsTotal(counts: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (!Number.isFinite(c)) throw new Error('Counts must be finite numbers');
    if (c < 0) throw new Error('Counts must not be negative');
    sum += c;
  }
  return sum;
}

/** The shared rules of a 2x2 table of events and totals (canary, baseline). */
export function checkTwoByTwo(canaryEvents: number, canaryTotal: number, baselineEvents: number, baselineTotal: number): void {
  if (!(canaryTotal > 0 && baselineTotal > 0)) throw new Error('Both totals must be positive');
  if (canaryEvents < 0 || baselineEvents < 0) throw new Error('Event counts must not be negative');
  if (canaryEvents > canaryTotal || baselineEvents > baselineTotal) throw new Error('Events must not exceed their total');
}
