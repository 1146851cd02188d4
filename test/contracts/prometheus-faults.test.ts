/**
 * Faults between canary-judge and Prometheus, seen from the API: none of them may ever pass.
 * Outages answer 503 (Argo: Error, retried; Flagger: a failed check), data gaps inconclusive.
 */
import request from 'supertest';
import { problemSchema } from '../../src/contracts/analyze-response';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { testApp } from '../support/app';
import { closedPort, EMPTY_VECTOR, fakeFetch, promError, startServer, vector, vectorsAsTimeline, withOnePodPerSide, type Responder } from '../sources/fake-prometheus';

const sides = { labels: { destination_workload_namespace: 'ml' }, baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } }, lookback: '10m' };
const errorRate = { ...sides, metrics: [{ name: 'errors', template: 'istio-error-rate' }] };

function appWithFetch(respond: Responder, deadlineMs = 2000) {
  const fake = fakeFetch(withOnePodPerSide(vectorsAsTimeline(respond)));
  const source = new PrometheusSource(new PrometheusClient({ baseUrl: 'http://127.0.0.1:9090', queryTimeoutMs: 1000, fetch: fake.fetch }));
  return { ...testApp({ analysis: { source, deadlineMs } }), requests: fake.requests };
}

function appWithUrl(url: string, deadlineMs = 2000) {
  const source = new PrometheusSource(new PrometheusClient({ baseUrl: url, queryTimeoutMs: 5000 }));
  return testApp({ analysis: { source, deadlineMs } });
}

/** Healthy counts for both sides, unless `canaryAnswer` overrides the canary's queries. */
const countsBy = (canaryAnswer?: (query: string) => ReturnType<typeof vector>): Responder => (req) => {
  const query = req.params.query;
  const canary = query.includes('destination_version="v2"');
  if (canary && canaryAnswer) return canaryAnswer(query);
  return vector([[{}, query.includes('response_code') ? '50' : '10000']]);
};

describe('Prometheus faults never pass', () => {
  it('is 503 when Prometheus is down', async () => {
    const { app } = appWithUrl(`http://127.0.0.1:${await closedPort()}`);
    const res = await request(app).post('/v1/analyze').send(errorRate);
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('source_unavailable');
    expect(res.body.message).toMatch(/unreachable/);
  });

  it('is 503 when Prometheus is slower than the analysis deadline', async () => {
    const slow = await startServer((_req, res) => setTimeout(() => res.end('{}'), 1500).unref());
    try {
      const { app } = appWithUrl(slow.url, 300);
      const started = Date.now();
      const res = await request(app).post('/v1/analyze').send(errorRate);
      expect(res.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(1400);
    } finally {
      await slow.close();
    }
  });

  it.each([
    ['HTTP 500', () => promError(500, 'internal', 'out of memory')],
    ['HTTP 503 with an HTML page', () => ({ status: 503, body: '<html>Service Unavailable</html>', contentType: 'text/html' })],
    ['malformed JSON', () => ({ body: '{"status": "success", "data": ' })],
    ['the wrong shape', () => ({ body: { status: 'success', data: { resultType: 'scalar', result: [1, '2'] } } })],
    ['an infinite count', () => vector([[{}, '+Inf']])],
  ])('is 503 for %s', async (_label, answer) => {
    const { app } = appWithFetch(() => answer());
    const res = await request(app).post('/v1/analyze').send(errorRate);
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('source_unavailable');
  });

  it('is inconclusive, naming the side, when the canary has no series', async () => {
    const { app } = appWithFetch(countsBy(() => EMPTY_VECTOR));
    const res = await request(app).post('/v1/analyze').send(errorRate);
    expect(res.status).toBe(200);
    expect(res.body.verdict).toBe('inconclusive');
    expect(res.body.metrics[0].reason).toMatch(/canary has no data/);
  });

  it('is 503 naming the series and the fault when a count is NaN (never read as zero)', async () => {
    const { app } = appWithFetch(countsBy((query) => (query.includes('response_code') ? vector([[{}, 'NaN']]) : vector([[{}, '10000']]))));
    const res = await request(app).post('/v1/analyze').send(errorRate);
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('source_unavailable');
    expect(res.body.message).toMatch(/^Prometheus answered samples that cannot be judged: metric "errors" \(canary\), events series \{\} at .*: the sample is NaN/);
    // One per interval of the timeline, each placed.
    expect(res.body.faults.length).toBeGreaterThan(1);
    for (const fault of res.body.faults) {
      expect(fault).toEqual(expect.objectContaining({ code: 'nan', metric: 'errors', side: 'canary', role: 'events', series: {}, query: expect.stringContaining('response_code=~"5.."'), at: expect.any(String) }));
    }
    // The documented problem schema (OpenAPI) describes it.
    expect(problemSchema.parse(res.body)).toEqual(res.body);
  });

  it('is 503 naming the revision look-up when a pod\'s request count is NaN (never "no traffic")', async () => {
    const lookup = withOnePodPerSide(() => EMPTY_VECTOR);
    const fake = fakeFetch(async (req) => {
      const answer = await lookup(req);
      const query = req.params.query;
      if (!/^sum by \(pod\)/.test(query) || !query.includes('"v2"')) return /by \(pod\)/.test(query) ? answer : vectorsAsTimeline(countsBy())(req);
      const body = answer.body as { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
      body.data.result[0].values[0][1] = 'NaN';
      return answer;
    });
    const source = new PrometheusSource(new PrometheusClient({ baseUrl: 'http://127.0.0.1:9090', queryTimeoutMs: 1000, fetch: fake.fetch }));
    const res = await request(testApp({ analysis: { source } }).app).post('/v1/analyze').send({ ...errorRate, since: 'canary' });
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(/metric "revision look-up" \(canary\), revision-lookup series \{pod="model-[a-z0-9]+-abcde"\} at .*: the sample is NaN/);
  });

  it('keeps label injection inside the label value', async () => {
    const { app, requests } = appWithFetch(countsBy());
    const injected = { ...errorRate, canary: { labels: { destination_version: 'v2"} or vector(1) # \\ \n' } } };
    const res = await request(app).post('/v1/analyze').send(injected);
    expect(res.status).toBe(200);
    const canaryQueries = requests.map((r) => r.params.query).filter((q) => q.includes('vector(1)'));
    expect(canaryQueries.length).toBeGreaterThan(0);
    for (const query of canaryQueries) expect(query).toContain('destination_version="v2\\"} or vector(1) # \\\\ \\n"');
  });

  it('answers 400 (not 503 forever) when Prometheus refuses a custom query', async () => {
    const { app } = appWithFetch(() => promError(400, 'bad_data', '1:5: parse error: unexpected "}"'));
    const res = await request(app).post('/v1/analyze').send({ ...sides, metrics: [{ name: 'q', template: 'query', query: 'sum(rate(x{ {{labels}} }[5m])' }] });
    expect(res.status).toBe(400);
    expect(res.body.issues[0].message).toMatch(/refused the query/);
  });
});
