/**
 * A rollout as a fake Prometheus sees it: per side and per minute, Istio requests, 5xx
 * errors, request latency as histogram buckets and predicted classes, and the answers to the
 * PromQL canary-judge sends about them, computed the way Prometheus computes them (increase()
 * over `[Ns]` sums the minutes in the range; `sum by (le)` over minutes with different bucket
 * layouts adds each bound's count over the minutes that have that bound, and `count by (le)`
 * counts one series per layout: one pod per layout).
 *
 * The canary serves from CANARY_START to END (10 minutes); the baseline all along; 0.1 % of each
 * side's requests fail at the callers' proxies (reported by `reporter="source"`). Latency is
 * log-normal (median 60 ms, sigma 0.35: p95 about 107 ms), read on fine bounds (5 ms apart from
 * 80 to 160 ms, where p95 lies with and without +30 %, as a bucket annotation gives) unless a
 * side's `layout` says otherwise. The model server also exports it as a native histogram,
 * `model_latency_ms`, at schema 5 (buckets 2.2 % apart), answered as the query API writes one
 * (`sum(increase(model_latency_ms{...}))`; no series has classic buckets only).
 */
import { normalCdf } from '../../src/stats/normal';

/** Minute-aligned: END / 60 is whole. */
export const END = 1700002800;
export const CANARY_START = END - 10 * 60;
export const MINUTE = 60;

export const ENVOY_BOUNDS: readonly number[] = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000, Infinity];
export const FINE_BOUNDS: readonly number[] = [5, 10, 25, 50, ...Array.from({ length: 17 }, (_, i) => 80 + 5 * i), 200, 250, 500, 1000, 2500, 5000, 10000, Infinity];

export const CLASSES = ['bird', 'cat', 'dog'] as const;
const HEALTHY_SHARES = { bird: 0.2, cat: 0.5, dog: 0.3 };

export interface SideTraffic {
  /** Its one pod, named as a ReplicaSet's pods are (`<replicaset>-<5 random>`). */
  readonly pod: string;
  readonly requestsPerMinute: number;
  readonly errorRate: number;
  /** Every latency multiplied by this. */
  readonly latencyScale: number;
  readonly classShares: Readonly<Record<(typeof CLASSES)[number], number>>;
  /** Minute ends after this have traffic. */
  readonly servingFrom: number;
  /** Requests routed to the side that its callers' proxies failed (Envoy flags UF,URX), a share of its requests. */
  readonly clientFailureRate: number;
  /** The bucket bounds of the minute ending at `minuteEnd` (default FINE_BOUNDS). */
  readonly layout?: (minuteEnd: number) => readonly number[];
}

export interface World {
  readonly baseline: SideTraffic;
  readonly canary: SideTraffic;
}

const BASELINE: SideTraffic = { pod: 'model-primary-5d8f7c9b6-q7w2e', requestsPerMinute: 9000, errorRate: 0.01, latencyScale: 1, classShares: HEALTHY_SHARES, servingFrom: END - 3 * 3600, clientFailureRate: 0.001 };
const CANARY: SideTraffic = { ...BASELINE, pod: 'model-6b7c8d9f4-x2kqz', requestsPerMinute: 3000, servingFrom: CANARY_START };

export type ScenarioName = 'errors-6x' | 'latency+30%' | 'class-shift' | 'low-traffic' | 'low-traffic-errors' | 'healthy';

/**
 * The clean rollouts: three that fail, two whose canary has too little traffic for a verdict
 * (on errors it takes more: 200 requests a minute, 20 errors in the window; latency and classes
 * 50 a minute), and a healthy one. The low-traffic canaries are sized so that five times their
 * counts would pass: a fault that multiplies counts (copies of a series) shows.
 */
export const SCENARIOS: Record<ScenarioName, World> = {
  'errors-6x': { baseline: BASELINE, canary: { ...CANARY, errorRate: 0.06 } },
  'latency+30%': { baseline: BASELINE, canary: { ...CANARY, latencyScale: 1.3 } },
  'class-shift': { baseline: BASELINE, canary: { ...CANARY, classShares: { bird: 0.2, cat: 0.35, dog: 0.45 } } },
  'low-traffic': { baseline: BASELINE, canary: { ...CANARY, requestsPerMinute: 50 } },
  'low-traffic-errors': { baseline: BASELINE, canary: { ...CANARY, requestsPerMinute: 200 } },
  healthy: { baseline: BASELINE, canary: CANARY },
};

export type SideName = 'baseline' | 'canary';
/** Which of a side's queries: the validation stage's roles (native: the native histograms, and the classic buckets of series without one). */
export type Role = 'events' | 'total' | 'client-failed' | 'buckets' | 'bucket-series' | 'categories' | 'native-histogram' | 'native-classic' | 'native-classic-series';

/** The native latency histogram's name, and its schema. */
export const NATIVE_LATENCY = 'model_latency_ms';
const NATIVE_SCHEMA = 5;

export interface ParsedQuery {
  readonly side: SideName;
  readonly role: Role;
  /** The `[Ns]` of its increase(). */
  readonly rangeSeconds: number;
}

/**
 * What a query asks for, from the PromQL canary-judge sends: the side from Argo's
 * destination_version or Flagger's destination_workload ("model" vs "model-primary"), the role
 * from the metric name and matchers. Throws on anything else.
 */
export function parseQuery(query: string): ParsedQuery {
  const side = parseSide(query);
  const native = query.includes(NATIVE_LATENCY) ? (query.startsWith('sum(increase(') ? 'native-histogram' : query.startsWith('count by (le)') ? 'native-classic-series' : 'native-classic') : undefined;
  const role = native ?? (query.startsWith('sum by (response_flags)')
    ? 'client-failed'
    : query.includes('istio_request_duration_milliseconds_bucket')
    ? query.startsWith('count by (le)')
      ? 'bucket-series'
      : 'buckets'
    : query.includes('model_predictions_total')
      ? 'categories'
      : query.includes('istio_requests_total') && query.includes('response_code=~"5.."')
        ? 'events'
        : query.includes('istio_requests_total') && !query.includes('response_code')
          ? 'total'
          : undefined);
  const range = /\[(\d+)s\]/.exec(query);
  if (!role || !range) throw new Error(`the canary world does not know the query ${query}`);
  return { side, role, rangeSeconds: Number(range[1]) };
}

/** A native histogram as the query API writes it, its numbers as numbers: buckets [rule, lower, upper, count]. */
export interface WorldHistogram {
  readonly count: number;
  readonly sum: number;
  readonly buckets: readonly (readonly [number, number, number, number])[];
}

/** One series of an answer: labels and its [unix seconds, value] samples, values as numbers (and native histogram samples). */
export interface WorldSeries {
  readonly metric: Record<string, string>;
  readonly values: (readonly [number, number])[];
  readonly histograms?: (readonly [number, WorldHistogram])[];
}

/** The series an instant query at `time` answers (one sample each at `time`). */
export function instantAnswer(world: World, q: ParsedQuery, time: number): WorldSeries[] {
  return remembered(world, `instant ${q.side} ${q.role} ${q.rangeSeconds} ${time}`, () =>
    seriesOver(world[q.side], q.role, time - q.rangeSeconds, time).map(({ metric, value, histogram }) => (histogram ? { metric, values: [], histograms: [[time, histogram]] } : { metric, values: [[time, value]] })),
  );
}

/** The series a range query answers: a sample at each step where the series had data in its range. */
export function rangeAnswer(world: World, q: ParsedQuery, start: number, end: number, step: number): WorldSeries[] {
  return remembered(world, `range ${q.side} ${q.role} ${q.rangeSeconds} ${start} ${end} ${step}`, () => computeRange(world, q, start, end, step));
}

/** Answers computed once per world (a world is never changed; faults copy what they change). */
const answersOf = new WeakMap<World, Map<string, WorldSeries[]>>();
function remembered(world: World, key: string, compute: () => WorldSeries[]): WorldSeries[] {
  let answers = answersOf.get(world);
  if (!answers) answersOf.set(world, (answers = new Map()));
  let answer = answers.get(key);
  if (!answer) answers.set(key, (answer = compute()));
  return answer;
}

function computeRange(world: World, q: ParsedQuery, start: number, end: number, step: number): WorldSeries[] {
  const byLabels = new Map<string, WorldSeries>();
  for (let t = start; t <= end + 1e-6; t += step) {
    for (const { metric, value, histogram } of seriesOver(world[q.side], q.role, t - q.rangeSeconds, t)) {
      const key = JSON.stringify(metric);
      const series = byLabels.get(key) ?? { metric, values: [], ...(histogram ? { histograms: [] } : {}) };
      if (histogram) series.histograms!.push([t, histogram]);
      else series.values.push([t, value]);
      byLabels.set(key, series);
    }
  }
  return [...byLabels.values()];
}

/**
 * The revision look-up's answers (src/sources/revision/): a side's requests per pod and step
 * (`sum by (pod) (increase(...))`, a range query) and its pods still scraped at the end
 * (`count by (pod) (...)`, an instant query); undefined for any other query.
 */
export function podAnswer(world: World, query: string, params: Record<string, string>, instant: boolean): WorldSeries[] | undefined {
  if (!/^(sum|count) by \(pod\) /.test(query)) return undefined;
  const side = world[parseSide(query)];
  const requests = (from: number, to: number) => seriesOver(side, 'total', from, to)[0]?.value ?? 0;
  if (instant) {
    const time = Number(params.time);
    return requests(time - MINUTE, time) > 0 ? [{ metric: { pod: side.pod }, values: [[time, 1]] }] : [];
  }
  const step = Number(params.step);
  const values: (readonly [number, number])[] = [];
  for (let t = Number(params.start); t <= Number(params.end) + 1e-6; t += step) {
    const n = requests(t - step, t);
    if (n > 0) values.push([t, n]);
  }
  return values.length ? [{ metric: { pod: side.pod }, values }] : [];
}

/**
 * The side a query selects: Argo's destination_version, Flagger's destination_workload ("model"
 * vs "model-primary"), or the Service the callers' proxies route to ("model-canary" vs "model-primary").
 */
function parseSide(query: string): SideName {
  if (/destination_version="v2"|destination_workload="model"|destination_service_name="model-canary"/.test(query)) return 'canary';
  if (/destination_version="v1"|destination_workload="model-primary"|destination_service_name="model-primary"/.test(query)) return 'baseline';
  throw new Error(`the canary world cannot tell the side of ${query}`);
}

/** The side's counts over the minutes ending in (from, to]: no series when it served in none. */
function seriesOver(side: SideTraffic, role: Role, from: number, to: number): { metric: Record<string, string>; value: number; histogram?: WorldHistogram }[] {
  const minutes: number[] = [];
  for (let end = Math.floor(from / MINUTE) * MINUTE + MINUTE; end <= to; end += MINUTE) if (end > from && end > side.servingFrom) minutes.push(end);
  if (!minutes.length) return [];
  const r = side.requestsPerMinute;
  switch (role) {
    case 'total':
      return [{ metric: {}, value: r * minutes.length }];
    case 'events':
      return [{ metric: {}, value: r * side.errorRate * minutes.length }];
    case 'client-failed':
      return [{ metric: { response_flags: 'UF,URX' }, value: r * side.clientFailureRate * minutes.length }];
    case 'categories':
      return CLASSES.map((c) => ({ metric: { class: c }, value: r * side.classShares[c] * minutes.length }));
    case 'buckets': {
      const byBound = new Map<number, number>();
      for (const minute of minutes) {
        for (const le of side.layout?.(minute) ?? FINE_BOUNDS) byBound.set(le, (byBound.get(le) ?? 0) + r * latencyCdf(le / side.latencyScale));
      }
      return [...byBound.entries()].sort((a, b) => a[0] - b[0]).map(([le, value]) => ({ metric: { le: boundText(le) }, value }));
    }
    case 'native-histogram':
      return [{ metric: {}, value: 0, histogram: nativeLatency(side, r * minutes.length) }];
    case 'native-classic':
    case 'native-classic-series':
      return [];
    case 'bucket-series': {
      // One pod per bucket layout: a bound's series are the layouts in the range that have it.
      const layouts = new Set(minutes.map((minute) => side.layout?.(minute) ?? FINE_BOUNDS));
      const byBound = new Map<number, number>();
      for (const layout of layouts) for (const le of layout) byBound.set(le, (byBound.get(le) ?? 0) + 1);
      return [...byBound.entries()].sort((a, b) => a[0] - b[0]).map(([le, value]) => ({ metric: { le: boundText(le) }, value }));
    }
  }
}

/**
 * `n` observations of the side's latency as a native histogram at NATIVE_SCHEMA: the positive
 * buckets (2^((i-1)/32), 2^(i/32)] from about 9 ms to 2.4 s (the lognormal's mass outside is
 * below 1e-7), each n times its probability; the count their sum.
 */
function nativeLatency(side: SideTraffic, n: number): WorldHistogram {
  const bound = (i: number) => 2 ** (i / 2 ** NATIVE_SCHEMA);
  const buckets: [number, number, number, number][] = [];
  for (let i = 100; i <= 360; i++) {
    const count = n * (latencyCdf(bound(i) / side.latencyScale) - latencyCdf(bound(i - 1) / side.latencyScale));
    if (count > 0) buckets.push([0, bound(i - 1), bound(i), count]);
  }
  const count = buckets.reduce((sum, b) => sum + b[3], 0);
  return { count, sum: count * 60 * side.latencyScale, buckets };
}

function latencyCdf(ms: number): number {
  if (ms === Infinity) return 1;
  return normalCdf((Math.log(ms) - Math.log(60)) / 0.35);
}

/** A bound as Prometheus writes `le`. */
export function boundText(le: number): string {
  return le === Infinity ? '+Inf' : String(le);
}

/** A sample value as Prometheus writes it. */
export function valueText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}
