/**
 * The fault matrix's faults: each one a way Prometheus (or what feeds it) answers wrongly, as
 * a change to the answers of a faulty side (or to its world, for bucket layouts), and what it
 * must give on healthy data, where a fault that goes unnoticed would show as a pass.
 */
import type { SampleFaultCode } from '../../src/sources/validate/faults';
import type { CannedAnswer } from '../sources/fake-prometheus';
import { ENVOY_BOUNDS, FINE_BOUNDS, MINUTE, type Role, type SideTraffic, type WorldHistogram, type WorldSeries } from './canary-world';

/** An answer after the fault: series (and warnings), or a raw HTTP answer. */
export type FaultedAnswer = { readonly series: WorldSeries[]; readonly warnings?: readonly string[] } | { readonly raw: CannedAnswer };

export interface AnswerContext {
  readonly instant: boolean;
}

/** What healthy data under the fault must give at /v1/analyze. */
export type Expectation =
  | { readonly status: 503; readonly code: SampleFaultCode }
  | { readonly status: 503; readonly message: RegExp }
  | { readonly status: 200; readonly verdict: 'inconclusive'; readonly reason: RegExp }
  /** Not a fault the service can see (less data, still valid): judged on what is there. */
  | 'judged';

export interface FaultMode {
  readonly name: string;
  /** The roles whose answers (or world) it changes (default: every role). */
  readonly roles?: readonly Role[];
  readonly answer?: (series: WorldSeries[], context: AnswerContext) => FaultedAnswer;
  /** A change to the faulty side's world (its bucket layouts), before any query. */
  readonly world?: (side: SideTraffic) => SideTraffic;
  readonly onHealthy: Expectation;
}

const mapValues = (series: WorldSeries[], f: (value: number, k: number, of: number) => number): WorldSeries[] =>
  series.map((s) => ({ ...s, values: s.values.map(([t, v], k) => [t, f(v, k, s.values.length)] as const) }));
const onLe = (le: string, series: WorldSeries[], f: (s: WorldSeries) => WorldSeries | null): WorldSeries[] =>
  series.flatMap((s) => (s.metric.le === le ? (f(s) ?? []) : [s]));
const valuesOf = (series: WorldSeries[], f: (value: number, k: number, of: number) => number): { series: WorldSeries[] } => ({ series: mapValues(series, f) });
const fault = (code: SampleFaultCode): Expectation => ({ status: 503, code });

/** Every sample of a series in copies, or the series split between two pods. */
const copies = (series: WorldSeries[], n: number): WorldSeries[] => series.flatMap((s) => Array.from({ length: n }, () => s));
const halve = (h: WorldHistogram): WorldHistogram => ({ count: h.count / 2, sum: h.sum / 2, buckets: h.buckets.map(([rule, lower, upper, n]) => [rule, lower, upper, n / 2] as const) });
const splitByPod = (series: WorldSeries[]): WorldSeries[] =>
  series.flatMap((s) =>
    ['a', 'b'].map((pod) => ({ metric: { ...s.metric, pod }, values: s.values.map(([t, v]) => [t, v / 2] as const), ...(s.histograms ? { histograms: s.histograms.map(([t, h]) => [t, halve(h)] as const) } : {}) })),
  );
/** The same change to a series' samples of both kinds (numbers and native histograms). */
function samples(series: WorldSeries[], f: <T>(list: (readonly [number, T])[]) => (readonly [number, T])[]): WorldSeries[] {
  return series.map((s) => ({ ...s, values: f(s.values), ...(s.histograms ? { histograms: f(s.histograms) } : {}) }));
}
/** Every native histogram of the answer changed by `f` (its buckets as a mutable copy). */
const histogramsOf = (series: WorldSeries[], f: (h: { count: number; sum: number; buckets: [number, number, number, number][] }) => void): { series: WorldSeries[] } => ({
  series: series.map((s) => ({
    ...s,
    histograms: (s.histograms ?? []).map(([t, h]) => {
      const copy = { count: h.count, sum: h.sum, buckets: h.buckets.map((b) => [...b] as [number, number, number, number]) };
      f(copy);
      return [t, copy] as const;
    }),
  })),
});

export const FAULT_MODES: readonly FaultMode[] = [
  { name: 'NaN error counter', roles: ['events'], answer: (s) => valuesOf(s, () => NaN), onHealthy: fault('nan') },
  { name: 'NaN request total', roles: ['total'], answer: (s) => valuesOf(s, () => NaN), onHealthy: fault('nan') },
  { name: 'stale marker (NaN) at the latest sample of a bucket', roles: ['buckets'], answer: (s) => ({ series: onLe('100', s, (b) => mapValues([b], (v, k, n) => (k === n - 1 ? NaN : v))[0]) }), onHealthy: fault('nan') },
  { name: 'NaN client-side failure count (reporter="source")', roles: ['client-failed'], answer: (s) => valuesOf(s, () => NaN), onHealthy: fault('nan') },
  { name: 'NaN category count', roles: ['categories'], answer: (s) => ({ series: s.map((c) => (c.metric.class === 'cat' ? mapValues([c], () => NaN)[0] : c)) }), onHealthy: fault('nan') },
  { name: '+Inf error counter', roles: ['events'], answer: (s) => valuesOf(s, () => Infinity), onHealthy: fault('infinite') },
  { name: '-Inf request total', roles: ['total'], answer: (s) => valuesOf(s, () => -Infinity), onHealthy: fault('infinite') },
  { name: 'decreasing error counter (negative increase)', roles: ['events'], answer: (s) => valuesOf(s, (v) => -v - 1), onHealthy: fault('negative-count') },
  { name: 'counter reset the backend did not compensate', roles: ['total'], answer: (s) => valuesOf(s, (v, k, n) => (k === n - 1 ? -20 * v - 1 : v)), onHealthy: fault('negative-count') },
  { name: 'negative category count', roles: ['categories'], answer: (s) => ({ series: s.map((c) => (c.metric.class === 'dog' ? mapValues([c], () => -12)[0] : c)) }), onHealthy: fault('negative-count') },
  { name: 'every sum() series answered 5 times', answer: (s) => ({ series: copies(s, 5) }), onHealthy: fault('duplicate-series') },
  { name: 'sum() answered per pod (more series than groups)', answer: (s) => ({ series: splitByPod(s) }), onHealthy: fault('extra-series') },
  { name: 'no +Inf bucket', roles: ['buckets'], answer: (s) => ({ series: onLe('+Inf', s, () => null) }), onHealthy: fault('no-inf-bucket') },
  {
    name: '+Inf bucket far below a finite bucket',
    roles: ['buckets'],
    answer: (s) => {
      const top = s.find((b) => b.metric.le === '10000');
      return { series: onLe('+Inf', s, (b) => ({ ...b, values: b.values.map(([t], k) => [t, 0.2 * (top?.values[k][1] ?? 0)] as const) })) };
    },
    onHealthy: fault('inf-below-finite'),
  },
  {
    name: 'a bucket 12 % below the one under it (increase() extrapolating a new series, Prometheus < 2.50)',
    roles: ['buckets'],
    answer: (s) => {
      const below = s.find((b) => b.metric.le === '105');
      return { series: onLe('110', s, (b) => ({ ...b, values: b.values.map(([t], k) => [t, 0.88 * (below?.values[k][1] ?? 0)] as const) })) };
    },
    // Mended as histogram_quantile mends it: judged on what is there.
    onHealthy: 'judged',
  },
  { name: 'a cumulative bucket count that falls beyond extrapolation', roles: ['buckets'], answer: (s) => ({ series: onLe('110', s, (b) => mapValues([b], (v) => v / 5)[0]) }), onHealthy: fault('non-monotone-buckets') },
  {
    name: 'a bucket series without le',
    roles: ['buckets'],
    answer: (s) => ({ series: onLe('50', s, (b) => ({ metric: Object.fromEntries(Object.entries(b.metric).filter(([name]) => name !== 'le')), values: b.values })) }),
    onHealthy: fault('missing-le'),
  },
  { name: 'a non-numeric le', roles: ['buckets'], answer: (s) => ({ series: onLe('50', s, (b) => ({ ...b, metric: { ...b.metric, le: 'fifty' } })) }), onHealthy: fault('bad-le') },
  {
    name: 'bucket sets that differ between intervals (half the minutes on Envoy defaults)',
    roles: ['buckets'],
    world: (side) => ({ ...side, layout: (minute) => (Math.round(minute / MINUTE) % 2 ? ENVOY_BOUNDS : FINE_BOUNDS) }),
    // Over the window (instant) both layouts' pods are in the sum; per minute one: either way only the shared bounds stay.
    onHealthy: { status: 200, verdict: 'inconclusive', reason: /too coarse to ever tell.*left out were .*the (baseline|canary)'s bounds 0\.5, 1, 80, \.\.\., 3600000 \(\d+ bounds\), which some of its series or intervals lack/ },
  },
  {
    name: 'bucket sets that differ between sides (Envoy defaults on the faulty side)',
    roles: ['buckets'],
    world: (side) => ({ ...side, layout: () => ENVOY_BOUNDS }),
    onHealthy: { status: 200, verdict: 'inconclusive', reason: /too coarse to ever tell whether it is within the tolerated \+10%: p95 lies in the bucket \(100, 250\]/ },
  },
  { name: 'partial response (warnings)', roles: ['total'], answer: (s) => ({ series: s, warnings: ['remote read: store 10.0.0.7:10901 unavailable'] }), onHealthy: { status: 503, message: /partial data, warning: remote read: store 10\.0\.0\.7:10901 unavailable/ } },
  {
    name: 'samples at times that were not asked for',
    answer: (s, { instant }) => ({ series: samples(s, (list) => list.map(([t, v]) => [t + (instant ? -30 : 30), v] as const)) }),
    onHealthy: fault('unasked-time'),
  },
  // Every analysis is a timeline (range queries); an instant answer has one sample per series.
  { name: 'two samples at one timestamp', answer: (s) => ({ series: samples(s, (list) => list.flatMap((p) => [p, p])) }), onHealthy: fault('duplicate-timestamp') },
  { name: 'a request total that counts in thousands (events exceed it)', roles: ['total'], answer: (s) => valuesOf(s, (v) => v / 1000), onHealthy: fault('events-exceed-total') },
  { name: 'no series at all', answer: () => ({ series: [] }), onHealthy: { status: 200, verdict: 'inconclusive', reason: /has no data|neither side has any data/ } },
  { name: 'scrape gaps (every other interval without samples)', answer: (s) => ({ series: samples(s, (list) => list.filter((_, k) => k % 2 === 0)) }), onHealthy: 'judged' },
  // Native histograms (the query API's `histogram` / `histograms`): src/sources/validate/native-histograms.ts.
  { name: 'NaN native histogram count', roles: ['native-histogram'], answer: (s) => histogramsOf(s, (h) => void (h.count = NaN)), onHealthy: fault('native-bad-count') },
  { name: 'a negative native bucket count (a reset the backend did not compensate)', roles: ['native-histogram'], answer: (s) => histogramsOf(s, (h) => void (h.buckets[40][3] = -40)), onHealthy: fault('native-bad-count') },
  { name: 'a NaN native bucket count', roles: ['native-histogram'], answer: (s) => histogramsOf(s, (h) => void (h.buckets[60][3] = NaN)), onHealthy: fault('native-bad-count') },
  { name: 'native buckets in descending order', roles: ['native-histogram'], answer: (s) => histogramsOf(s, (h) => void h.buckets.reverse()), onHealthy: fault('native-overlapping-buckets') },
  { name: 'overlapping native buckets', roles: ['native-histogram'], answer: (s) => histogramsOf(s, (h) => void (h.buckets[50][1] = h.buckets[49][1])), onHealthy: fault('native-overlapping-buckets') },
  { name: 'a native bucket whose lower edge is above its upper edge', roles: ['native-histogram'], answer: (s) => histogramsOf(s, (h) => void (h.buckets[50][1] = h.buckets[50][2] * 2)), onHealthy: fault('native-bad-bucket') },
  { name: 'a native count 20 % above its buckets\' sum', roles: ['native-histogram'], answer: (s) => histogramsOf(s, (h) => void (h.count *= 1.2)), onHealthy: fault('native-count-mismatch') },
  { name: 'a native count below its buckets\' sum (observations counted twice)', roles: ['native-histogram'], answer: (s) => histogramsOf(s, (h) => void (h.count *= 0.5)), onHealthy: fault('native-count-mismatch') },
  {
    name: 'a number where a native histogram belongs (the metric is a float series)',
    roles: ['native-histogram'],
    answer: (s) => ({ series: s.map((x) => ({ metric: x.metric, values: (x.histograms ?? []).map(([t, h]) => [t, h.count] as const) })) }),
    onHealthy: fault('native-not-histogram'),
  },
  { name: 'HTTP 500', answer: () => ({ raw: { status: 500, body: { status: 'error', errorType: 'internal', error: 'out of memory' } } }), onHealthy: { status: 503, message: /answered HTTP 500: internal: out of memory/ } },
];
