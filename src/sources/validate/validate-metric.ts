/**
 * The validation stage: between a backend's raw answers and the judge. Every sample is checked
 * here and nowhere else, so "where do NaNs stop?" has one answer: in this folder.
 *
 *   fetch (sources/prometheus: PromQL, HTTP)  ->  validate (this)  ->  judge
 *
 * In: one metric's raw answers per side (raw-answer.ts). Out: the judge's side shapes, or
 * `SampleFaultError` listing every fault found in both sides (faults.ts), which the HTTP layer
 * answers with 503. A fault is never repaired into data: no NaN read as zero, no copy of a
 * series added, no count carried to a bucket bound an interval lacks.
 *
 * | checked | where |
 * |---|---|
 * | one series per group (`sum()`: one; `sum by (le)`: one per bound; `sum by (<by>)`: one per category) | sample-checks.ts |
 * | samples at asked times only, once each | sample-checks.ts |
 * | counts finite and not negative (NaN, stale markers, ±Inf, counters that went down) | sample-checks.ts |
 * | events within the total | counts.ts |
 * | buckets: a numeric `le`, a `+Inf` bucket, cumulative counts that do not fall beyond extrapolation; bounds all series and intervals share | histograms.ts |
 * | native histograms: finite non-negative counts, ordered buckets that share no value, count = sum of buckets; bounds exact on both sides and all intervals | native-histograms.ts |
 * | custom query values: NaN is "no value", ±Inf a fault | values.ts |
 *
 * Prometheus' `warnings` (partial data) never reach this stage: the client refuses such an
 * answer (src/sources/prometheus/client.ts, reason `partial`).
 */
import type { CategoricalSide, CountSide, ValuesSide } from '../../judge/types';
import type { ClientSideFailures, FetchedMetric, FetchedSides } from '../metric-source';
import { countSide } from './counts';
import { FaultList } from './faults';
import { categoricalSide } from './categories';
import { histogramSide } from './histograms';
import { nativeHistogramSides } from './native-histograms';
import type { RawMetric, RawSide } from './raw-answer';
import { AskedTimeIndex } from './sample-checks';
import { valuesSide } from './values';

export type ValidatedMetric = FetchedSides & {
  /** Set when neither side had a single series (lets `optional` metrics drop out). */
  readonly noSeries?: true;
  /** The client-side failures counted as each side's errors (proportions with them). */
  readonly clientSide?: FetchedMetric['clientSide'];
};

export function validateMetric(raw: RawMetric): ValidatedMetric {
  const faults = new FaultList();
  const times = new AskedTimeIndex(raw.asked);
  const noSeries = seriesCount(raw.baseline) === 0 && seriesCount(raw.canary) === 0 ? { noSeries: true as const } : {};
  const kind = raw.kind;
  if (raw.baseline.shape === 'native-histogram' && raw.canary.shape === 'native-histogram' && (kind === 'continuous' || kind === 'distribution')) {
    // Both sides at once: they are brought onto bounds every histogram of either side has exactly.
    const sides = nativeHistogramSides({ baseline: raw.baseline, canary: raw.canary }, raw.name, raw.bounds ?? [], times, faults);
    faults.throwIfAny();
    return { kind, ...sides, ...noSeries };
  }
  const side = (name: 'baseline' | 'canary') => validateSide(raw[name], { metric: raw.name, side: name }, times, faults);
  const b = side('baseline');
  const c = side('canary');
  faults.throwIfAny();
  if (b.shape === 'values' && c.shape === 'values' && (kind === 'continuous' || kind === 'distribution')) return { kind, baseline: b.side, canary: c.side, ...noSeries };
  if (b.shape === 'proportion' && c.shape === 'proportion' && kind === 'proportion') {
    const clientSide = b.clientSide && c.clientSide ? { clientSide: { baseline: b.clientSide, canary: c.clientSide } } : {};
    return { kind, baseline: b.side, canary: c.side, ...noSeries, ...clientSide };
  }
  if (b.shape === 'categorical' && c.shape === 'categorical' && kind === 'categorical') return { kind, baseline: b.side, canary: c.side, ...noSeries };
  throw new Error(`internal: ${b.shape} and ${c.shape} answers cannot be judged as ${kind}`);
}

type Validated =
  | { readonly shape: 'values'; readonly side: ValuesSide }
  | { readonly shape: 'proportion'; readonly side: CountSide; readonly clientSide?: ClientSideFailures }
  | { readonly shape: 'categorical'; readonly side: CategoricalSide };

function validateSide(raw: RawSide, where: { metric: string; side: 'baseline' | 'canary' }, times: AskedTimeIndex, faults: FaultList): Validated {
  switch (raw.shape) {
    case 'histogram':
      return { shape: 'values', side: histogramSide(raw, where, times, faults) };
    case 'native-histogram':
      throw new Error('internal: a native histogram side is validated together with the other side');
    case 'values':
      return { shape: 'values', side: valuesSide(raw.values, where, times, faults) };
    case 'proportion':
      return { shape: 'proportion', ...countSide(raw, where, times, faults) };
    case 'categorical':
      return { shape: 'categorical', side: categoricalSide(raw.categories, raw.by, where, times, faults) };
  }
}

function seriesCount(raw: RawSide): number {
  switch (raw.shape) {
    case 'histogram':
      return raw.buckets.series.length;
    case 'native-histogram':
      return raw.native.series.length + raw.classic.series.length;
    case 'values':
      return raw.values.series.length;
    case 'proportion':
      return raw.events.series.length + raw.total.series.length + (raw.clientFailed?.series.length ?? 0);
    case 'categorical':
      return raw.categories.series.length;
  }
}
