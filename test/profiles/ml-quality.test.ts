/**
 * The built-in `ml-quality` profile (src/profiles/profiles.ts; docs/model-quality.md, "The
 * ml-quality profile"): what it holds, that it is what the same profile written in a
 * PROFILES_FILE would parse to, and the PromQL a request naming it sends to Prometheus (a fake
 * Prometheus HTTP API behind the real PrometheusSource and client).
 */
import request from 'supertest';
import { builtInProfiles, ML_QUALITY, profileSchema } from '../../src/profiles/profiles';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { testApp } from '../support/app';
import { EMPTY_VECTOR, fakeFetch, matrix } from '../sources/fake-prometheus';

const END = 1_700_000_400;

describe('the ml-quality profile', () => {
  it('is built in beside istio-model-serving, which stays the default', () => {
    const profiles = builtInProfiles();
    expect(profiles.get('ml-quality')).toBe(ML_QUALITY);
    expect(profiles.get('default')!.metrics.map((m) => m.name)).toEqual(['latency', 'error-rate', 'prediction-score']);
    expect(ML_QUALITY.metrics.map((m) => [m.name, m.template, m.critical])).toEqual([
      ['latency', 'istio-latency', true],
      ['error-rate', 'istio-error-rate', true],
      ['accuracy', 'labelled-accuracy', true],
    ]);
    // No metric is segmented (the labelled templates refuse segmentBy; Istio has no tenant label).
    expect(ML_QUALITY.metrics.filter((m) => m.segmentBy !== undefined)).toEqual([]);
  });

  it('is exactly what the same profile written in a PROFILES_FILE parses to (the request schema\'s defaults included)', () => {
    const written = profileSchema.parse({
      metrics: [
        { name: 'latency', template: 'istio-latency', statistic: 'p95', margin: { relative: 0.1 }, critical: true },
        { name: 'error-rate', template: 'istio-error-rate', margin: { relative: 0.5, absolute: 0.001 }, critical: true },
        {
          name: 'accuracy',
          template: 'labelled-accuracy',
          labelDelay: '5m',
          minLabelCoverage: 0.95,
          margin: { absolute: 0.01 },
          critical: true,
          labelsFrom: { version: 'destination_version', app: 'destination_workload', namespace: 'destination_workload_namespace' },
        },
      ],
    });
    expect(ML_QUALITY.metrics).toEqual(written.metrics);
  });

  it('a request naming it sends the serving and labelled queries, each side by its own labels, and never passes on no data', async () => {
    const fake = fakeFetch((r) => (r.url.endsWith('/query_range') ? matrix([]) : EMPTY_VECTOR));
    const source = new PrometheusSource(new PrometheusClient({ baseUrl: 'http://prometheus:9090', queryTimeoutMs: 2000, fetch: fake.fetch }));
    const { app } = testApp({ analysis: { source, now: () => END } });
    const res = await request(app)
      .post('/v1/analyze')
      .send({
        profile: 'ml-quality',
        labels: { destination_workload_namespace: 'ml' },
        baseline: { labels: { destination_version: 'v1' } },
        canary: { labels: { destination_version: 'v2' } },
        start: END - 600,
        end: END,
      });
    expect(res.status).toBe(200);
    expect(res.body.verdict).toBe('inconclusive');
    expect(res.body.metrics.map((m: { name: string; critical: boolean }) => [m.name, m.critical])).toEqual([
      ['latency', true],
      ['error-rate', true],
      ['accuracy', true],
    ]);
    const queries = fake.requests.map((r) => r.params.query);
    // Istio's series by the request's own labels, the destination's reports only.
    expect(queries).toContain('sum by (le) (increase(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="ml",destination_version="v2"}[60s]))');
    expect(queries).toContain('sum(increase(istio_requests_total{reporter="destination",destination_workload_namespace="ml",destination_version="v1"}[60s]))');
    // The labelled outcomes by prediction time, by the feedback series' own labels (labelsFrom),
    // instant at the window's end over the whole window.
    for (const version of ['v1', 'v2']) {
      const selector = `{version="${version}",namespace="ml"}[600s]`;
      expect(queries).toContain(`sum by (predicted_at, correct) (last_over_time(model_labelled_predictions_total${selector}))`);
      expect(queries).toContain(`sum by (predicted_at) (last_over_time(model_predictions_total${selector}))`);
    }
    const labelled = fake.requests.filter((r) => r.params.query.includes('predicted_at'));
    expect(labelled).toHaveLength(6);
    expect(labelled.every((r) => r.url.endsWith('/api/v1/query') && r.params.time === String(END))).toBe(true);
  });
});
