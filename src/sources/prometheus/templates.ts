/**
 * The PromQL of each template, for one side. Only label values and names from the request
 * reach the query, through `promql.ts` (escaped values, checked names).
 *
 * | template | queries (one side) | judged as |
 * |---|---|---|
 * | istio-latency | `sum by (le) (increase(istio_request_duration_milliseconds_bucket{reporter="destination",L}[Ws]))` | continuous |
 * | istio-error-rate | events `sum(increase(istio_requests_total{reporter="destination",L,response_code=~"5.."}[Ws]) or increase(...{...,request_protocol="grpc",response_code!~"5..",grpc_response_status!~"0\|"}[Ws]))`, total the same without response_code | proportion |
 * | istio-requests | events `...,response_code!~"[23].."` or a failed gRPC call with another code, total all requests | proportion |
 * | histogram | `sum by (le) (increase(M_bucket{L}[Ws]))` | continuous or distribution |
 * | categorical | `sum by (B) (increase(M{L}[Ws]))` | categorical |
 * | proportion | `sum(increase(E{L}[Ws]))`, `sum(increase(T{L}[Ws]))` | proportion |
 * | query | the custom query with {{labels}} filled, as a range query | continuous or distribution |
 *
 * Instant queries are evaluated at the window's end over the whole window (W seconds).
 *
 * `reporter` defaults to "destination" (the server's sidecar); a side's own `reporter` label
 * wins, then the request's or profile's `reporter` ("waypoint" in ambient mesh, where
 * sidecar-less pods are reported only by their waypoint proxy).
 *
 * gRPC: a failed call is HTTP 200 with `grpc_response_status` != "0" (Istio sets it on
 * `request_protocol="grpc"` only; it is empty, i.e. absent, on plain HTTP, hence `!~"0|"`).
 * Every non-OK status counts, client-caused ones (INVALID_ARGUMENT, NOT_FOUND) included:
 * a canary that starts refusing valid calls is the regression to catch. The two selectors are
 * disjoint (5xx vs not 5xx), so `or` unites them without double counting.
 */
import type { MetricKind } from '../../judge/types';
import type { Labels, TemplateMetric, TimeWindow } from '../metric-source';
import { checkLabelName, fillLabels, PromQLInputError, rangeSeconds, selector } from './promql';

/** What to ask for one side, and how its answer becomes a side. */
export type SidePlan =
  | { readonly shape: 'histogram'; readonly kind: 'continuous' | 'distribution'; readonly query: string }
  | { readonly shape: 'proportion'; readonly events: string; readonly total: string }
  | { readonly shape: 'categorical'; readonly by: string; readonly query: string }
  | { readonly shape: 'values'; readonly kind: 'continuous' | 'distribution'; readonly query: string; readonly stepSeconds: number };

const ISTIO_DEFAULTS: Labels = { reporter: 'destination' };
const ISTIO_LATENCY = 'istio_request_duration_milliseconds_bucket';
const ISTIO_REQUESTS = 'istio_requests_total';
const GRPC = 'request_protocol="grpc"';
const GRPC_FAILED = 'grpc_response_status!~"0|"';

export function planSide(metric: TemplateMetric, labels: Labels, window: TimeWindow, options: { reporter?: string } = {}): SidePlan {
  const range = rangeSeconds(windowSeconds(window));
  const increase = (sel: string) => `increase(${sel}${range})`;
  const defaults: Labels = options.reporter ? { reporter: options.reporter } : ISTIO_DEFAULTS;
  const istio = (extra: readonly string[] = []) => selector(ISTIO_REQUESTS, labels, { defaults, extra });
  // HTTP failures by status code, or gRPC calls that failed under a non-failing HTTP code.
  const failed = (httpFailure: string, notHttpFailure: string) =>
    `sum(${increase(istio([httpFailure]))} or ${increase(istio([GRPC, notHttpFailure, GRPC_FAILED]))})`;
  switch (metric.template) {
    case 'istio-latency':
      return { shape: 'histogram', kind: 'continuous', query: `sum by (le) (${increase(selector(ISTIO_LATENCY, labels, { defaults }))})` };
    case 'istio-error-rate':
      return { shape: 'proportion', events: failed('response_code=~"5.."', 'response_code!~"5.."'), total: `sum(${increase(istio())})` };
    case 'istio-requests':
      return { shape: 'proportion', events: failed('response_code!~"[23].."', 'response_code=~"[23].."'), total: `sum(${increase(istio())})` };
    case 'histogram': {
      const base = need(metric, 'metric');
      const bucket = base.endsWith('_bucket') ? base : `${base}_bucket`;
      return { shape: 'histogram', kind: valuesKind(metric), query: `sum by (le) (${increase(selector(bucket, labels))})` };
    }
    case 'categorical': {
      const by = checkLabelName(need(metric, 'by'));
      return { shape: 'categorical', by, query: `sum by (${by}) (${increase(selector(need(metric, 'metric'), labels))})` };
    }
    case 'proportion':
      return {
        shape: 'proportion',
        events: `sum(${increase(selector(need(metric, 'events'), labels))})`,
        total: `sum(${increase(selector(need(metric, 'total'), labels))})`,
      };
    case 'query': {
      const step = metric.stepSeconds ?? Math.max(1, Math.round(windowSeconds(window) / 60));
      if (!Number.isFinite(step) || step <= 0) throw new PromQLInputError(`the step of metric ${JSON.stringify(metric.name)} must be a positive number of seconds.`);
      return { shape: 'values', kind: valuesKind(metric), query: fillLabels(need(metric, 'query'), labels), stepSeconds: step };
    }
    default:
      throw new PromQLInputError(`unknown template ${JSON.stringify((metric as { template: unknown }).template)}.`);
  }
}

/** The queries of a plan, in the order they are sent. */
export function planQueries(plan: SidePlan): string[] {
  return plan.shape === 'proportion' ? [plan.events, plan.total] : [plan.query];
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
