/**
 * The service against a real Prometheus scraping what a real cluster exports for one model
 * server (issue 13): Istio's metrics labelled destination_* (reported by the sidecar and, for
 * ambient pods, by a waypoint), gRPC calls that fail under HTTP 200, and the model server's
 * own histogram labelled by its scrape config (version, app, namespace: no destination_*).
 *
 * - Argo Rollouts' request (sides by destination_version only) judges the app metric through
 *   the default profile's labelsFrom, and counts the canary's gRPC failures as errors.
 * - Flagger's payload names a Canary unlike its target; metadata `target` finds the series.
 * - reporter "waypoint" reads the waypoint's series, not the sidecar's.
 *
 * Skipped with a message when no Prometheus binary is found (except with CI=true).
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { testApp } from '../support/app';
import { findPrometheus, prometheusMissingMessage, startPrometheus, waitForSamples, type PrometheusServer } from '../support/prometheus';

const binary = findPrometheus();
const inCi = process.env.CI === 'true';
if (!binary && !inCi) console.warn(`Skipping cluster-labels.test.ts. ${prometheusMissingMessage()}`);
const describeWithPrometheus = binary || inCi ? describe : describe.skip;

// Each side is one pod, named as its ReplicaSet's pods are (the scrape adds `pod`).
const SIDES = {
  v1: { workload: 'model-primary', pod: 'model-primary-6d5f7c9b8-x2kqz', version: 'v1', grpcFailed: 1, waypointFailed: 0 },
  v2: { workload: 'model', pod: 'model-7c9d8f6b4-p9wzt', version: 'v2', grpcFailed: 20, waypointFailed: 0 },
} as const;
const WAYPOINT_POD = 'waypoint-5c7d9f8b6-zzzzz';
const LATENCY_BUCKETS = ['10', '25', '50', '100', '+Inf'];
const SCORE_BUCKETS = ['0.2', '0.4', '0.6', '0.8', '1', '+Inf'];

/** The exposition after `n` scrapes: counters grow by a fixed amount per scrape. */
function exposition(n: number): string {
  const lines = ['# TYPE istio_requests_total counter', '# TYPE istio_request_duration_milliseconds histogram', '# TYPE model_prediction_score histogram'];
  for (const side of Object.values(SIDES)) {
    const istio = (reporter: string) =>
      `reporter="${reporter}",destination_workload="${side.workload}",destination_workload_namespace="ml",destination_version="${side.version}",pod="${reporter === 'waypoint' ? WAYPOINT_POD : side.pod}"`;
    // Sidecar: 100 HTTP OK and 100 gRPC calls per scrape, some failing with UNAVAILABLE (14) under HTTP 200.
    lines.push(`istio_requests_total{${istio('destination')},request_protocol="http",response_code="200",grpc_response_status=""} ${100 * n}`);
    lines.push(`istio_requests_total{${istio('destination')},request_protocol="grpc",response_code="200",grpc_response_status="0"} ${(100 - side.grpcFailed) * n}`);
    lines.push(`istio_requests_total{${istio('destination')},request_protocol="grpc",response_code="200",grpc_response_status="14"} ${side.grpcFailed * n}`);
    // Waypoint (ambient): other traffic, without failures; a query on the sidecar's reporter never sees it.
    lines.push(`istio_requests_total{${istio('waypoint')},request_protocol="http",response_code="200",grpc_response_status=""} ${50 * n}`);
    for (const reporter of ['destination', 'waypoint']) {
      LATENCY_BUCKETS.forEach((le, i) => lines.push(`istio_request_duration_milliseconds_bucket{${istio(reporter)},le="${le}"} ${[20, 60, 90, 100, 100][i] * n}`));
    }
    // The model server's own metric: its scrape config's labels, not Istio's.
    const app = `app="${side.workload}",namespace="ml",version="${side.version}",pod="${side.pod}"`;
    const scores = side.version === 'v1' ? [10, 30, 60, 90, 100, 100] : [40, 70, 90, 98, 100, 100];
    SCORE_BUCKETS.forEach((le, i) => lines.push(`model_prediction_score_bucket{${app},le="${le}"} ${scores[i] * n}`));
  }
  return `${lines.join('\n')}\n`;
}

describeWithPrometheus('cluster labels against a real Prometheus: app metrics, gRPC, waypoint, Flagger naming', () => {
  let exporter: http.Server | undefined;
  let prometheus: PrometheusServer | undefined;
  let base: string;
  let judge: http.Server | undefined;
  let scrapes = 0;
  let start: number;

  beforeAll(async () => {
    if (!binary) throw new Error(`CI=true and ${prometheusMissingMessage()}`);
    start = Math.floor(Date.now() / 1000) - 1;
    exporter = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(exposition(++scrapes)));
    await new Promise<void>((resolve) => exporter!.listen(0, '127.0.0.1', resolve));
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${(exporter.address() as AddressInfo).port}`], scrapeIntervalSeconds: 1, binary });
    await waitForSamples(prometheus.url, 'count_over_time(model_prediction_score_bucket{version="v2",le="+Inf"}[1m])', 6, 20_000);
    const source = new PrometheusSource(new PrometheusClient({ baseUrl: `${prometheus.url}/`, queryTimeoutMs: 5000 }));
    judge = testApp({ analysis: { source } }).app.listen(0, '127.0.0.1');
    await new Promise((resolve) => judge!.once('listening', resolve));
    base = `http://127.0.0.1:${(judge.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    await new Promise((resolve) => (judge ? judge.close(resolve) : resolve(undefined)));
    await prometheus?.stop();
    await new Promise((resolve) => (exporter ? exporter.close(resolve) : resolve(undefined)));
  });

  const post = async (path: string, body: object) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, text: await res.text() };
  };
  type Metric = { name: string; verdict: string; baseline: { n: number; events?: number }; canary: { n: number; events?: number }; queries: { baseline: string[]; canary: string[] } };
  // Every Prometheus-backed analysis is a timeline; the data span seconds, so the intervals do too.
  const argo = () => ({ profile: 'default', start, timelineStep: '2s', labels: { destination_workload_namespace: 'ml' }, baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } } });

  it('Argo: one destination_version per side judges the app metric labelled version, and gRPC failures as errors', async () => {
    const res = await post('/v1/analyze', argo());
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as { verdict: string; skipped?: string[]; metrics: Metric[] };
    const byName = new Map(body.metrics.map((m) => [m.name, m]));
    expect(body.skipped).toBeUndefined();

    const score = byName.get('prediction-score')!;
    expect(score.queries.canary[0]).toContain('version="v2"');
    expect(score.queries.canary[0]).not.toContain('destination_version');
    expect(score.baseline.n).toBeGreaterThan(0);
    expect(score.canary.n).toBeGreaterThan(0);
    expect(score.verdict).toBe('fail'); // the canary's scores moved down

    const errors = byName.get('error-rate')!;
    // No 5xx at all: every event is a gRPC call failing under HTTP 200 (~10 % vs ~0.5 %).
    expect(errors.canary.events! / errors.canary.n).toBeCloseTo(0.1, 2);
    expect(errors.baseline.events! / errors.baseline.n).toBeCloseTo(0.005, 3);
    expect(errors.verdict).toBe('fail');
    expect(body.verdict).toBe('fail');
  });

  it('reporter "waypoint" reads the waypoint\'s series (ambient mesh), where no call failed', async () => {
    const res = await post('/v1/analyze', { ...argo(), profile: undefined, reporter: 'waypoint', metrics: [{ name: 'errors', template: 'istio-error-rate' }, { name: 'latency', template: 'istio-latency' }] });
    expect(res.status).toBe(200);
    const [errors, latency] = (JSON.parse(res.text) as { metrics: Metric[] }).metrics;
    expect(errors.queries.canary.every((q) => q.includes('reporter="waypoint"') && !q.includes('reporter="destination"'))).toBe(true);
    expect(errors.canary.events).toBe(0);
    // 50 per scrape at the waypoint against 200 at the sidecar.
    const sidecar = JSON.parse((await post('/v1/analyze', { ...argo(), profile: undefined, metrics: [{ name: 'errors', template: 'istio-error-rate' }] })).text) as { metrics: Metric[] };
    expect(errors.canary.n / sidecar.metrics[0].canary.n).toBeCloseTo(0.25, 1);
    expect(latency.canary.n).toBeGreaterThan(0);
  });

  it('Flagger: a Canary named unlike its target finds the target\'s series through metadata target; confirm-rollout answers 200', async () => {
    const flagger = (type: string, metadata: Record<string, string>) => post(`/v1/flagger/${type}`, { name: 'model-canary', namespace: 'ml', phase: 'Progressing', checksum: 'c1', metadata });
    const meta = { target: 'model', start: String(start), timelineStep: '2s' };
    const rollout = await flagger('rollout', meta);
    expect(rollout.status).toBe(412);
    expect(rollout.text).toMatch(/^canary-judge fail: .*error-rate/);
    const ready = await flagger('confirm-rollout', meta);
    expect(ready.status).toBe(200);
    expect(ready.text).toMatch(/destination_workload="model-primary".* served \d+ requests/);
    // Without target, the Canary's own name selects nothing: never a pass, and no rollout start.
    const unnamed = await flagger('confirm-promotion', { start: String(start) });
    expect(unnamed.status).toBe(412);
    expect(unnamed.text).toMatch(/^canary-judge inconclusive/);
    expect((await flagger('confirm-rollout', { start: String(start) })).status).toBe(412);
  });
});
