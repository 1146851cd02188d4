/**
 * The labelled templates against a fake Prometheus HTTP API (src/sources/prometheus/labelled-templates.ts,
 * src/sources/validate/labelled-outcomes.ts): the PromQL sent, every count placed in its
 * prediction interval, and each fault of the answers refused by name (HTTP 503 upstream),
 * never read as data.
 */
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { planLabelledSide, predictionGrid } from '../../src/sources/prometheus/labelled-templates';
import type { FetchContext, TemplateMetric } from '../../src/sources/metric-source';
import { SampleFaultError } from '../../src/sources/validate/faults';
import { fakeFetch, vector, type Responder } from './fake-prometheus';

const START = 1_700_000_040; // a whole minute
const END = START + 630; // ten whole minutes, and half a minute in progress
const V1 = { version: 'v1' };
const V2 = { version: 'v2' };

const accuracy: TemplateMetric = { name: 'accuracy', template: 'labelled-accuracy', labelDelaySeconds: 300, minLabelCoverage: 0.9 };

function context(): FetchContext {
  return { baseline: V1, canary: V2, window: { start: START, end: END }, timelineStepSeconds: 60, signal: new AbortController().signal };
}

type Series = [Record<string, string>, string][];
interface SideData {
  predictions?: Series;
  outcomes?: Series;
  buckets?: Series;
  resets?: Series;
}

/** Answers each query by the side its selector names and what it reads. */
function answering(sides: { v1: SideData; v2: SideData }): Responder {
  return (request) => {
    const query = request.params.query ?? '';
    const side = query.includes('version="v2"') ? sides.v2 : sides.v1;
    const pick = query.includes('resets(') ? side.resets : query.includes('model_predictions_total') ? side.predictions : query.includes('_bucket') ? side.buckets : side.outcomes;
    return vector(pick ?? []);
  };
}

function source(respond: Responder) {
  const fake = fakeFetch(respond);
  return { source: new PrometheusSource(new PrometheusClient({ baseUrl: 'http://prometheus:9090', queryTimeoutMs: 2000, fetch: fake.fetch })), requests: fake.requests };
}

const at = (minute: number) => String(START + 60 * minute);
const predictions = (n: number, minutes: number[]): Series => minutes.map((m) => [{ predicted_at: at(m) }, String(n)]);
const outcomes = (right: number, wrong: number, minutes: number[]): Series =>
  minutes.flatMap((m) => [
    [{ predicted_at: at(m), correct: 'true' }, String(right)],
    [{ predicted_at: at(m), correct: 'false' }, String(wrong)],
  ]);
const TEN = Array.from({ length: 10 }, (_, i) => i);

describe('labelled templates: the PromQL', () => {
  it('accuracy from one counter split by "correct", the predictions and the resets, by prediction time', () => {
    const plan = planLabelledSide(accuracy, { version: 'v2', app: 'model' }, { start: START, end: END });
    expect(plan).toEqual({
      shape: 'outcomes',
      outcome: 'correct',
      predictedAt: 'predicted_at',
      outcomes: 'sum by (predicted_at, correct) (last_over_time(model_labelled_predictions_total{version="v2",app="model"}[630s]))',
      predictions: 'sum by (predicted_at) (last_over_time(model_predictions_total{version="v2",app="model"}[630s]))',
      resets:
        'sum by (counter, predicted_at) (label_replace(resets(model_labelled_predictions_total{version="v2",app="model"}[630s]) > 0, "counter", "model_labelled_predictions_total", "", "") or ' +
        'label_replace(resets(model_predictions_total{version="v2",app="model"}[630s]) > 0, "counter", "model_predictions_total", "", ""))',
    });
  });

  it('correct / total counters, and an error histogram with its own names and label', () => {
    const plan = planLabelledSide({ ...accuracy, events: 'fb_correct_total', total: 'fb_labelled_total', predictions: 'fb_predictions_total', predictedAt: 'minute' }, V1, { start: START, end: END });
    expect(plan.shape).toBe('correct-total');
    expect(plan).toMatchObject({ correct: 'sum by (minute) (last_over_time(fb_correct_total{version="v1"}[630s]))', labelled: 'sum by (minute) (last_over_time(fb_labelled_total{version="v1"}[630s]))' });
    const error = planLabelledSide({ name: 'mae', template: 'labelled-error', labelDelaySeconds: 60, kind: 'distribution' }, V1, { start: START, end: END }, { x_canary_version: 'v2' });
    expect(error).toMatchObject({ shape: 'histogram', kind: 'distribution', buckets: 'sum by (predicted_at, le) (last_over_time(model_labelled_abs_error_bucket{version="v1",x_canary_version!="v2"}[630s]))' });
  });

  it('the prediction grid: whole steps aligned to the step, the one in progress left out', () => {
    expect(predictionGrid({ start: START - 20, end: END }, 60).starts).toEqual(TEN.map((m) => START + 60 * m));
    expect(predictionGrid({ start: START, end: START + 59 }, 60).starts).toEqual([]);
  });
});

describe('labelled templates: counts placed by prediction time', () => {
  it('each prediction minute is one interval; outcomes before the window or in the minute in progress are left out', async () => {
    const v1 = { predictions: predictions(1000, [-3, ...TEN, 10]), outcomes: outcomes(900, 95, [-3, ...TEN, 10]) };
    const v2 = { predictions: predictions(100, TEN), outcomes: outcomes(80, 15, [0, 1, 2, 3, 4, 5, 6, 7, 8]) };
    const { source: s, requests } = source(answering({ v1, v2 }));
    const fetched = await s.fetch(accuracy, context());
    expect(fetched.kind).toBe('proportion');
    if (fetched.kind !== 'proportion') throw new Error('unreachable');
    expect(fetched.baseline.intervals).toHaveLength(10);
    expect(fetched.baseline.intervals![0]).toEqual({ events: 900, total: 995 });
    expect(fetched.canary.intervals![9]).toEqual({ events: 0, total: 0 });
    expect(fetched.canary).toMatchObject({ events: 720, total: 855 });
    expect(fetched.labelled).toEqual({
      predictions: { baseline: TEN.map(() => 1000), canary: TEN.map(() => 100) },
      minCoverage: 0.9,
      delaySeconds: 300,
      ages: TEN.map((m) => END - (START + 60 * (m + 1))),
      starts: TEN.map((m) => START + 60 * m),
    });
    expect(fetched.intervalSeconds).toBe(60);
    // Instant queries at the window's end, three per side.
    expect(requests).toHaveLength(6);
    expect(requests.every((r) => r.params.time === String(END))).toBe(true);
    expect(fetched.queries.canary).toHaveLength(3);
  });

  it('two-minute steps add two prediction minutes each', async () => {
    const v1 = { predictions: predictions(1000, TEN), outcomes: outcomes(900, 95, TEN) };
    const v2 = { predictions: predictions(100, TEN), outcomes: outcomes(90, 10, TEN) };
    const { source: s } = source(answering({ v1, v2 }));
    const fetched = await s.fetch(accuracy, { ...context(), timelineStepSeconds: 120 });
    expect(fetched.labelled?.predictions.canary).toEqual([200, 200, 200, 200, 200]);
    expect(fetched.canary.intervals).toHaveLength(5);
  });

  it('an error histogram by prediction time becomes one histogram per interval', async () => {
    const bucketsAt = (m: number, counts: [string, number][]): Series => counts.map(([le, n]) => [{ predicted_at: at(m), le }, String(n)]);
    const v1 = { predictions: predictions(100, [0, 1]), buckets: [...bucketsAt(0, [['0.1', 40], ['0.5', 90], ['+Inf', 100]]), ...bucketsAt(1, [['0.1', 30], ['0.5', 80], ['+Inf', 95]])] };
    const v2 = { predictions: predictions(100, [0, 1]), buckets: [...bucketsAt(0, [['0.1', 20], ['0.5', 70], ['+Inf', 97]])] };
    const { source: s } = source(answering({ v1, v2 }));
    const fetched = await s.fetch({ name: 'mae', template: 'labelled-error', labelDelaySeconds: 120 }, context());
    expect(fetched.kind).toBe('continuous');
    if (fetched.kind !== 'continuous') throw new Error('unreachable');
    expect(fetched.baseline.intervals![1]).toEqual({ histogram: { buckets: [{ le: 0.1, count: 30 }, { le: 0.5, count: 80 }, { le: Infinity, count: 95 }] } });
    expect(fetched.canary.intervals![1]).toEqual({ histogram: { buckets: [{ le: 0.1, count: 0 }, { le: 0.5, count: 0 }, { le: Infinity, count: 0 }] } });
    expect(fetched.baseline).toMatchObject({ histogram: { buckets: [{ le: 0.1, count: 70 }, { le: 0.5, count: 170 }, { le: Infinity, count: 195 }] } });
  });

  it('neither side has any series: noSeries, empty sides', async () => {
    const { source: s } = source(answering({ v1: {}, v2: {} }));
    const fetched = await s.fetch(accuracy, context());
    expect(fetched.noSeries).toBe(true);
    expect(fetched.labelled?.predictions.canary).toEqual(TEN.map(() => 0));
  });
});

describe('labelled templates: faults are refused by name, never judged', () => {
  const healthy = () => ({ predictions: predictions(100, TEN), outcomes: outcomes(80, 15, TEN) });
  async function fault(v2: SideData): Promise<SampleFaultError> {
    const { source: s } = source(answering({ v1: healthy(), v2: { ...healthy(), ...v2 } }));
    const error = await s.fetch(accuracy, context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SampleFaultError);
    return error as SampleFaultError;
  }

  it('a counter reset within the window', async () => {
    const error = await fault({ resets: [[{ counter: 'model_labelled_predictions_total', predicted_at: at(4) }, '1']] });
    expect(error.faults[0]).toMatchObject({ code: 'counter-reset', side: 'canary', role: 'resets', counter: 'model_labelled_predictions_total' });
    expect(error.message).toMatch(/the counter model_labelled_predictions_total was reset once within the window: its counts from before the reset are lost/);
  });

  it('more labelled outcomes than predictions (coverage above 100 %), predictions missing altogether included', async () => {
    const error = await fault({ predictions: predictions(100, [0, 1, 2, 3, 4, 5, 6, 7, 8]), outcomes: [...outcomes(80, 15, TEN.slice(0, 9)), ...outcomes(90, 20, [9])] });
    expect(error.faults.map((f) => f.code)).toEqual(['labels-exceed-predictions']);
    expect(error.faults[0]).toMatchObject({ predictedAt: START + 540, labelled: 110, predictions: 0 });
    expect(error.message).toMatch(/110 labelled outcomes for the predictions made at .* but 0 predictions \(label coverage above 100 %\)/);
  });

  it('an outcome other than "true" / "false"', async () => {
    const error = await fault({ outcomes: [...outcomes(80, 15, TEN), [{ predicted_at: at(2), correct: 'True' }, '3']] });
    expect(error.faults[0]).toMatchObject({ code: 'bad-outcome', label: 'correct', value: 'True' });
  });

  it('a series without its prediction time, and one in milliseconds', async () => {
    const error = await fault({ outcomes: [...outcomes(80, 15, TEN), [{ correct: 'true' }, '3'], [{ predicted_at: String((START + 60) * 1000), correct: 'true' }, '3']] });
    expect(error.faults.map((f) => f.code).sort()).toEqual(['bad-predicted-at', 'missing-predicted-at']);
    expect(error.message).toMatch(/not a time before the window's end \(unix seconds, not milliseconds\?\)/);
  });

  it('NaN and negative counts', async () => {
    const error = await fault({ predictions: [...predictions(100, TEN.slice(1)), [{ predicted_at: at(0) }, 'NaN']], outcomes: [...outcomes(80, 15, TEN.slice(1)), [{ predicted_at: at(0), correct: 'true' }, '-4']] });
    expect(error.faults.map((f) => f.code).sort()).toEqual(['nan', 'negative-count']);
  });

  it('correct beyond labelled with correct / total counters', async () => {
    const metric: TemplateMetric = { ...accuracy, events: 'fb_correct_total', total: 'fb_labelled_total' };
    const respond: Responder = (request) => {
      const query = request.params.query ?? '';
      if (query.includes('resets(')) return vector([]);
      if (query.includes('model_predictions_total')) return vector(predictions(100, TEN));
      if (query.includes('fb_correct_total')) return vector(predictions(query.includes('v2') ? 96 : 80, TEN));
      return vector(predictions(95, TEN));
    };
    const error = await source(respond).source.fetch(metric, context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SampleFaultError);
    expect((error as SampleFaultError).faults[0]).toMatchObject({ code: 'events-exceed-total', side: 'canary', events: 96, total: 95 });
  });

  it('histograms: a bound missing at one prediction time, counts falling with le, no +Inf', async () => {
    const b = (m: number, counts: [string, number][]): Series => counts.map(([le, n]) => [{ predicted_at: at(m), le }, String(n)]);
    const respond = answering({
      v1: { predictions: predictions(100, [0, 1, 2]), buckets: [...b(0, [['0.1', 40], ['0.5', 90], ['+Inf', 100]]), ...b(1, [['0.1', 30], ['+Inf', 95]]), ...b(2, [['0.1', 50], ['0.5', 40], ['+Inf', 60]])] },
      v2: { predictions: predictions(100, [0]), buckets: b(0, [['0.1', 20], ['0.5', 70]]) },
    });
    const error = await source(respond).source.fetch({ name: 'mae', template: 'labelled-error', labelDelaySeconds: 120 }, context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SampleFaultError);
    expect((error as SampleFaultError).faults.map((f) => f.code).sort()).toEqual(['missing-bound', 'no-inf-bucket', 'non-monotone-buckets']);
  });
});
