/** Verdicts as metrics (issue 14): per (namespace, rollout, metric) gauges with a TTL and a cap. */
import request from 'supertest';
import { testApp } from '../support/app';
import { FakeSource } from '../support/fake-source';
import { proportionMetric } from '../support/requests';
import { Registry } from 'prom-client';
import { VerdictMetrics } from '../../src/service/verdict-metrics';

const sides = { baseline: { labels: { version: 'v1' } }, canary: { labels: { version: 'v2' } } };

function series(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('verdict gauges', () => {
  it('exports the latest verdict, estimate, bounds and margin per analysis key, and the overall verdict', async () => {
    const { app } = testApp({ verdicts: { ttlSeconds: 900, maxKeys: 1000, fromInline: true } });
    const body = { rollout: { namespace: 'shop', name: 'checkout' }, metrics: [proportionMetric('errors', [1500, 100000], [500, 100000])] };
    expect((await request(app).post('/v1/analyze').send(body)).body.verdict).toBe('fail');
    const text = (await request(app).get('/metrics')).text;
    expect(series(text, 'canary_judge_metric_verdict')).toEqual(['canary_judge_metric_verdict{namespace="shop",rollout="checkout",metric="errors"} -1']);
    expect(series(text, 'canary_judge_metric_effect_estimate')[0]).toMatch(/^canary_judge_metric_effect_estimate\{namespace="shop",rollout="checkout",metric="errors"\} 2$/);
    expect(series(text, 'canary_judge_metric_effect_margin')[0]).toMatch(/ 0\.5$/);
    expect(series(text, 'canary_judge_metric_effect_lower')).toHaveLength(1);
    expect(series(text, 'canary_judge_metric_effect_upper')).toHaveLength(1);
    expect(series(text, 'canary_judge_rollout_verdict')).toEqual(['canary_judge_rollout_verdict{namespace="shop",rollout="checkout"} -1']);
    expect(series(text, 'canary_judge_rollout_score')).toHaveLength(1);
    // The next analysis of the same key replaces its values.
    await request(app).post('/v1/analyze').send({ ...body, metrics: [proportionMetric('errors', [500, 100000], [500, 100000])] });
    const after = (await request(app).get('/metrics')).text;
    expect(series(after, 'canary_judge_metric_verdict')).toEqual(['canary_judge_metric_verdict{namespace="shop",rollout="checkout",metric="errors"} 1']);
  });

  it('exports nothing for an analysis without a key, and keys Flagger checks by the canary', async () => {
    const { app } = testApp({ analysis: { source: new FakeSource({ latency: 'pass', errors: 'pass' }) } });
    await request(app).post('/v1/analyze').send({ metrics: [proportionMetric('errors', [500, 100000], [500, 100000])] });
    expect(series((await request(app).get('/metrics')).text, 'canary_judge_metric_verdict')).toEqual([]);
    await request(app).post('/v1/flagger/rollout').send({ name: 'podinfo', namespace: 'test' });
    const text = (await request(app).get('/metrics')).text;
    expect(series(text, 'canary_judge_metric_verdict').map((l) => l.replace(/ .*$/, ''))).toEqual([
      'canary_judge_metric_verdict{namespace="test",rollout="podinfo",metric="latency"}',
      'canary_judge_metric_verdict{namespace="test",rollout="podinfo",metric="error-rate"}',
    ]);
  });

  it('refuses a malformed key with a 400 naming it', async () => {
    const { app } = testApp();
    const res = await request(app).post('/v1/analyze').send({ rollout: { namespace: 'shop', name: 'a b', nmae: 'x' }, metrics: [proportionMetric('errors', [5, 100], [5, 100])] });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['rollout.name', 'rollout.nmae']);
  });

  it('expires a key after its TTL and caps the keys, counting what it drops', async () => {
    let now = 1_000_000;
    const registry = new Registry();
    const verdicts = new VerdictMetrics(registry, { ttlSeconds: 600, maxKeys: 3, now: () => now });
    const result = (name: string) => ({
      verdict: 'pass' as const, score: 100, reason: 'ok', alpha: 0.05, evidence: 'anytime-valid',
      metrics: [{ name, kind: 'proportion' as const, verdict: 'pass' as const, reason: 'ok', critical: false, weight: 1, direction: 'increase' as const, baseline: { n: 1, events: 0, rate: 0 }, canary: { n: 1, events: 0, rate: 0 }, tests: [], effect: { measure: 'm', unit: 'rate' as const, estimate: 0, lower: -Infinity, upper: 0.001, tolerance: 0.01 } }],
    });
    verdicts.record({ namespace: 'a', rollout: 'one' }, result('errors')); // 2 keys: the rollout and its metric
    verdicts.record({ namespace: 'a', rollout: 'one' }, result('latency')); // 3
    verdicts.record({ namespace: 'b', rollout: 'two' }, result('errors')); // at the cap: dropped
    let text = await registry.metrics();
    expect(series(text, 'canary_judge_metric_verdict')).toHaveLength(2);
    expect(series(text, 'canary_judge_metric_effect_lower')[0]).toMatch(/ -Inf$/);
    expect(series(text, 'canary_judge_verdict_series_dropped_total')).toEqual(['canary_judge_verdict_series_dropped_total 1']);
    expect(series(text, 'canary_judge_verdict_keys')).toEqual(['canary_judge_verdict_keys 3']);
    now += 601;
    text = await registry.metrics();
    expect(series(text, 'canary_judge_metric_verdict')).toEqual([]);
    expect(series(text, 'canary_judge_rollout_verdict')).toEqual([]);
    expect(series(text, 'canary_judge_verdict_keys')).toEqual(['canary_judge_verdict_keys 0']);
    verdicts.record({ namespace: 'b', rollout: 'two' }, result('errors'));
    expect(series(await registry.metrics(), 'canary_judge_metric_verdict')).toHaveLength(1);
  });
});

describe('per-source query metrics', () => {
  it('counts every Prometheus query by outcome and times it', async () => {
    const { createSelfMetrics, prometheusQueryObserver } = await import('../../src/service/self-metrics');
    const { PrometheusClient } = await import('../../src/sources/prometheus/client');
    const { fakeFetch, vector, promError } = await import('../sources/fake-prometheus');
    const metrics = createSelfMetrics(false);
    const answers = [vector([[{}, '1']]), promError(503, 'unavailable', 'overloaded'), vector([[{}, '2']])];
    const fake = fakeFetch(() => answers.shift()!);
    const client = new PrometheusClient({ baseUrl: 'http://prometheus:9090', queryTimeoutMs: 1000, fetch: fake.fetch, observe: prometheusQueryObserver(metrics) });
    const signal = new AbortController().signal;
    await client.instant('up', 1700000600, signal);
    await expect(client.instant('up', 1700000600, signal)).rejects.toThrow(/HTTP 503/);
    await client.instant('up', 1700000600, signal);
    const text = await metrics.registry.metrics();
    expect(series(text, 'canary_judge_source_queries_total')).toEqual(expect.arrayContaining([
      'canary_judge_source_queries_total{source="prometheus",outcome="ok"} 2',
      'canary_judge_source_queries_total{source="prometheus",outcome="status"} 1',
      'canary_judge_source_queries_total{source="prometheus",outcome="timeout"} 0',
    ]));
    expect(series(text, 'canary_judge_source_query_duration_seconds_count')).toEqual(['canary_judge_source_query_duration_seconds_count{source="prometheus"} 3']);
  });
});

describe('configuration of links and verdict series', () => {
  it('reads PUBLIC_URL (a plain base URL, never with credentials), VERDICT_SERIES_TTL and VERDICT_SERIES_MAX', async () => {
    const { loadConfig } = await import('../../src/service/config');
    expect(loadConfig({})).toMatchObject({ VERDICT_SERIES_TTL: '15m', VERDICT_SERIES_MAX: 1000 });
    expect(loadConfig({}).PUBLIC_URL).toBeUndefined();
    expect(loadConfig({ PUBLIC_URL: 'https://judge.example.com/canary', VERDICT_SERIES_TTL: '1h', VERDICT_SERIES_MAX: '50' })).toMatchObject({ PUBLIC_URL: 'https://judge.example.com/canary', VERDICT_SERIES_TTL: '1h', VERDICT_SERIES_MAX: 50 });
    expect(() => loadConfig({ PUBLIC_URL: 'https://user:secret@judge.example.com' })).toThrow(/PUBLIC_URL: expected a plain base URL/);
    expect(() => loadConfig({ PUBLIC_URL: 'https://judge.example.com/?token=x' })).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://judge' })).toThrow(/PUBLIC_URL: expected an http\(s\) URL/);
    expect(() => loadConfig({ VERDICT_SERIES_TTL: '15' })).toThrow(/VERDICT_SERIES_TTL/);
    expect(() => loadConfig({ VERDICT_SERIES_MAX: '0' })).toThrow(/VERDICT_SERIES_MAX/);
  });
});

describe('the service process', () => {
  it('exports the verdict gauges and the query counters from main, and logs the analysis key', async () => {
    const { startServiceProcess } = await import('../support/service-process');
    const service = await startServiceProcess({ env: { VERDICT_SERIES_MAX: '10', PUBLIC_URL: 'https://judge.example.com', VERDICT_GAUGES_FROM_INLINE: 'true' } });
    try {
      const body = { rollout: { namespace: 'shop', name: 'checkout' }, metrics: [proportionMetric('errors', [1500, 100000], [500, 100000])] };
      const answer = await fetch(`${service.url}/v1/analyze`, { method: 'POST', body: JSON.stringify(body) });
      const json = (await answer.json()) as { verdict: string; report?: string };
      expect(json.verdict).toBe('fail');
      expect(json.report).toBeUndefined(); // inline data: no link
      const text = await (await fetch(`${service.url}/metrics`)).text();
      expect(series(text, 'canary_judge_metric_verdict')).toEqual(['canary_judge_metric_verdict{namespace="shop",rollout="checkout",metric="errors"} -1']);
      expect(series(text, 'canary_judge_source_queries_total')).toContain('canary_judge_source_queries_total{source="prometheus",outcome="ok"} 0');
      expect(service.logs.some((line) => line.includes('"msg":"analysis"') && line.includes('"rollout":{"namespace":"shop","name":"checkout"}'))).toBe(true);
    } finally {
      await service.stop();
    }
  }, 30_000);
});

describe('who may set the gauges (issue 22)', () => {
  it('ignores inline data by default: a caller cannot write any rollout\'s verdict from numbers it made up', async () => {
    const { app } = testApp();
    const body = { rollout: { namespace: 'shop', name: 'checkout' }, metrics: [proportionMetric('errors', [500, 100000], [500, 100000])] };
    expect((await request(app).post('/v1/analyze').send(body)).status).toBe(200);
    expect(series((await request(app).get('/metrics')).text, 'canary_judge_rollout_verdict')).toEqual([]);
  });

  it('caps the keys of one namespace, leaving room for the others', () => {
    const verdicts = new VerdictMetrics(new Registry(), { ttlSeconds: 900, maxKeys: 100, maxKeysPerNamespace: 4 });
    const result = { verdict: 'pass' as const, score: 100, reason: '', alpha: 0.05, evidence: 'anytime-valid', metrics: [{ name: 'errors', kind: 'proportion' as const, verdict: 'pass' as const, reason: '', critical: false, weight: 1, direction: 'increase' as const, baseline: { n: 1, events: 0, rate: 0 }, canary: { n: 1, events: 0, rate: 0 }, tests: [] }] };
    for (let i = 0; i < 10; i++) verdicts.record({ namespace: 'flood', rollout: `r${i}` }, result);
    verdicts.record({ namespace: 'shop', rollout: 'checkout' }, result);
    expect(verdicts.prune()).toBe(4 + 2);
  });
});
