/**
 * Segments through the API (src/contracts/segments-request.ts, src/sources/validate/segments.ts):
 * inline requests and template metrics with `segmentBy` against a fake Prometheus. Strict (a
 * typo is a 400 naming it), bounded (MAX_SEGMENTS), fail-closed (one-sided segments, NaN and
 * duplicate series never pass).
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { analyzeResponseSchema } from '../../src/contracts/analyze-response';
import { MAX_SEGMENTS } from '../../src/contracts/limits';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import type { RequestPromql } from '../../src/contracts/promql-policy';
import { testApp } from '../support/app';
import { fakeFetch, vector, vectorsAsTimeline, withOnePodPerSide, type Responder } from '../sources/fake-prometheus';

const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/segments.json'), 'utf8'));
const { app } = testApp();
const post = (body: unknown) => request(app).post('/v1/analyze').send(body as object);

const counts = (events: number, total: number) => ({ events, total });
const proportion = (segments: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ metrics: [{ name: 'errors', kind: 'proportion', segmentBy: 'tenant', segments, ...extra }] });
const twoTenants = { acme: { baseline: counts(10, 1000), canary: counts(1, 100) }, globex: { baseline: counts(30, 3000), canary: counts(3, 300) } };

describe('inline segments', () => {
  it('answers examples/segments.json: fails naming the tenant, with the budget, the segments and the pooled comparison', async () => {
    const res = await post(example);
    expect(res.status).toBe(200);
    expect(analyzeResponseSchema.safeParse(res.body).success).toBe(true);
    expect(res.body.verdict).toBe('fail');
    const metric = res.body.metrics[0];
    expect(metric.reason).toMatch(/^fails for tenant="acme" \(10 % of the canary's traffic, 10 % of the baseline's\), 4\.1x the baseline's rate there: /);
    expect(metric.segments.alphaPerSegment).toBeCloseTo(0.05 / 4, 15);
    expect(metric.segments.segments.map((s: { value: string; verdict: string }) => [s.value, s.verdict])).toEqual([
      ['acme', 'fail'],
      ['globex', 'pass'],
      ['initech', 'pass'],
      ['umbrella', 'inconclusive'],
    ]);
    expect(metric.baseline).toEqual({ n: 1_800_000, events: 9180, rate: 0.0051 });
    expect(metric.segments.pooled.mixDifference).toBeCloseTo(0, 12);
    expect(metric.segments.pooled.confounded).toBeUndefined();
  });

  it('judges timelines per segment', async () => {
    const timeline = (rate: number, n: number) => ({ intervals: Array.from({ length: 12 }, () => counts(Math.round(rate * n), n)) });
    const res = await post(proportion({ acme: { baseline: timeline(0.005, 20_000), canary: timeline(0.02, 2000) }, globex: { baseline: timeline(0.005, 20_000), canary: timeline(0.005, 2000) } }));
    expect(res.status).toBe(200);
    const metric = res.body.metrics[0];
    expect(metric.verdict).toBe('fail');
    expect(metric.intervals).toBe(12);
    expect(metric.decidedAt).toBeGreaterThanOrEqual(1);
    expect(metric.segments.segments[0].timeline.length).toBeGreaterThan(1);
    expect(metric.baseline.n).toBe(480_000);
  });

  it('judges latency per segment from histograms', async () => {
    const histogram = (scale: number) => ({ histogram: { buckets: [{ le: 50, count: 600 * scale }, { le: 100, count: 900 * scale }, { le: 250, count: 990 * scale }, { le: '+Inf', count: 1000 * scale }] } });
    const res = await post({ metrics: [{ name: 'latency', kind: 'continuous', statistic: 'p95', segmentBy: 'region', segments: { eu: { baseline: histogram(10), canary: histogram(1) }, us: { baseline: histogram(20), canary: histogram(2) } } }] });
    expect(res.status).toBe(200);
    expect(res.body.metrics[0].segments.segments.map((s: { value: string }) => s.value)).toEqual(['eu', 'us']);
    expect(res.body.metrics[0].segments.pooled.standardised).toMatchObject({ measure: 'relative shift of p95', crude: 0, standardised: 0 });
  });

  it.each([
    ['a misspelt key of the metric', proportion(twoTenants, { segmnetCoverage: 0.5 }), 'metrics[0].segmnetCoverage', /^unknown key `segmnetCoverage`; did you mean `segmentCoverage`\?/],
    ['a misspelt side of a segment', proportion({ acme: { baseline: counts(1, 10), canry: counts(1, 10) } }), 'metrics[0].segments.acme.canry', /^unknown key `canry`; did you mean `canary`\?/],
    ['a segment missing a side', proportion({ acme: { baseline: counts(1, 10) } }), 'metrics[0].segments.acme.canary', /^missing: expected this side's counts/],
    ['a misspelt count', proportion({ acme: { baseline: { events: 1, totl: 10 }, canary: counts(1, 10) } }), 'metrics[0].segments.acme.baseline.totl', /^unknown key `totl`; did you mean `total`\?/],
    ['the pooled sides beside the segments', proportion(twoTenants, { baseline: counts(40, 4000) }), 'metrics[0].baseline', /a metric with "segments" takes each segment's own "baseline" and "canary" inside "segments"/],
    ['no segments', proportion({}), 'metrics[0].segments', /^give at least one segment$/],
    ['segments as an array', proportion([twoTenants.acme] as never), 'metrics[0].segments', /^expected an object of segment value/],
    ['a coverage above 1', proportion(twoTenants, { segmentCoverage: 90 }), 'metrics[0].segmentCoverage', /^must lie in \(0, 1\]/],
    ['a label name that is no label', proportion(twoTenants, { segmentBy: 'the tenant' }), 'metrics[0].segmentBy', /^expected a Prometheus label name/],
    ['a bidirectional control in a value', proportion({ 'ac\u202eme': twoTenants.acme }), 'metrics[0].segments.ac\u202eme', /^must not contain control or bidirectional formatting characters/],
    ['segmentBy without segments', { metrics: [{ name: 'e', kind: 'proportion', segmentBy: 'tenant', baseline: counts(1, 10), canary: counts(1, 10) }] }, 'metrics[0].segmentBy', /"segmentBy" applies to a metric judged per segment/],
    [
      'segments with different timelines',
      proportion({ acme: { baseline: { intervals: [counts(1, 10)] }, canary: { intervals: [counts(1, 10)] } }, globex: { baseline: { intervals: [counts(1, 10), counts(1, 10)] }, canary: { intervals: [counts(1, 10), counts(1, 10)] } } }),
      'metrics[0].segments.globex.baseline.intervals',
      /^segment "globex"'s baseline gives 2 intervals, segment "acme"'s baseline 1 interval: every side of every segment gives intervals over the same spans of time/,
    ],
    [
      'raw values beside a histogram on one side',
      { metrics: [{ name: 'l', kind: 'continuous', segments: { a: { baseline: { values: [1, 2] }, canary: { values: [1] } }, b: { baseline: { histogram: { buckets: [{ le: '+Inf', count: 2 }] } }, canary: { values: [2] } } } }] },
      'metrics[0].segments.b.baseline',
      /^segment "b"'s baseline gives a histogram but segment "a"'s raw values: the baseline's segments are pooled/,
    ],
    [
      'a threshold between a segment\'s bucket bounds',
      { metrics: [{ name: 'l', kind: 'continuous', threshold: 70, segments: { a: { baseline: { histogram: { buckets: [{ le: 50, count: 1 }, { le: 100, count: 2 }, { le: '+Inf', count: 2 }] } }, canary: { values: [2] } } } }] },
      'metrics[0].threshold',
      /^got 70, which is not a bucket bound of the segment "a"'s baseline histogram \(nearest: 50 and 100\)/,
    ],
  ])('refuses %s with a 400 naming it', async (_label, body, at, message) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual(expect.arrayContaining([{ path: at, message: expect.stringMatching(message) }]));
  });

  it(`refuses more than ${MAX_SEGMENTS} segments, naming the limit and the value`, async () => {
    const many = Object.fromEntries(Array.from({ length: MAX_SEGMENTS + 1 }, (_, i) => [`t${i}`, twoTenants.acme]));
    const res = await post(proportion(many));
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: 'metrics[0].segments', message: `got ${MAX_SEGMENTS + 1} segments; at most ${MAX_SEGMENTS} segments per metric (a limit of the service)` }]);
  });

  it('counts each segment\'s timeline in the timeline-cell limit, naming the cells', async () => {
    const timeline = { intervals: Array.from({ length: 1000 }, () => counts(0, 10)) };
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`t${i}`, { baseline: timeline, canary: timeline }]));
    const res = await post(proportion(many));
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: 'metrics', message: expect.stringMatching(/^the timelines hold 21,000 cells .* beyond the limit of 20,000 per analysis/) }]);
    // 40,000 intervals to parse: seconds on a loaded machine.
  }, 30_000);

  it('keeps a segment named "__proto__"', async () => {
    const res = await post(proportion({ ['__proto__']: twoTenants.acme, other: twoTenants.globex }));
    expect(res.status).toBe(200);
    expect(res.body.metrics[0].segments.segments.map((s: { value: string }) => s.value)).toEqual(['__proto__', 'other']);
  });
});

const sides = { labels: { destination_workload_namespace: 'ml' }, baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } }, lookback: '10m' };

/** The app over a fake Prometheus answering every query through `respond`, per step as its instant answer. */
function templateApp(respond: Responder, requestPromql?: RequestPromql) {
  const fake = fakeFetch(withOnePodPerSide(vectorsAsTimeline(respond)));
  const source = new PrometheusSource(new PrometheusClient({ baseUrl: 'http://127.0.0.1:9090', queryTimeoutMs: 1000, fetch: fake.fetch }));
  return { ...testApp({ analysis: { source, deadlineMs: 4000, ...(requestPromql ? { requestPromql } : {}) } }), requests: fake.requests };
}

/** Requests and 5xx per step, by tenant and side: `[tenant, baseline requests, baseline errors, canary requests, canary errors]`. */
function istioByTenant(rows: readonly (readonly [string, number, number, number, number])[], extra: (query: string, canary: boolean) => ReturnType<typeof vector> | undefined = () => undefined): Responder {
  return (req) => {
    const query = req.params.query;
    const canary = query.includes('destination_version="v2"');
    const own = extra(query, canary);
    if (own) return own;
    const errors = query.includes('response_code=~"5.."');
    return vector(rows.filter((r) => (canary ? r[3] : r[1]) > 0).map(([tenant, bt, be, ct, ce]) => [{ tenant }, String(canary ? (errors ? ce : ct) : errors ? be : bt)] as const));
  };
}

describe('template metrics with segmentBy (a fake Prometheus)', () => {
  const errors = { ...sides, metrics: [{ name: 'errors', template: 'istio-error-rate', segmentBy: 'tenant' }] };

  it('adds the label to every aggregation and judges each tenant, failing the bad one', async () => {
    const { app: judge, requests } = templateApp(istioByTenant([
      ['acme', 9000, 45, 1000, 25],
      ['globex', 36000, 108, 4000, 12],
    ]));
    const res = await request(judge).post('/v1/analyze').send(errors);
    expect(res.status).toBe(200);
    const sent = requests.map((r) => r.params.query).filter((q) => q.includes('istio_requests_total') && !/by \(pod\)/.test(q));
    expect(sent.length).toBeGreaterThan(0);
    for (const q of sent) expect(q).toMatch(/^sum by \(tenant\) \(/);
    const metric = res.body.metrics[0];
    expect(metric.queries.canary[0]).toMatch(/^sum by \(tenant\) \(increase\(istio_requests_total\{/);
    expect(metric.verdict).toBe('fail');
    expect(metric.reason).toMatch(/tenant="acme" \(20 % of the canary's traffic, 20 % of the baseline's\)/);
    expect(metric.segments.by).toBe('tenant');
    expect(metric.intervals).toBe(10);
  });

  it('names a tenant the canary alone serves as not judged, and never passes on it', async () => {
    const { app: judge } = templateApp(istioByTenant([
      ['acme', 0, 0, 2000, 2],
      ['globex', 36000, 36, 2000, 2],
    ]));
    const res = await request(judge).post('/v1/analyze').send(errors);
    expect(res.status).toBe(200);
    const acme = res.body.metrics[0].segments.segments.find((s: { value: string }) => s.value === 'acme');
    expect(acme).toMatchObject({ judged: false, required: true, verdict: 'inconclusive', reason: 'appears on the canary only (20000 observations there, none on the other side): not judged' });
    expect(res.body.metrics[0].verdict).not.toBe('pass');
  });

  it('keeps the traffic without the label as the segment "" (never dropped)', async () => {
    const { app: judge } = templateApp((req) => {
      const errorsQuery = req.params.query.includes('response_code=~"5.."');
      return vector([[{ tenant: 'acme' }, errorsQuery ? '5' : '5000'], [{}, errorsQuery ? '5' : '5000']]);
    });
    const res = await request(judge).post('/v1/analyze').send(errors);
    expect(res.status).toBe(200);
    expect(res.body.metrics[0].segments.segments.map((s: { value: string }) => s.value)).toEqual(['', 'acme']);
    expect(res.body.metrics[0].segments.segments[0]).toMatchObject({ value: '', judged: true, share: { baseline: 0.5, canary: 0.5 } });
    const text = await request(judge).post('/v1/analyze?format=text').send(errors);
    expect(text.text).toMatch(/\n {2}tenant="" +pass /);
  });

  it.each([
    ['a NaN count', (q: string, canary: boolean) => (canary && q.includes('response_code=~"5.."') ? vector([[{ tenant: 'acme' }, 'NaN'], [{ tenant: 'globex' }, '1']]) : undefined), /"tenant":"acme"|tenant="acme"/, 'nan'],
    [
      'a duplicated series',
      (q: string, canary: boolean) => (canary && !q.includes('response_code') ? vector([[{ tenant: 'globex' }, '100'], [{ tenant: 'globex' }, '100'], [{ tenant: 'acme' }, '100']]) : undefined),
      /tenant="globex"/,
      'duplicate-series',
    ],
  ])('is 503 for %s in one tenant, naming its series', async (_label, fault, named, code) => {
    const { app: judge } = templateApp(istioByTenant([['acme', 9000, 9, 1000, 1], ['globex', 9000, 9, 1000, 1]], fault));
    const res = await request(judge).post('/v1/analyze').send(errors);
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(named);
    expect(res.body.faults.map((f: { code: string }) => f.code)).toContain(code);
  });

  it(`refuses more than ${MAX_SEGMENTS} label values with a 400 naming the limit and the value`, async () => {
    const rows = Array.from({ length: MAX_SEGMENTS + 5 }, (_, i) => [`t${i}`, 100, 1, 10, 0] as const);
    const { app: judge } = templateApp(istioByTenant(rows));
    const res = await request(judge).post('/v1/analyze').send(errors);
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: 'metrics.errors.segments', message: `${MAX_SEGMENTS + 5} segments (values of "tenant") exceed the limit of ${MAX_SEGMENTS} segments per metric: segment by a label with fewer values` }]);
  });

  it('segments categories and histograms too: the label joins the template\'s own', async () => {
    const { app: judge, requests } = templateApp((req) => {
      const query = req.params.query;
      if (query.startsWith('count by (le, tenant)')) return vector(['50', '+Inf'].flatMap((le) => ['a', 'b'].map((tenant) => [{ le, tenant }, '1'] as const)));
      if (query.startsWith('sum by (le, tenant)')) return vector(['a', 'b'].flatMap((tenant) => [[{ le: '50', tenant }, '900'], [{ le: '+Inf', tenant }, '1000']] as const));
      return vector(['a', 'b'].flatMap((tenant) => [[{ class: 'cat', tenant }, '60'], [{ class: 'dog', tenant }, '40']] as const));
    });
    const res = await request(judge)
      .post('/v1/analyze')
      .send({ ...sides, metrics: [{ name: 'latency', template: 'istio-latency', segmentBy: 'tenant' }, { name: 'class', template: 'categorical', metric: 'predictions_total', by: 'class', segmentBy: 'tenant' }] });
    expect(res.status).toBe(200);
    const sent = requests.map((r) => r.params.query);
    expect(sent.some((q) => q.startsWith('sum by (le, tenant) (increase(istio_request_duration_milliseconds_bucket{'))).toBe(true);
    expect(sent.some((q) => q.startsWith('sum by (class, tenant) (increase(predictions_total{'))).toBe(true);
    for (const metric of res.body.metrics) expect(metric.segments.segments.map((s: { value: string }) => s.value)).toEqual(['a', 'b']);
  });

  it.each([
    ['a custom query', { name: 'q', template: 'query', query: 'x{{{labels}}}', segmentBy: 'tenant' }, 'metrics[0].segmentBy', /^a custom "query" decides its own aggregation/],
    ['the bucket label', { name: 'l', template: 'istio-latency', segmentBy: 'le' }, 'metrics[0].segmentBy', /^"le" is a histogram's bucket bound, not a segment$/],
    ['the category label', { name: 'c', template: 'categorical', metric: 'm', by: 'class', segmentBy: 'class' }, 'metrics[0].segmentBy', /^"class" is already the label the categories are read from/],
    ['a side label', { name: 'e', template: 'istio-error-rate', segmentBy: 'destination_version' }, 'metrics[0].segmentBy', /^"destination_version" is a label of the side selectors, which tells the baseline from the canary/],
    ['inline segments on a template', { name: 'e', template: 'istio-error-rate', segments: {} }, 'metrics[0].segments', /a template metric's segments come from Prometheus: give "segmentBy"/],
    ['a coverage without segmentBy', { name: 'e', template: 'istio-error-rate', segmentCoverage: 0.5 }, 'metrics[0].segmentCoverage', /^"segmentCoverage" applies to a metric judged per segment/],
  ])('refuses segmentBy on %s', async (_label, metric, at, message) => {
    const res = await post({ ...sides, metrics: [metric] });
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual(expect.arrayContaining([{ path: at, message: expect.stringMatching(message) }]));
  });

  it('is subject to the PromQL policy like any template metric of a request', async () => {
    const { app: judge } = templateApp(istioByTenant([['acme', 100, 1, 10, 0]]), 'profiles');
    const res = await request(judge).post('/v1/analyze').send(errors);
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: 'metrics.errors.template', message: expect.stringMatching(/REQUEST_PROMQL=profiles/) }]);
  });
});
