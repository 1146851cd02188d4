/**
 * What each side's queries carry beyond its labels (src/sources/prometheus/templates.ts): the
 * revision's pods where the pods report the series themselves, the callers' client-side failures,
 * and the series left out of both sides.
 */
import { planQueries, planSide } from '../../src/sources/prometheus/templates';
import type { TemplateMetric } from '../../src/sources/metric-source';

const WINDOW = { start: 0, end: 60 };
const SIDE = { destination_workload_namespace: 'ml' };
const PODS = 'model-7c9d8f6b4-[a-z0-9]{5}';
const errors: TemplateMetric = { name: 'errors', template: 'istio-error-rate' };
const score: TemplateMetric = { name: 'score', template: 'histogram', metric: 'model_prediction_score' };

describe('planSide: revision pins, client-side failures, exclusions', () => {
  it('pins the destination\'s own reports and the app\'s metrics to the revision\'s pods, never a caller\'s or waypoint\'s', () => {
    const [events, total] = planQueries(planSide(errors, SIDE, WINDOW, { pods: PODS }));
    for (const q of [events, total]) expect(q).toContain(`reporter="destination",destination_workload_namespace="ml",pod=~"${PODS.replace(/\\/g, '\\\\')}"`);
    expect(planQueries(planSide(score, SIDE, WINDOW, { pods: PODS }))[0]).toContain(`pod=~"model-7c9d8f6b4-[a-z0-9]{5}"`);
    for (const reporter of ['source', 'waypoint']) {
      for (const q of planQueries(planSide(errors, SIDE, WINDOW, { pods: PODS, reporter }))) expect(q).not.toContain('pod=~');
    }
  });

  it('adds the requests the callers\' proxies failed (reporter="source", the flags of a destination that never answered) as a third query', () => {
    const plan = planSide(errors, SIDE, WINDOW, { pods: PODS, sourceLabels: { destination_service_name: 'model-canary' } });
    expect(plan.shape === 'proportion' && plan.clientFailed).toBe(
      'sum by (response_flags) (increase(istio_requests_total{destination_service_name="model-canary",reporter="source",response_flags=~"(.*,)?(UH|UF|UO|URX|UT|UC|UR|LR)(,.*)?"}[60s]))',
    );
    expect(planQueries(plan)).toHaveLength(3);
    expect(planQueries(planSide(errors, SIDE, WINDOW, { pods: PODS }))).toHaveLength(2);
  });

  it('leaves excluded series out of every query of both kinds', () => {
    const exclude = { x_canary_version: 'v2' };
    const plan = planSide(errors, SIDE, WINDOW, { pods: PODS, sourceLabels: { destination_service_name: 'model-canary' }, exclude });
    for (const q of planQueries(plan)) expect(q).toContain('x_canary_version!="v2"');
    expect(planQueries(planSide(errors, SIDE, WINDOW, { reporter: 'waypoint', exclude }))[0]).toContain('x_canary_version!="v2"');
    expect(planQueries(planSide(score, SIDE, WINDOW, { exclude }))[0]).toContain('model_prediction_score_bucket{destination_workload_namespace="ml",x_canary_version!="v2"}');
    expect(() => planSide(score, SIDE, WINDOW, { exclude: { 'bad-name': 'x' } })).toThrow(/not a Prometheus label name/);
  });
});

describe('planSide: native histograms', () => {
  const native: TemplateMetric = { ...score, native: true };

  it('asks for the native histograms and for the classic buckets of the series without one, with the same pins and exclusions', () => {
    const plan = planSide(native, SIDE, WINDOW, { pods: PODS, exclude: { x_canary_version: 'v2' } });
    const m = `{destination_workload_namespace="ml",pod=~"model-7c9d8f6b4-[a-z0-9]{5}",x_canary_version!="v2"}`;
    expect(planQueries(plan)).toEqual([
      `sum(increase(model_prediction_score${m}[60s]))`,
      `sum by (le) (increase(model_prediction_score_bucket${m}[60s]) unless ignoring (le) increase(model_prediction_score${m}[60s]))`,
      `count by (le) (increase(model_prediction_score_bucket${m}[60s]) unless ignoring (le) increase(model_prediction_score${m}[60s]))`,
    ]);
    expect(plan).toMatchObject({ shape: 'native-histogram', kind: 'continuous' });
    expect(planSide({ ...native, kind: 'distribution' }, SIDE, WINDOW)).toMatchObject({ kind: 'distribution' });
  });

  it('leaves the classic reading alone without "native"', () => {
    expect(planQueries(planSide({ ...native, native: false }, SIDE, WINDOW))).toEqual(planQueries(planSide(score, SIDE, WINDOW)));
  });
});
