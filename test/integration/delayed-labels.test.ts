/**
 * Labelled quality with delayed labels against a real Prometheus (2.x on 127.0.0.1, history
 * backfilled with promtool): a feedback job's counters by prediction minute whose labels keep
 * arriving for many minutes after the predictions, easy ones first (test/support/labelled-history.ts),
 * beside the model's Istio traffic (what tells the revisions apart). Each scenario lives in its
 * own namespace; the judge's clock is the history's end.
 *
 * Skipped with a message when no Prometheus binary is found (except with CI=true).
 */
import request from 'supertest';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { analyzeResponseSchema } from '../../src/contracts/analyze-response';
import { TYPICAL, type LabelModel } from '../../bench/simulate/delayed-labels';
import { testApp } from '../support/app';
import { clusterHistory, historyEnd, startBackfilledPrometheus, type PodPlay } from '../support/cluster-history';
import { feedbackHistory, type FeedbackPlay } from '../support/labelled-history';
import { findPrometheus, prometheusMissingMessage, type PrometheusServer } from '../support/prometheus';

const binary = findPrometheus();
const inCi = process.env.CI === 'true';
if (!binary && !inCi) console.warn(`Skipping delayed-labels.test.ts. ${prometheusMissingMessage()}`);
const describeWithPrometheus = binary || inCi ? describe : describe.skip;

const END = historyEnd();
const NAMESPACES = ['healthy', 'harmful', 'reset', 'exceed', 'nolabels'] as const;
/** The canary 5 pp less accurate on every prediction. */
const WORSE: LabelModel = { ...TYPICAL, accuracy: { easy: TYPICAL.accuracy.easy - 0.05, hard: TYPICAL.accuracy.hard - 0.05 } };

const PODS: PodPlay[] = NAMESPACES.flatMap((ns) =>
  (['v1', 'v2'] as const).map((version) => ({
    pod: version === 'v1' ? 'model-5f6d7c8b9-s0001' : 'model-7c9d8f6b4-p0001',
    labels: { destination_workload: 'model', destination_workload_namespace: ns, destination_version: version, destination_service_name: 'model' },
    from: -46,
    to: 0,
    requestsPerMinute: 2000,
    errorRate: 0.005,
    latency: { medianMs: 60, sigma: 0.4 },
  })),
);

const feedback = (ns: string, version: string, extra: Partial<FeedbackPlay> = {}): FeedbackPlay => ({
  labels: { namespace: ns, version, job: 'feedback', pod: 'feedback-6b7c8d9f5-f0001' },
  from: -45,
  to: 0,
  predictionsPerMinute: 2000,
  model: TYPICAL,
  ...extra,
});
const RESET_MINUTE = -30;
const EXCEED_MINUTE = -25;
const PLAYS: FeedbackPlay[] = [
  feedback('healthy', 'v1', { errorHistogram: true }),
  feedback('healthy', 'v2', { errorHistogram: true }),
  feedback('harmful', 'v1'),
  feedback('harmful', 'v2', { model: WORSE }),
  feedback('reset', 'v1'),
  // The feedback job restarted 20 minutes before the end: one bucket's counter starts again from 0.
  feedback('reset', 'v2', { tamper: (series, minute, t, value) => (series === 'true' && minute === RESET_MINUTE && t > END - 20 * 60 ? Math.max(0, value - 900) : value) }),
  feedback('exceed', 'v1'),
  // One minute's predictions counted by another rounding of the prediction time: half are missing.
  feedback('exceed', 'v2', { tamper: (series, minute, _t, value) => (series === 'predictions' && minute === EXCEED_MINUTE ? Math.round(value / 2) : value) }),
  feedback('nolabels', 'v1'),
  feedback('nolabels', 'v2', { noLabels: true }),
];

function analysis(ns: string, metrics: object[], window: { start: number; end: number } = { start: END - 40 * 60, end: END }) {
  return {
    labels: { destination_workload_namespace: ns },
    baseline: { labels: { destination_version: 'v1' } },
    canary: { labels: { destination_version: 'v2' } },
    start: window.start,
    end: window.end,
    metrics,
  };
}
const accuracy = { name: 'accuracy', template: 'labelled-accuracy', labelDelay: '10m', labelsFrom: { version: 'destination_version', namespace: 'destination_workload_namespace' } };

describeWithPrometheus('labelled quality with delayed labels against a real Prometheus', () => {
  let prometheus: PrometheusServer | undefined;
  let app: ReturnType<typeof testApp>['app'];

  beforeAll(async () => {
    if (!binary) throw new Error(`CI=true and ${prometheusMissingMessage()}`);
    const istio = clusterHistory(END, PODS, [], 3).replace(/# EOF\n$/, '');
    prometheus = await startBackfilledPrometheus(`${istio}${feedbackHistory(END, PLAYS)}\n# EOF\n`);
    const source = new PrometheusSource(new PrometheusClient({ baseUrl: prometheus.url, queryTimeoutMs: 10_000 }));
    app = testApp({ analysis: { source, deadlineMs: 20_000, now: () => END } }).app;
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
  });

  const post = (body: object) => request(app).post('/v1/analyze').send(body);

  it('judges the prediction minutes whose labels are in and passes a healthy canary; the latest 10 minutes await their labels', async () => {
    const res = await post(analysis('healthy', [accuracy, { name: 'abs-error', template: 'labelled-error', labelDelay: '10m', statistic: 'p90', margin: { absolute: 0.5 }, labelsFrom: accuracy.labelsFrom }]));
    expect(res.status).toBe(200);
    expect(analyzeResponseSchema.safeParse(res.body).success).toBe(true);
    const [acc, error] = res.body.metrics;
    expect(acc.verdict).toBe('pass');
    // 40 prediction minutes; the 10 youngest are younger than the label delay.
    expect(acc.labels).toMatchObject({ intervals: 40, judged: 30, delaySeconds: 600, minCoverage: 0.95, pendingSeconds: 60 });
    for (const side of ['baseline', 'canary'] as const) {
      expect(acc.labels.coverage[side]).toBeGreaterThan(0.95);
      expect(acc.labels.coverage[side]).toBeLessThanOrEqual(1);
      // The youngest minute has well under half of its labels; the oldest nearly all.
      expect(acc.labels.perInterval[side][39]).toBeLessThan(0.5);
      expect(acc.labels.perInterval[side][0]).toBeGreaterThan(0.99);
    }
    expect(acc.queries.canary[0]).toBe(`sum by (predicted_at, correct) (last_over_time(model_labelled_predictions_total{version="v2",namespace="healthy"}[2400s]))`);
    expect(acc.reason).toMatch(/labels: judged on the oldest 30 of 40 prediction intervals/);
    expect(error.labels).toMatchObject({ intervals: 40, judged: 30 });
    expect(error.effect.measure).toBe('shift of p90');
  }, 30_000);

  it('fails a canary 5 pp less accurate on the judged minutes', async () => {
    const res = await post(analysis('harmful', [accuracy]));
    expect(res.status).toBe(200);
    expect(res.body.verdict).toBe('fail');
    expect(res.body.metrics[0].effect.upper).toBeLessThan(-0.01);
  }, 30_000);

  it('answers "labels pending" on a window younger than the label delay', async () => {
    const res = await post(analysis('harmful', [accuracy], { start: END - 8 * 60, end: END }));
    expect(res.status).toBe(200);
    const [acc] = res.body.metrics;
    expect(acc.verdict).toBe('inconclusive');
    expect(acc.reason).toMatch(/^labels pending: none of the 8 prediction intervals has its labels in yet \(interval 1 \(predictions from .*\) has/);
    expect(acc.labels).toMatchObject({ judged: 0, intervals: 8, pendingSeconds: 180 });
    expect(res.body.verdict).toBe('inconclusive');
  }, 30_000);

  it('a counter reset within the window is a 503 naming the counter, never a verdict', async () => {
    const res = await post(analysis('reset', [accuracy]));
    expect(res.status).toBe(503);
    expect(res.body.faults[0]).toMatchObject({ code: 'counter-reset', side: 'canary', role: 'resets', series: { counter: 'model_labelled_predictions_total', predicted_at: String(END + RESET_MINUTE * 60) } });
    expect(res.body.message).toMatch(/was reset once within the window/);
  }, 30_000);

  it('more labels than predictions in a minute is a 503 naming it', async () => {
    const res = await post(analysis('exceed', [accuracy]));
    expect(res.status).toBe(503);
    expect(res.body.faults[0]).toMatchObject({ code: 'labels-exceed-predictions', side: 'canary' });
    expect(res.body.message).toMatch(/label coverage above 100 %/);
  }, 30_000);

  it('a canary whose feedback job exports no labels: "labels late", never a pass', async () => {
    const res = await post(analysis('nolabels', [accuracy]));
    expect(res.status).toBe(200);
    const [acc] = res.body.metrics;
    expect(acc.verdict).toBe('inconclusive');
    expect(acc.reason).toMatch(/^labels late: .* 0 % of the canary's predictions labelled .* later than declared, or lost/);
    expect(acc.labels.pendingSeconds).toBeNull();
  }, 30_000);
});
