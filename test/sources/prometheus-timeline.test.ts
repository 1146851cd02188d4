import request from 'supertest';
import { testApp } from '../support/app';
import type { FetchContext, TemplateMetric } from '../../src/sources/metric-source';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { MAX_TIMELINE_POINTS, PrometheusSource, timelineGrid, timelineStep } from '../../src/sources/prometheus/prometheus-source';
import { fakeFetch, matrix, oneLayout, vector, withOnePodPerSide, type Responder } from './fake-prometheus';

const START = 1700000000;
const END = 1700000600;
const STEP = 60;

function context(overrides: Partial<FetchContext> = {}): FetchContext {
  return {
    baseline: { destination_version: 'v1' },
    canary: { destination_version: 'v2' },
    window: { start: START, end: END },
    timelineStepSeconds: STEP,
    signal: new AbortController().signal,
    ...overrides,
  };
}

/** The revision look-up's queries (src/sources/revision/), which every analysis sends first. */
const isRevisionLookup = (r: { params: Record<string, string> }) => / by \(pod\) /.test(r.params.query);

function source(respond: Responder, { podPerSide = true } = {}) {
  const fake = fakeFetch(oneLayout(podPerSide ? withOnePodPerSide(respond) : respond));
  const client = new PrometheusClient({ baseUrl: 'http://prometheus:9090', queryTimeoutMs: 2000, fetch: fake.fetch });
  return { source: new PrometheusSource(client), requests: fake.requests };
}

const ten = (f: (k: number) => number) => Array.from({ length: 10 }, (_, k) => String(f(k)));

describe('Prometheus timelines: range queries at a step', () => {
  it('fetches errors and requests per side as intervals of increase() over one step', async () => {
    const { source: s, requests } = source((request) => {
      const q = request.params.query;
      const canary = q.includes('"v2"');
      if (q.includes('response_code=~"5.."')) return matrix([[{}, ten((k) => (canary ? k : 10 * k))]], START + STEP, STEP);
      return matrix([[{}, ten(() => (canary ? 100 : 900))]], START + STEP, STEP);
    });
    const metric: TemplateMetric = { name: 'errors', template: 'istio-error-rate' };
    const fetched = await s.fetch(metric, context());
    expect(requests.every((r) => r.url.endsWith('/api/v1/query_range'))).toBe(true);
    expect(requests[0].params).toEqual(expect.objectContaining({ start: String(START + STEP), end: String(END), step: String(STEP) }));
    expect(requests.every((r) => r.params.query.includes('[60s]'))).toBe(true);
    expect(fetched.queries.canary[0]).toContain('[60s]');
    if (fetched.kind !== 'proportion') throw new Error('expected a proportion');
    expect(fetched.canary.intervals).toHaveLength(10);
    expect(fetched.canary.intervals![3]).toEqual({ events: 3, total: 100 });
    expect(fetched.canary).toEqual(expect.objectContaining({ events: 45, total: 1000 }));
    expect(fetched.baseline.intervals).toHaveLength(10);
  });

  it('turns bucket series into one histogram per interval on shared bounds, a missing sample an empty interval', async () => {
    const { source: s } = source((request) => {
      const canary = request.params.query.includes('"v2"');
      // The canary has no traffic in the first two intervals: no samples there.
      const values = (n: number) => ten(() => n).map((v, k) => (canary && k < 2 ? null : v));
      return matrix([[{ le: '100' }, values(8)], [{ le: '+Inf' }, values(10)]], START + STEP, STEP);
    });
    const fetched = await s.fetch({ name: 'latency', template: 'istio-latency' }, context());
    if (fetched.kind !== 'continuous') throw new Error('expected continuous');
    const intervals = fetched.canary.intervals!;
    expect(intervals).toHaveLength(10);
    expect(intervals[0]).toEqual({ histogram: { buckets: [{ le: 100, count: 0 }, { le: Infinity, count: 0 }] } });
    expect(intervals[5]).toEqual({ histogram: { buckets: [{ le: 100, count: 8 }, { le: Infinity, count: 10 }] } });
    expect('histogram' in fetched.canary && fetched.canary.histogram.buckets.at(-1)!.count).toBe(80);
  });

  it('categories per interval', async () => {
    const { source: s } = source(() => matrix([[{ class: 'cat' }, ten(() => 3)], [{ class: 'dog' }, ten(() => 1)]], START + STEP, STEP));
    const fetched = await s.fetch({ name: 'class', template: 'categorical', metric: 'predictions_total', by: 'class' }, context());
    if (fetched.kind !== 'categorical') throw new Error('expected categorical');
    expect(fetched.canary.intervals![0].counts).toEqual([['cat', 3], ['dog', 1]]);
    expect(fetched.canary.counts).toEqual([['cat', 30], ['dog', 10]]);
  });

  it('bounds the number of points: a long window gets a longer step', () => {
    const day = { start: 0, end: 86400 };
    expect(timelineStep(day, 60)).toBe(360);
    expect(timelineGrid(day, timelineStep(day, 60))).toHaveLength(MAX_TIMELINE_POINTS);
    expect(timelineStep({ start: 0, end: 7200 }, 60)).toBe(60);
  });
});

describe('POST /v1/analyze with "timelineStep": template metrics judged per interval', () => {
  /**
   * The error rate judged with a 1m timeline on a fake Prometheus whose every step holds the
   * same counts per side: `errors` of `requests` (canary, baseline).
   */
  async function errorRateTimeline(errors: { canary: number; baseline: number }, requests: { canary: number; baseline: number }) {
    const fake = source((req) => {
      const q = req.params.query;
      const side = q.includes('"v2"') ? 'canary' : 'baseline';
      return matrix([[{}, ten(() => (q.includes('response_code=~"5.."') ? errors : requests)[side])]], START + STEP, STEP);
    });
    const { app } = testApp({ analysis: { source: fake.source } });
    const res = await request(app)
      .post('/v1/analyze')
      .send({ metrics: [{ name: 'errors', template: 'istio-error-rate', critical: true }], baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } }, start: START, end: END, timelineStep: '1m' });
    return { res, requests: fake.requests };
  }

  it('fetches the window per step and reports the first decisive look', async () => {
    const { res, requests } = await errorRateTimeline({ canary: 60, baseline: 40 }, { canary: 2000, baseline: 8000 });
    expect(res.status).toBe(200);
    const m = res.body.metrics[0];
    expect(m.intervals).toBe(10);
    expect(m.verdict).toBe('fail');
    expect(m.decidedAt).toBeLessThanOrEqual(10);
    expect(m.reason).toMatch(/^failed at interval \d+ of 10/);
    expect(requests.filter((r) => !isRevisionLookup(r)).every((r) => r.url.endsWith('/api/v1/query_range'))).toBe(true);
  });

  it('says how long an inconclusive metric still needs, in time: the interval is the fetched step', async () => {
    const { res } = await errorRateTimeline({ canary: 1, baseline: 4 }, { canary: 200, baseline: 800 });
    expect(res.status).toBe(200);
    const m = res.body.metrics[0];
    expect(m.verdict).toBe('inconclusive');
    expect(m.projection.moreIntervals).toBe(Math.ceil(m.projection.moreCanary / 200));
    expect(m.projection.moreSeconds).toBe(m.projection.moreIntervals * 60);
    expect(m.reason).toMatch(/\(about \d+(\.\d)? (minutes|hours) at the latest interval's canary traffic\)/);
  });
});

describe('one analysis sends each distinct query once', () => {
  it('p50, p95 and p99 of one histogram share its four queries (counts and series per bound, per side)', async () => {
    const { source: s, requests } = source(() => matrix([[{ le: '100' }, ten(() => 8)], [{ le: '+Inf' }, ten(() => 10)]], START + STEP, STEP));
    const { app } = testApp({ analysis: { source: s } });
    const metrics = ['p50', 'p95', 'p99'].map((statistic) => ({ name: statistic, template: 'istio-latency', statistic }));
    const res = await request(app).post('/v1/analyze').send({ metrics, baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } }, start: START, end: END, timelineStep: '1m' });
    expect([res.status, res.body.issues]).toEqual([200, undefined]);
    expect(res.body.metrics.map((m: { canary: { n: number } }) => m.canary.n)).toEqual([100, 100, 100]);
    const sent = requests.filter((r) => !isRevisionLookup(r));
    // The bucket counts and the series per bound, per side.
    expect(sent).toHaveLength(4);
    expect(new Set(sent.map((r) => r.params.query)).size).toBe(4);
  });
});

describe('"since": "canary": a window that follows the canary', () => {
  /**
   * A fake Prometheus whose canary (v2) has requests only in the steps ending at times where
   * `serving` holds (500 a step, 1 of them an error; the baseline always), and the analysis of
   * the error rate with "since": "canary" over the hour ending at START + 3600.
   */
  async function sinceCanary(serving: (stepEnd: number) => boolean) {
    const end = START + 3600;
    const { source: s, requests } = source(
      (req) => {
        const q = req.params.query;
        const canary = q.includes('"v2"');
        // One pod a side; the canary's is running at the end.
        const pod = canary ? 'model-c4n4ry-abcde' : 'model-primary-b4s3-abcde';
        if (!req.url.endsWith('/query_range')) return vector([[{ pod }, '1']]);
        const start = Number(req.params.start);
        const step = Number(req.params.step);
        const points = Math.round((Number(req.params.end) - start) / step) + 1;
        const values = Array.from({ length: points }, (_, k) => String(canary && !serving(start + k * step) ? 0 : q.includes('=~"5.."') ? 1 : 500));
        return matrix([[isRevisionLookup(req) ? { pod } : {}, values]], start, step);
      },
      { podPerSide: false },
    );
    const { app } = testApp({ analysis: { source: s } });
    const res = await request(app)
      .post('/v1/analyze')
      .send({ metrics: [{ name: 'errors', template: 'istio-error-rate' }], baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } }, end, since: 'canary', maxAge: '1h' });
    return { res, requests, end };
  }

  it('starts at the first step with canary traffic, at most maxAge back, with a 1m timeline by default', async () => {
    // The canary's first requests arrive in the step ending at START + 1200.
    const { res, requests, end } = await sinceCanary((t) => t >= START + 1200);
    expect(res.status).toBe(200);
    expect(res.body.window.start).toBe(new Date((START + 1200 - 60) * 1000).toISOString());
    // Looked up per pod, at most maxAge back, by minute.
    expect(requests[0].params).toEqual(expect.objectContaining({ start: String(end - 3600 + 60), step: '60' }));
    expect(isRevisionLookup(requests[0])).toBe(true);
    expect(res.body.revisions.canary).toEqual({ method: 'newest-replicaset', replicaSet: 'model-c4n4ry', pods: 'model-c4n4ry-[a-z0-9]{5}', since: new Date((START + 1200 - 60) * 1000).toISOString() });
    expect(res.body.metrics[0].intervals).toBe(41);
  });

  it('starts at the latest run of the revision\'s traffic: the same ReplicaSet scaled to zero 15+ minutes before (an aborted rollout retried) is judged from its latest run', async () => {
    // The canary served from START + 600 to START + 1200, then nothing for 20 minutes, then
    // again from the step ending at START + 2460 on.
    const { res } = await sinceCanary((t) => (t > START + 540 && t <= START + 1200) || t >= START + 2460);
    expect(res.status).toBe(200);
    expect(res.body.window.start).toBe(new Date((START + 2460 - 60) * 1000).toISOString());
    expect(res.body.metrics[0].intervals).toBe(20);
  });

  it('refuses "since" with "start"', async () => {
    const { app } = testApp({ analysis: { source: source(() => matrix([])).source } });
    const res = await request(app).post('/v1/analyze').send({ metrics: [{ name: 'errors', template: 'istio-error-rate' }], baseline: { labels: { v: '1' } }, canary: { labels: { v: '2' } }, since: 'canary', start: START });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issues)).toMatch(/give either \\"since\\"/);
  });
});
