/**
 * Both sides of a `native: true` histogram metric from their answers: the native histograms
 * (`sum(increase(M))`, one histogram per asked time) and the classic buckets of the series that
 * have no native histogram (a migration), checked, then brought onto bucket bounds where every
 * histogram of both sides and all intervals has an exact cumulative count.
 *
 * The query API writes a native histogram as its populated buckets, each `[rule, lower, upper,
 * count]` (Prometheus' util/jsonutil MarshalHistogram): negative buckets `[lower, upper)`, the
 * zero bucket `[-z, z]`, positive buckets `(lower, upper]`; custom-bucket histograms (NHCB,
 * schema -53) the same way with their own bounds, the first bucket from -Inf, the last to +Inf.
 * An empty bucket is left out: it counts 0.
 *
 * Checked per histogram (a fault is a 503 naming it, never data): the count and every bucket's
 * count finite and not negative; every bucket's lower edge below its upper edge; the buckets in
 * ascending order, none sharing a value with the one before (an edge may belong to one of them
 * only); the count equal to the sum of the buckets' counts. A number where a histogram was
 * asked for is a fault too (the metric is not a native histogram).
 *
 * Common bounds. The cumulative count at a value v (observations <= v) is exact for a histogram
 * unless v lies strictly inside one of its populated buckets. So the bounds kept are the edges
 * of populated buckets that lie strictly inside no populated bucket of any histogram compared:
 * both sides, every interval, native and classic. This is the reduction to the lowest common
 * schema (schema s-1's bounds are every other bound of schema s: a bucket of the coarser schema
 * holds two of the finer, and the bound between them lies inside it), done only where the
 * coarser histogram holds observations: elsewhere its count is flat and exact, and the finer
 * bounds stay. A wider zero bucket [-z, z] merges the other histograms' buckets inside it; a
 * classic bucket (le_(i-1), le_i] merges the native buckets it holds. Nothing is estimated:
 * every count is a sum of whole buckets. What merging cost is told, as the classic path tells
 * its dropped bounds, in the reasons that say the buckets are too coarse (src/judge/dropped-bounds.ts).
 *
 * One approximation: at a bound that is the lower edge of a bucket including it (negative
 * buckets `[lower, upper)` and the zero bucket's `-z`), the count read as "at or below it" leaves
 * out observations exactly at that edge, which that bucket holds; it matters for negative values
 * lying exactly on a bucket boundary only.
 */
import { MAX_BUCKETS } from '../../contracts/limits';
import type { HistogramBucket, ValuesInterval, ValuesSide } from '../../judge/types';
import { sumValuesIntervals } from '../../judge/timeline';
import type { NativeHistogram } from '../prometheus/client';
import type { FaultList, FaultPlace, NativeBucketEdges } from './faults';
import { classicIntervals } from './histograms';
import type { RawAnswer } from './raw-answer';
import { oneSeriesPerGroup, placeOf, type AnswerPlace, type AskedTimeIndex } from './sample-checks';

/** One side's answers, as the fetcher hands them over. */
export interface NativeRawSide {
  readonly native: RawAnswer;
  readonly classic: RawAnswer;
  readonly classicSeries: RawAnswer;
}

/** Where a populated bucket came from: a native histogram of a schema (or custom bounds), its zero bucket, or classic buckets. */
type Origin = { readonly schema: number | 'custom' | undefined } | 'zero' | 'classic';

/** A populated bucket: its observations lie between its edges. Counts are raw (fractional from increase()). */
interface Piece {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  readonly origin: Origin;
}

interface SideRead {
  /** Per asked time, the populated buckets of the side's native histogram and classic-only series; null: none. */
  intervals: (Piece[] | null)[];
  /** Classic bounds fewer series had than +Inf (left out, as on the classic path). */
  readonly droppedClassic: ReadonlySet<number>;
}

/** A count of observations may drift this far from its buckets' sum (float rounding of increase()'s arithmetic), relatively. */
const COUNT_TOLERANCE = 1e-6;

export function nativeHistogramSides(
  raw: { readonly baseline: NativeRawSide; readonly canary: NativeRawSide },
  metric: string,
  wanted: readonly number[],
  times: AskedTimeIndex,
  faults: FaultList,
): { baseline: ValuesSide; canary: ValuesSide } {
  const read = {
    baseline: readSide(raw.baseline, { metric, side: 'baseline' }, times, faults),
    canary: readSide(raw.canary, { metric, side: 'canary' }, times, faults),
  };
  const snap = snapping([...read.baseline.intervals, ...read.canary.intervals].flatMap((i) => i ?? []), wanted);
  for (const r of [read.baseline, read.canary]) r.intervals.forEach((pieces, k) => (r.intervals[k] = pieces && pieces.map((p) => ({ ...p, lower: snap(p.lower), upper: snap(p.upper) }))));
  const pieces = [...read.baseline.intervals, ...read.canary.intervals].flatMap((i) => i ?? []);
  const inside = openRanges(pieces);
  const candidates = new Set<number>([...pieces.flatMap((p) => [p.lower, p.upper]), ...wanted.map(snap)].filter(Number.isFinite));
  const exact = [...candidates].filter((e) => !inside(e)).sort((a, b) => a - b);
  const { bounds, merges } = withinLimit(exact, new Set(wanted.map(snap)));
  bounds.push(Infinity);
  const kept = new Set(bounds);
  const limitNote = merges ? [`${exact.length} exact bounds exceed the limit of ${MAX_BUCKETS.toLocaleString('en-US')} buckets per histogram, so neighbouring buckets were merged in pairs ${merges === 1 ? 'once' : `${merges} times`} (as one schema lower)`] : [];
  const side = (name: 'baseline' | 'canary'): ValuesSide => {
    const own = read[name];
    if (!own.intervals.some((i) => i?.length)) return times.asked.intervals ? { values: [], intervals: own.intervals.map(() => ({ values: [] })) } : { values: [] };
    const intervals: ValuesInterval[] = own.intervals.map((p) => ({ histogram: { buckets: cumulative(p, bounds) } }));
    const reduced = [...reducedResolution(name, read, kept), ...limitNote];
    const notes = {
      ...(own.droppedClassic.size ? { droppedBounds: [...own.droppedClassic].sort((a, b) => a - b) } : {}),
      ...(reduced.length ? { reducedResolution: reduced } : {}),
    };
    if (!times.asked.intervals) return { ...intervals[0], ...notes };
    return { ...sumValuesIntervals(intervals), intervals, ...notes };
  };
  return { baseline: side('baseline'), canary: side('canary') };
}

/**
 * The bounds, at most MAX_BUCKETS - 1 of them (the +Inf bucket makes the limit): while there are
 * more (schema 8 over a factor of 16 and more), every other one is left out (neighbouring buckets
 * merged in pairs, as one schema lower does), the wanted ones (a threshold) always kept. Leaving a
 * bound out never makes a count inexact.
 */
function withinLimit(exact: readonly number[], wanted: ReadonlySet<number>): { bounds: number[]; merges: number } {
  let bounds = [...exact];
  let merges = 0;
  while (bounds.length > MAX_BUCKETS - 1) {
    bounds = bounds.filter((b, i) => i % 2 === 0 || wanted.has(b));
    merges++;
  }
  return { bounds, merges };
}

/** A side's native histograms and classic-only buckets per asked time, each checked. */
function readSide(raw: NativeRawSide, where: { metric: string; side: 'baseline' | 'canary' }, times: AskedTimeIndex, faults: FaultList): SideRead {
  const place: AnswerPlace = { ...where, role: 'native-histogram', query: raw.native.query };
  const intervals: (Piece[] | null)[] = times.asked.times.map(() => null);
  for (const series of oneSeriesPerGroup(raw.native, () => '', place, faults)) {
    for (const [at, value] of series.samples) faults.add({ ...placeOf(place, series.metric, at), code: 'native-not-histogram', value });
    const histograms = series.histograms ?? [];
    // The asked-time checks of every answer, with each histogram's index standing in for its value.
    for (const { k, at, value: i } of times.samplesOf({ metric: series.metric, samples: histograms.map(([t], i) => [t, i] as const) }, place, faults)) {
      const pieces = checkedHistogram(histograms[i][1], placeOf(place, series.metric, at), faults);
      if (pieces) intervals[k] = pieces;
    }
  }
  const classic = classicIntervals({ buckets: raw.classic, bucketSeries: raw.classicSeries }, where, times, faults);
  classic.intervals.forEach((buckets, k) => {
    if (buckets) intervals[k] = [...(intervals[k] ?? []), ...classicPieces(buckets)];
  });
  return { intervals, droppedClassic: classic.dropped };
}

const includesLower = (rule: number) => rule === 1 || rule === 3;
const includesUpper = (rule: number) => rule === 0 || rule === 3;

/** The populated buckets of one native histogram, or null with its faults reported. */
function checkedHistogram(h: NativeHistogram, place: FaultPlace, faults: FaultList): Piece[] | null {
  let ok = countProblem(h.count, place, faults);
  const schema = schemaOf(h);
  const pieces: Piece[] = [];
  let previous: NativeBucketEdges | undefined;
  let total = 0;
  for (const b of h.buckets) {
    const bucket: NativeBucketEdges = { rule: b.rule, lower: b.lower, upper: b.upper };
    if (Number.isNaN(b.lower) || Number.isNaN(b.upper) || b.lower > b.upper || (b.lower === b.upper && b.rule !== 3)) {
      faults.add({ ...place, code: 'native-bad-bucket', bucket });
      ok = false;
      continue;
    }
    if (!countProblem(b.count, place, faults, bucket)) {
      ok = false;
      continue;
    }
    if (previous && (b.lower < previous.upper || (b.lower === previous.upper && includesUpper(previous.rule) && includesLower(b.rule)))) {
      faults.add({ ...place, code: 'native-overlapping-buckets', bucket, previous });
      ok = false;
    }
    previous = bucket;
    total += b.count;
    const zero = b.rule === 3 && b.lower === -b.upper;
    if (b.count > 0) pieces.push({ lower: b.lower, upper: b.upper, count: b.count, origin: zero ? 'zero' : { schema } });
  }
  if (ok && Math.abs(h.count - total) > COUNT_TOLERANCE * Math.max(1, Math.abs(h.count))) {
    faults.add({ ...place, code: 'native-count-mismatch', count: h.count, bucketTotal: total });
    ok = false;
  }
  return ok ? pieces : null;
}

/** True when a count is usable: finite and not below 0 beyond float noise; a fault otherwise. */
function countProblem(value: number, place: FaultPlace, faults: FaultList, bucket?: NativeBucketEdges): boolean {
  if (Number.isFinite(value) && Math.round(value) >= 0) return true;
  faults.add({ ...place, code: 'native-bad-count', value, ...(bucket ? { bucket } : {}) });
  return false;
}

/**
 * The exponential schema of a histogram's buckets (each bound 2^(2^-s) times the one below), for
 * the reasons only: 'custom' for custom bounds (an infinite edge, or ratios of no schema -4..8).
 */
function schemaOf(h: NativeHistogram): number | 'custom' | undefined {
  const votes = new Map<number, number>();
  let misfits = 0;
  for (const b of h.buckets) {
    if (b.rule === 3 && b.lower === -b.upper) continue;
    if (!Number.isFinite(b.lower) || !Number.isFinite(b.upper)) return 'custom';
    if (b.lower === 0 || b.upper === 0 || b.lower < 0 !== b.upper < 0) continue;
    const s = -Math.log2(Math.log2(Math.abs(b.lower > 0 ? b.upper / b.lower : b.lower / b.upper)));
    const rounded = Math.round(s);
    if (Math.abs(s - rounded) < 1e-6 && rounded >= -4 && rounded <= 8) votes.set(rounded, (votes.get(rounded) ?? 0) + 1);
    else misfits++;
  }
  if (!votes.size) return misfits ? 'custom' : undefined;
  return [...votes.entries()].sort((a, b) => b[1] - a[1])[0][0];
}

/** Classic cumulative counts as populated buckets (le_(i-1), le_i]; the first from 0 when its bound is positive, as Prometheus reads it. */
function classicPieces(buckets: readonly HistogramBucket[]): Piece[] {
  const pieces: Piece[] = [];
  let lower = buckets[0].le > 0 ? 0 : -Infinity;
  let below = 0;
  for (const b of buckets) {
    if (b.count > below) pieces.push({ lower, upper: b.le, count: b.count - below, origin: 'classic' });
    lower = b.le;
    below = Math.max(below, b.count);
  }
  return pieces;
}

/**
 * Edges that differ in the last bits only are one edge: Prometheus computes a schema's bounds from
 * a table (2^(k/2^s) rounded), a classic `le` or another backend may write the same bound one ulp
 * apart, and as two edges each would lie inside the other's bucket and both would be lost.
 */
const SAME_EDGE = 1e-12;
function snapping(pieces: readonly Piece[], wanted: readonly number[]): (x: number) => number {
  const edges = [...new Set([...pieces.flatMap((p) => [p.lower, p.upper]), ...wanted].filter(Number.isFinite))].sort((a, b) => a - b);
  const to = new Map<number, number>();
  let representative = NaN;
  for (const e of edges) {
    if (!(Math.abs(e - representative) <= SAME_EDGE * Math.abs(e))) representative = e;
    to.set(e, representative);
  }
  return (x) => to.get(x) ?? x;
}

/** Whether a value lies strictly inside a populated bucket (the union of the buckets' open ranges). */
function openRanges(pieces: readonly Piece[]): (value: number) => boolean {
  const sorted = pieces.filter((p) => p.lower < p.upper).map((p) => [p.lower, p.upper] as const).sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [lower, upper] of sorted) {
    const last = merged[merged.length - 1];
    // (a, b) and (c, d) with c < b are one open range (a, max(b, d)); touching ranges keep their shared edge outside.
    if (last && lower < last[1]) last[1] = Math.max(last[1], upper);
    else merged.push([lower, upper]);
  }
  return (value) => {
    let lo = 0;
    let hi = merged.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (merged[mid][1] <= value) lo = mid + 1;
      else if (merged[mid][0] >= value) hi = mid - 1;
      else return true;
    }
    return false;
  };
}

/** An interval's cumulative counts at the bounds: the buckets below or at each; zeros without data. */
function cumulative(pieces: readonly Piece[] | null, bounds: readonly number[]): HistogramBucket[] {
  const sorted = [...(pieces ?? [])].sort((a, b) => a.upper - b.upper);
  let j = 0;
  let below = 0;
  return bounds.map((le) => {
    while (j < sorted.length && sorted[j].upper <= le) below += sorted[j++].count;
    return { le, count: Math.round(below) || 0 };
  });
}

/**
 * What merging onto the common bounds cost a side: its bucket bounds that lie inside another
 * populated bucket (of a coarser schema, a wider zero bucket, classic buckets), and which.
 */
function reducedResolution(name: 'baseline' | 'canary', read: { readonly baseline: SideRead; readonly canary: SideRead }, kept: ReadonlySet<number>): string[] {
  const own = read[name].intervals.flatMap((i) => i ?? []);
  const edges = [...new Set(own.flatMap((p) => [p.lower, p.upper]).filter(Number.isFinite))].sort((a, b) => a - b);
  const lost = edges.filter((e) => !kept.has(e));
  const notes: string[] = [];
  const classic = own.some((p) => p.origin === 'classic');
  if (classic && own.some((p) => p.origin !== 'classic')) notes.push(`the ${name}'s series without a native histogram were read from their classic buckets (a migration) and added in`);
  if (!lost.length) return notes;
  const causes = new Set<string>();
  for (const other of ['baseline', 'canary'] as const) {
    for (const p of read[other].intervals.flatMap((i) => i ?? [])) {
      // The first lost edge above the bucket's lower edge: inside the bucket when below its upper edge.
      const e = lost[firstAbove(lost, p.lower)];
      if (e !== undefined && e < p.upper) causes.add(originText(other, p));
    }
  }
  const short = (x: number) => Number(x.toPrecision(4));
  const shown = lost.length <= 5 ? lost.map(short).join(', ') : `${lost.slice(0, 3).map(short).join(', ')}, ..., ${short(lost[lost.length - 1])}`;
  const schemas = [...new Set(own.flatMap((p) => (typeof p.origin === 'object' && typeof p.origin.schema === 'number' ? [p.origin.schema] : [])))].sort((a, b) => b - a);
  const whose = schemas.length ? `the ${name}'s native histogram (schema ${schemas.join(', ')})` : `the ${name}'s histogram`;
  notes.push(
    `${whose} was compared on coarser buckets: ${lost.length} of its ${edges.length} bucket bounds (${shown}) lie inside populated buckets of ${[...causes].sort().join(', ')}, where no count is exact, so those buckets were merged`,
  );
  return notes;
}

/** The index of the first element of an ascending list above `x` (the list's length if none). */
function firstAbove(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function originText(side: 'baseline' | 'canary', piece: Piece): string {
  if (piece.origin === 'zero') return `the ${side}'s zero bucket [${piece.lower}, ${piece.upper}]`;
  if (piece.origin === 'classic') return `the ${side}'s classic buckets`;
  const { schema } = piece.origin;
  if (schema === 'custom') return `the ${side}'s custom buckets`;
  if (schema === undefined) return `the ${side}'s native buckets`;
  return `the ${side}'s schema ${schema} (each bucket ${Number((2 ** (2 ** -schema)).toPrecision(3))}x wide)`;
}
