/**
 * A cluster's recent past as Prometheus would hold it, written as OpenMetrics and backfilled into
 * a real Prometheus with promtool (no jest APIs here).
 *
 * Pods are scraped every 15 s (Istio's default) while they exist; each series carries what a
 * sidecar reports (`reporter="destination"`, Istio's destination_* labels) plus the `pod` and
 * `namespace` target labels a `kubernetes-pods` scrape adds. A pod's counters exist from its
 * first request on (Envoy creates a stat on first use) and stop at its last scrape, so a pod that
 * served earlier but is idle keeps its series (scraped, constant) and a deleted pod's end. Callers'
 * proxies (`reporter="source"`, an ingress gateway) report the requests they failed before a
 * destination answered. Counts are drawn (binomial and multinomial, seeded), not made exact.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binomial, multinomial } from '../../bench/simulate/binomial';
import { normalCdf } from '../../src/stats/normal';
import { findPrometheus, prometheusMissingMessage, startPrometheus, type PrometheusServer } from './prometheus';
import { normalSampler, seededRandom } from './random';

export type Labels = Readonly<Record<string, string>>;

/** Minutes relative to the history's end (0), e.g. -45 for 45 minutes before it. */
export type Minute = number;

export interface PodPlay {
  readonly pod: string;
  /** Istio's destination_* labels for this pod's sidecar reports. */
  readonly labels: Labels;
  /** Scraped from this minute to that one (a deleted pod's series end). */
  readonly from: Minute;
  readonly to: Minute;
  /** Requests per minute while serving (0: running but idle); a function for traffic that changes. */
  readonly requestsPerMinute: number | ((minute: Minute) => number);
  /** Share of requests answered 503 (a function: a behaviour that changes, e.g. a waypoint's series that two revisions share). */
  readonly errorRate: number | ((minute: Minute) => number);
  /** Lognormal latency: median (ms) and sigma of log-latency. */
  readonly latency: Latency | ((minute: Minute) => Latency);
  /**
   * Who reports the series: default the pod's own sidecar (`reporter="destination"`, `pod` its
   * own name); a waypoint reports `reporter="waypoint"` with the waypoint's pod.
   */
  readonly waypoint?: string;
}

export interface Latency {
  readonly medianMs: number;
  readonly sigma: number;
}

/** A ReplicaSet as kube-state-metrics exports it (ready pods per scrape, its owner). */
export interface ReplicaSetPlay {
  readonly namespace: string;
  readonly replicaSet: string;
  readonly owner: { readonly kind: string; readonly name: string };
  /** Exists over these minutes; has ready pods over the `ready` range within them. */
  readonly from: Minute;
  readonly to: Minute;
  readonly ready: readonly [Minute, Minute];
  readonly replicas?: number;
}

export interface CallerPlay {
  /** The source-side labels of the failed requests, e.g. destination_service_name. */
  readonly labels: Labels;
  readonly from: Minute;
  readonly to: Minute;
  /** Failed requests per minute by Envoy response flags ("UH": 900). */
  readonly failuresPerMinute: Readonly<Record<string, number>>;
  /** The caller's pod (the gateway's). */
  readonly pod?: string;
}

/** Latency bounds about 4.5 % apart where the scenarios' latency lives (a resolving annotation). */
export const HISTORY_BUCKETS: readonly number[] = [1, 5, 10, 20, ...Array.from({ length: 40 }, (_, i) => Number((25 * 1.045 ** i).toPrecision(3))), 250, 500, 1000, 5000, Infinity];

const SCRAPE_SECONDS = 15;

/** OpenMetrics text of the plays, ending at `end` (unix seconds, on a whole minute). */
export function clusterHistory(end: number, pods: readonly PodPlay[], callers: readonly CallerPlay[] = [], seed = 1, replicaSets: readonly ReplicaSetPlay[] = []): string {
  const uniform = seededRandom(seed);
  const normal = normalSampler(uniform);
  const requests: string[] = [];
  const buckets: string[] = [];
  const counts: string[] = [];
  const sums: string[] = [];
  const bucketDraw = new Float64Array(HISTORY_BUCKETS.length);
  for (const play of pods) {
    const at = <T>(value: T | ((minute: Minute) => T), minute: Minute): T => (typeof value === 'function' ? (value as (m: Minute) => T)(minute) : value);
    const reporter = play.waypoint !== undefined ? 'waypoint' : 'destination';
    const state = { ok: 0, failed: 0, okBuckets: new Float64Array(HISTORY_BUCKETS.length), failedBuckets: new Float64Array(HISTORY_BUCKETS.length), sumOk: 0, sumFailed: 0 };
    let serving = false;
    const lines = { ok: [] as string[], failed: [] as string[] };
    const bucketLines = { ok: HISTORY_BUCKETS.map(() => [] as string[]), failed: HISTORY_BUCKETS.map(() => [] as string[]) };
    const sumLines = { ok: [] as string[], failed: [] as string[] };
    for (let t = end + play.from * 60; t <= end + play.to * 60; t += SCRAPE_SECONDS) {
      const minute = Math.floor((t - end) / 60);
      const perMinute = typeof play.requestsPerMinute === 'function' ? play.requestsPerMinute(minute) : play.requestsPerMinute;
      const n = t > end + play.from * 60 ? binomial(Math.round(perMinute * 10), SCRAPE_SECONDS / 600, uniform, normal) : 0;
      const failed = binomial(n, at(play.errorRate, minute), uniform, normal);
      const probabilities = latencyProbabilities(at(play.latency, minute));
      for (const [kind, k] of [['ok', n - failed], ['failed', failed]] as const) {
        if (kind === 'ok') state.ok += k;
        else state.failed += k;
        multinomial(k, probabilities, bucketDraw, uniform, normal);
        const into = kind === 'ok' ? state.okBuckets : state.failedBuckets;
        for (let i = 0; i < HISTORY_BUCKETS.length; i++) {
          into[i] += bucketDraw[i];
          const middle = Number.isFinite(HISTORY_BUCKETS[i]) ? (HISTORY_BUCKETS[i] + (i ? HISTORY_BUCKETS[i - 1] : 0)) / 2 : HISTORY_BUCKETS[i - 1];
          if (kind === 'ok') state.sumOk += bucketDraw[i] * middle;
          else state.sumFailed += bucketDraw[i] * middle;
        }
      }
      // Envoy creates the stat on the first request; from then on every scrape reports it.
      serving ||= state.ok + state.failed > 0;
      if (!serving) continue;
      for (const kind of ['ok', 'failed'] as const) {
        const total = kind === 'ok' ? state.ok : state.failed;
        lines[kind].push(`${total} ${t}`);
        const own = kind === 'ok' ? state.okBuckets : state.failedBuckets;
        let cumulative = 0;
        HISTORY_BUCKETS.forEach((_, i) => bucketLines[kind][i].push(`${(cumulative += own[i])} ${t}`));
        sumLines[kind].push(`${(kind === 'ok' ? state.sumOk : state.sumFailed).toFixed(1)} ${t}`);
      }
    }
    for (const kind of ['ok', 'failed'] as const) {
      const labels = render({ reporter, ...play.labels, response_code: kind === 'ok' ? '200' : '503', response_flags: '-', pod: play.waypoint ?? play.pod, namespace: play.labels.destination_workload_namespace ?? 'ml' });
      requests.push(...lines[kind].map((v) => `istio_requests_total{${labels}} ${v}`));
      HISTORY_BUCKETS.forEach((le, i) => buckets.push(...bucketLines[kind][i].map((v) => `istio_request_duration_milliseconds_bucket{${labels},le="${Number.isFinite(le) ? le : '+Inf'}"} ${v}`)));
      counts.push(...bucketLines[kind][HISTORY_BUCKETS.length - 1].map((v) => `istio_request_duration_milliseconds_count{${labels}} ${v}`));
      sums.push(...sumLines[kind].map((v) => `istio_request_duration_milliseconds_sum{${labels}} ${v}`));
    }
  }
  for (const caller of callers) {
    for (const [flags, perMinute] of Object.entries(caller.failuresPerMinute)) {
      const labels = render({ reporter: 'source', source_workload: 'istio-ingressgateway', source_workload_namespace: 'istio-system', ...caller.labels, response_code: '503', response_flags: flags, pod: caller.pod ?? 'istio-ingressgateway-7d9c6b5f4-gw001', namespace: 'istio-system' });
      let total = 0;
      for (let t = end + caller.from * 60; t <= end + caller.to * 60; t += SCRAPE_SECONDS) {
        if (t > end + caller.from * 60) total += binomial(Math.round(perMinute * 10), SCRAPE_SECONDS / 600, uniform, normal);
        requests.push(`istio_requests_total{${labels}} ${total} ${t}`);
      }
    }
  }
  const ready: string[] = [];
  const owners: string[] = [];
  for (const rs of replicaSets) {
    const labels = `namespace="${rs.namespace}",replicaset="${rs.replicaSet}"`;
    for (let t = end + rs.from * 60; t <= end + rs.to * 60; t += 30) {
      const minute = (t - end) / 60;
      ready.push(`kube_replicaset_status_ready_replicas{${labels}} ${minute >= rs.ready[0] && minute <= rs.ready[1] ? (rs.replicas ?? 2) : 0} ${t}`);
      owners.push(`kube_replicaset_owner{${labels},owner_kind="${rs.owner.kind}",owner_name="${rs.owner.name}",owner_is_controller="true"} 1 ${t}`);
    }
  }
  return [
    ...(replicaSets.length ? ['# TYPE kube_replicaset_status_ready_replicas gauge', ...ready, '# TYPE kube_replicaset_owner gauge', ...owners] : []),
    '# TYPE istio_requests counter',
    ...requests,
    '# TYPE istio_request_duration_milliseconds histogram',
    ...buckets,
    ...counts,
    ...sums,
    '# EOF',
    '',
  ].join('\n');
}

function render(labels: Labels): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
}

function latencyProbabilities(latency: { medianMs: number; sigma: number }): Float64Array {
  const out = new Float64Array(HISTORY_BUCKETS.length);
  let previous = 0;
  HISTORY_BUCKETS.forEach((b, i) => {
    const c = Number.isFinite(b) ? normalCdf((Math.log(b) - Math.log(latency.medianMs)) / latency.sigma) : 1;
    out[i] = c - previous;
    previous = c;
  });
  return out;
}

/**
 * A real Prometheus on 127.0.0.1 serving the history (backfilled with promtool into a temp
 * data dir; no scrape targets). `stop()` removes the data.
 */
export async function startBackfilledPrometheus(openMetrics: string): Promise<PrometheusServer> {
  const binary = findPrometheus();
  if (!binary) throw new Error(prometheusMissingMessage());
  const promtool = path.join(path.dirname(binary), 'promtool');
  if (!fs.existsSync(promtool)) throw new Error(`promtool not found next to ${binary} (apt-get install prometheus ships both)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canary-judge-history-'));
  try {
    const file = path.join(dir, 'history.om');
    fs.writeFileSync(file, openMetrics);
    execFileSync(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', file, path.join(dir, 'data')], { stdio: ['ignore', 'ignore', 'pipe'] });
    fs.rmSync(file);
    const server = await startPrometheus({ targets: [], dir, waitForFirstScrape: false, binary });
    return { ...server, stop: async () => {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    } };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The end of a history: a whole minute, ten minutes ago (backfilled blocks must lie in the past). */
export function historyEnd(now = Date.now() / 1000): number {
  return Math.floor(now / 60) * 60 - 600;
}
