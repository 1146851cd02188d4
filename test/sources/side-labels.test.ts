/**
 * Per-metric side selectors (src/sources/side-labels.ts) and how an analysis uses them: an
 * app's metric labelled `version` next to Istio's `destination_version`, from one request.
 */
import request from 'supertest';
import { metricSides } from '../../src/sources/side-labels';
import type { TemplateMetric } from '../../src/sources/metric-source';
import { testApp } from '../support/app';
import { FakeSource } from '../support/fake-source';

const ARGO = { common: { destination_workload_namespace: 'ml' }, baseline: { destination_version: 'v1' }, canary: { destination_version: 'v2' } };
const FLAGGER = { common: { destination_workload_namespace: 'ml' }, baseline: { destination_workload: 'model-primary' }, canary: { destination_workload: 'model' } };
const score = (extra: Partial<TemplateMetric>): TemplateMetric => ({ name: 'score', template: 'histogram', metric: 'model_prediction_score', ...extra });
const MAPPING = { version: 'destination_version', app: 'destination_workload', namespace: 'destination_workload_namespace' };

describe('metricSides', () => {
  it('uses the request sides (common labels merged) when the metric says nothing', () => {
    expect(metricSides(score({}), ARGO)).toEqual({ baseline: { destination_workload_namespace: 'ml', destination_version: 'v1' }, canary: { destination_workload_namespace: 'ml', destination_version: 'v2' } });
  });

  it('uses the metric\'s own baseline/canary labels instead of all of the request\'s', () => {
    const own = score({ baseline: { labels: { version: 'v1' } }, canary: { labels: { version: 'v2' } } });
    expect(metricSides(own, ARGO)).toEqual({ baseline: { version: 'v1' }, canary: { version: 'v2' } });
  });

  it('maps labelsFrom per side, leaving out sources the request does not give (Argo: version; Flagger: app)', () => {
    expect(metricSides(score({ labelsFrom: MAPPING }), ARGO)).toEqual({ baseline: { version: 'v1', namespace: 'ml' }, canary: { version: 'v2', namespace: 'ml' } });
    expect(metricSides(score({ labelsFrom: MAPPING }), FLAGGER)).toEqual({ baseline: { app: 'model-primary', namespace: 'ml' }, canary: { app: 'model', namespace: 'ml' } });
  });

  it('refuses sides that would select the same series (comparing a side with itself always passes)', () => {
    const sides = metricSides(score({ labelsFrom: { namespace: 'destination_workload_namespace' } }), ARGO);
    expect(sides).toEqual({ unresolved: expect.stringMatching(/cannot tell the sides apart/) });
    expect(metricSides(score({ labelsFrom: { pod: 'pod' } }), ARGO)).toEqual({ unresolved: expect.stringMatching(/cannot tell the sides apart/) });
    expect(metricSides(score({ baseline: { labels: { version: 'v2' } }, canary: { labels: { version: 'v2' } } }), ARGO)).toEqual({ unresolved: expect.stringMatching(/same selector/) });
  });

  it('tells sides apart by their pod-template hashes only for series their pods report themselves', () => {
    const ARGO_HASHES = { common: { destination_workload_namespace: 'ml' }, baseline: {}, canary: {}, revisions: { baseline: '6d5f7c9b8', canary: '7c9d8f6b4' } };
    const latency: TemplateMetric = { name: 'latency', template: 'istio-latency' };
    expect(metricSides(latency, ARGO_HASHES)).toEqual({ baseline: { destination_workload_namespace: 'ml' }, canary: { destination_workload_namespace: 'ml' } });
    expect(metricSides(score({ labelsFrom: MAPPING }), { ...ARGO_HASHES, reporter: 'waypoint' })).toEqual({ baseline: { namespace: 'ml' }, canary: { namespace: 'ml' } });
    // A waypoint's (or a caller's) series carry the waypoint's pod: the hashes cannot pin them.
    expect(metricSides(latency, { ...ARGO_HASHES, reporter: 'waypoint' })).toEqual({ unresolved: expect.stringMatching(/reporter "waypoint" reports another pod/) });
    expect(metricSides(latency, { ...ARGO_HASHES, revisions: { baseline: 'same', canary: 'same' } })).toEqual({ unresolved: expect.stringMatching(/same selector/) });
  });

  it('refuses a mapping whose source only one side gives', () => {
    const lopsided = { common: {}, baseline: { destination_version: 'v1' }, canary: { destination_workload: 'model' } };
    expect(metricSides(score({ labelsFrom: { version: 'destination_version' } }), lopsided)).toEqual({ unresolved: expect.stringMatching(/only the baseline side gives/) });
  });
});

describe('/v1/analyze with per-metric side labels', () => {
  const argoRequest = { labels: { destination_workload_namespace: 'ml' }, baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } } };

  it('the default profile asks Istio metrics with destination_version and the app metric with version, from one request', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    const { app } = testApp({ analysis: { source } });
    const res = await request(app).post('/v1/analyze').send({ profile: 'default', ...argoRequest });
    expect(res.status).toBe(200);
    const byName = new Map(source.calls.map((c) => [c.metric.name, c.ctx]));
    expect(byName.get('latency')?.canary).toEqual({ destination_workload_namespace: 'ml', destination_version: 'v2' });
    expect(byName.get('prediction-score')?.canary).toEqual({ version: 'v2', namespace: 'ml' });
    expect(byName.get('prediction-score')?.baseline).toEqual({ version: 'v1', namespace: 'ml' });
  });

  it('a request metric may carry its own sides; the request reporter reaches the source', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    const { app } = testApp({ analysis: { source } });
    const res = await request(app)
      .post('/v1/analyze')
      .send({
        ...argoRequest,
        reporter: 'waypoint',
        metrics: [
          { name: 'latency', template: 'istio-latency' },
          { name: 'score', template: 'histogram', metric: 'model_prediction_score', kind: 'distribution', baseline: { labels: { version: 'v1' } }, canary: { labels: { version: 'v2' } } },
        ],
      });
    expect(res.status).toBe(200);
    expect(source.calls.find((c) => c.metric.name === 'score')?.ctx.canary).toEqual({ version: 'v2' });
    expect(source.calls.every((c) => c.ctx.reporter === 'waypoint')).toBe(true);
  });

  it('answers 400 for a required metric whose sides cannot be told apart, and skips an optional one', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    const { app } = testApp({ analysis: { source } });
    const same = { name: 'score', template: 'histogram', metric: 'model_prediction_score', labelsFrom: { namespace: 'destination_workload_namespace' } };
    const refused = await request(app).post('/v1/analyze').send({ ...argoRequest, metrics: [{ name: 'latency', template: 'istio-latency' }, same] });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toMatch(/cannot tell the sides apart/);
    const skipped = await request(app).post('/v1/analyze').send({ ...argoRequest, metrics: [{ name: 'latency', template: 'istio-latency' }, { ...same, optional: true }] });
    expect(skipped.status).toBe(200);
    expect(skipped.body.skipped).toEqual(['score']);
    expect(source.calls.map((c) => c.metric.name)).not.toContain('score');
  });

  it.each<[string, object, RegExp, object?]>([
    ['only baseline labels', { baseline: { labels: { version: 'v1' } } }, /give both .*baseline.labels.* and .*canary.labels/],
    ['own labels and labelsFrom', { baseline: { labels: { version: 'v1' } }, canary: { labels: { version: 'v2' } }, labelsFrom: { version: 'destination_version' } }, /either this metric's own/],
    ['a reserved label name in labelsFrom', { labelsFrom: { __name__: 'destination_version' } }, /not a label name/],
    ['an unknown reporter', {}, /reporter/, { reporter: 'gateway' }],
  ])('refuses %s (400)', async (_name, extra, message, requestExtra = {}) => {
    const { app } = testApp({ analysis: { source: new FakeSource({ latency: 'pass', errors: 'pass' }) } });
    const res = await request(app)
      .post('/v1/analyze')
      .send({ ...argoRequest, ...requestExtra, metrics: [{ name: 'score', template: 'histogram', metric: 'model_prediction_score', ...extra }] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(message);
  });
});
