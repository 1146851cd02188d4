/**
 * Bounded work (issue 22): every documented limit is a 400 that names the limit and the value,
 * for inline bodies and for what Prometheus answers alike; nothing beyond them reaches the judge.
 */
import request from 'supertest';
import { MAX_BUCKETS, MAX_CATEGORIES, MAX_TIMELINE_CELLS, MAX_WINDOW_SECONDS } from '../../src/contracts/limits';
import type { FetchedMetric, TemplateMetric } from '../../src/sources/metric-source';
import { FakeSource } from '../support/fake-source';
import { testApp } from '../support/app';

const { app } = testApp();
const post = (body: unknown) => request(app).post('/v1/analyze').send(body as object);
const issue = (res: request.Response, path: string) => res.body.issues?.find((i: { path: string }) => i.path === path);

const categories = (n: number, offset = 0) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`class-${i + offset}`, 10]));
const selectors = { baseline: { labels: { version: 'v1' } }, canary: { labels: { version: 'v2' } } };

describe('limits on inline data', () => {
  it('refuses more categories than the limit, counting both sides together, and names both numbers', async () => {
    const res = await post({ metrics: [{ name: 'class', kind: 'categorical', baseline: { counts: categories(600) }, canary: { counts: categories(600, 500) } }] });
    expect(res.status).toBe(400);
    expect(issue(res, 'metrics.class.counts').message).toMatch(/1,100 categories exceed the limit of 1,000 categories per metric/);
  });

  it('answers 200,000 categories with a 400, not a 500 (the spread that overflowed the stack)', async () => {
    // Written as text: building 200,000 keys as an object costs seconds in the test itself.
    const counts = `{${Array.from({ length: 200_000 }, (_, i) => `"class-${i}":10`).join(',')}}`;
    const body = `{"metrics":[{"name":"class","kind":"categorical","baseline":{"counts":${counts}},"canary":{"counts":${counts}}}]}`;
    const res = await request(app).post('/v1/analyze').set('content-type', 'application/json').send(body);
    expect(res.status).toBe(400);
    // Counted in the schema, before a single category is read.
    expect(issue(res, 'metrics[0].baseline.counts').message).toMatch(/200,000 categories exceed the limit of 1,000/);
    expect(issue(res, 'metrics[0].canary.counts').message).toMatch(/200,000 categories/);
  }, 30_000);

  it('refuses a histogram with more buckets than the limit', async () => {
    let cumulative = 0;
    const buckets = [...Array.from({ length: MAX_BUCKETS + 1 }, (_, i) => ({ le: i + 1, count: (cumulative += 1) })), { le: '+Inf', count: cumulative }];
    const res = await post({ metrics: [{ name: 'latency', kind: 'continuous', baseline: { histogram: { buckets } }, canary: { values: [1, 2, 3] } }] });
    expect(res.status).toBe(400);
    expect(issue(res, 'metrics.latency.histogram.buckets').message).toMatch(/1,002 buckets exceeds the limit of 1,000 buckets per histogram/);
  });

  it('refuses more intervals than a day of minutes, saying how many were given', async () => {
    const intervals = Array.from({ length: 1441 }, () => ({ events: 1, total: 10 }));
    const res = await post({ metrics: [{ name: 'errors', kind: 'proportion', baseline: { intervals }, canary: { intervals } }] });
    expect(res.status).toBe(400);
    expect(issue(res, 'metrics[0].baseline.intervals').message).toMatch(/got 1,441 intervals; at most 1,440 intervals/);
  });

  it('refuses more metrics than the limit, saying how many were given', async () => {
    const metric = (i: number) => ({ name: `m${i}`, kind: 'proportion', baseline: { events: 1, total: 10 }, canary: { events: 1, total: 10 } });
    const res = await post({ metrics: Array.from({ length: 101 }, (_, i) => metric(i)) });
    expect(res.status).toBe(400);
    expect(issue(res, 'metrics').message).toMatch(/got 101 metrics per analysis; at most 100/);
  });

  it('refuses the product: metrics x intervals beyond the timeline cells of one analysis', async () => {
    const intervals = Array.from({ length: 1440 }, () => ({ events: 1, total: 100 }));
    const metrics = Array.from({ length: Math.ceil(MAX_TIMELINE_CELLS / 1440) + 1 }, (_, i) => ({ name: `m${i}`, kind: 'proportion', baseline: { intervals }, canary: { intervals } }));
    const res = await post({ metrics });
    expect(res.status).toBe(400);
    expect(issue(res, 'metrics').message).toMatch(/the timelines hold 21,600 cells .* beyond the limit of 20,000 per analysis/);
  });

  it('counts categories times intervals for categorical timelines', async () => {
    const interval = { counts: categories(50) };
    const intervals = Array.from({ length: 700 }, () => interval);
    const res = await post({ metrics: [{ name: 'class', kind: 'categorical', baseline: { intervals }, canary: { intervals } }] });
    expect(res.status).toBe(400);
    expect(issue(res, 'metrics').message).toMatch(/35,000 cells/);
  });
});

describe('limits on the window', () => {
  it.each([
    ['lookback', { lookback: '5000w' }, 'lookback'],
    ['maxAge', { since: 'canary', maxAge: '30d' }, 'maxAge'],
    ['trafficLookback', { trafficLookback: '2w', expectedCanaryShare: 0.1 }, 'trafficLookback'],
    ['start to end', { start: '2026-01-01T00:00:00Z', end: '2026-02-01T00:00:00Z' }, 'start'],
  ])('refuses a %s longer than a week, naming the limit and the value', async (_label, window, path) => {
    const res = await post({ ...selectors, ...window, metrics: [{ name: 'errors', template: 'istio-error-rate' }] });
    expect(res.status).toBe(400);
    expect(issue(res, path).message).toMatch(/at most 7 days \(604,800 s, a limit of the service/);
  });

  it('refuses a start more than a week before now (no end)', async () => {
    const { app: withSource } = testApp({ analysis: { source: { fetch: () => Promise.reject(new Error('not reached')) } } });
    const start = Math.floor(Date.now() / 1000) - MAX_WINDOW_SECONDS - 3600;
    const res = await request(withSource).post('/v1/analyze').send({ ...selectors, start, metrics: [{ name: 'errors', template: 'istio-error-rate' }] });
    expect(res.status).toBe(400);
    expect(issue(res, 'start').message).toMatch(/^the window from "start" to now is 608,\d{3} s; at most 7 days/);
  });
});

/** A source whose categorical answers carry `n` categories per side, as a `by` label with n values would. */
class ManyCategories extends FakeSource {
  constructor(private readonly n: number) {
    super({ latency: 'pass', errors: 'pass' });
  }
  override async fetch(metric: TemplateMetric): Promise<FetchedMetric> {
    const counts = Array.from({ length: this.n }, (_, i) => [`pod-${i}`, 5] as [string, number]);
    const side = { counts, intervals: [{ counts }] };
    return { kind: 'categorical', baseline: side, canary: side, queries: { baseline: [metric.name], canary: [metric.name] } };
  }
}

describe('limits on what Prometheus answers', () => {
  it('refuses a categorical template whose "by" label has more values than the category limit', async () => {
    const { app: withSource } = testApp({ analysis: { source: new ManyCategories(MAX_CATEGORIES + 500) } });
    const res = await request(withSource).post('/v1/analyze').send({ ...selectors, metrics: [{ name: 'by-pod', template: 'categorical', metric: 'requests_total', by: 'pod' }] });
    expect(res.status).toBe(400);
    expect(issue(res, 'metrics.by-pod.counts').message).toMatch(/1,500 categories exceed the limit of 1,000/);
  });

  it('judges one within the limit', async () => {
    const { app: withSource } = testApp({ analysis: { source: new ManyCategories(20) } });
    const res = await request(withSource).post('/v1/analyze').send({ ...selectors, metrics: [{ name: 'by-pod', template: 'categorical', metric: 'requests_total', by: 'pod' }] });
    expect(res.status).toBe(200);
    expect(res.body.metrics[0].kind).toBe('categorical');
  });
});
