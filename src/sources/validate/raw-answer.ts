/**
 * The hand-off from a fetcher to the validation stage: what was asked (each side's queries,
 * at which times) and the answers exactly as the backend gave them, nothing dropped, summed
 * or rounded yet. The fetcher knows PromQL and HTTP; the validation stage knows neither.
 */
import type { Labels } from '../metric-source';
import type { HistogramSample } from '../prometheus/client';

/** One sample: unix seconds and its value (NaN and ±Infinity as the backend sent them). */
export type Sample = readonly [time: number, value: number];

export interface RawSeries {
  readonly metric: Labels;
  /** An instant query's one sample, or a range query's samples. */
  readonly samples: readonly Sample[];
  /** Native histogram samples, for the queries that may answer them (src/sources/prometheus/client.ts). */
  readonly histograms?: readonly HistogramSample[];
}

/** One query and its answer. */
export interface RawAnswer {
  readonly query: string;
  readonly series: readonly RawSeries[];
}

export type RawSide =
  /** `sum by (le) (increase(..._bucket))` and `count by (le) (...)`: one series per bound each. */
  | { readonly shape: 'histogram'; readonly buckets: RawAnswer; readonly bucketSeries: RawAnswer }
  /** `sum(increase(M))` (native histograms), and the classic buckets and series per bound of the series without one. */
  | { readonly shape: 'native-histogram'; readonly native: RawAnswer; readonly classic: RawAnswer; readonly classicSeries: RawAnswer }
  /**
   * Two `sum(increase(...))`: one series each (or none); with the side's `sourceLabels`, also
   * `sum by (response_flags) (...)`, the requests its callers' proxies failed, one series per flags.
   */
  | { readonly shape: 'proportion'; readonly events: RawAnswer; readonly total: RawAnswer; readonly clientFailed?: RawAnswer }
  /** `sum by (<by>) (increase(...))`: one series per category. */
  | { readonly shape: 'categorical'; readonly by: string; readonly categories: RawAnswer }
  /** A custom range query: every sample of every series is one value. */
  | { readonly shape: 'values'; readonly values: RawAnswer };

/**
 * The times the queries asked for, each at most `step` apart from the next: one instant
 * (`times: [end]`), or the ends of a timeline's intervals, or a custom range query's steps.
 * `intervals` says whether each time is an interval of its own (a timeline) or all samples
 * make one total.
 */
export interface AskedTimes {
  readonly times: readonly number[];
  readonly intervals: boolean;
}

export interface RawMetric {
  readonly name: string;
  /** Values the judge compares at (a `threshold`): kept as bucket bounds of native histograms wherever their counts are exact there. */
  readonly bounds?: readonly number[];
  /** The kind the metric is judged as (a histogram: continuous or distribution). */
  readonly kind: 'continuous' | 'distribution' | 'proportion' | 'categorical';
  readonly asked: AskedTimes;
  readonly baseline: RawSide;
  readonly canary: RawSide;
}
