/**
 * Labelled quality over HTTP: inline labelled metrics (`labelDelay`, `intervalLength`,
 * `minLabelCoverage`, each interval's `predictions`), the labelled templates, and every bad
 * option answered 400 by its path. The example request (examples/labelled-accuracy.json) is
 * judged as docs/model-quality.md says.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadProfiles } from '../../src/profiles/profiles';
import request from 'supertest';
import { testApp } from '../support/app';
import { FakeSource } from '../support/fake-source';
import type { FetchContext, FetchedMetric, TemplateMetric } from '../../src/sources/metric-source';
import { analyzeResponseSchema } from '../../src/contracts/analyze-response';

const { app } = testApp();
const post = (body: unknown) => request(app).post('/v1/analyze').send(body as object);

/** Twenty one-minute prediction intervals, the latest `young` of them with a third of their labels. */
function accuracyIntervals(accuracy: number, young = 8, predictions = 5000) {
  return Array.from({ length: 20 }, (_, i) => {
    const labelled = i >= 20 - young ? Math.round(predictions * 0.35) : Math.round(predictions * 0.98);
    return { events: Math.round(labelled * accuracy), total: labelled, predictions };
  });
}
const labelled = (extra: object = {}, canary = 0.9, baseline = 0.9) => ({
  metrics: [
    {
      name: 'accuracy',
      kind: 'proportion',
      direction: 'decrease',
      margin: { absolute: 0.01 },
      labelDelay: '10m',
      intervalLength: '1m',
      baseline: { intervals: accuracyIntervals(baseline) },
      canary: { intervals: accuracyIntervals(canary) },
      ...extra,
    },
  ],
});

describe('inline labelled metrics', () => {
  it('judges the prediction intervals whose labels are in, reports coverage per side', async () => {
    const res = await post(labelled());
    expect(res.status).toBe(200);
    expect(analyzeResponseSchema.safeParse(res.body).success).toBe(true);
    const [m] = res.body.metrics;
    // Intervals 1-10 ended 10 minutes ago or more; 11 ended 9 minutes ago.
    expect(m.labels).toMatchObject({ delaySeconds: 600, minCoverage: 0.95, intervals: 20, judged: 10, coverage: { baseline: 0.98, canary: 0.98 }, pendingSeconds: 60 });
    expect(m.labels.perInterval.canary).toHaveLength(20);
    expect(m.labels.perInterval.canary[19]).toBe(0.35);
    expect(m.intervals).toBe(10);
    expect(m.reason).toContain('labels: judged on the oldest 10 of 20 prediction intervals');
  });

  it('a canary 5 pp worse fails on the judged intervals; with every interval young it is "labels pending"', async () => {
    const worse = await post(labelled({}, 0.85));
    expect(worse.body.metrics[0].verdict).toBe('fail');
    expect(worse.body.verdict).toBe('fail');
    const pending = await post(labelled({ labelDelay: '30m' }, 0.85));
    expect(pending.status).toBe(200);
    expect(pending.body.metrics[0]).toMatchObject({ verdict: 'inconclusive', labels: { judged: 0, pendingSeconds: 660 } });
    expect(pending.body.metrics[0].reason).toMatch(/^labels pending: .*due in about 11 minutes/);
    expect(pending.body.verdict).not.toBe('pass');
  });

  it('the default margin of a labelled proportion is 1 pp, a continuous metric takes raw labelled errors', async () => {
    const defaults = await post(labelled({ margin: undefined }));
    expect(defaults.body.metrics[0].effect.tolerance).toBe(0.01);
    const values = (n: number, scale: number) => Array.from({ length: n }, (_, i) => (scale * ((i * 7919) % 1000)) / 1000);
    const res = await post({
      metrics: [
        {
          name: 'abs-error',
          kind: 'continuous',
          statistic: 'mean',
          range: { min: 0, max: 1 },
          margin: { relative: 0.05 },
          labelDelay: '2m',
          intervalLength: '1m',
          baseline: { intervals: Array.from({ length: 6 }, () => ({ values: values(400, 0.3), predictions: 400 })) },
          canary: { intervals: Array.from({ length: 6 }, () => ({ values: values(400, 0.3), predictions: 410 })) },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.metrics[0].labels).toMatchObject({ judged: 4, intervals: 6, coverage: { baseline: 1 } });
    expect(res.body.metrics[0].labels.coverage.canary).toBeCloseTo(400 / 410, 5);
    expect(res.body.metrics[0].effect.measure).toBe('relative shift of the mean');
  });
});

describe('bad labelled options are a 400 naming each', () => {
  const one = (overrides: object, side?: object) => {
    const body = labelled(overrides);
    if (side) Object.assign(body.metrics[0], side);
    return body;
  };
  const plain = { baseline: { intervals: [{ events: 9, total: 10 }] }, canary: { intervals: [{ events: 9, total: 10, predictions: 12 }] } };
  it.each([
    ['predictions without labelDelay', { ...labelled().metrics[0], labelDelay: undefined, intervalLength: undefined, ...plain }, 'metrics[0].canary.intervals[0].predictions', /"predictions" apply to labelled metrics.*give "labelDelay"/],
    ['minLabelCoverage without labelDelay', { name: 'a', kind: 'proportion', minLabelCoverage: 0.9, baseline: { events: 1, total: 2 }, canary: { events: 1, total: 2 } }, 'metrics[0].minLabelCoverage', /applies to labelled metrics/],
    ['labelDelay without intervalLength', one({ intervalLength: undefined }).metrics[0], 'metrics[0].intervalLength', /how long each interval lasts/],
    ['labelDelay that is not a duration', one({ labelDelay: 'ten minutes' }).metrics[0], 'metrics[0].labelDelay', /duration such as "30s"/],
    ['minLabelCoverage above 1', one({ minLabelCoverage: 95 }).metrics[0], 'metrics[0].minLabelCoverage', /must lie in \(0, 1\]/],
    ['a labelled proportion without a direction', one({ direction: undefined }).metrics[0], 'metrics[0].direction', /"decrease" when "events" count the correct predictions/],
    ['an interval without predictions', one({}, { canary: { intervals: [{ events: 1, total: 2 }, ...accuracyIntervals(0.9).slice(1)] } }).metrics[0], 'metrics[0].canary.intervals[0].predictions', /every interval needs its "predictions"/],
    ['more labelled than predicted', one({}, { baseline: { intervals: [{ events: 1, total: 20, predictions: 10 }, ...accuracyIntervals(0.9).slice(1)] } }).metrics[0], 'metrics[0].baseline.intervals[0].predictions', /got 10 predictions but 20 labelled outcomes \(label coverage above 100 %\)/],
    ['labelled cumulative data', one({}, { baseline: { events: 1, total: 2 }, canary: { events: 1, total: 2 } }).metrics[0], 'metrics[0].baseline.intervals', /judged per prediction interval/],
    ['labelDelay on a categorical metric', { name: 'c', kind: 'categorical', labelDelay: '5m', baseline: { counts: { a: 1 } }, canary: { counts: { a: 1 } } }, 'metrics[0].labelDelay', /./],
  ])('%s', async (_label, metric, at, message) => {
    const res = await post({ metrics: [metric] });
    expect(res.status).toBe(400);
    const issue = res.body.issues.find((i: { path: string }) => i.path === at);
    expect(issue).toBeDefined();
    expect(issue.message).toMatch(message);
  });
});

/** A source whose labelled templates answer a canned labelled timeline; everything else as FakeSource. */
class LabelledFakeSource extends FakeSource {
  constructor(private readonly data: (metric: TemplateMetric, ctx: FetchContext) => FetchedMetric) {
    super({ latency: 'pass', errors: 'pass' });
  }
  override async fetch(metric: TemplateMetric, ctx: FetchContext): Promise<FetchedMetric> {
    if (metric.template.startsWith('labelled-')) {
      this.calls.push({ metric, ctx });
      return this.data(metric, ctx);
    }
    return super.fetch(metric, ctx);
  }
}

describe('labelled templates in a request', () => {
  const sides = { baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } } };
  const fetched = (metric: TemplateMetric): FetchedMetric => {
    const intervals = accuracyIntervals(0.9, 4);
    const side = { events: 0, total: 0, intervals: intervals.map(({ events, total }) => ({ events, total })) };
    return {
      kind: 'proportion',
      baseline: side,
      canary: side,
      queries: { baseline: ['q'], canary: ['q'] },
      intervalSeconds: 60,
      labelled: { predictions: { baseline: intervals.map((i) => i.predictions), canary: intervals.map((i) => i.predictions) }, minCoverage: metric.minLabelCoverage ?? 0.95, delaySeconds: metric.labelDelaySeconds ?? 0, ages: intervals.map((_, i) => (19 - i) * 60) },
    };
  };

  it('passes labelDelay and minLabelCoverage to the source; accuracy defaults to "decrease" by at most 1 pp', async () => {
    const source = new LabelledFakeSource(fetched);
    const { app: withSource } = testApp({ analysis: { source } });
    const res = await request(withSource)
      .post('/v1/analyze')
      .send({ ...sides, metrics: [{ name: 'accuracy', template: 'labelled-accuracy', labelDelay: '5m', minLabelCoverage: '0.9', labelsFrom: { version: 'destination_version' } }] });
    expect(res.status).toBe(200);
    const call = source.calls.find((c) => c.metric.template === 'labelled-accuracy')!;
    expect(call.metric).toMatchObject({ labelDelaySeconds: 300, minLabelCoverage: 0.9, direction: 'decrease', margin: { absolute: 0.01 } });
    expect(call.ctx.canary).toEqual({ version: 'v2' });
    expect(res.body.metrics[0]).toMatchObject({ direction: 'decrease', labels: { judged: 15, intervals: 20, delaySeconds: 300 } });
  });

  it.each([
    ['labelled-accuracy without labelDelay', { name: 'a', template: 'labelled-accuracy' }, 'metrics[0].labelDelay', /needs how long after a prediction its label is expected in/],
    ['labelDelay on an Istio template', { name: 'l', template: 'istio-latency', labelDelay: '5m' }, 'metrics[0].labelDelay', /applies to the labelled templates/],
    ['predictions on a histogram template', { name: 'h', template: 'histogram', metric: 'x', predictions: 'p_total' }, 'metrics[0].predictions', /applies to the labelled templates/],
    ['events without total', { name: 'a', template: 'labelled-accuracy', labelDelay: '5m', events: 'fb_correct_total' }, 'metrics[0].total', /give both "events"/],
    ['metric with events and total', { name: 'a', template: 'labelled-accuracy', labelDelay: '5m', metric: 'm_total', events: 'c_total', total: 't_total' }, 'metrics[0].metric', /either "metric"/],
    ['by on labelled-error', { name: 'e', template: 'labelled-error', labelDelay: '5m', by: 'class' }, 'metrics[0].by', /applies to template labelled-accuracy/],
    ['kind on labelled-accuracy', { name: 'a', template: 'labelled-accuracy', labelDelay: '5m', kind: 'distribution' }, 'metrics[0].kind', /always judged as proportion/],
    ['statistic on labelled-accuracy', { name: 'a', template: 'labelled-accuracy', labelDelay: '5m', statistic: 'p95' }, 'metrics[0].statistic', /continuous metrics only/],
    ['a predictedAt that is not a label name', { name: 'a', template: 'labelled-accuracy', labelDelay: '5m', predictedAt: 'predicted-at' }, 'metrics[0].predictedAt', /label name/],
    ['minLabelCoverage of 0', { name: 'a', template: 'labelled-accuracy', labelDelay: '5m', minLabelCoverage: 0 }, 'metrics[0].minLabelCoverage', /\(0, 1\]/],
  ])('%s', async (_label, metric, at, message) => {
    const res = await post({ ...sides, metrics: [metric] });
    expect(res.status).toBe(400);
    const issue = res.body.issues.find((i: { path: string }) => i.path === at);
    expect(issue).toBeDefined();
    expect(issue.message).toMatch(message);
  });
});

describe('labelled metrics in a profile', () => {
  it('a PROFILES_FILE metric carries labelDelay and minLabelCoverage; a typo in them stops the service at start', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labelled-profile-'));
    try {
      const file = path.join(dir, 'profiles.yaml');
      fs.writeFileSync(file, 'profiles:\n  fraud-quality:\n    metrics:\n      - { name: accuracy, template: labelled-accuracy, labelDelay: 2h, minLabelCoverage: 0.9, labelsFrom: { version: destination_version } }\n');
      expect(loadProfiles(file).get('fraud-quality')?.metrics[0]).toMatchObject({ template: 'labelled-accuracy', labelDelaySeconds: 7200, minLabelCoverage: 0.9, direction: 'decrease', margin: { absolute: 0.01 } });
      fs.writeFileSync(file, 'profiles:\n  fraud-quality:\n    metrics:\n      - { name: accuracy, template: labelled-accuracy, labelDelay: 2 hours }\n');
      expect(() => loadProfiles(file)).toThrow(/profiles\.fraud-quality\.metrics\[0\]\.labelDelay: expected a duration/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Prometheus example (examples/labelled-prometheus-request.json)', () => {
  it('is a valid request whose labelled metrics reach the source with their options', async () => {
    const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/labelled-prometheus-request.json'), 'utf8'));
    const empty = { queries: { baseline: [], canary: [] }, noSeries: true };
    const source = new LabelledFakeSource((metric): FetchedMetric =>
      metric.template === 'labelled-error' ? { kind: 'continuous', baseline: { values: [] }, canary: { values: [] }, ...empty } : { kind: 'proportion', baseline: { events: 0, total: 0 }, canary: { events: 0, total: 0 }, ...empty },
    );
    const { app: withSource } = testApp({ analysis: { source } });
    const res = await request(withSource).post('/v1/analyze').send(example);
    expect(res.status).toBe(200);
    expect(source.calls.map((c) => [c.metric.template, c.metric.labelDelaySeconds, c.ctx.canary])).toEqual([
      ['labelled-accuracy', 600, { version: 'v2', namespace: 'ml' }],
      ['labelled-error', 600, { version: 'v2', namespace: 'ml' }],
    ]);
  });
});

describe('the worked example (examples/labelled-accuracy.json)', () => {
  it('is judged as docs/model-quality.md says', async () => {
    const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/labelled-accuracy.json'), 'utf8'));
    const res = await post(example);
    expect(res.status).toBe(200);
    const docs = fs.readFileSync(path.join(__dirname, '../../docs/model-quality.md'), 'utf8');
    const [accuracy] = res.body.metrics;
    expect(docs).toContain(`"verdict": "${accuracy.verdict}"`);
    expect(docs).toContain(`"judged": ${accuracy.labels.judged}`);
    expect(docs).toContain(`"pendingSeconds": ${accuracy.labels.pendingSeconds}`);
  });
});
