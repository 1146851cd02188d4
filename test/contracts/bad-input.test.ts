import request from 'supertest';
import { testApp } from '../support/app';

const { app, metrics } = testApp({ bodyLimit: '2kb' });
const post = (body: unknown) => request(app).post('/v1/analyze').send(body as object);
const paths = (res: request.Response) => res.body.issues.map((i: { path: string }) => i.path);

const values = (canary: unknown[], baseline: unknown[] = [1, 2, 3]) => ({
  metrics: [{ name: 'm', kind: 'continuous', baseline: { values: baseline }, canary: { values: canary } }],
});

describe('bad input is a 400 listing every problem', () => {
  it.each([
    ['non-numeric value', values(['fast']), 'metrics[0].canary.values[0]', /expected a finite number, got "fast"/],
    ['NaN as a string', values(['NaN']), 'metrics[0].canary.values[0]', /finite number/],
    ['Infinity as a string', values([1, '-Infinity']), 'metrics[0].canary.values[1]', /finite number/],
    ['hex string', values(['0x10']), 'metrics[0].canary.values[0]', /finite number/],
    ['null value', values([null]), 'metrics[0].canary.values[0]', /got null/],
    ['negative count', { metrics: [{ name: 'e', kind: 'proportion', baseline: { events: -1, total: 10 }, canary: { events: 0, total: 10 } }] }, 'metrics[0].baseline.events', /must not be negative/],
    ['events > total', { metrics: [{ name: 'e', kind: 'proportion', baseline: { events: 11, total: 10 }, canary: { events: 0, total: 10 } }] }, 'metrics[0].baseline.events', /must not exceed total/],
    ['unknown kind', { metrics: [{ name: 'x', kind: 'magic' }] }, 'metrics[0].kind', /./],
    ['no metrics and no selectors for the default profile', { metrics: [] }, 'baseline', /need "baseline.labels" and "canary.labels"/],
    ['missing body', undefined, 'body', /^the body is empty: send a JSON object \(examples\/request\.json shows one\)$/],
    ['a margin written as a percentage', { metrics: [{ name: 'e', kind: 'proportion', margin: { relative: '10%' }, baseline: { events: 1, total: 10 }, canary: { events: 0, total: 10 } }] }, 'metrics[0].margin.relative', /^expected a finite number \(or a decimal string\), got "10%": shares and margins are fractions, write 0\.1 for 10 %$/],
    ['template without its metric', { baseline: { labels: { v: '1' } }, canary: { labels: { v: '2' } }, metrics: [{ name: 's', template: 'histogram' }] }, 'metrics[0].metric', /template histogram needs "metric"/],
    ['query without {{labels}}', { baseline: { labels: { v: '1' } }, canary: { labels: { v: '2' } }, metrics: [{ name: 'q', template: 'query', query: 'up' }] }, 'metrics[0].query', /\{\{labels\}\}/],
    ['bad label name', { baseline: { labels: { 'bad-name': '1' } }, canary: { labels: { v: '2' } } }, 'baseline.labels.bad-name', /label name/],
    ['bad lookback', { lookback: 'ten minutes', baseline: { labels: { v: '1' } }, canary: { labels: { v: '2' } } }, 'lookback', /duration/],
    ['lookback and start together', { lookback: '5m', start: '2026-11-24T10:00:00Z', baseline: { labels: { v: '1' } }, canary: { labels: { v: '2' } } }, 'lookback', /either/],
    ['unknown template', { baseline: { labels: { v: '1' } }, canary: { labels: { v: '2' } }, metrics: [{ name: 'x', template: 'magic' }] }, 'metrics[0].template', /./],
    ['non-cumulative buckets', { metrics: [{ name: 'h', kind: 'continuous', baseline: { histogram: { buckets: [{ le: 1, count: 5 }, { le: '+Inf', count: 3 }] } }, canary: { values: [1] } }] }, 'metrics[0].baseline.histogram.buckets[1].count', /cumulative/],
    ['no +Inf bucket', { metrics: [{ name: 'h', kind: 'continuous', baseline: { histogram: { buckets: [{ le: 1, count: 5 }] } }, canary: { values: [1] } }] }, 'metrics[0].baseline.histogram.buckets', /\+Inf/],
    ['unordered bucket bounds', { metrics: [{ name: 'h', kind: 'continuous', baseline: { histogram: { buckets: [{ le: 5, count: 1 }, { le: 1, count: 2 }, { le: '+Inf', count: 2 }] } }, canary: { values: [1] } }] }, 'metrics[0].baseline.histogram.buckets[1].le', /strictly increasing/],
    ['both values and histogram', { metrics: [{ name: 'h', kind: 'continuous', baseline: { values: [1], histogram: { buckets: [{ le: '+Inf', count: 1 }] } }, canary: { values: [1] } }] }, 'metrics[0].baseline', /exactly one/],
    ['relative margin on a distribution', { metrics: [{ name: 'd', kind: 'distribution', margin: { relative: 0.1 }, baseline: { values: [1] }, canary: { values: [1] } }] }, 'metrics[0].margin.relative', /not defined for this kind/],
    ['bad statistic', { metrics: [{ name: 'l', kind: 'continuous', statistic: 'median', baseline: { values: [1] }, canary: { values: [1] } }] }, 'metrics[0].statistic', /quantile such as/],
    ['bad direction', { metrics: [{ name: 'l', kind: 'continuous', direction: 'up', baseline: { values: [1] }, canary: { values: [1] } }] }, 'metrics[0].direction', /./],
    ['alpha out of range', { alpha: 2, metrics: [{ name: 'e', kind: 'proportion', baseline: { events: 1, total: 10 }, canary: { events: 0, total: 10 } }] }, 'alpha', /\(0, 0\.5\]/],
    ['flag that is not a boolean', { metrics: [{ name: 'e', kind: 'proportion', critical: 'yes', baseline: { events: 1, total: 10 }, canary: { events: 0, total: 10 } }] }, 'metrics[0].critical', /true or false/],
  ])('%s', async (_label, body, path, message) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    const issue = res.body.issues.find((i: { path: string }) => i.path === path);
    expect(issue).toBeDefined();
    expect(issue.message).toMatch(message);
  });

  it('answers an empty body (curl -d \'\') with "the body is empty", not as a request for the default profile', async () => {
    const res = await request(app).post('/v1/analyze').set('Content-Type', 'application/x-www-form-urlencoded').send('');
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: 'body', message: 'the body is empty: send a JSON object (examples/request.json shows one)' }]);
  });

  it('lists all problems of one request at once', async () => {
    const res = await post({
      metrics: [
        { name: 'a', kind: 'continuous', baseline: { values: ['x', 2] }, canary: { values: [1, 'NaN'] } },
        { name: 'a', kind: 'proportion', baseline: { events: 5, total: 4 }, canary: { events: -1, total: 4 } },
      ],
    });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(expect.arrayContaining([
      'metrics[0].baseline.values[0]', 'metrics[0].canary.values[1]', 'metrics[1].baseline.events', 'metrics[1].canary.events',
    ]));
  });

  it('reports duplicate metric names', async () => {
    const metric = { name: 'e', kind: 'proportion', baseline: { events: 1, total: 10 }, canary: { events: 0, total: 10 } };
    const res = await post({ metrics: [metric, metric] });
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: 'metrics[1].name', message: 'duplicate metric name "e" (also metrics[0])' }]);
  });

  it('answers malformed JSON with 400, not a crash', async () => {
    const res = await request(app).post('/v1/analyze').set('Content-Type', 'application/json').send('{"metrics": [');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.issues[0].message).toMatch(/^malformed JSON/);
  });

  it('answers a body over the limit with 413', async () => {
    const res = await post(values(Array.from({ length: 2000 }, (_, i) => i)));
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('payload_too_large');
  });

  it('keeps category names such as __proto__ as data', async () => {
    const res = await request(app)
      .post('/v1/analyze')
      .set('Content-Type', 'application/json')
      .send('{"metrics":[{"name":"c","kind":"categorical","minSamples":1,"baseline":{"counts":{"__proto__":5,"b":5}},"canary":{"counts":{"__proto__":5,"b":5}}}]}');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.metrics[0].baseline.shares)).toEqual(['__proto__', 'b']);
  });

  it('counts invalid requests in its own metrics', async () => {
    const before = (await metrics.invalidRequests.get()).values[0]?.value ?? 0;
    await post({ metrics: 'nope' });
    const after = (await metrics.invalidRequests.get()).values[0]?.value ?? 0;
    expect(after).toBe(before + 1);
  });
});

describe('unknown routes', () => {
  it('answers 404 in JSON', async () => {
    const res = await request(app).get('/v1/nothing');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });
});

describe('keys that would be prototypes elsewhere stay data (found by the fuzz suite)', () => {
  it('rejects a "__proto__" label name instead of silently dropping the selector', async () => {
    const res = await request(app).post('/v1/analyze').set('Content-Type', 'application/json')
      .send('{"baseline":{"labels":{"__proto__":"x","v":"1"}},"canary":{"labels":{"v":"2"}}}');
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: 'baseline.labels.__proto__', message: expect.stringMatching(/reserved/) }]);
  });

  it('rejects "__proto__" Flagger metadata as an unknown key', async () => {
    const res = await request(app).post('/v1/flagger/rollout').set('Content-Type', 'application/json')
      .send('{"name":"m","namespace":"ml","metadata":{"__proto__":"x"}}');
    expect(res.status).toBe(400);
    expect(res.body.issues[0].path).toBe('metadata.__proto__');
  });

  it('rejects counts beyond 2^53, where no statistic stays exact', async () => {
    const res = await post({ metrics: [{ name: 'c', kind: 'categorical', baseline: { counts: { a: 1, b: 2 } }, canary: { counts: { a: 8.4e232, b: 1 } } }] });
    expect(res.status).toBe(400);
    expect(res.body.issues[0].path).toBe('metrics[0].canary.counts.a');
  });
});
