/**
 * Segments against a real Prometheus on 127.0.0.1 (2.42, history backfilled with promtool):
 * Istio's request and latency series carry a `tenant` label (a Telemetry dimension from a
 * request header); the canary (v2) has 4x the errors for tenant "acme", which holds 10 % of the
 * traffic, and is healthy for the others. `segmentBy: "tenant"` must fail it naming acme, while
 * the same metric unsegmented does not fail; the latency is judged per tenant from the
 * histogram's `sum by (le, tenant)`; a tenant only the canary serves is named, not judged.
 *
 * Skipped with a message when no Prometheus binary is found (except with CI=true).
 */
import request from 'supertest';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { testApp } from '../support/app';
import { clusterHistory, historyEnd, startBackfilledPrometheus, type PodPlay } from '../support/cluster-history';
import { findPrometheus, prometheusMissingMessage, type PrometheusServer } from '../support/prometheus';

const binary = findPrometheus();
const inCi = process.env.CI === 'true';
if (!binary && !inCi) console.warn(`Skipping segments.test.ts. ${prometheusMissingMessage()}`);
const describeWithPrometheus = binary || inCi ? describe : describe.skip;

const END = historyEnd();
const LATENCY = { medianMs: 60, sigma: 0.4 };
/** Requests per minute of the whole service; the canary takes 20 % from 30 minutes before END. */
const PER_MINUTE = 40_000;
const CANARY_SHARE = 0.2;
const TENANTS = [
  { tenant: 'acme', share: 0.1, errorRate: 0.005, canaryRatio: 4 },
  { tenant: 'globex', share: 0.5, errorRate: 0.002, canaryRatio: 1 },
  { tenant: 'initech', share: 0.4, errorRate: 0.01, canaryRatio: 1 },
];

function play(version: 'v1' | 'v2', pod: string, tenant: (typeof TENANTS)[number], share: number): PodPlay {
  return {
    pod,
    labels: { destination_workload: version === 'v1' ? 'model-primary' : 'model', destination_workload_namespace: 'seg', destination_version: version, destination_service_name: 'model', tenant: tenant.tenant },
    from: -30,
    to: 0,
    requestsPerMinute: PER_MINUTE * tenant.share * share,
    errorRate: tenant.errorRate * (version === 'v2' ? tenant.canaryRatio : 1),
    latency: LATENCY,
  };
}

const PODS: PodPlay[] = [
  ...TENANTS.map((t) => play('v1', 'model-primary-6d5f7c9b8-x2kqz', t, 1 - CANARY_SHARE)),
  ...TENANTS.map((t) => play('v2', 'model-5f6d7c8b9-c0001', t, CANARY_SHARE)),
  // A tenant onboarded on the canary only (a header route): never judged, never dropped.
  { ...play('v2', 'model-5f6d7c8b9-c0001', { tenant: 'hooli', share: 0.01, errorRate: 0.005, canaryRatio: 1 }, 1) },
];

describeWithPrometheus('segments against a real Prometheus', () => {
  let prometheus: PrometheusServer | undefined;
  let app: ReturnType<typeof testApp>['app'];

  beforeAll(async () => {
    if (!binary) throw new Error(`CI=true and ${prometheusMissingMessage()}`);
    prometheus = await startBackfilledPrometheus(clusterHistory(END, PODS, [], 25));
    const source = new PrometheusSource(new PrometheusClient({ baseUrl: prometheus.url, queryTimeoutMs: 10_000 }));
    app = testApp({ analysis: { source, deadlineMs: 20_000, now: () => END } }).app;
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
  });

  const body = (metrics: object[]) => ({
    metrics,
    labels: { destination_workload_namespace: 'seg' },
    baseline: { labels: { destination_version: 'v1' } },
    canary: { labels: { destination_version: 'v2' } },
    lookback: '20m',
  });

  it('fails the error rate for tenant="acme" per segment, where the same data unsegmented do not fail', async () => {
    const res = await request(app)
      .post('/v1/analyze')
      .send(body([{ name: 'errors', template: 'istio-error-rate', segmentBy: 'tenant' }, { name: 'errors-pooled', template: 'istio-error-rate' }]));
    expect(res.status).toBe(200);
    const [segmented, pooled] = res.body.metrics;
    expect(segmented.queries.canary[0]).toMatch(/^sum by \(tenant\) \(/);
    expect(segmented.verdict).toBe('fail');
    // The pooled comparison passes (hooli, which only the canary serves, is a fourth segment).
    expect(segmented.reason).toMatch(/^fine pooled over all 4 segments but [\d.]+x the baseline's rate for tenant="acme" \([\d.]+ % of the canary's traffic, [\d.]+ % of the baseline's\): failed at interval \d+ of 20/);
    expect(segmented.intervals).toBe(20);
    expect(segmented.decidedAt).toBeGreaterThanOrEqual(1);
    const acme = segmented.segments.segments.find((s: { value: string }) => s.value === 'acme');
    expect(acme.verdict).toBe('fail');
    expect(acme.share.baseline).toBeCloseTo(0.1, 1);
    expect(segmented.segments.alphaPerSegment).toBeCloseTo(0.05 / 2 / 4, 12);
    // Pooled, acme's extra errors are a fraction of the whole: within the 1.5x margin.
    expect(pooled.verdict).not.toBe('fail');
    expect(segmented.segments.pooled.effect.estimate).toBeCloseTo(pooled.effect.estimate, 6);
  }, 30_000);

  it('names the tenant only the canary serves as not judged', async () => {
    const res = await request(app).post('/v1/analyze').send(body([{ name: 'errors', template: 'istio-error-rate', segmentBy: 'tenant' }]));
    const hooli = res.body.metrics[0].segments.segments.find((s: { value: string }) => s.value === 'hooli');
    expect(hooli).toMatchObject({ judged: false, verdict: 'inconclusive', reason: expect.stringMatching(/^appears on the canary only \(\d+ observations there, none on the other side\): not judged$/) });
    expect(res.body.metrics[0].segments.segments.map((s: { value: string }) => s.value)).toEqual(['acme', 'globex', 'hooli', 'initech']);
  }, 30_000);

  it('judges the latency per tenant from the histogram grouped by le and tenant', async () => {
    const res = await request(app).post('/v1/analyze').send(body([{ name: 'latency', template: 'istio-latency', segmentBy: 'tenant' }]));
    expect(res.status).toBe(200);
    const latency = res.body.metrics[0];
    expect(latency.queries.baseline[0]).toMatch(/^sum by \(le, tenant\) \(increase\(istio_request_duration_milliseconds_bucket\{/);
    expect(latency.verdict).not.toBe('fail');
    const judged = latency.segments.segments.filter((s: { judged: boolean }) => s.judged).map((s: { value: string }) => s.value);
    expect(judged).toEqual(['acme', 'globex', 'initech']);
    for (const s of latency.segments.segments.filter((x: { judged: boolean }) => x.judged)) expect(s.effect.measure).toBe('relative shift of p95');
  }, 30_000);
});
