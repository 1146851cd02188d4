/**
 * The canary-start window and timelines against a real Prometheus on 127.0.0.1: the canary's
 * series appear a few scrapes after the baseline's; `"since": "canary"` must start the window
 * at its first traffic and the metrics must come back per step (rates and the latency quantile
 * judged per interval).
 *
 * Skipped with a message when no Prometheus binary is found (except with CI=true).
 */
import request from 'supertest';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { testApp } from '../support/app';
import { findPrometheus, prometheusMissingMessage, startPrometheus, waitForSamples, type PrometheusServer } from '../support/prometheus';
import { startServer, type TestServer } from '../sources/fake-prometheus';

const binary = findPrometheus();
const inCi = process.env.CI === 'true';
if (!binary && !inCi) console.warn(`Skipping prometheus-timeline.test.ts. ${prometheusMissingMessage()}`);
const describeWithPrometheus = binary || inCi ? describe : describe.skip;

/** The canary's series exist from this scrape on. */
const CANARY_FROM_SCRAPE = 8;
const BUCKETS = ['5', '10', '25', '50', '100', '+Inf'];

function metricsText(scrape: number): string {
  const lines = ['# TYPE istio_requests_total counter', '# TYPE istio_request_duration_milliseconds histogram'];
  for (const [version, since] of [['v1', 0], ['v2', CANARY_FROM_SCRAPE]] as const) {
    if (scrape < since) continue;
    const n = scrape - since + 1;
    const labels = `reporter="destination",destination_workload_namespace="ml",destination_version="${version}"`;
    lines.push(`istio_requests_total{${labels},response_code="200"} ${n * 200}`);
    lines.push(`istio_requests_total{${labels},response_code="503"} ${n}`);
    let cumulative = 0;
    [20, 60, 80, 30, 10, 1].forEach((perScrape, i) => {
      cumulative += perScrape * n;
      lines.push(`istio_request_duration_milliseconds_bucket{${labels},le="${BUCKETS[i]}"} ${cumulative}`);
    });
  }
  return lines.join('\n') + '\n';
}

describeWithPrometheus('"since": "canary" and timelines against a real Prometheus', () => {
  let exporter: TestServer | undefined;
  let prometheus: PrometheusServer | undefined;
  let scrapes = 0;
  let canaryFirstSeen = 0;

  beforeAll(async () => {
    if (!binary) throw new Error(`CI=true and ${prometheusMissingMessage()}`);
    exporter = await startServer((_req, res) => {
      scrapes++;
      if (scrapes === CANARY_FROM_SCRAPE) canaryFirstSeen = Date.now() / 1000;
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(metricsText(scrapes));
    });
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${exporter.port}`], scrapeIntervalSeconds: 1, binary });
    await waitForSamples(prometheus.url, 'count_over_time(istio_requests_total{destination_version="v2",response_code="200"}[1m])', 8, 40_000);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.close();
  });

  it('starts the window at the canary\'s first traffic and judges per interval', async () => {
    const source = new PrometheusSource(new PrometheusClient({ baseUrl: prometheus!.url, queryTimeoutMs: 5000 }));
    const { app } = testApp({ analysis: { source } });
    const res = await request(app)
      .post('/v1/analyze')
      .send({
        metrics: [{ name: 'errors', template: 'istio-error-rate' }, { name: 'latency', template: 'istio-latency' }],
        labels: { destination_workload_namespace: 'ml' },
        baseline: { labels: { destination_version: 'v1' } },
        canary: { labels: { destination_version: 'v2' } },
        since: 'canary',
        maxAge: '1m',
        timelineStep: '2s',
      });
    expect(res.status).toBe(200);
    const windowStart = Date.parse(res.body.window.start) / 1000;
    // The first step with canary requests ends at most one step (and one scrape) after it appeared.
    expect(windowStart).toBeGreaterThanOrEqual(canaryFirstSeen - 5);
    expect(windowStart).toBeLessThanOrEqual(canaryFirstSeen + 3);
    for (const m of res.body.metrics) {
      expect(m.intervals).toBeGreaterThanOrEqual(2);
      expect(m.canary.n).toBeGreaterThan(0);
    }
    expect(res.body.metrics[0].effect.measure).toBe('relative change in rate');
    // The latency histogram's quantile is matched by interval too; its buckets (50, 100] cannot resolve a 10 % margin.
    const latency = res.body.metrics[1];
    expect(latency.effect.measure).toBe('relative shift of p95');
    expect(latency.verdict).toBe('inconclusive');
    expect(latency.reason).toMatch(/too coarse to ever/);
  }, 20_000);
});
