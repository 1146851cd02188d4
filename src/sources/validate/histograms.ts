/**
 * A histogram's side from its two answers, `sum by (le) (increase(..._bucket))` (the counts)
 * and `count by (le) (...)` (how many series have each bound): per asked time the cumulative
 * count at each bound, checked, then every interval on the bounds all of its series and all
 * intervals share.
 *
 * Per interval:
 * - each `le` is one series in each answer (a copy or a second series for one bound is a
 *   fault); a bound written two ways ("1" and "1.0", from targets that format it differently)
 *   is one bucket;
 * - a series without a numeric `le`, a count that is NaN, infinite or negative, and an
 *   interval without a `+Inf` bucket are faults;
 * - a bound fewer series have than `+Inf` (pods with and without a bucket annotation, or with
 *   Envoy's defaults, in one sum) counts only part of the observations: it is left out;
 * - cumulative counts may fall a little from one bound to the next: increase() extrapolates
 *   each series on its own, and Prometheus before 2.50 extrapolates a series that starts
 *   within the range (a new canary pod) by up to 1.1 sample intervals at each end depending
 *   on its first value, so buckets of one scrape may differ by up to a factor
 *   EXTRAPOLATION_FACTOR. Such a fall is mended by the running maximum, as histogram_quantile
 *   mends it. A fall beyond that factor no extrapolation explains: a fault (the `+Inf` bucket
 *   below a finite one is the same fault at the top).
 *
 * Across intervals (a timeline): an interval lacks a bound when some of the fleet had other
 * bounds then (pod churn). Carrying the count of the bound below to the missing one would
 * invent observations, so every interval keeps only the bounds all intervals with data share,
 * and the side lists the ones left out (`droppedBounds`) for the reason, should the remaining
 * bounds be too coarse for the margin. An interval without any sample (no traffic) counts 0.
 */
import type { HistogramBucket, ValuesInterval, ValuesSide } from '../../judge/types';
import { sumValuesIntervals } from '../../judge/timeline';
import type { Labels } from '../metric-source';
import { parseSampleValue } from '../prometheus/client';
import type { FaultList, FaultPlace } from './faults';
import type { RawAnswer } from './raw-answer';
import { checkedCount, oneSeriesPerGroup, placeOf, withinSlack, type AnswerPlace, type AskedTimeIndex } from './sample-checks';

/**
 * The most two buckets of one scrape can differ by through increase()'s extrapolation: each
 * series' increase is scaled by (sampled interval + at most 1.1 average sample intervals at
 * each end) / sampled interval, at most 1 + 2 x 1.1 = 3.2 with two samples in the range
 * (Prometheus, promql/functions.go, extrapolatedRate).
 */
export const EXTRAPOLATION_FACTOR = 3.2;

const NO_LE = '\u0000no le';

/** Cumulative raw counts per numeric bound of one interval, with the series each came from. */
type IntervalBuckets = Map<number, { raw: number; series: Labels }>;

export function histogramSide(answers: { buckets: RawAnswer; bucketSeries: RawAnswer }, side: Omit<AnswerPlace, 'role' | 'query'>, times: AskedTimeIndex, faults: FaultList): ValuesSide {
  const { intervals: checked, dropped } = classicIntervals(answers, side, times, faults);
  const shared = sharedBounds(checked);
  if (!shared) return times.asked.intervals ? { values: [], intervals: checked.map(() => ({ values: [] })) } : { values: [] };
  for (const le of shared.dropped) dropped.add(le);
  const intervals: ValuesInterval[] = checked.map((buckets) => ({ histogram: { buckets: onBounds(buckets, shared.bounds) } }));
  const note = dropped.size ? { droppedBounds: [...dropped].sort((a, b) => a - b) } : {};
  if (!times.asked.intervals) return { ...intervals[0], ...note };
  return { ...sumValuesIntervals(intervals), intervals, ...note };
}

/**
 * Each asked time's cumulative counts on the bounds all of its series have (null: no sample, or
 * a fault, reported), and the bounds left out because fewer series had them than `+Inf`.
 */
export function classicIntervals(
  answers: { buckets: RawAnswer; bucketSeries: RawAnswer },
  side: Omit<AnswerPlace, 'role' | 'query'>,
  times: AskedTimeIndex,
  faults: FaultList,
): { intervals: (HistogramBucket[] | null)[]; dropped: Set<number> } {
  const place: AnswerPlace = { ...side, role: 'buckets', query: answers.buckets.query };
  const counts = perBound(answers.buckets, place, times, faults);
  const series = perBound(answers.bucketSeries, { ...side, role: 'bucket-series', query: answers.bucketSeries.query }, times, faults);
  const dropped = new Set<number>();
  const intervals = counts.map((buckets, k) => {
    const at = times.asked.times[k];
    if (buckets.size === 0 || !hasTotal(buckets, placeOf(place, {}, at), faults)) return null;
    const shared = sharedBySeries(buckets, series[k], placeOf({ ...place, role: 'bucket-series', query: answers.bucketSeries.query }, {}, at), dropped, faults);
    return shared && checkedBuckets(shared, placeOf(place, {}, at), faults);
  });
  return { intervals, dropped };
}

/** Each asked time's raw counts per numeric bound, checked one series at a time (so a fault names its series). */
function perBound(answer: RawAnswer, place: AnswerPlace, times: AskedTimeIndex, faults: FaultList): IntervalBuckets[] {
  const perInterval: IntervalBuckets[] = times.asked.times.map(() => new Map());
  for (const series of oneSeriesPerGroup(answer, (labels) => labels.le ?? NO_LE, place, faults)) {
    const le = boundOf(series.metric, place, faults);
    if (le === undefined) continue;
    for (const { k, at, value } of times.samplesOf(series, place, faults)) {
      if (checkedCount(value, placeOf(place, series.metric, at), faults) === undefined) continue;
      const bucket = perInterval[k].get(le);
      perInterval[k].set(le, { raw: (bucket?.raw ?? 0) + value, series: bucket?.series ?? series.metric });
    }
  }
  return perInterval;
}

/** The numeric bound of a bucket series, or undefined with a fault. */
function boundOf(labels: Labels, place: AnswerPlace, faults: FaultList): number | undefined {
  const text = labels.le;
  if (text === undefined) {
    faults.add({ ...placeOf(place, labels), code: 'missing-le' });
    return undefined;
  }
  // Written as Prometheus writes numbers ("0.25", "1e+06", "+Inf"); NaN is no bound.
  const le = parseSampleValue(text);
  if (le === undefined || Number.isNaN(le)) {
    faults.add({ ...placeOf(place, labels), code: 'bad-le', le: text });
    return undefined;
  }
  return le;
}

/** Whether an interval's buckets have a `+Inf` bucket (its total); a fault naming the highest bucket if not. */
function hasTotal(buckets: IntervalBuckets, place: FaultPlace, faults: FaultList): boolean {
  if (buckets.has(Infinity)) return true;
  const top = Math.max(...buckets.keys());
  faults.add({ ...place, series: buckets.get(top)!.series, code: 'no-inf-bucket' });
  return false;
}

/**
 * The interval's buckets at the bounds every series has (as many series as `+Inf`); the others
 * go into `dropped`. Counts without series counts for `+Inf` cannot be checked: a fault, null.
 */
function sharedBySeries(buckets: IntervalBuckets, series: IntervalBuckets, place: FaultPlace, dropped: Set<number>, faults: FaultList): IntervalBuckets | null {
  const all = series.get(Infinity)?.raw;
  if (all === undefined) {
    faults.add({ ...place, code: 'no-inf-bucket' });
    return null;
  }
  const kept: IntervalBuckets = new Map();
  for (const [le, bucket] of buckets) {
    if (le === Infinity || Math.round(series.get(le)?.raw ?? 0) >= Math.round(all)) kept.set(le, bucket);
    else dropped.add(le);
  }
  return kept;
}

/** One interval's buckets (with `+Inf`), sorted, cumulative counts rounded and mended; null with a fault (reported). */
function checkedBuckets(buckets: IntervalBuckets, place: FaultPlace, faults: FaultList): HistogramBucket[] | null {
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  let highest = { le: sorted[0][0], raw: 0 };
  let broken = false;
  const out: HistogramBucket[] = [];
  for (const [le, { raw, series }] of sorted) {
    if (raw * EXTRAPOLATION_FACTOR < highest.raw && !withinSlack(highest.raw - raw * EXTRAPOLATION_FACTOR, highest.raw)) {
      broken = true;
      const fall = { count: raw, lowerLe: highest.le, lowerCount: highest.raw };
      faults.add(le === Infinity ? { ...place, series, code: 'inf-below-finite', ...fall } : { ...place, series, code: 'non-monotone-buckets', le, ...fall });
    }
    if (raw >= highest.raw) highest = { le, raw };
    out.push({ le, count: Math.round(highest.raw) || 0 });
  }
  return broken ? null : out;
}

/** The bounds every interval with data has, and the ones some lack; null when no interval has data. */
function sharedBounds(intervals: readonly (HistogramBucket[] | null)[]): { bounds: number[]; dropped: number[] } | null {
  const withData = intervals.filter((i): i is HistogramBucket[] => i !== null);
  if (!withData.length) return null;
  const intervalsWith = new Map<number, number>();
  for (const buckets of withData) for (const b of buckets) intervalsWith.set(b.le, (intervalsWith.get(b.le) ?? 0) + 1);
  const all = [...intervalsWith.keys()].sort((a, b) => a - b);
  return { bounds: all.filter((le) => intervalsWith.get(le) === withData.length), dropped: all.filter((le) => intervalsWith.get(le) !== withData.length) };
}

/** The interval's cumulative counts at the shared bounds (each is one of its own); zeros without data. */
function onBounds(buckets: HistogramBucket[] | null, bounds: readonly number[]): HistogramBucket[] {
  if (!buckets) return bounds.map((le) => ({ le, count: 0 }));
  const at = new Map(buckets.map((b) => [b.le, b.count] as const));
  return bounds.map((le) => ({ le, count: at.get(le)! }));
}
