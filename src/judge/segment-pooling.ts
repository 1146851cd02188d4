/**
 * The segments of a metric pooled into one side each: what the metric would have been judged on
 * without `segmentBy`, reported beside the per-segment verdicts (src/judge/segments.ts), and the
 * metric's own `baseline` / `canary` (so limits, summaries and the report read it as any metric).
 *
 * Counts and categories add; raw values concatenate; histograms add their cumulative counts on
 * the bucket bounds every segment has (a bound one segment lacks has no cumulative count there,
 * and carrying the count of the bound below would invent observations), the others named in
 * `droppedBounds`. A side a segment has no data on (no series from Prometheus: `values: []`) adds
 * nothing. Timelines add interval by interval: every segment's intervals cover the same spans.
 */
import type { CategoricalInterval, CategoricalSide, CountSide, HistogramBucket, MetricInput, Segment, ValuesInterval, ValuesSide } from './types';
import { sumCategoricalIntervals, sumCountIntervals, sumValuesIntervals } from './timeline';

type Sides<M extends MetricInput> = { baseline: M['baseline']; canary: M['canary'] };

/** Both sides of a metric's segments, pooled. */
export function pooledSides<M extends MetricInput>(kind: M['kind'], segments: readonly Segment<M['baseline']>[]): Sides<M> {
  const pool = (side: 'baseline' | 'canary') => {
    const sides = segments.map((s) => s[side]);
    switch (kind) {
      case 'proportion':
        return poolCounts(sides as CountSide[]);
      case 'categorical':
        return poolCategories(sides as CategoricalSide[]);
      default:
        return poolValues(sides as ValuesSide[]);
    }
  };
  return { baseline: pool('baseline'), canary: pool('canary') } as Sides<M>;
}

/** The number of intervals the segments' timelines have, null when they have none, or the lengths when they differ. */
export function segmentTimelineLength(sides: readonly { intervals?: readonly unknown[] }[]): number | null | { differ: number[] } {
  const lengths = sides.map((s) => s.intervals?.length);
  if (lengths.every((n) => n === undefined)) return null;
  if (lengths.some((n) => n !== lengths[0])) return { differ: lengths.map((n) => n ?? 0) };
  return lengths[0]!;
}

function poolCounts(sides: readonly CountSide[]): CountSide {
  const total = sumCountIntervals(sides);
  const n = segmentTimelineLength(sides);
  if (typeof n !== 'number') return total;
  return { ...total, intervals: Array.from({ length: n }, (_, k) => sumCountIntervals(sides.map((s) => s.intervals![k]))) };
}

function poolCategories(sides: readonly CategoricalSide[]): CategoricalSide {
  const total = sumCategoricalIntervals(sides);
  const n = segmentTimelineLength(sides);
  if (typeof n !== 'number') return total;
  const intervals: CategoricalInterval[] = Array.from({ length: n }, (_, k) => sumCategoricalIntervals(sides.map((s) => s.intervals![k])));
  return { ...total, intervals };
}

/** A values side without a single observation: a segment with no series on this side. */
function isEmpty(data: ValuesInterval): boolean {
  return 'values' in data && data.values.length === 0;
}

function poolValues(sides: readonly ValuesSide[]): ValuesSide {
  const n = segmentTimelineLength(sides);
  const withData = sides.filter((s) => !isEmpty(s) || (s.intervals ?? []).some((i) => !isEmpty(i)));
  if (!withData.length) return typeof n === 'number' ? { values: [], intervals: Array.from({ length: n }, () => ({ values: [] })) } : { values: [] };
  const histograms = withData.filter((s) => 'histogram' in s);
  if (histograms.length && histograms.length !== withData.length) throw new Error('internal: segments mix raw values and histograms');
  const bounds = histograms.length ? sharedBounds(histograms) : undefined;
  const dropped = new Set<number>(withData.flatMap((s) => s.droppedBounds ?? []));
  if (bounds) for (const s of histograms) for (const b of bucketsOf(s)) if (!bounds.includes(b.le)) dropped.add(b.le);
  const note = dropped.size ? { droppedBounds: [...dropped].sort((a, b) => a - b) } : {};
  const add = (parts: readonly ValuesInterval[]) => addValues(parts.filter((p) => !isEmpty(p)), bounds);
  if (typeof n !== 'number') return { ...add(withData), ...note };
  const intervals = Array.from({ length: n }, (_, k) => add(withData.map((s) => s.intervals![k])));
  return { ...sumValuesIntervals(intervals), intervals, ...note };
}

function bucketsOf(side: ValuesInterval): readonly HistogramBucket[] {
  return 'histogram' in side ? side.histogram.buckets : [];
}

/** The bounds every histogram has (+Inf always is). */
function sharedBounds(sides: readonly ValuesSide[]): number[] {
  const [first, ...rest] = sides.map((s) => new Set(bucketsOf(s).map((b) => b.le)));
  return [...first].filter((le) => rest.every((bounds) => bounds.has(le))).sort((a, b) => a - b);
}

/** Raw values concatenated, or histograms' cumulative counts added on `bounds`. */
function addValues(parts: readonly ValuesInterval[], bounds: readonly number[] | undefined): ValuesInterval {
  if (!bounds) return sumValuesIntervals(parts);
  if (!parts.length) return { histogram: { buckets: bounds.map((le) => ({ le, count: 0 })), sum: 0 } };
  const counts = new Float64Array(bounds.length);
  let sum: number | undefined = 0;
  for (const part of parts) {
    const at = new Map(bucketsOf(part).map((b) => [b.le, b.count] as const));
    bounds.forEach((le, j) => (counts[j] += at.get(le) ?? 0));
    const own = 'histogram' in part ? part.histogram.sum : undefined;
    sum = sum === undefined || own === undefined ? undefined : sum + own;
  }
  return { histogram: { buckets: bounds.map((le, j) => ({ le, count: counts[j] })), ...(sum !== undefined ? { sum } : {}) } };
}
