/**
 * The paired kind through the HTTP contract: inline requests (every mistake a 400 naming it),
 * and the `shadow-pairs` template from Prometheus (the query per side, no pod pins, no floor
 * query when there is none, and faulty samples answered 503, never a verdict).
 */
import request from 'supertest';
import { analyzeResponseSchema } from '../../src/contracts/analyze-response';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { testApp } from '../support/app';
import { EMPTY_VECTOR, fakeFetch, vector, vectorsAsTimeline, withOnePodPerSide, type CannedAnswer, type Responder } from '../sources/fake-prometheus';

const minute = (agree: number, disagree: number, labelled?: [number, number, number, number]) => ({
  agree,
  disagree,
  ...(labelled ? { both_correct: labelled[0], both_wrong: labelled[1], v1_only_correct: labelled[2], v2_only_correct: labelled[3] } : {}),
});

const inline = (metric: Record<string, unknown>) => ({ metrics: [{ name: 'shadow', kind: 'paired', margin: { absolute: 0.01 }, accuracyMargin: 0.01, ...metric }] });
const timeline = {
  canary: { intervals: Array.from({ length: 12 }, () => minute(4950, 50, [1800, 150, 25, 25])) },
  baseline: { intervals: Array.from({ length: 12 }, () => minute(4960, 40)) },
};

describe('paired, inline', () => {
  const { app } = testApp();

  it('judges a timeline and answers the documented response', async () => {
    const res = await request(app).post('/v1/analyze').send(inline(timeline));
    expect(res.status).toBe(200);
    expect(analyzeResponseSchema.parse(res.body)).toBeTruthy();
    const m = res.body.metrics[0];
    expect(m.kind).toBe('paired');
    expect(m.verdict).toBe('pass');
    expect(m.canary).toEqual({ n: 60000, labelled: 24000, outcomes: { agree: 59400, disagree: 600, both_correct: 21600, both_wrong: 1800, v1_only_correct: 300, v2_only_correct: 300 } });
    expect(m.pairedChecks.map((c: { check: string }) => c.check)).toEqual(['disagreement', 'accuracy']);
    expect(res.body.summary[0]).toBe('pass');
    expect(m.tests.map((t: { name: string }) => t.name)).toEqual(['mcnemar-exact', 'fisher-exact', 'two-proportion-z']);
  });

  it('judges cumulative counts, and a side without a noise floor', async () => {
    const res = await request(app)
      .post('/v1/analyze')
      .send(inline({ canary: minute(49500, 500, [18000, 1500, 250, 250]), margin: { absolute: 0.02 } }));
    expect(res.status).toBe(200);
    expect(res.body.metrics[0].reason).toMatch(/with no noise floor given/);
    expect(res.body.metrics[0].baseline).toEqual({ n: 0, labelled: 0, outcomes: {} });
  });

  it.each([
    ['a misspelt outcome', inline({ canary: { intervals: [{ agree: 10, disagre: 1 }] } }), 'metrics[0].canary.intervals[0].disagre', /unknown key `disagre`; did you mean `disagree`\?/],
    ['cumulative counts beside intervals', inline({ canary: { agree: 5, intervals: [minute(1, 1)] } }), 'metrics[0].canary.intervals', /give either cumulative counts \("agree"\) or "intervals"/],
    ['an empty side', inline({ canary: {} }), 'metrics[0].canary', /give the pairs by outcome/],
    ['a relative margin', inline({ canary: minute(10, 1), margin: { relative: 0.1 } }), 'metrics[0].margin.relative', /a paired metric's margin is absolute/],
    ['no margin at all', { metrics: [{ name: 'shadow', kind: 'paired', canary: minute(10, 1) }] }, 'metrics[0].margin', /missing: give "margin": \{"absolute": \.\.\.\}/],
    ['a direction', inline({ canary: minute(10, 1), direction: 'decrease' }), 'metrics[0].direction', /directions are fixed/],
    ['an accuracy margin in percent', inline({ canary: minute(10, 1), accuracyMargin: 2 }), 'metrics[0].accuracyMargin', /at most 1: accuracy points as a fraction/],
    ['a negative count', inline({ canary: minute(10, -1) }), 'metrics[0].canary.disagree', /must not be negative/],
    ['timelines of different lengths', inline({ canary: { intervals: [minute(1, 1), minute(1, 1)] }, baseline: { intervals: [minute(1, 1)] } }), 'metrics[0].canary.intervals', /the baseline has 1 intervals and the canary 2/],
    ['a categorical side', inline({ canary: { counts: { agree: 3 } } }), 'metrics[0].canary.counts', /a side of kind "categorical" takes "counts"; this metric is kind "paired"/],
    ['paired keys on a proportion', { metrics: [{ name: 'e', kind: 'proportion', baseline: { events: 1, total: 10 }, canary: { agree: 1, total: 10 } }] }, 'metrics[0].canary.agree', /a side of kind "paired" takes its pairs by outcome/],
  ])('refuses %s with a 400 naming it', async (_what, body, path, message) => {
    const res = await request(app).post('/v1/analyze').send(body);
    expect(res.status).toBe(400);
    const issue = res.body.issues.find((i: { path: string }) => i.path === path);
    expect(issue?.message).toMatch(message);
  });
});

describe('paired, template shadow-pairs (Prometheus)', () => {
  const sides = { labels: { namespace: 'ml' }, baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } }, lookback: '10m' };
  const metric = { name: 'shadow', template: 'shadow-pairs', canary: { labels: { pair: 'v1-v2' } }, baseline: { labels: { pair: 'v1-v1' } }, margin: { absolute: 0.01 }, accuracyMargin: 0.01 };

  /** Shadow pairs per side (by their `pair` label); every other query (the revision's traffic) as healthy requests. */
  const pairsBy = (answer: (pair: string, query: string) => CannedAnswer | undefined): Responder => (req) => {
    const query = req.params.query ?? '';
    const pair = /pair="([^"]*)"/.exec(query)?.[1];
    if (query.includes('model_shadow_pairs_total')) return answer(pair ?? '', query) ?? EMPTY_VECTOR;
    return vector([[{}, '1000']]);
  };
  const healthy = pairsBy((pair) =>
    pair === 'v1-v2'
      ? vector([
          [{ outcome: 'agree' }, '990'],
          [{ outcome: 'disagree' }, '10'],
          [{ outcome: 'both_correct' }, '360'],
          [{ outcome: 'both_wrong' }, '30'],
          [{ outcome: 'v1_only_correct' }, '5'],
          [{ outcome: 'v2_only_correct' }, '5'],
        ])
      : vector([
          [{ outcome: 'agree' }, '992'],
          [{ outcome: 'disagree' }, '8'],
        ]),
  );

  function appWith(respond: Responder) {
    const fake = fakeFetch(withOnePodPerSide(vectorsAsTimeline(respond)));
    const source = new PrometheusSource(new PrometheusClient({ baseUrl: 'http://127.0.0.1:9090', queryTimeoutMs: 1000, fetch: fake.fetch }));
    return { app: testApp({ analysis: { source } }).app, requests: fake.requests };
  }

  it('asks each side for its pairs by outcome, unpinned by pods, and judges them as paired', async () => {
    const { app, requests } = appWith(healthy);
    const res = await request(app).post('/v1/analyze').send({ ...sides, metrics: [metric] });
    expect(res.status).toBe(200);
    expect(analyzeResponseSchema.parse(res.body)).toBeTruthy();
    const m = res.body.metrics[0];
    expect(m.kind).toBe('paired');
    expect(m.queries).toEqual({
      baseline: ['sum by (outcome) (increase(model_shadow_pairs_total{pair="v1-v1"}[60s]))'],
      canary: ['sum by (outcome) (increase(model_shadow_pairs_total{pair="v1-v2"}[60s]))'],
    });
    expect(m.intervals).toBe(10);
    expect(m.canary.labelled).toBe(4000);
    expect(m.pairedChecks).toHaveLength(2);
    const shadowQueries = requests.map((r) => r.params.query).filter((q) => q.includes('model_shadow_pairs_total'));
    for (const q of shadowQueries) expect(q).not.toContain('pod=~');
  });

  it('reads no floor when the metric says there is none (and refuses a floor it would ignore)', async () => {
    const { app, requests } = appWith(healthy);
    const { baseline: _floor, ...withoutFloor } = metric;
    const res = await request(app).post('/v1/analyze').send({ ...sides, metrics: [{ ...withoutFloor, noiseFloor: false }] });
    expect(res.status).toBe(200);
    expect(res.body.metrics[0].queries.baseline).toEqual([]);
    expect(requests.some((r) => (r.params.query ?? '').includes('pair="v1-v1"'))).toBe(false);
    expect(res.body.metrics[0].reason).toMatch(/with no noise floor given/);
    const refused = await request(app).post('/v1/analyze').send({ ...sides, metrics: [{ ...metric, noiseFloor: false }] });
    expect(refused.status).toBe(400);
    expect(refused.body.issues[0]).toEqual({ path: 'metrics[0].baseline', message: expect.stringMatching(/"noiseFloor": false reads no noise floor/) });
  });

  it('is inconclusive, never a pass, when the floor\'s series are missing', async () => {
    const { app } = appWith(pairsBy((pair) => (pair === 'v1-v2' ? vector([[{ outcome: 'agree' }, '990'], [{ outcome: 'disagree' }, '10']]) : undefined)));
    const res = await request(app).post('/v1/analyze').send({ ...sides, metrics: [{ ...metric, accuracyMargin: undefined }] });
    expect(res.status).toBe(200);
    expect(res.body.verdict).toBe('inconclusive');
    expect(res.body.metrics[0].reason).toMatch(/no noise-floor pairs \(v1 against itself\) yet/);
  });

  it.each([
    ['a NaN count', vector([[{ outcome: 'agree' }, '990'], [{ outcome: 'disagree' }, 'NaN']]), 'nan'],
    ['a counter reset the backend did not compensate (a negative increase)', vector([[{ outcome: 'agree' }, '990'], [{ outcome: 'disagree' }, '-40']]), 'negative-count'],
    ['a duplicated series', vector([[{ outcome: 'agree' }, '990'], [{ outcome: 'agree' }, '990'], [{ outcome: 'disagree' }, '10']]), 'duplicate-series'],
    ['an infinite count', vector([[{ outcome: 'agree' }, '+Inf'], [{ outcome: 'disagree' }, '10']]), 'infinite'],
  ])('answers 503 naming the fault for %s, never a verdict', async (_what, answer, code) => {
    const { app } = appWith(pairsBy((pair) => (pair === 'v1-v2' ? answer : vector([[{ outcome: 'agree' }, '992'], [{ outcome: 'disagree' }, '8']]))));
    const res = await request(app).post('/v1/analyze').send({ ...sides, metrics: [metric] });
    expect(res.status).toBe(503);
    expect(res.body.faults.length).toBeGreaterThan(0);
    for (const fault of res.body.faults) expect(fault).toEqual(expect.objectContaining({ code, metric: 'shadow', side: 'canary', role: 'categories' }));
  });

  it.each([
    ['a paired key on another template', { name: 'e', template: 'istio-error-rate', accuracyMargin: 0.01 }, 'metrics[0].accuracyMargin', /applies to template shadow-pairs/],
    ['a direction', { ...metric, direction: 'increase' }, 'metrics[0].direction', /directions are fixed/],
    ['no margin', { ...metric, margin: undefined, accuracyMargin: undefined }, 'metrics[0].margin', /missing: give "margin"/],
    ['a relative margin', { ...metric, margin: { relative: 0.1 } }, 'metrics[0].margin.relative', /relative margin is not defined/],
    ['a kind', { ...metric, kind: 'continuous' }, 'metrics[0].kind', /always judged as paired/],
  ])('refuses %s with a 400', async (_what, bad, path, message) => {
    const { app } = appWith(healthy);
    const res = await request(app).post('/v1/analyze').send({ ...sides, metrics: [bad] });
    expect(res.status).toBe(400);
    expect(res.body.issues.find((i: { path: string }) => i.path === path)?.message).toMatch(message);
  });
});
