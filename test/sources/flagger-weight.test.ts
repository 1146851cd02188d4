/**
 * Flagger's weight from its gauge (src/sources/flagger-weight.ts), and a Flagger rollout hook
 * with `expectedCanaryShare: flagger`: the split checked against the weight Flagger set, counted
 * over that weight's step; header-routed testers named as the likely cause; no gauge, no check
 * (and the response says so).
 */
import request from 'supertest';
import { analyze } from '../../src/judge/analyze';
import type { AnalysisInput } from '../../src/judge/types';
import { currentWeight, WEIGHT_SETTLING_SECONDS } from '../../src/sources/flagger-weight';
import type { TimeWindow } from '../../src/sources/metric-source';
import { testApp } from '../support/app';
import { FakeSource } from '../support/fake-source';

const END = 1_800_000_000;
/** One sample a minute over the last `minutes`, the weights given oldest first. */
const samples = (weights: readonly number[]) => weights.map((w, i) => [END - (weights.length - 1 - i) * 60, w] as const);

describe('currentWeight', () => {
  it('the latest weight and the start of its run, counted from a settling margin after it', () => {
    const got = currentWeight(samples([1, 1, 1, 10, 10, 10, 10, 10]), END, 60, 'w');
    expect(got).toEqual({ share: 0.1, since: END - 4 * 60, countFrom: END - 4 * 60 + WEIGHT_SETTLING_SECONDS });
  });

  it('no weight to check, with the reason: no sample at the end, not a percentage, 0 or 100 %, too recent', () => {
    expect(currentWeight([], END, 60, 'flagger_canary_weight{workload="model"}')).toEqual({ none: 'no flagger_canary_weight{workload="model"} sample at the window\'s end (Flagger\'s own metrics are not scraped?)' });
    expect(currentWeight(samples([10, 10]).map(([t, w]) => [t - 300, w] as const), END, 60, 'w')).toHaveProperty('none');
    expect(currentWeight(samples([10, NaN]), END, 60, 'w')).toEqual({ none: 'w is NaN, not a weight in percent' });
    expect(currentWeight(samples([10, 250]), END, 60, 'w')).toEqual({ none: 'w is 250, not a weight in percent' });
    expect(currentWeight(samples([50, 0]), END, 60, 'w')).toEqual({ none: "the canary's weight is 0 %: no split to check" });
    expect(currentWeight(samples([50, 100]), END, 60, 'w')).toEqual({ none: "the canary's weight is 100 %: no split to check" });
    expect(currentWeight(samples([1, 1, 10]), END, 60, 'w')).toEqual({ none: "the canary's weight changed to 10 % too recently (0 s ago) to count a step of it", share: 0.1 });
  });
});

/** A fake source with Flagger's gauge: the weights per minute, oldest first, up to the window's end. */
class FlaggerSource extends FakeSource {
  readonly weightCalls: { workload: string; namespace: string }[] = [];
  trafficWindows: TimeWindow[] = [];
  constructor(private readonly weights: readonly number[] | null) {
    super({ latency: 'pass', errors: 'pass' });
  }
  async flaggerWeights(workload: string, namespace: string, window: TimeWindow) {
    this.weightCalls.push({ workload, namespace });
    const values = (this.weights ?? []).map((w, i, all) => [window.end - (all.length - 1 - i) * 60, w] as const);
    return { samples: values, query: `max(flagger_canary_weight{workload="${workload}"})` };
  }
  override async fetch(...args: Parameters<FakeSource['fetch']>) {
    if (args[0].template === 'istio-requests') this.trafficWindows.push(args[1].window);
    return super.fetch(...args);
  }
}

const payload = (metadata: Record<string, string>) => ({ name: 'model', namespace: 'ml', phase: 'Progressing', checksum: 'abc', metadata: { target: 'model', since: 'canary', ...metadata } });

describe('Flagger hooks with expectedCanaryShare: flagger', () => {
  it('checks the split against the weight Flagger set, counted over that weight\'s step', async () => {
    // 10 % of the requests to the canary (FakeSource), Flagger at 10 % for the last 6 minutes.
    const source = new FlaggerSource([5, 5, 5, 10, 10, 10, 10, 10, 10, 10]);
    const { app } = testApp({ analysis: { source } });
    const res = await request(app).post('/v1/analyze').send({
      expectedCanaryShare: 'flagger',
      since: 'canary',
      baseline: { labels: { destination_workload: 'model-primary', destination_workload_namespace: 'ml' } },
      canary: { labels: { destination_workload: 'model', destination_workload_namespace: 'ml' } },
    });
    expect(res.status).toBe(200);
    expect(source.weightCalls).toEqual([{ workload: 'model', namespace: 'ml' }]);
    expect(res.body.checks).toEqual([expect.objectContaining({ name: 'traffic-split', verdict: 'pass', expectedCanaryShare: 0.1 })]);
    const window = source.trafficWindows[0];
    // From the first sample at 10 % (6 minutes before the end) plus the settling margin.
    expect(window.end - window.start).toBe(6 * 60 - WEIGHT_SETTLING_SECONDS);
    expect(res.body.trafficNotChecked).toBeUndefined();
  });

  it('a canary that gets more than its weight (testers forced to it): inconclusive, the header route named', async () => {
    const source = new FlaggerSource(Array(10).fill(5));
    source.requests = { baseline: 90000, canary: 10000 };
    const { app } = testApp({ analysis: { source } });
    const res = await request(app).post('/v1/flagger/confirm-promotion').send(payload({ expectedCanaryShare: 'flagger' }));
    expect(res.status).toBe(412);
    expect(res.text).toMatch(/^canary-judge inconclusive: the canary received 10% of 100000 requests where the routing promises 5% .*header route/);
  });

  it('without the gauge the split is not checked, and the answer says why', async () => {
    const source = new FlaggerSource(null);
    const { app } = testApp({ analysis: { source } });
    const res = await request(app).post('/v1/analyze').send({
      expectedCanaryShare: 'flagger',
      baseline: { labels: { destination_workload: 'model-primary', destination_workload_namespace: 'ml' } },
      canary: { labels: { destination_workload: 'model', destination_workload_namespace: 'ml' } },
    });
    expect(res.status).toBe(200);
    expect(res.body.verdict).toBe('pass');
    expect(res.body.checks).toBeUndefined();
    expect(res.body.trafficNotChecked).toMatch(/^the traffic split is not checked: no flagger_canary_weight\{workload="model",namespace="ml"\} sample at the window's end/);
    expect(source.trafficWindows).toEqual([]);
  });

  it('a step too recent to count: the split is not checked, and a pass still waits for that weight', async () => {
    // Flagger set 50 % at the window's end: the weight a gate's pass must rest on (src/judge/current-weight.ts).
    const source = new FlaggerSource([10, 10, 10, 50]);
    const judged: AnalysisInput[] = [];
    const { app } = testApp({ analysis: { source, judge: async (input) => (judged.push(input), analyze(input)) } });
    const res = await request(app).post('/v1/analyze').send({
      expectedCanaryShare: 'flagger',
      baseline: { labels: { destination_workload: 'model-primary', destination_workload_namespace: 'ml' } },
      canary: { labels: { destination_workload: 'model', destination_workload_namespace: 'ml' } },
    });
    expect(res.status).toBe(200);
    expect(res.body.trafficNotChecked).toMatch(/^the traffic split is not checked: the canary's weight changed to 50 % too recently/);
    expect(judged.map((j) => [j.canaryWeight, j.traffic])).toEqual([[0.5, undefined]]);
  });

  it('400 when the canary\'s workload is not named, or with inline traffic counts', async () => {
    const { app } = testApp({ analysis: { source: new FlaggerSource([10]) } });
    const unnamed = await request(app).post('/v1/analyze').send({ expectedCanaryShare: 'flagger', baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } } });
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.issues).toEqual([{ path: 'expectedCanaryShare', message: expect.stringMatching(/"flagger" reads flagger_canary_weight for the canary's workload/) }]);
    const inline = await request(app).post('/v1/analyze').send({ expectedCanaryShare: 'flagger', traffic: { baseline: 90, canary: 10 }, metrics: [{ name: 'e', kind: 'proportion', baseline: { events: 1, total: 100 }, canary: { events: 1, total: 100 } }] });
    expect(inline.status).toBe(400);
    expect(inline.body.issues.map((i: { path: string }) => i.path)).toContain('expectedCanaryShare');
  });
});
