/**
 * Issue 11 through the HTTP API: on Envoy's default latency buckets a quantile verdict must
 * hold for every distribution the bucket counts allow. The histograms are lognormal latency
 * at expected counts, computed by scipy (test/fixtures/coarse-histograms.py).
 */
import request from 'supertest';
import fixtures from '../fixtures/coarse-histograms.json';
import { analyze } from '../../src/judge/analyze';
import { testApp } from '../support/app';

const { app } = testApp();
type Case = (typeof fixtures.cases)[number];
const byName = (name: string): Case => {
  const found = fixtures.cases.find((c) => c.name === name);
  if (!found) throw new Error(`no fixture case ${name}`);
  return found;
};
const latency = (c: Case, extra: object = {}) => ({
  name: 'latency',
  kind: 'continuous',
  baseline: { histogram: { buckets: c.baseline } },
  canary: { histogram: { buckets: c.canary } },
  ...extra,
});
const analyzeOne = async (metric: object, extra: object = {}) => {
  const res = await request(app).post('/v1/analyze').send({ metrics: [metric], ...extra });
  expect(res.status).toBe(200);
  return res.body.metrics[0];
};

describe('p95 on Envoy default buckets (default margin +10 %)', () => {
  it.each(['anytime-valid', 'fixed-sample'])('does not pass a canary 20 %% slower whose p95 shares the bucket (100, 250] (%s)', async (evidence) => {
    // The interpolated p95s differ by about 2 % although the true shift is +20 %: the old
    // bounds, read by interpolation, passed it with an interval of +1.1 % to +3.2 %.
    const c = byName('median 108.6 sigma 0.3 x1.2');
    expect(c.p95.canary / c.p95.baseline).toBeCloseTo(1.2, 10);
    const m = await analyzeOne(latency(c), { evidence });
    expect(m.verdict).toBe('inconclusive');
    expect(m.effect.lower).toBeCloseTo(100 / 250 - 1, 12);
    expect(m.effect.upper).toBeCloseTo(250 / 100 - 1, 12);
    expect(m.reason).toMatch(/interpolated inside its bucket/);
    expect(m.reason).toMatch(/too coarse to ever tell whether it is within the tolerated \+10%: p95 lies in the bucket \(100, 250\] on both sides/);
    expect(m.reason).toMatch(/sidecar\.istio\.io\/statsHistogramBuckets/);
    expect(m.reason).toMatch(/"threshold" \(for example 250\)/);
  });

  it.each([
    ['median 108.6 sigma 0.3 x1.05', 'a harmless +5 % canary is not failed'],
    ['median 108.6 sigma 0.3 x1.0', 'an identical canary is not passed on made-up precision'],
    ['median 40 sigma 0.3 x1.2', 'a +20 % canary with p95 in (50, 100] is not passed'],
    ['median 110 sigma 0.5 x1.0', 'an identical canary with p95 at the bound 250 is not passed'],
  ])('%s: %s', async (name) => {
    const m = await analyzeOne(latency(byName(name)));
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toMatch(/too coarse to ever tell/);
  });
});

describe('p95 on the resolving buckets the seed ships (about 4.5 % apart)', () => {
  it.each([
    ['median 108.6 sigma 0.3 x1.2 resolving', 'fail'],
    ['median 108.6 sigma 0.3 x1.0 resolving', 'pass'],
  ])('%s: %s', async (name, verdict) => {
    const c = byName(name);
    const m = await analyzeOne(latency(c));
    expect(m.verdict).toBe(verdict);
    // The interval holds the true shift.
    const truth = c.p95.canary / c.p95.baseline - 1;
    expect(m.effect.lower).toBeLessThanOrEqual(truth);
    expect(m.effect.upper).toBeGreaterThanOrEqual(truth);
  });
});

describe('threshold: the share of observations above an SLO bound', () => {
  it('fails a +20 % canary on the share above 250 ms, read exactly from the default buckets', async () => {
    const c = byName('median 108.6 sigma 0.3 x1.2');
    const m = await analyzeOne(latency(c, { threshold: 250 }));
    expect(m.verdict).toBe('fail');
    const above = (side: Case['baseline']) => 20000 - side.find((b) => b.le === 250)!.count;
    expect(m.effect.measure).toBe('relative change in the share above 250');
    expect(m.effect.estimate).toBeCloseTo(above(c.canary) / above(c.baseline) - 1, 12);
    // The expected counts follow scipy's shares above 250 ms.
    expect(above(c.canary) / 20000).toBeCloseTo(c.shareAbove250.canary, 4);
    expect(m.effect.lower).toBeLessThanOrEqual(c.shareAbove250.canary / c.shareAbove250.baseline - 1);
    expect(m.reason).toMatch(/^the share above 250 is 1\.49% on the canary vs 0\.27% on the baseline/);
    expect(m.tests.map((t: { name: string }) => t.name)).toEqual(['fisher-exact', 'two-proportion-z', 'mann-whitney-u', 'kolmogorov-smirnov']);
  });

  it.each(['anytime-valid', 'fixed-sample'])('passes an identical canary with enough data (%s)', async (evidence) => {
    const m = await analyzeOne(latency(byName('median 108.6 sigma 0.3 x1.0 200k'), { threshold: 250 }), { evidence });
    expect(m.verdict).toBe('pass');
  });

  it('judges raw values exactly as the proportion of the same counts', async () => {
    const values = (n: number, above: number) => Array.from({ length: n }, (_, i) => (i < above ? 300 : 100));
    const thresholdResult = await analyzeOne({ name: 'latency', kind: 'continuous', threshold: 250, baseline: { values: values(4000, 40) }, canary: { values: values(2000, 60) } });
    const proportionResult = await analyzeOne({ name: 'latency', kind: 'proportion', baseline: { events: 40, total: 4000 }, canary: { events: 60, total: 2000 } });
    expect(thresholdResult.verdict).toBe(proportionResult.verdict);
    expect(thresholdResult.effect).toEqual({ ...proportionResult.effect, measure: 'relative change in the share above 250' });
  });

  it('takes margins in the share\'s units and a direction', async () => {
    const c = byName('median 108.6 sigma 0.3 x1.2');
    const m = await analyzeOne(latency(c, { threshold: 250, margin: { absolute: 0.02 } }));
    // +1.2 pp against a tolerated +2 pp.
    expect(m.effect.unit).toBe('rate');
    expect(m.verdict).not.toBe('fail');
    const lower = await analyzeOne(latency(c, { threshold: 250, direction: 'decrease' }));
    expect(lower.verdict).toBe('pass');
  });

  it('refuses a threshold that is not a bucket bound of an inline histogram, naming it (400)', async () => {
    const c = byName('median 108.6 sigma 0.3 x1.2');
    const res = await request(app).post('/v1/analyze').send({ metrics: [latency(c, { threshold: 200 })] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/metrics\[0\]\.threshold/);
    expect(JSON.stringify(res.body)).toMatch(/got 200, which is not a bucket bound of the baseline histogram \(nearest: 100 and 250\)/);
  });

  it('refuses a threshold beside a statistic', async () => {
    const res = await request(app).post('/v1/analyze').send({ metrics: [latency(byName('median 108.6 sigma 0.3 x1.2'), { threshold: 250, statistic: 'p95' })] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/give either \\"statistic\\"/);
  });

  it('says why when fetched histograms lack the bound (the judge never guesses inside a bucket)', () => {
    const c = byName('median 108.6 sigma 0.3 x1.2 resolving');
    const parse = (b: Case['baseline']) => b.map((x) => ({ le: x.le === '+Inf' ? Infinity : Number(x.le), count: x.count }));
    const result = analyze({
      metrics: [{ name: 'latency', kind: 'continuous', threshold: 250, baseline: { histogram: { buckets: parse(c.baseline) } }, canary: { histogram: { buckets: parse(c.canary) } } }],
    });
    expect(result.metrics[0].verdict).toBe('inconclusive');
    expect(result.metrics[0].reason).toBe(
      "the threshold 250 is not a bucket bound that both sides' histograms share, so the number of observations above it inside the bucket (247, 258] is unknown: use one of the nearest bounds, 247 or 258",
    );
  });
});

describe('histograms that cannot be compared', () => {
  it('names two sides whose buckets share no bound below +Inf', async () => {
    const m = await analyzeOne({
      name: 'latency',
      kind: 'continuous',
      baseline: { histogram: { buckets: [{ le: 10, count: 50 }, { le: 20, count: 90 }, { le: '+Inf', count: 100 }] } },
      canary: { histogram: { buckets: [{ le: 15, count: 60 }, { le: 30, count: 95 }, { le: '+Inf', count: 100 }] } },
    });
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toBe(
      "the two sides' histograms share no bucket bound below +Inf (baseline: 10, 20; canary: 15, 30), so no observation of one side can be ordered against the other: give both sides the same bucket bounds",
    );
    expect(m.baseline.p50).toBe(10);
    expect(m.tests).toEqual([]);
  });

  it.each([
    ['the canary', [{ le: 10, count: 50 }, { le: '+Inf', count: 100 }], [{ le: '+Inf', count: 100 }], "the canary's histogram has"],
    ['both sides', [{ le: '+Inf', count: 100 }], [{ le: '+Inf', count: 100 }], "neither side's histogram has"],
  ])('says in words that %s hold only the +Inf bucket', async (_label, baseline, canary, who) => {
    const m = await analyzeOne({ name: 'latency', kind: 'continuous', baseline: { histogram: { buckets: baseline } }, canary: { histogram: { buckets: canary } } });
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toBe(
      `${who} a bucket bound below +Inf (only the +Inf bucket, which counts every observation), so it says nothing about where the observations lie: give the histogram finite bucket bounds (le), the same on both sides`,
    );
  });
});

describe('distribution metrics on histograms', () => {
  it('does not pass when the gap inside a bucket could exceed the margin', async () => {
    // Equal counts per bucket show a distance of 0 at the bounds, but inside the wide bucket
    // (0.2, 0.8] the two could differ by up to its whole mass, 0.6.
    const buckets = [{ le: 0.2, count: 2000 }, { le: 0.8, count: 8000 }, { le: 1, count: 10000 }, { le: '+Inf', count: 10000 }];
    const m = await analyzeOne({ name: 'score', kind: 'distribution', baseline: { histogram: { buckets } }, canary: { histogram: { buckets } } });
    expect(m.effect.estimate).toBe(0);
    expect(m.effect.upper).toBeGreaterThanOrEqual(0.6);
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toMatch(/inside the buckets it may reach 0\.6, more than the tolerated 0\.1: the buckets are too coarse to ever show it within the margin/);
    // The explanatory Wasserstein says what range the buckets allow: each bucket's mass times its
    // width, 0.2 x 0.2 + 0.6 x 0.6 + 0.2 x 0.2 = 0.44, down to 0.
    const wasserstein = m.tests.find((t: { name: string }) => t.name === 'wasserstein');
    expect(wasserstein.method).toMatch(/the buckets allow an unnormalised distance from 0 to 0\.44$/);
  });

  it('still passes identical histograms on fine buckets', async () => {
    let cumulative = 0;
    const buckets = [...Array.from({ length: 50 }, (_, i) => ({ le: (i + 1) / 50, count: (cumulative += 400) })), { le: '+Inf', count: 20000 }];
    const m = await analyzeOne({ name: 'score', kind: 'distribution', baseline: { histogram: { buckets } }, canary: { histogram: { buckets } } });
    expect(m.verdict).toBe('pass');
  });
});
