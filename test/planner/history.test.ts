/** The stable's history through the real Prometheus source (a fake HTTP API): one query per series, per-minute counts, the pooled histogram. */
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { fetchStableHistory } from '../../src/planner/history';
import { fakeFetch } from '../sources/fake-prometheus';
import { stableAnswer } from './stable-prometheus';

describe('fetchStableHistory', () => {
  it('reads requests and errors per minute and the latency histogram of the stable side, each query once', async () => {
    const fake = fakeFetch((request) => stableAnswer(request.params, 1200));
    const source = new PrometheusSource(new PrometheusClient({ baseUrl: 'http://prometheus:9090', queryTimeoutMs: 2000, fetch: fake.fetch }));
    const end = 1_700_010_000;
    const history = await fetchStableHistory(source, { destination_version: 'v1' }, { start: end - 3600, end }, new AbortController().signal);
    expect(history.intervalSeconds).toBe(60);
    expect(history.requests).toHaveLength(60);
    expect(new Set(history.requests)).toEqual(new Set([1200]));
    expect(new Set(history.errors)).toEqual(new Set([6]));
    expect(history.latency!.bounds.at(-1)).toBe(Infinity);
    expect(history.latency!.counts.reduce((a, b) => a + b, 0)).toBe(60 * 1200);
    // Errors, requests, the buckets and their series per bound: each range query once, not twice (both sides share them).
    const queries = fake.requests.map((r) => r.params.query);
    expect(new Set(queries).size).toBe(queries.length);
    expect(queries.length).toBeLessThanOrEqual(4);
    expect(fake.requests.every((r) => r.url.endsWith('/api/v1/query_range') && r.params.query.includes('destination_version="v1"') && r.params.query.includes('[60s]'))).toBe(true);
  });

  it('has no latency when the stable has no histogram series', async () => {
    const fake = fakeFetch((request) => (request.params.query.includes('_bucket') ? { body: { status: 'success', data: { resultType: 'matrix', result: [] } } } : stableAnswer(request.params, 500)));
    const source = new PrometheusSource(new PrometheusClient({ baseUrl: 'http://prometheus:9090', queryTimeoutMs: 2000, fetch: fake.fetch }));
    const history = await fetchStableHistory(source, { destination_version: 'v1' }, { start: 1_700_000_000, end: 1_700_001_200 }, new AbortController().signal);
    expect(history.latency).toBeUndefined();
    expect(history.requests.every((r) => r === 500)).toBe(true);
  });
});
