import request from 'supertest';
import { SourceUnavailableError } from '../../src/sources/metric-source';
import { testApp } from '../support/app';
import { FakeSource, type Health } from '../support/fake-source';

const payload = (metadata?: Record<string, string>) => ({ name: 'model', namespace: 'ml', phase: 'Progressing', checksum: 'abc123', ...(metadata ? { metadata } : {}) });

function appWith(latency: Health, errors: Health) {
  const source = new FakeSource({ latency, errors });
  return { source, ...testApp({ analysis: { source } }) };
}

describe('Flagger webhooks: status per type and verdict', () => {
  const cases: [string, Health, Health, number][] = [
    ['rollout', 'pass', 'pass', 200],
    ['rollout', 'fail', 'pass', 412],
    ['rollout', 'inconclusive', 'pass', 200],
    ['pre-rollout', 'pass', 'fail', 412],
    ['pre-rollout', 'inconclusive', 'inconclusive', 200],
    ['confirm-traffic-increase', 'pass', 'pass', 200],
    ['confirm-traffic-increase', 'pass', 'fail', 412],
    ['confirm-traffic-increase', 'pass', 'inconclusive', 200],
    ['confirm-promotion', 'pass', 'pass', 200],
    ['confirm-promotion', 'pass', 'inconclusive', 412],
    ['confirm-promotion', 'fail', 'pass', 412],
    ['rollback', 'fail', 'pass', 200],
    ['rollback', 'pass', 'fail', 200],
    ['rollback', 'pass', 'pass', 409],
    ['rollback', 'inconclusive', 'inconclusive', 409],
  ];
  it.each(cases)('%s with latency %s and errors %s answers %d', async (type, latency, errors, status) => {
    const { app } = appWith(latency, errors);
    const res = await request(app).post(`/v1/flagger/${type}`).send(payload());
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/^canary-judge (pass|fail|inconclusive): /);
    expect(res.text.length).toBeLessThanOrEqual(300);
  });

  it('answers event and post-rollout with 200 without judging', async () => {
    const { app, source } = appWith('fail', 'fail');
    for (const type of ['event', 'post-rollout']) {
      expect((await request(app).post(`/v1/flagger/${type}`).send(payload())).status).toBe(200);
    }
    expect(source.calls).toHaveLength(0);
  });

  it('says why a check failed in a short event text', async () => {
    const { app } = appWith('pass', 'fail');
    const res = await request(app).post('/v1/flagger/rollout').send(payload());
    expect(res.text).toMatch(/^canary-judge fail: critical metric error-rate: the rate is 1\.5% on the canary vs 0\.5% on the baseline/);
  });
});

describe('Flagger webhooks: sides, metadata and errors', () => {
  it('derives the sides Flagger\'s way and uses the default profile', async () => {
    const { app, source } = appWith('pass', 'pass');
    await request(app).post('/v1/flagger/rollout').send(payload());
    const latency = source.calls.find((c) => c.metric.name === 'latency')!;
    expect(latency.ctx.canary).toEqual({ destination_workload_namespace: 'ml', destination_workload: 'model' });
    expect(latency.ctx.baseline).toEqual({ destination_workload_namespace: 'ml', destination_workload: 'model-primary' });
    expect(latency.ctx.window.end - latency.ctx.window.start).toBe(600);
    expect(source.calls.map((c) => c.metric.name).sort()).toEqual(['error-rate', 'latency', 'prediction-score']);
    // Client-side failures: what the callers' proxies report of the Services Flagger routes to.
    expect(latency.ctx.pins?.canary.sourceLabels).toEqual({ destination_service_name: 'model-canary', destination_service_namespace: 'ml' });
    expect(latency.ctx.pins?.baseline.sourceLabels).toEqual({ destination_service_name: 'model-primary', destination_service_namespace: 'ml' });
    expect(latency.ctx.pins?.canary.pods).toMatch(/^fake-[a-z0-9]+-\[a-z0-9\]\{5\}$/);
  });

  it('reads lookback, labels, per-metric margins and onInconclusive from metadata', async () => {
    const { app, source } = appWith('inconclusive', 'pass');
    source.canaryAgeSeconds = 3600;
    const res = await request(app).post('/v1/flagger/confirm-promotion').send(
      // Issue 15: a relative margin above 1 (here: the error rate may triple) now needs its opt-in.
      payload({ lookback: '30m', 'labels.reporter': 'source', 'canary.labels.destination_version': 'v2', 'metrics.error-rate.margin.relative': '2', 'metrics.error-rate.margin.allowLargeRelative': 'true', 'metrics.latency.critical': 'false', onInconclusive: 'pass' }),
    );
    const call = source.calls.find((c) => c.metric.name === 'error-rate')!;
    expect(call.ctx.window.end - call.ctx.window.start).toBe(1800);
    expect(call.ctx.canary).toEqual(expect.objectContaining({ reporter: 'source', destination_version: 'v2' }));
    // A margin override replaces the profile's margins: exactly what the metadata says.
    expect(call.metric.margin).toEqual({ relative: 2 });
    expect(source.calls.find((c) => c.metric.name === 'latency')!.metric.critical).toBe(false);
    expect(res.status).toBe(200);
  });

  it('switches a profile metric to the share above a threshold, never beside a statistic', async () => {
    const { app, source } = appWith('pass', 'pass');
    const res = await request(app).post('/v1/flagger/rollout').send(payload({ 'metrics.latency.threshold': '250' }));
    const latency = source.calls.find((c) => c.metric.name === 'latency')!.metric;
    expect(latency).toEqual(expect.objectContaining({ threshold: 250, quantile: undefined }));
    // The fake source's buckets are 5 ms apart: 250 is one of their bounds, so it is judged.
    expect(res.status).toBe(200);
    const bad = await request(app).post('/v1/flagger/rollout').send(payload({ 'metrics.latency.threshold': 'fast' }));
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual([{ path: 'metadata.metrics.latency.threshold', message: 'expected a number (judge the share of observations above it)' }]);
    const both = await request(app).post('/v1/flagger/rollout').send(payload({ 'metrics.latency.threshold': '250', 'metrics.latency.statistic': 'p99' }));
    expect(both.status).toBe(400);
    expect(both.body.issues).toEqual([{ path: 'metadata.metrics.latency.threshold', message: 'give either "statistic" or "threshold" for a metric, not both' }]);
  });

  it('rejects unknown metadata keys and bad values with 400 listing them', async () => {
    const { app } = appWith('pass', 'pass');
    const res = await request(app).post('/v1/flagger/rollout').send(payload({ lookbak: '5m', onInconclusive: 'maybe', 'metrics.latency.margin.relative': 'ten' }));
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['metadata.lookbak', 'metadata.metrics.latency.margin.relative', 'metadata.onInconclusive']);
  });

  it('rejects an invalid payload with 400 and an unknown type with 404', async () => {
    const { app } = appWith('pass', 'pass');
    expect((await request(app).post('/v1/flagger/rollout').send({ namespace: 'ml' })).status).toBe(400);
    expect((await request(app).post('/v1/flagger/rollout').send({ name: 'model', namespace: 'ml', metadata: { a: 1 } })).status).toBe(400);
    expect((await request(app).post('/v1/flagger/promote').send(payload())).status).toBe(404);
  });

  it('rejects an unknown profile with 400', async () => {
    const { app } = appWith('pass', 'pass');
    const res = await request(app).post('/v1/flagger/rollout').send(payload({ profile: 'nope' }));
    expect(res.status).toBe(400);
    expect(res.body.issues[0].message).toMatch(/unknown profile "nope"/);
  });

  it('answers 503 when Prometheus cannot answer: a failed check, and no rollback', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' }, new SourceUnavailableError('Prometheus did not answer within 8000 ms', 'timeout'));
    const { app } = testApp({ analysis: { source } });
    for (const type of ['rollout', 'confirm-promotion', 'rollback']) {
      const res = await request(app).post(`/v1/flagger/${type}`).send(payload());
      expect(res.status).toBe(503);
    }
  });
});

describe('/v1/analyze with templates', () => {
  it('answers 503 when no Prometheus is configured', async () => {
    const { app } = testApp();
    const res = await request(app).post('/v1/analyze').send({ baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } } });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: 'source_unavailable', message: 'no Prometheus is configured (set PROMETHEUS_URL)' });
  });

  it('reports the window, the queries per metric and skipped optional metrics', async () => {
    const { app, source } = appWith('pass', 'pass');
    source.canaryAgeSeconds = 3600;
    const res = await request(app).post('/v1/analyze').send({ baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } }, start: '2026-11-24T10:00:00Z', end: 1795516200 });
    expect(res.status).toBe(200);
    expect(res.body.window).toEqual({ start: '2026-11-24T10:00:00.000Z', end: '2026-11-24T10:30:00.000Z' });
    expect(res.body.profile).toBe('default');
    expect(res.body.skipped).toEqual(['prediction-score']);
    expect(res.body.metrics.map((m: { name: string }) => m.name)).toEqual(['latency', 'error-rate']);
    expect(res.body.metrics[0].queries.canary[0]).toContain('"destination_version":"v2"');
    expect(res.body.verdict).toBe('pass');
  });
});
