/**
 * What the validation stage refuses in a backend's samples, as data: a discriminated union on
 * a stable `code` (the design of zod's issues), each fault placed exactly (metric, side, which
 * query, which series, which sample), and the wording kept apart from the detection so that a
 * `switch` over the codes stays exhaustive.
 *
 * A fault means the answer does not say what the canary did: a NaN count is not zero, a
 * duplicated series is not twice the traffic, a bucket that counts less than the one below it
 * is not a histogram. The analysis then has no verdict: `SampleFaultError`, HTTP 503 naming
 * every fault (Argo: a measurement Error; Flagger: a failed check), never a pass.
 */
import { SourceUnavailableError, type Labels } from '../metric-source';

/** Which of a side's queries a series answered. */
export const QUERY_ROLES = ['events', 'total', 'client-failed', 'buckets', 'bucket-series', 'native-histogram', 'categories', 'values', 'revision-lookup', 'outcomes', 'predictions', 'resets'] as const;
export type QueryRole = (typeof QUERY_ROLES)[number];

export interface FaultPlace {
  readonly metric: string;
  readonly side: 'baseline' | 'canary';
  readonly role: QueryRole;
  /** The PromQL sent, as the response's `queries` shows it. */
  readonly query: string;
  /** The series' labels as the backend sent them (`{}` for a `sum()`). */
  readonly series: Labels;
  /** Unix seconds of the faulty sample, when one sample is at fault. */
  readonly at?: number;
}

export type SampleFault = FaultPlace &
  (
    | { readonly code: 'nan' }
    | { readonly code: 'infinite'; readonly value: number }
    | { readonly code: 'negative-count'; readonly value: number }
    /** The same series (every label equal) more than once. */
    | { readonly code: 'duplicate-series'; readonly copies: number }
    /** Several series where the query groups to one (a `sum()`, one `le`, one category). */
    | { readonly code: 'extra-series'; readonly count: number; readonly other: Labels }
    | { readonly code: 'missing-le' }
    | { readonly code: 'bad-le'; readonly le: string }
    | { readonly code: 'no-inf-bucket' }
    | { readonly code: 'non-monotone-buckets'; readonly le: number; readonly count: number; readonly lowerLe: number; readonly lowerCount: number }
    | { readonly code: 'inf-below-finite'; readonly count: number; readonly lowerLe: number; readonly lowerCount: number }
    | { readonly code: 'events-exceed-total'; readonly events: number; readonly total: number }
    /** A sample at a time the query did not ask for (not its instant, not on its step grid). */
    | { readonly code: 'unasked-time' }
    | { readonly code: 'duplicate-timestamp' }
    /** Labelled outcomes by prediction time (src/sources/validate/labelled-outcomes.ts). */
    | { readonly code: 'missing-predicted-at'; readonly label: string }
    | { readonly code: 'bad-predicted-at'; readonly label: string; readonly value: string; readonly future: boolean }
    | { readonly code: 'bad-outcome'; readonly label: string; readonly value: string }
    | { readonly code: 'counter-reset'; readonly counter: string; readonly resets: number }
    | { readonly code: 'labels-exceed-predictions'; readonly predictedAt: number; readonly labelled: number; readonly predictions: number }
    | { readonly code: 'missing-bound'; readonly le: number }
    /** Native histograms (src/sources/validate/native-histograms.ts): a count (the histogram's, or a bucket's) NaN, infinite or negative. */
    | { readonly code: 'native-bad-count'; readonly value: number; readonly bucket?: NativeBucketEdges }
    /** A bucket whose edges are not numbers or enclose nothing (lower above upper, or equal without both edges included). */
    | { readonly code: 'native-bad-bucket'; readonly bucket: NativeBucketEdges }
    /** Buckets out of order or sharing observations' values (one bucket's range reaches into the next's). */
    | { readonly code: 'native-overlapping-buckets'; readonly bucket: NativeBucketEdges; readonly previous: NativeBucketEdges }
    /** The histogram's count is not the sum of its buckets' counts. */
    | { readonly code: 'native-count-mismatch'; readonly count: number; readonly bucketTotal: number }
    /** A number where a native histogram was asked for (the metric is not a native histogram). */
    | { readonly code: 'native-not-histogram'; readonly value: number }
  );

/** A native histogram bucket's edges and which of them belong to it (Prometheus' boundary rule 0-3). */
export interface NativeBucketEdges {
  readonly rule: 0 | 1 | 2 | 3;
  readonly lower: number;
  readonly upper: number;
}

export type SampleFaultCode = SampleFault['code'];

/** Every code, for schemas and documentation; the check below fails to compile if one is missing. */
export const SAMPLE_FAULT_CODES = [
  'nan',
  'infinite',
  'negative-count',
  'duplicate-series',
  'extra-series',
  'missing-le',
  'bad-le',
  'no-inf-bucket',
  'non-monotone-buckets',
  'inf-below-finite',
  'events-exceed-total',
  'unasked-time',
  'duplicate-timestamp',
  'missing-predicted-at',
  'bad-predicted-at',
  'bad-outcome',
  'counter-reset',
  'labels-exceed-predictions',
  'missing-bound',
  'native-bad-count',
  'native-bad-bucket',
  'native-overlapping-buckets',
  'native-count-mismatch',
  'native-not-histogram',
] as const satisfies readonly SampleFaultCode[];
const everyCodeListed: Exclude<SampleFaultCode, (typeof SAMPLE_FAULT_CODES)[number]> extends never ? true : never = true;
void everyCodeListed;

/** What is wrong, in one clause (without the place). */
export function describeFault(fault: SampleFault): string {
  switch (fault.code) {
    case 'nan':
      return 'the sample is NaN (a NaN counter or a stale marker): a count that is not a number is not zero';
    case 'infinite':
      return `the sample is ${fault.value > 0 ? '+Inf' : '-Inf'}`;
    case 'negative-count':
      return `the count is ${round(fault.value)}: increase() never goes below 0, so the series went down without a counter reset the backend saw (a gauge, or a reset it did not compensate)`;
    case 'duplicate-series':
      return `the same series came ${fault.copies} times: adding the copies would multiply its counts`;
    case 'extra-series':
      return `${fault.count} series where the query groups to one (another is ${labelsText(fault.other)}): adding them would count some observations more than once`;
    case 'missing-le':
      return 'a bucket series has no "le" label';
    case 'bad-le':
      return `a bucket series has le=${JSON.stringify(fault.le.slice(0, 40))}, not a number`;
    case 'no-inf-bucket':
      return 'the histogram has no le="+Inf" bucket, so its total is unknown';
    case 'non-monotone-buckets':
      return `the cumulative count ${round(fault.count)} at le=${fault.le} is below ${round(fault.lowerCount)} at le=${fault.lowerLe} by more than increase()'s extrapolation explains: a bucket counter went backwards`;
    case 'inf-below-finite':
      return `the +Inf bucket counts ${round(fault.count)}, below ${round(fault.lowerCount)} at le=${fault.lowerLe} by more than increase()'s extrapolation explains: the total cannot be less than a part of it`;
    case 'events-exceed-total':
      return `${round(fault.events)} events exceed the total of ${round(fault.total)}; are "events" and "total" the right counters?`;
    case 'unasked-time':
      return 'the sample is at a time the query did not ask for (a query frontend that aligns range queries to their step moves every sample)';
    case 'duplicate-timestamp':
      return 'the series has two samples at this time';
    case 'missing-predicted-at':
      return `the series has no "${fault.label}" label: a labelled outcome (or prediction count) without its prediction's time cannot be placed in a prediction interval`;
    case 'bad-predicted-at':
      return `${fault.label}=${JSON.stringify(fault.value.slice(0, 40))} is not ${fault.future ? 'a time before the window\'s end (unix seconds, not milliseconds?)' : 'a prediction time in unix seconds'}`;
    case 'bad-outcome':
      return `${fault.label}=${JSON.stringify(fault.value.slice(0, 40))}: expected "true" (the prediction was right) or "false"`;
    case 'counter-reset':
      return `the counter ${fault.counter} was reset ${fault.resets === 1 ? 'once' : `${round(fault.resets)} times`} within the window: its counts from before the reset are lost, so the labelled outcomes or predictions of this prediction time would be undercounted`;
    case 'labels-exceed-predictions':
      return `${round(fault.labelled)} labelled outcomes for the predictions made at ${timeText(fault.predictedAt)}, but ${round(fault.predictions)} predictions (label coverage above 100 %): the labelled and the predictions counters do not count the same predictions (another rounding of the prediction time, or predictions not counted)`;
    case 'missing-bound':
      return `this prediction time's histogram lacks le=${fault.le}, which the side's other prediction times have: its counts cannot be added to theirs`;
    case 'native-bad-count': {
      const what = fault.bucket ? `the count of the native histogram's bucket ${bucketText(fault.bucket)}` : "the native histogram's count";
      const value = Number.isNaN(fault.value) ? 'NaN' : !Number.isFinite(fault.value) ? (fault.value > 0 ? '+Inf' : '-Inf') : String(round(fault.value));
      return `${what} is ${value}: a count of observations is a finite number, never below 0 (a reset the backend did not compensate, or a broken exporter)`;
    }
    case 'native-bad-bucket':
      return `the native histogram has a bucket ${bucketText(fault.bucket)} that holds no value (its lower edge must lie below its upper edge)`;
    case 'native-overlapping-buckets':
      return `the native histogram's bucket ${bucketText(fault.bucket)} overlaps or precedes the bucket before it, ${bucketText(fault.previous)}: buckets come in ascending order and never share a value`;
    case 'native-count-mismatch':
      return `the native histogram's count ${round(fault.count)} is not the sum of its buckets' counts, ${round(fault.bucketTotal)}: observations would be missing or counted twice`;
    case 'native-not-histogram':
      return `a number (${round(fault.value)}) where a native histogram was asked for: the metric is not a native histogram here (for classic buckets leave out "native": true)`;
  }
}

/** A bucket in interval notation: (0.5, 1], [-1, -0.5), [-0.001, 0.001]. */
function bucketText(bucket: NativeBucketEdges): string {
  const open = bucket.rule === 1 || bucket.rule === 3 ? '[' : '(';
  const close = bucket.rule === 0 || bucket.rule === 3 ? ']' : ')';
  const edge = (x: number) => (Number.isNaN(x) ? 'NaN' : x === Infinity ? '+Inf' : x === -Infinity ? '-Inf' : String(x));
  return `${open}${edge(bucket.lower)}, ${edge(bucket.upper)}${close}`;
}

/** One fault as a sentence: where, then what. */
export function formatFault(fault: SampleFault): string {
  const at = fault.at !== undefined ? ` at ${timeText(fault.at)}` : '';
  return `metric ${JSON.stringify(fault.metric)} (${fault.side}), ${fault.role} series ${labelsText(fault.series)}${at}: ${describeFault(fault)}`;
}

/** At most this many faults are kept (and sent back); the count says how many there were. */
export const MAX_FAULTS_KEPT = 20;
/** At most this many are spelt out in the error message. */
const MAX_FAULTS_SHOWN = 3;

/** The backend answered, but with samples that cannot be judged (HTTP 503 naming them). */
export class SampleFaultError extends SourceUnavailableError {
  constructor(
    readonly faults: readonly SampleFault[],
    readonly count = faults.length,
  ) {
    const shown = faults.slice(0, MAX_FAULTS_SHOWN).map(formatFault);
    const more = count > shown.length ? ` (and ${count - shown.length} more)` : '';
    super(`Prometheus answered samples that cannot be judged: ${shown.join('; ')}${more}`, 'invalid-samples');
    this.name = 'SampleFaultError';
  }
}

/** Collects the faults of one metric's answers; `throwIfAny` ends the stage. */
export class FaultList {
  readonly #faults: SampleFault[] = [];
  #count = 0;

  add(fault: SampleFault): void {
    this.#count++;
    if (this.#faults.length < MAX_FAULTS_KEPT) this.#faults.push(fault);
  }

  get count(): number {
    return this.#count;
  }

  throwIfAny(): void {
    if (this.#count) throw new SampleFaultError(this.#faults, this.#count);
  }
}

/** `{le="100",pod="a"}` in Prometheus' own notation, long values cut. */
export function labelsText(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}=${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value)}`);
  return `{${pairs.join(',')}}`;
}

function timeText(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}
