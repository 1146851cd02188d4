/**
 * The checks every answer goes through, whatever it measures: one series per group the query
 * asks for, every sample at a time that was asked for and only once, every count a finite
 * non-negative number.
 */
import type { Labels } from '../metric-source';
import type { FaultList, FaultPlace, QueryRole } from './faults';
import type { AskedTimes, RawAnswer, RawSeries } from './raw-answer';

/** Where one side's answer to one query is: the place of its faults, without the series. */
export interface AnswerPlace {
  readonly metric: string;
  readonly side: 'baseline' | 'canary';
  readonly role: QueryRole;
  readonly query: string;
}

export function placeOf(answer: AnswerPlace, series: Labels, at?: number): FaultPlace {
  return { metric: answer.metric, side: answer.side, role: answer.role, query: answer.query, series, ...(at !== undefined ? { at } : {}) };
}

/**
 * The series of an answer, one per group (`groupOf` gives the group the query aggregates to:
 * '' for a `sum()`, the `le` of a bucket, the category). A group answered by several series
 * is a fault (`duplicate-series` when they are copies, `extra-series` otherwise) and left out.
 */
export function oneSeriesPerGroup(answer: RawAnswer, groupOf: (labels: Labels) => string, place: AnswerPlace, faults: FaultList): RawSeries[] {
  const groups = new Map<string, RawSeries[]>();
  for (const series of answer.series) {
    const group = groupOf(series.metric);
    const list = groups.get(group);
    if (list) list.push(series);
    else groups.set(group, [series]);
  }
  const kept: RawSeries[] = [];
  for (const list of groups.values()) {
    if (list.length === 1) {
      kept.push(list[0]);
      continue;
    }
    const first = labelsKey(list[0].metric);
    const other = list.find((s) => labelsKey(s.metric) !== first);
    if (other) faults.add({ ...placeOf(place, list[0].metric), code: 'extra-series', count: list.length, other: other.metric });
    else faults.add({ ...placeOf(place, list[0].metric), code: 'duplicate-series', copies: list.length });
  }
  return kept;
}

/** A label set as a canonical string (names sorted), for telling copies apart. */
export function labelsKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Which asked time a sample is at. Backends keep milliseconds (Prometheus rounds the times it
 * is sent to them), so a sample within a millisecond of an asked time is at it.
 */
export class AskedTimeIndex {
  readonly #byMillisecond = new Map<number, number>();
  constructor(readonly asked: AskedTimes) {
    asked.times.forEach((t, k) => this.#byMillisecond.set(Math.round(t * 1000), k));
  }

  get length(): number {
    return this.asked.times.length;
  }

  /** The index of the asked time `t` is at, or undefined. */
  indexOf(t: number): number | undefined {
    const ms = Math.round(t * 1000);
    return this.#byMillisecond.get(ms) ?? this.#byMillisecond.get(ms - 1) ?? this.#byMillisecond.get(ms + 1);
  }

  /**
   * Each sample of a series with the index of its asked time; samples at unasked times and
   * second samples at one time are faults and left out.
   */
  samplesOf(series: RawSeries, place: AnswerPlace, faults: FaultList): { k: number; at: number; value: number }[] {
    const seen = new Set<number>();
    const out: { k: number; at: number; value: number }[] = [];
    for (const [at, value] of series.samples) {
      const k = this.indexOf(at);
      if (k === undefined) faults.add({ ...placeOf(place, series.metric, at), code: 'unasked-time' });
      else if (seen.has(k)) faults.add({ ...placeOf(place, series.metric, at), code: 'duplicate-timestamp' });
      else {
        seen.add(k);
        out.push({ k, at, value });
      }
    }
    return out;
  }
}

/**
 * A count from increase(): finite and not negative. increase() extrapolates to the window's
 * edges, so counts are fractional; they are rounded, and a negative that rounds to 0 (float
 * noise) is 0. Anything else is a fault and undefined.
 */
export function checkedCount(value: number, place: FaultPlace, faults: FaultList): number | undefined {
  if (Number.isNaN(value)) faults.add({ ...place, code: 'nan' });
  else if (!Number.isFinite(value)) faults.add({ ...place, code: 'infinite', value });
  else if (Math.round(value) < 0) faults.add({ ...place, code: 'negative-count', value });
  else return Math.round(value) || 0; // no -0
  return undefined;
}

/**
 * How far two counts that should be ordered (events <= total, a lower bucket <= a higher one)
 * may cross before it is a fault rather than rounding or separate extrapolation of series
 * scraped apart: one observation, or 1 % of the larger.
 */
export function withinSlack(excess: number, of: number): boolean {
  return excess <= Math.max(1, 0.01 * of);
}
