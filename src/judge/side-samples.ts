/**
 * Turns the two sides of a continuous or distribution metric into weighted samples that rank
 * and distribution statistics can compare directly.
 *
 * Raw values stay raw. Histograms become one point per bucket (ties by bucket). When the two
 * sides were binned differently, or one side is raw and the other binned, both are brought
 * onto the bucket bounds they share, because an observation in (5, 10] cannot be ordered
 * against one in (0, 7]: coarsening to common bounds is the finest comparison that is honest.
 */
import { mean } from 'simple-statistics';
import { fromBuckets, fromValues, type WeightedSample } from '../stats/weighted-sample';
import type { HistogramBucket, ValuesSide } from './types';

export interface SidePair {
  readonly baseline: WeightedSample;
  readonly canary: WeightedSample;
  readonly binned: boolean;
  readonly baselineMean: number | null;
  readonly canaryMean: number | null;
  /** Binned data: the bucket bounds both sides were brought onto (ascending, the last +Inf). */
  readonly bounds?: readonly number[];
  /** Set when both sides are histograms whose bounds have nothing in common below +Inf. */
  readonly disjointBounds?: { readonly baseline: readonly number[]; readonly canary: readonly number[] };
}

export function toSamplePair(baseline: ValuesSide, canary: ValuesSide): SidePair {
  const baselineMean = declaredMean(baseline);
  const canaryMean = declaredMean(canary);
  if ('values' in baseline && 'values' in canary) {
    const b = fromValues(baseline.values);
    const c = fromValues(canary.values);
    return { baseline: b, canary: c, binned: false, baselineMean: meanOf(baseline.values), canaryMean: meanOf(canary.values) };
  }
  const baselineBounds = boundsOf(baseline);
  const canaryBounds = boundsOf(canary);
  const bounds = commonBounds(baselineBounds, canaryBounds);
  const disjoint = baselineBounds && canaryBounds && !bounds.some(Number.isFinite);
  // Disjoint sides keep their own bounds: nothing compares them, but their summaries stay true.
  return {
    baseline: binOnto(baseline, disjoint ? baselineBounds : bounds),
    canary: binOnto(canary, disjoint ? canaryBounds : bounds),
    binned: true,
    baselineMean,
    canaryMean,
    bounds,
    ...(disjoint ? { disjointBounds: { baseline: baselineBounds, canary: canaryBounds } } : {}),
  };
}

function declaredMean(side: ValuesSide): number | null {
  if ('values' in side) return null;
  const total = lastCount(side.histogram.buckets);
  return side.histogram.sum !== undefined && total > 0 ? side.histogram.sum / total : null;
}

/** simple-statistics sums with Kahan-Babuska compensation: no drift over a million values. */
function meanOf(values: ArrayLike<number>): number | null {
  return values.length ? mean(values as number[]) : null;
}

function lastCount(buckets: readonly HistogramBucket[]): number {
  return buckets.length ? buckets[buckets.length - 1].count : 0;
}

function boundsOf(side: ValuesSide): number[] | null {
  return 'values' in side ? null : side.histogram.buckets.map((b) => b.le);
}

/** Bounds present on every binned side (+Inf always is); null sides (raw values) fit any. */
function commonBounds(a: number[] | null, b: number[] | null): number[] {
  if (a && b && sameBounds(a, b)) return a;
  if (a && b) {
    const inB = new Set(b);
    return a.filter((le) => inB.has(le));
  }
  return (a ?? b)!;
}

/** Per-bucket counts of one side on the given ascending bounds (the last is +Inf). */
function binOnto(side: ValuesSide, bounds: number[]): WeightedSample {
  const counts = new Float64Array(bounds.length);
  if ('values' in side) {
    const sorted = Float64Array.from(side.values).sort();
    let bucket = 0;
    for (let i = 0; i < sorted.length; i++) {
      while (sorted[i] > bounds[bucket]) bucket++;
      counts[bucket]++;
    }
  } else if (sameBounds(side.histogram.buckets.map((b) => b.le), bounds)) {
    // The side's own bounds (the usual case: both sides scraped with one bucket layout).
    let previous = 0;
    side.histogram.buckets.forEach((b, i) => {
      counts[i] = b.count - previous;
      previous = b.count;
    });
  } else {
    // Cumulative counts at the retained bounds, then differences.
    const cumulativeAt = new Map(side.histogram.buckets.map((b) => [b.le, b.count] as const));
    let previous = 0;
    bounds.forEach((le, i) => {
      const cumulative = cumulativeAt.get(le)!;
      counts[i] = cumulative - previous;
      previous = cumulative;
    });
  }
  // Prometheus reads a positive first bucket as starting at 0 (durations, scores).
  return fromBuckets(bounds, counts, bounds[0] > 0 ? 0 : -Infinity);
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
