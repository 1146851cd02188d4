/**
 * The PromQL of each template, for one side. Only label values and names from the request
 * reach the query, through `promql.ts` (escaped values, checked names).
 *
 * | template | queries (one side) | judged as |
 * |---|---|---|
 * | istio-latency | `sum by (le) (increase(istio_request_duration_milliseconds_bucket{reporter="destination",L}[Ws]))`, and the same with `count` | continuous |
 * | istio-error-rate | events `sum(increase(istio_requests_total{reporter="destination",L,response_code=~"5.."}[Ws]) or increase(...{...,request_protocol="grpc",response_code!~"5..",grpc_response_status!~"0\|"}[Ws]))`, total the same without response_code | proportion |
 * | istio-requests | events `...,response_code!~"[23].."` or a failed gRPC call with another code, total all requests | proportion |
 * | histogram | `sum by (le) (increase(M_bucket{L}[Ws]))`, and the same with `count` | continuous or distribution |
 * | histogram, `native: true` | `sum(increase(M{L}[Ws]))` (native histograms), and the classic buckets of series without one: `sum by (le) (increase(M_bucket{L}[Ws]) unless ignoring (le) increase(M{L}[Ws]))`, and the same with `count` | continuous or distribution |
 * | categorical | `sum by (B) (increase(M{L}[Ws]))` | categorical |
 * | proportion | `sum(increase(E{L}[Ws]))`, `sum(increase(T{L}[Ws]))` | proportion |
 * | query | the custom query with {{labels}} filled, as a range query | continuous or distribution |
 * | shadow-pairs | `sum by (outcome) (increase(M{L}[Ws]))`, M default `model_shadow_pairs_total`; never pinned to a side's pods | paired |
 *
 * shadow-pairs: a shadow step's comparator (the mirror that sees both answers, in the manner of
 * differential testing proxies) counts each pair by `outcome` (src/judge/paired-outcomes.ts) and
 * tells its pairs apart by a label of its own, e.g. `pair="v1-v2"` on the canary side and
 * `pair="v1-v1"` (two replicas of v1: the noise floor) on the baseline side. The comparator's pods
 * are neither side's, so the revision's pods never pin these series; the answer is validated
 * like a categorical one (one series per outcome, every count checked).
 *
 * With `segmentBy` (say "tenant") every aggregation keeps that label too (`sum by (tenant)`,
 * `sum by (le, tenant)`, `sum by (class, tenant)`), and the source splits the answers by it into
 * segments (src/sources/validate/segments.ts); a custom `query` cannot be segmented.
 *
 * Instant queries are evaluated at the window's end over the whole window (W seconds).
 *
 * Native histograms (docs/native-histograms.md): PromQL sums a side's series onto the lowest
 * schema and the widest zero bucket among them. During a migration a series may have a native
 * histogram, classic buckets, or both (a target scraped with classic buckets kept); each
 * observation is counted once: every native histogram, and the classic buckets only of series
 * without a native one (`unless ignoring (le)` matches the two by all their other labels).
 *
 * A histogram's `count by (le)` says how many series (pods, response codes) have each bound:
 * a bound that fewer series have than `+Inf` (part of the fleet without the bucket annotation)
 * counts only part of the observations, so the validation stage leaves it out
 * (src/sources/validate/histograms.ts). The sum alone cannot tell.
 *
 * `reporter` defaults to "destination" (the server's sidecar); a side's own `reporter` label
 * wins, then the request's or profile's `reporter` ("waypoint" in ambient mesh, where
 * sidecar-less pods are reported only by their waypoint proxy).
 *
 * Revision pins (src/sources/revision/): a side's pods (`pod=~"<replicaset>-[a-z0-9]{5}"`) are added
 * to the series its pods report themselves (Istio's with reporter="destination", the app's own);
 * a side's `sourceLabels` add the requests its callers' proxies failed (reporter="source", Envoy
 * flags of a destination that never answered) to the error templates' events and requests, as a
 * third query `sum by (response_flags) (...)`.
 *
 * gRPC: a failed call is HTTP 200 with `grpc_response_status` != "0" (Istio sets it on
 * `request_protocol="grpc"` only; it is empty, i.e. absent, on plain HTTP, hence `!~"0|"`).
 * Every non-OK status counts, client-caused ones (INVALID_ARGUMENT, NOT_FOUND) included:
 * a canary that starts refusing valid calls is the regression to catch. The two selectors are
 * disjoint (5xx vs not 5xx), so `or` unites them without double counting.
 */
import type { MetricKind } from '../../judge/types';
import type { Labels, TemplateMetric, TimeWindow } from '../metric-source';
import { checkLabelName, fillLabels, PromQLInputError, quoteLabelValue, rangeSeconds, selector } from './promql';

/** What to ask for one side, and how its answer becomes a side. */
export type SidePlan =
  /** `series`: how many series have each bound (the same selector, counted). */
  | { readonly shape: 'histogram'; readonly kind: 'continuous' | 'distribution'; readonly query: string; readonly series: string }
  /**
   * `native`: the native histograms summed; `classic` and `classicSeries`: the classic buckets (and
   * series per bound) of the series that have no native histogram.
   */
  | { readonly shape: 'native-histogram'; readonly kind: 'continuous' | 'distribution'; readonly native: string; readonly classic: string; readonly classicSeries: string }
  /**
   * `clientFailed`: the side's requests its callers' proxies failed, by `response_flags`: added
   * to both `events` and `total` (they never reached the side, so its own reports lack them).
   */
  | { readonly shape: 'proportion'; readonly events: string; readonly total: string; readonly clientFailed?: string }
  | { readonly shape: 'categorical'; readonly by: string; readonly query: string }
  | { readonly shape: 'values'; readonly kind: 'continuous' | 'distribution'; readonly query: string; readonly stepSeconds: number };

const ISTIO_DEFAULTS: Labels = { reporter: 'destination' };
const ISTIO_LATENCY = 'istio_request_duration_milliseconds_bucket';
export const ISTIO_REQUESTS = 'istio_requests_total';
/** shadow-pairs' counter and label, unless the metric names others. */
export const SHADOW_PAIRS_METRIC = 'model_shadow_pairs_total';
export const SHADOW_PAIRS_BY = 'outcome';
const GRPC = 'request_protocol="grpc"';
const GRPC_FAILED = 'grpc_response_status!~"0|"';
/**
 * Envoy response flags (comma-joined in `response_flags`) of a request the caller's proxy
 * failed because the destination did not answer: no healthy upstream (UH), connection failure
 * (UF), circuit-breaker overflow (UO), retries exhausted (URX), upstream timeout (UT), upstream
 * connection termination (UC) or remote reset (UR), local reset (LR). Not DC (the caller went
 * away) nor routing faults (NR, NC), which are no side's doing.
 */
export const CLIENT_SIDE_FAILURE_FLAGS = ['UH', 'UF', 'UO', 'URX', 'UT', 'UC', 'UR', 'LR'] as const;
const CLIENT_SIDE_FAILED = `response_flags=~"(.*,)?(${CLIENT_SIDE_FAILURE_FLAGS.join('|')})(,.*)?"`;

export interface PlanOptions {
  /** Istio's reporter for the istio-* templates (a side label `reporter` wins). */
  readonly reporter?: string;
  /** The revision's pods (a regex for `pod`), for series the side's own pods report. */
  readonly pods?: string;
  /** The side's requests as the callers' proxies report them: client-side failures count as errors. */
  readonly sourceLabels?: Labels;
  /** Left out of every selector: `name!="value"` (a header route's requests). */
  readonly exclude?: Labels;
}

export function planSide(metric: TemplateMetric, labels: Labels, window: TimeWindow, options: PlanOptions = {}): SidePlan {
  const range = rangeSeconds(windowSeconds(window));
  const increase = (sel: string) => `increase(${sel}${range})`;
  const defaults: Labels = options.reporter ? { reporter: options.reporter } : ISTIO_DEFAULTS;
  // The revision's pods pin only what they report themselves: Istio's destination reports
  // (a source or waypoint report's pod is the caller's or the waypoint's) and the app's metrics.
  const reporter = Object.hasOwn(labels, 'reporter') ? labels.reporter : defaults.reporter;
  const excluded = Object.entries(options.exclude ?? {}).map(([name, value]) => `${checkLabelName(name)}!=${quoteLabelValue(value)}`);
  const ownPods = [...(options.pods !== undefined ? [`pod=~${quoteLabelValue(options.pods)}`] : []), ...excluded];
  const istioPods = reporter === 'destination' ? ownPods : excluded;
  // Segmented (`segmentBy`): every aggregation keeps the segment label too, and the answers are split by it.
  const segment = metric.segmentBy !== undefined ? [checkLabelName(metric.segmentBy)] : [];
  const istio = (extra: readonly string[] = []) => selector(ISTIO_REQUESTS, labels, { defaults, extra: [...istioPods, ...extra] });
  // Requests routed to the side that its callers' proxies failed: they never reached it, so its
  // own reports lack them (a crashing canary is otherwise silence).
  const clientFailed = options.sourceLabels
    ? { clientFailed: aggregate('sum', ['response_flags', ...segment], increase(selector(ISTIO_REQUESTS, { ...options.sourceLabels, reporter: 'source' }, { extra: [CLIENT_SIDE_FAILED, ...excluded] }))) }
    : {};
  const sum = (inner: string, by: readonly string[] = []) => aggregate('sum', [...by, ...segment], inner);
  // HTTP failures by status code, or gRPC calls that failed under a non-failing HTTP code.
  const failed = (httpFailure: string, notHttpFailure: string) => sum(`${increase(istio([httpFailure]))} or ${increase(istio([GRPC, notHttpFailure, GRPC_FAILED]))}`);
  const requests = sum(increase(istio()));
  switch (metric.template) {
    case 'istio-latency':
      return histogram('continuous', increase(selector(ISTIO_LATENCY, labels, { defaults, extra: istioPods })), segment);
    case 'istio-error-rate':
      return { shape: 'proportion', events: failed('response_code=~"5.."', 'response_code!~"5.."'), total: requests, ...clientFailed };
    case 'istio-requests':
      return { shape: 'proportion', events: failed('response_code!~"[23].."', 'response_code=~"[23].."'), total: requests, ...clientFailed };
    case 'histogram': {
      const base = need(metric, 'metric');
      if (metric.native === true) {
        const native = increase(selector(base, labels, { extra: ownPods }));
        const classicOnly = `${increase(selector(`${base}_bucket`, labels, { extra: ownPods }))} unless ignoring (le) ${native}`;
        return { shape: 'native-histogram', kind: valuesKind(metric), native: `sum(${native})`, classic: `sum by (le) (${classicOnly})`, classicSeries: `count by (le) (${classicOnly})` };
      }
      const bucket = base.endsWith('_bucket') ? base : `${base}_bucket`;
      return histogram(valuesKind(metric), increase(selector(bucket, labels, { extra: ownPods })), segment);
    }
    case 'categorical': {
      const by = checkLabelName(need(metric, 'by'));
      return { shape: 'categorical', by, query: sum(increase(selector(need(metric, 'metric'), labels, { extra: ownPods })), [by]) };
    }
    case 'proportion':
      return {
        shape: 'proportion',
        events: sum(increase(selector(need(metric, 'events'), labels, { extra: ownPods }))),
        total: sum(increase(selector(need(metric, 'total'), labels, { extra: ownPods }))),
      };
    case 'shadow-pairs': {
      const by = checkLabelName(metric.by ?? SHADOW_PAIRS_BY);
      return { shape: 'categorical', by, query: `sum by (${by}) (${increase(selector(metric.metric ?? SHADOW_PAIRS_METRIC, labels, { extra: excluded }))})` };
    }
    case 'query': {
      if (segment.length) throw new PromQLInputError(`metric ${JSON.stringify(metric.name)}: a custom query decides its own aggregation, so it cannot be segmented.`);
      const step = metric.stepSeconds ?? Math.max(1, Math.round(windowSeconds(window) / 60));
      if (!Number.isFinite(step) || step <= 0) throw new PromQLInputError(`the step of metric ${JSON.stringify(metric.name)} must be a positive number of seconds.`);
      return { shape: 'values', kind: valuesKind(metric), query: fillLabels(need(metric, 'query'), labels, ownPods), stepSeconds: step };
    }
    default:
      throw new PromQLInputError(`unknown template ${JSON.stringify((metric as { template: unknown }).template)}.`);
  }
}

/** The queries of a plan, in the order they are sent. */
export function planQueries(plan: SidePlan): string[] {
  switch (plan.shape) {
    case 'proportion':
      return [plan.events, plan.total, ...(plan.clientFailed !== undefined ? [plan.clientFailed] : [])];
    case 'histogram':
      return [plan.query, plan.series];
    case 'native-histogram':
      return [plan.native, plan.classic, plan.classicSeries];
    default:
      return [plan.query];
  }
}

/** A histogram's bucket counts per bound (and segment), and how many series have each bound. */
function histogram(kind: 'continuous' | 'distribution', increases: string, segment: readonly string[]): SidePlan {
  return { shape: 'histogram', kind, query: aggregate('sum', ['le', ...segment], increases), series: aggregate('count', ['le', ...segment], increases) };
}

/** `sum(x)`, or `sum by (a, b) (x)` with grouping labels. */
function aggregate(op: 'sum' | 'count', by: readonly string[], inner: string): string {
  return by.length ? `${op} by (${by.join(', ')}) (${inner})` : `${op}(${inner})`;
}

function windowSeconds(window: TimeWindow): number {
  if (!Number.isFinite(window.start) || !Number.isFinite(window.end) || !(window.end > window.start)) {
    throw new PromQLInputError(`the time window must end after it starts (start ${window.start}, end ${window.end}).`);
  }
  return window.end - window.start;
}

function need(metric: TemplateMetric, field: 'metric' | 'by' | 'events' | 'total' | 'query'): string {
  const value = metric[field];
  if (typeof value !== 'string' || value === '') throw new PromQLInputError(`template ${metric.template} (metric ${JSON.stringify(metric.name)}) needs "${field}".`);
  return value;
}

function valuesKind(metric: TemplateMetric): 'continuous' | 'distribution' {
  const kind: MetricKind = metric.kind ?? 'continuous';
  if (kind !== 'continuous' && kind !== 'distribution') {
    throw new PromQLInputError(`template ${metric.template} can be judged as continuous or distribution, not ${kind}.`);
  }
  return kind;
}
