import request from 'supertest';
import { analyzeResponseSchema } from '../../src/contracts/analyze-response';
import { normalQuantileOf } from '../../src/stats/normal';
import { testApp } from '../support/app';

const { app } = testApp();
const analyze = (metrics: object[], extra: object = {}) => request(app).post('/v1/analyze').send({ metrics, ...extra });

/** Per-interval error counts of a rollout: the canary's share steps up, both sides' rate rises. */
function errorTimeline(canaryRates: (i: number) => number, baselineRate: (i: number) => number, intervals = 21) {
  const baseline: { events: number; total: number }[] = [];
  const canary: { events: number; total: number }[] = [];
  for (let i = 0; i < intervals; i++) {
    const share = [0.01, 0.1, 0.5][Math.min(2, Math.floor((3 * i) / intervals))];
    const canaryTotal = Math.round(10_000 * share);
    const baselineTotal = 10_000 - canaryTotal;
    baseline.push({ events: Math.round(baselineTotal * baselineRate(i)), total: baselineTotal });
    canary.push({ events: Math.round(canaryTotal * canaryRates(i)), total: canaryTotal });
  }
  return { baseline, canary };
}

describe('timelines: "intervals" on both sides', () => {
  it('passes a healthy canary whose error rate rises with the baseline\'s while the split rises, and says when', async () => {
    const rate = (i: number) => 0.002 + 0.0004 * i;
    const { baseline, canary } = errorTimeline(rate, rate);
    const res = await analyze([{ name: 'errors', kind: 'proportion', baseline: { intervals: baseline }, canary: { intervals: canary } }]);
    expect(res.status).toBe(200);
    expect(analyzeResponseSchema.safeParse(res.body).success).toBe(true);
    const m = res.body.metrics[0];
    expect(m.verdict).toBe('pass');
    expect(m.intervals).toBe(21);
    expect(m.decidedAt).toBeGreaterThanOrEqual(8);
    expect(m.decidedAt).toBeLessThanOrEqual(21);
    expect(m.reason).toMatch(new RegExp(`^passed at interval ${m.decidedAt} of 21`));
    // The sums are what the summaries show.
    expect(m.canary.n).toBe(canary.reduce((s, i) => s + i.total, 0));
  });

  it('the same data as cumulative totals does not pass (the split and the trend pose as a difference)', async () => {
    const rate = (i: number) => 0.002 + 0.0004 * i;
    const { baseline, canary } = errorTimeline(rate, rate);
    const sum = (xs: { events: number; total: number }[]) => ({ events: xs.reduce((s, i) => s + i.events, 0), total: xs.reduce((s, i) => s + i.total, 0) });
    const res = await analyze([{ name: 'errors', kind: 'proportion', margin: { relative: 0.5 }, baseline: sum(baseline), canary: sum(canary) }]);
    expect(res.body.metrics[0].verdict).not.toBe('pass');
    expect(res.body.metrics[0].decidedAt).toBeUndefined();
  });

  it('fails a 3x canary at an early interval, sticky: "failed at interval k of n and still failing"', async () => {
    const { baseline, canary } = errorTimeline(() => 0.015, () => 0.005);
    const res = await analyze([{ name: 'errors', kind: 'proportion', baseline: { intervals: baseline }, canary: { intervals: canary } }]);
    const m = res.body.metrics[0];
    expect(m.verdict).toBe('fail');
    expect(m.decidedAt).toBeLessThanOrEqual(14);
    expect(m.reason).toMatch(/^failed at interval \d+ of 21 and still failing/);
    expect(m.effect.lower).toBeGreaterThan(0.5);
    // The per-look series: oldest first, the deciding and the latest look among them, unbounded ends as null.
    const looks = m.timeline.map((l: { interval: number }) => l.interval);
    expect(looks).toContain(m.decidedAt);
    expect(looks.at(-1)).toBe(21);
    expect(m.timeline.at(-1).lower).toBeGreaterThan(0.5);
    expect(m.timeline[0].upper === null || m.timeline[0].upper > m.timeline.at(-1).upper).toBe(true);
    expect(analyzeResponseSchema.safeParse(res.body).success).toBe(true);
  });

  it('judges the absolute margin (rate difference) per interval: a +1 pp canary fails against +0.1 pp while the rate rises', async () => {
    const rate = (i: number) => 0.002 + 0.0004 * i;
    const { baseline, canary } = errorTimeline((i) => rate(i) + 0.01, rate);
    const res = await analyze([{ name: 'errors', kind: 'proportion', margin: { absolute: 0.001 }, baseline: { intervals: baseline }, canary: { intervals: canary } }]);
    expect(res.status).toBe(200);
    expect(analyzeResponseSchema.safeParse(res.body).success).toBe(true);
    const m = res.body.metrics[0];
    expect(m.verdict).toBe('fail');
    expect(m.reason).toMatch(/^failed at interval \d+ of 21 and still failing/);
    expect(m.effect.unit).toBe('rate');
    expect(m.effect.estimate).toBeCloseTo(0.01, 3);
    expect(m.effect.lower).toBeGreaterThan(0.001);
    expect(m.effect.upper).toBeGreaterThan(m.effect.estimate);
  });

  it('passes a healthy canary on the absolute margin alone while the rate rises and the split steps', async () => {
    const rate = (i: number) => 0.002 + 0.0004 * i;
    const { baseline, canary } = errorTimeline(rate, rate);
    const res = await analyze([{ name: 'errors', kind: 'proportion', margin: { absolute: 0.002 }, baseline: { intervals: baseline }, canary: { intervals: canary } }]);
    const m = res.body.metrics[0];
    expect(m.verdict).toBe('pass');
    expect(m.reason).toMatch(/^passed at interval \d+ of 21/);
    expect(m.effect.lower).toBeLessThanOrEqual(0);
    expect(m.effect.upper).toBeLessThanOrEqual(0.002);
  });

  it('a verdict reached at an earlier look stands when the latest look alone is not decisive', async () => {
    // A clear early regression, then the canary recovers: the earlier fail stands.
    const { baseline, canary } = errorTimeline((i) => (i < 10 ? 0.05 : 0.005), () => 0.005);
    const res = await analyze([{ name: 'errors', kind: 'proportion', margin: { relative: 0.5 }, baseline: { intervals: baseline }, canary: { intervals: canary } }]);
    const m = res.body.metrics[0];
    expect(m.verdict).toBe('fail');
    expect(m.decidedAt).toBeLessThan(21);
  });

  it('judges the share above a threshold, a quantile and category shares per interval', async () => {
    const hist = (above: number, n: number) => ({ histogram: { buckets: [{ le: 250, count: n - above }, { le: '+Inf', count: n }] } });
    const baseline = Array.from({ length: 10 }, (_, i) => hist(5 * (i + 1), 5000));
    const canary = Array.from({ length: 10 }, (_, i) => hist(5 * (i + 1), 5000));
    const values = (shift: number) => Array.from({ length: 10 }, (_, i) => ({ values: Array.from({ length: 400 }, (_, j) => 100 + ((j * 37 + i) % 100) + shift) }));
    const res = await analyze([
      { name: 'slo', kind: 'continuous', threshold: 250, baseline: { intervals: baseline }, canary: { intervals: canary } },
      { name: 'latency', kind: 'continuous', baseline: { intervals: values(0) }, canary: { intervals: values(0) } },
      { name: 'classes', kind: 'categorical', baseline: { intervals: Array.from({ length: 5 }, () => ({ counts: { cat: 5000, dog: 5000 } })) }, canary: { intervals: Array.from({ length: 5 }, () => ({ counts: { cat: 5000, dog: 5000 } })) } },
    ]);
    expect(res.status).toBe(200);
    expect(analyzeResponseSchema.safeParse(res.body).success).toBe(true);
    const [slo, latency, classes] = res.body.metrics;
    expect(slo.intervals).toBe(10);
    expect(slo.effect.measure).toBe('relative change in the share above 250');
    expect(latency.intervals).toBe(10);
    expect(latency.verdict).toBe('pass');
    expect(latency.decidedAt).toBeLessThanOrEqual(10);
    expect(classes.verdict).toBe('pass');
    expect(classes.decidedAt).toBeLessThanOrEqual(5);
  });

  describe('quantiles, matched in time', () => {
    /**
     * Latency whose median follows load from 40 to 60 ms over 21 minutes on both sides while the
     * split steps 1 % -> 10 % -> 50 % (2,000 requests a minute): lognormal (sigma 0.5) at evenly
     * spaced probabilities, the canary's scaled by `factor`.
     */
    function loadTimeline(factor: number) {
      const side = (n: number, median: number, scale: number, offset: number) => ({
        values: Array.from({ length: n }, (_, j) => Number((scale * median * Math.exp(0.5 * normalQuantileOf((j + offset) / n))).toFixed(3))),
      });
      const baseline: object[] = [];
      const canary: object[] = [];
      for (let i = 0; i < 21; i++) {
        const share = [0.01, 0.1, 0.5][Math.floor(i / 7)];
        const median = 40 * (1 + (0.5 * i) / 20);
        const nc = Math.round(2000 * share);
        baseline.push(side(2000 - nc, median, 1, 0.5));
        canary.push(side(nc, median, factor, 0.37));
      }
      return { baseline, canary };
    }
    const cumulative = (intervals: object[]) => ({ values: intervals.flatMap((i) => (i as { values: number[] }).values) });

    it('passes an A/A whose latency follows load while the split rises, comparing each interval with the baseline of the same minutes', async () => {
      const { baseline, canary } = loadTimeline(1);
      const res = await analyze([{ name: 'latency', kind: 'continuous', baseline: { intervals: baseline }, canary: { intervals: canary } }]);
      expect(res.status).toBe(200);
      expect(analyzeResponseSchema.safeParse(res.body).success).toBe(true);
      const m = res.body.metrics[0];
      expect(m.verdict).toBe('pass');
      expect(m.reason).toMatch(new RegExp(`^passed at interval ${m.decidedAt} of 21.*matched by interval`));
      expect(m.effect).toMatchObject({ measure: 'relative shift of p95', unit: 'relative', tolerance: 0.1 });
      expect(Math.abs(m.effect.estimate)).toBeLessThan(0.03);
      expect(m.effect.upper).toBeLessThanOrEqual(0.1);
      expect(m.timeline.map((l: { interval: number }) => l.interval)).toContain(m.decidedAt);
      // Its first 10 minutes alone (the 1 % step and three of 10 %) are inconclusive, with how much more the pass needs
      // (at the 10 % step's traffic, which is what a pass then must rest on: issue 21).
      const early = (await analyze([{ name: 'latency', kind: 'continuous', baseline: { intervals: baseline.slice(0, 10) }, canary: { intervals: canary.slice(0, 10) } }])).body.metrics[0];
      expect(early.verdict).toBe('inconclusive');
      expect(early.projection).toMatchObject({ toward: 'pass' });
      expect(early.projection.moreIntervals).toBeGreaterThan(0);
      expect(early.reason).toMatch(/a pass needs about [\d,]+ more canary observations \(about \d+ more intervals? at the latest interval's canary traffic\)/);
    });

    it('the same data as cumulative values do not pass: the canary, served late, looks slower by more than the margin', async () => {
      const { baseline, canary } = loadTimeline(1);
      const res = await analyze([{ name: 'latency', kind: 'continuous', baseline: cumulative(baseline), canary: cumulative(canary) }]);
      const m = res.body.metrics[0];
      expect(m.verdict).not.toBe('pass');
      expect(m.effect.estimate).toBeGreaterThan(0.1);
    });

    it('fails a canary 30 % slower under the same load, sticky, with bounds beyond the margin', async () => {
      const { baseline, canary } = loadTimeline(1.3);
      const res = await analyze([{ name: 'latency', kind: 'continuous', baseline: { intervals: baseline }, canary: { intervals: canary } }]);
      const m = res.body.metrics[0];
      expect(m.verdict).toBe('fail');
      expect(m.reason).toMatch(/^failed at interval \d+ of 21 and still failing/);
      expect(m.effect.lower).toBeGreaterThan(0.1);
      expect(m.effect.estimate).toBeGreaterThan(0.25);
      expect(m.effect.estimate).toBeLessThan(0.35);
    });

    it('judges an absolute margin in the metric\'s units, and a score whose lower quantile must not drop (the lower tail)', async () => {
      const { baseline, canary } = loadTimeline(1.3);
      const res = await analyze([
        { name: 'latency', kind: 'continuous', margin: { absolute: 2 }, baseline: { intervals: baseline }, canary: { intervals: canary } },
        { name: 'score', kind: 'continuous', statistic: 'p10', direction: 'decrease', margin: { relative: 0.1 }, baseline: { intervals: canary }, canary: { intervals: baseline } },
      ]);
      const [latency, score] = res.body.metrics;
      expect(latency.verdict).toBe('fail');
      expect(latency.effect).toMatchObject({ measure: 'shift of p95', unit: 'units', tolerance: 2 });
      // The "canary" here is the faster side: its p10 is 1/1.3 of the other's, a drop beyond 10 %.
      expect(score.verdict).toBe('fail');
      expect(score.effect.measure).toBe('relative shift of p10');
      expect(score.effect.upper).toBeLessThan(-0.1);
    });

    it('says that buckets too coarse for the margin cannot decide, interval by interval too', async () => {
      const bounds = [25, 50, 100, 250, 500, 1000];
      const hist = (values: number[]) => ({ histogram: { buckets: [...bounds.map((le) => ({ le, count: values.filter((v) => v <= le).length })), { le: '+Inf', count: values.length }] } });
      const { baseline, canary } = loadTimeline(1);
      const res = await analyze([{ name: 'latency', kind: 'continuous', baseline: { intervals: baseline.map((i) => hist((i as { values: number[] }).values)) }, canary: { intervals: canary.map((i) => hist((i as { values: number[] }).values)) } }]);
      const m = res.body.metrics[0];
      expect(m.verdict).toBe('inconclusive');
      expect(m.reason).toMatch(/too coarse to ever/);
      expect(m).not.toHaveProperty('projection');
    });
  });

  it('keeps cumulative-only input as it was (no intervals, no decidedAt)', async () => {
    const res = await analyze([{ name: 'errors', kind: 'proportion', baseline: { events: 500, total: 100000 }, canary: { events: 480, total: 100000 } }]);
    expect(res.body.metrics[0].verdict).toBe('pass');
    expect(res.body.metrics[0]).not.toHaveProperty('intervals');
    expect(res.body.metrics[0]).not.toHaveProperty('decidedAt');
  });

  it('judges a timeline at its last look only with fixed-sample evidence', async () => {
    const { baseline, canary } = errorTimeline(() => 0.005, () => 0.005);
    const res = await analyze([{ name: 'errors', kind: 'proportion', baseline: { intervals: baseline }, canary: { intervals: canary } }], { evidence: 'fixed-sample' });
    expect(res.status).toBe(200);
    expect(res.body.metrics[0]).not.toHaveProperty('decidedAt');
  });
});

describe('timelines: a mismatch is a 400 naming it', () => {
  const issues = async (metric: object) => {
    const res = await analyze([metric]);
    expect(res.status).toBe(400);
    return res.body.issues as { path: string; message: string }[];
  };

  it('names a length mismatch', async () => {
    const got = await issues({ name: 'e', kind: 'proportion', baseline: { intervals: [{ events: 1, total: 100 }, { events: 1, total: 100 }] }, canary: { intervals: [{ events: 1, total: 10 }] } });
    expect(got).toEqual([expect.objectContaining({ path: expect.stringContaining('canary.intervals'), message: expect.stringMatching(/baseline has 2 intervals and the canary 1/) })]);
  });

  it('names a side without intervals when the other has them', async () => {
    const got = await issues({ name: 'e', kind: 'proportion', baseline: { intervals: [{ events: 1, total: 100 }] }, canary: { events: 1, total: 10 } });
    expect(got[0].path).toContain('canary.intervals');
    expect(got[0].message).toMatch(/the baseline gives "intervals"/);
  });

  it('names an interval of the wrong kind, and mixed kinds within a side', async () => {
    const wrong = await issues({ name: 'e', kind: 'proportion', baseline: { intervals: [{ values: [1, 2] }] }, canary: { intervals: [{ events: 1, total: 10 }] } });
    expect(wrong.some((i) => i.path.includes('baseline.intervals[0]') || i.path.includes('baseline.intervals.0'))).toBe(true);
    const mixed = await issues({ name: 'l', kind: 'continuous', baseline: { intervals: [{ values: [1, 2] }, { histogram: { buckets: [{ le: '+Inf', count: 2 }] } }] }, canary: { intervals: [{ values: [1] }, { values: [2] }] } });
    expect(mixed.map((i) => i.message).join(' ')).toMatch(/interval 1 gives a "histogram" but interval 0 gives "values"/);
  });

  it('refuses cumulative data and intervals on the same side', async () => {
    const got = await issues({ name: 'e', kind: 'proportion', baseline: { events: 1, total: 100, intervals: [{ events: 1, total: 100 }] }, canary: { intervals: [{ events: 1, total: 10 }] } });
    expect(got.map((i) => i.message).join(' ')).toMatch(/not both/);
  });
});

describe('time to decision', () => {
  it('an inconclusive metric says how much more canary data it needs, in the JSON, the text report and Flagger-sized reasons', async () => {
    const baseline = Array.from({ length: 5 }, () => ({ events: 50, total: 9900 }));
    const canary = Array.from({ length: 5 }, () => ({ events: 1, total: 200 }));
    const metric = { name: 'errors', kind: 'proportion', margin: { relative: 0.5 }, baseline: { intervals: baseline }, canary: { intervals: canary } };
    const res = await analyze([metric]);
    const m = res.body.metrics[0];
    expect(m.verdict).toBe('inconclusive');
    expect(m.projection).toEqual({ toward: 'pass', moreCanary: expect.any(Number), moreIntervals: expect.any(Number) });
    expect(m.projection.moreIntervals).toBe(Math.ceil(m.projection.moreCanary / 200));
    expect(m.reason).toMatch(/a pass needs about [\d,]+ more canary requests \(about \d+ more intervals/);
    expect(analyzeResponseSchema.safeParse(res.body).success).toBe(true);
    const text = await request(app).post('/v1/analyze?format=text').send({ metrics: [metric] });
    expect(text.text).toMatch(/more canary requests/);
  });
});
