/**
 * In-process traffic generator: real HTTP POST /predict requests over keep-alive to the fleet,
 * routed the way the seed's Istio VirtualService would route them:
 *
 * 1. a request carrying `x-canary-version: v2` (a `headerShare` fraction of requests, the
 *    header-route users) always goes to v2;
 * 2. every other request goes to v1 or v2 by the current weights (`setWeights`, e.g.
 *    { v1: 90, v2: 10 }), drawn per request;
 * 3. a `mirrorShare` fraction of the requests routed to v1 is also copied to v2, and v2's
 *    answer dropped, as Istio's mirror (Argo's setMirrorRoute) does: v2's sidecar reports the
 *    copies, the user sees only v1. Copies are counted in `mirrored`, not in `sent`.
 *
 * Paced at `requestsPerMinute * speed` (default the seed's 10,000 requests/minute), never more
 * than `maxInFlight` requests at once (a request that would exceed it is counted as `skipped`,
 * not queued), and it stops by itself after `maxDurationMs`. Only 127.0.0.1 targets are allowed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { seededRandom } from '../test/support/random';
import type { Version } from './fleet';

export const CANARY_HEADER = 'x-canary-version';

export interface Weights {
  readonly v1: number;
  readonly v2: number;
}

export interface TrafficOptions {
  /** host:port of each version's server (the fleet's `endpoints`). Must be on 127.0.0.1. */
  readonly endpoints: Readonly<Record<Version, string>>;
  /** Default 10,000 (the seed's endpoint). */
  readonly requestsPerMinute?: number;
  /** Multiplies the rate (2 = twice as fast). Default 1. */
  readonly speed?: number;
  /** Initial VirtualService weights (any non-negative numbers, normalised). Default { v1: 100, v2: 0 }. */
  readonly weights?: Weights;
  /** Fraction of requests carrying `x-canary-version: v2` (always routed to v2). Default 0. */
  readonly headerShare?: number;
  /** Fraction of v1-bound requests also copied to v2, answers dropped. Default 0. */
  readonly mirrorShare?: number;
  /** Most requests in flight at once. Default 64. */
  readonly maxInFlight?: number;
  /** Stops by itself after this long. Default 10 minutes. */
  readonly maxDurationMs?: number;
  /** Seed of the routing randomness. Default 7. */
  readonly seed?: number;
  /**
   * The Service each version is routed by (host-level splitting: Argo's canaryService and
   * stableService, Flagger's <name>-canary and <name>-primary). Default model-primary / model-canary.
   */
  readonly services?: Readonly<Record<Version, string>>;
}

/** What the generator reports as the ingress gateway's proxy (`reporter="source"`): every request it routed, by Service, code and Envoy response flags. */
export const GATEWAY_POD = 'istio-ingressgateway-7d9c6b5f4-gw001';

export interface VersionCounts {
  /** Requests sent to this version (both routes). */
  sent: number;
  /** ...of which carried the canary header. */
  viaHeader: number;
  /** Responses received, by status code. */
  responses: Record<string, number>;
  /** Requests that failed without a response (connection error, timeout). */
  failed: number;
}

export interface TrafficStats {
  readonly running: boolean;
  readonly elapsedMs: number;
  readonly sent: number;
  readonly completed: number;
  readonly inFlight: number;
  /** Requests due by the pacing but not sent because `maxInFlight` were already in flight. */
  readonly skipped: number;
  readonly weights: Weights;
  readonly headerShare: number;
  readonly mirrorShare: number;
  /** Copies sent to v2 by the mirror (their answers dropped). */
  readonly mirrored: number;
  readonly byVersion: Readonly<Record<Version, Readonly<VersionCounts>>>;
}

export interface Traffic {
  /**
   * The gateway's own `istio_requests_total` (reporter="source") in the Prometheus text format:
   * a request whose connection failed is 503 with flag UF (refused) or UC (reset), a timeout 504
   * with UT, as Envoy reports them; serve it with `serveGatewayMetrics`.
   */
  gatewayMetrics(): Promise<string>;
  /** Starts pacing (no-op when running). Throws after stop: create a new generator instead. */
  start(): void;
  /** Stops sending, waits for the requests in flight, closes the sockets; resolves to the final stats. Idempotent. */
  stop(): Promise<TrafficStats>;
  /** Resolves when the generator has stopped, by stop() or by maxDurationMs. */
  readonly done: Promise<TrafficStats>;
  setWeights(weights: Weights): void;
  setHeaderShare(share: number): void;
  setMirrorShare(share: number): void;
  stats(): TrafficStats;
}

const TICK_MS = 10;
const REQUEST_TIMEOUT_MS = 5000;
const BODY = JSON.stringify({ features: [0.12, 0.5, 0.33, 0.91] });

export function createTraffic(options: TrafficOptions): Traffic {
  const rpm = options.requestsPerMinute ?? 10_000;
  const speed = options.speed ?? 1;
  if (!(rpm > 0) || !(speed > 0)) throw new Error('requestsPerMinute and speed must be > 0');
  const ratePerMs = (rpm * speed) / 60_000;
  const maxInFlight = options.maxInFlight ?? 64;
  if (!(Number.isInteger(maxInFlight) && maxInFlight > 0)) throw new Error('maxInFlight must be a positive integer');
  const maxDurationMs = options.maxDurationMs ?? 10 * 60_000;
  const targets = { v1: parseLocalEndpoint(options.endpoints.v1), v2: parseLocalEndpoint(options.endpoints.v2) };
  let weights = checkWeights(options.weights ?? { v1: 100, v2: 0 });
  let headerShare = checkShare(options.headerShare ?? 0);
  let mirrorShare = checkShare(options.mirrorShare ?? 0);
  let mirrored = 0;
  const random = seededRandom(options.seed ?? 7);

  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight, maxFreeSockets: maxInFlight });
  const services = options.services ?? { v1: 'model-primary', v2: 'model-canary' };
  const registry = new Registry();
  const reported = new Counter({
    name: 'istio_requests_total',
    help: 'Requests the ingress gateway routed (simulated Istio standard metric, reporter="source").',
    labelNames: ['reporter', 'source_workload', 'source_workload_namespace', 'destination_service_name', 'destination_service_namespace', 'response_code', 'response_flags', 'pod', 'namespace'],
    registers: [registry],
  });
  const report = (version: Version, code: number, flags: string) =>
    reported.inc({ reporter: 'source', source_workload: 'istio-ingressgateway', source_workload_namespace: 'istio-system', destination_service_name: services[version], destination_service_namespace: 'ml', response_code: String(code), response_flags: flags, pod: GATEWAY_POD, namespace: 'istio-system' });
  const counts: Record<Version, VersionCounts> = { v1: emptyCounts(), v2: emptyCounts() };
  let state: 'idle' | 'running' | 'stopped' = 'idle';
  let startedAt = 0;
  let stoppedAt = 0;
  let due = 0; // requests the pacing has made due so far (fractional)
  let sent = 0;
  let completed = 0;
  let skipped = 0;
  let inFlight = 0;
  let ticker: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let drained: (() => void) | undefined;
  let resolveDone!: (stats: TrafficStats) => void;
  const done = new Promise<TrafficStats>((resolve) => (resolveDone = resolve));
  let stopping: Promise<TrafficStats> | undefined;

  const stats = (): TrafficStats => ({
    running: state === 'running',
    elapsedMs: startedAt ? (stoppedAt || Date.now()) - startedAt : 0,
    sent,
    completed,
    inFlight,
    skipped,
    weights,
    headerShare,
    mirrorShare,
    mirrored,
    byVersion: {
      v1: { ...counts.v1, responses: { ...counts.v1.responses } },
      v2: { ...counts.v2, responses: { ...counts.v2.responses } },
    },
  });

  const send = (): void => {
    const viaHeader = headerShare > 0 && random() < headerShare;
    const version: Version = viaHeader ? 'v2' : random() * (weights.v1 + weights.v2) < weights.v1 ? 'v1' : 'v2';
    const target = targets[version];
    const c = counts[version];
    c.sent++;
    if (viaHeader) c.viaHeader++;
    sent++;
    inFlight++;
    let finished = false;
    const finish = (status: number | null, error?: NodeJS.ErrnoException): void => {
      if (finished) return;
      finished = true;
      inFlight--;
      completed++;
      if (status === null) c.failed++;
      else c.responses[status] = (c.responses[status] ?? 0) + 1;
      if (status !== null) report(version, status, '-');
      else if (error?.message === 'request timed out') report(version, 504, 'UT');
      else report(version, 503, error?.code === 'ECONNREFUSED' ? 'UF' : 'UC');
      if (inFlight === 0 && drained) drained();
    };
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(BODY),
    };
    if (viaHeader) headers[CANARY_HEADER] = 'v2';
    const req = http.request(
      { agent, host: target.host, port: target.port, method: 'POST', path: '/predict', headers, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', () => finish(res.statusCode ?? 0));
        res.on('error', () => finish(null));
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', (error) => finish(null, error));
    req.end(BODY);
    if (version === 'v1' && !viaHeader && mirrorShare > 0 && random() < mirrorShare) mirror();
  };

  /** A copy to v2 whose answer nobody waits for (it still counts in flight, for a clean stop). */
  const mirror = (): void => {
    mirrored++;
    inFlight++;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      inFlight--;
      if (inFlight === 0 && drained) drained();
    };
    const req = http.request(
      { agent, host: targets.v2.host, port: targets.v2.port, method: 'POST', path: '/predict', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) }, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', finish);
        res.on('error', finish);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', finish);
    req.end(BODY);
  };

  let lastTick = 0;
  const tick = (): void => {
    const now = Date.now();
    due += (now - lastTick) * ratePerMs;
    lastTick = now;
    while (due >= 1) {
      due -= 1;
      if (inFlight >= maxInFlight) skipped++;
      else send();
    }
  };

  const stop = (): Promise<TrafficStats> =>
    (stopping ??= (async () => {
      const wasRunning = state === 'running';
      state = 'stopped';
      if (ticker) clearInterval(ticker);
      if (deadline) clearTimeout(deadline);
      ticker = deadline = undefined;
      if (wasRunning) stoppedAt = Date.now();
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      agent.destroy();
      const final = stats();
      resolveDone(final);
      return final;
    })());

  return {
    gatewayMetrics: () => registry.metrics(),
    start() {
      if (state === 'running') return;
      if (state === 'stopped') throw new Error('traffic generator already stopped; create a new one');
      state = 'running';
      startedAt = lastTick = Date.now();
      ticker = setInterval(tick, TICK_MS);
      deadline = setTimeout(() => void stop(), maxDurationMs);
    },
    stop,
    done,
    setWeights(next) {
      weights = checkWeights(next);
    },
    setHeaderShare(share) {
      headerShare = checkShare(share);
    },
    setMirrorShare(share) {
      mirrorShare = checkShare(share);
    },
    stats,
  };
}

function emptyCounts(): VersionCounts {
  return { sent: 0, viaHeader: 0, responses: {}, failed: 0 };
}

function checkWeights(w: Weights): Weights {
  if (!(w.v1 >= 0 && w.v2 >= 0 && w.v1 + w.v2 > 0)) {
    throw new Error(`weights must be non-negative with a positive total, got ${JSON.stringify(w)}`);
  }
  return Object.freeze({ v1: w.v1, v2: w.v2 });
}

function checkShare(share: number): number {
  if (!(share >= 0 && share <= 1)) throw new Error(`a share must lie in [0, 1], got ${share}`);
  return share;
}

/** Traffic goes to this machine only. */
function parseLocalEndpoint(endpoint: string): { host: string; port: number } {
  const match = /^127\.0\.0\.1:(\d{1,5})$/.exec(endpoint);
  if (!match) throw new Error(`endpoint must be 127.0.0.1:<port>, got ${JSON.stringify(endpoint)}`);
  return { host: '127.0.0.1', port: Number(match[1]) };
}

/** Serves the generator's gateway metrics at GET /metrics on 127.0.0.1 (a Prometheus target). */
export async function serveGatewayMetrics(traffic: Pick<Traffic, 'gatewayMetrics'>): Promise<{ readonly address: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.method !== 'GET' || req.url !== '/metrics') return void res.writeHead(404).end();
    traffic.gatewayMetrics().then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
