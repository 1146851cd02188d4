import request from 'supertest';
import { testApp } from '../support/app';
import { categoricalMetric, continuousMetric, distributionMetric, proportionMetric } from '../support/requests';

const { app } = testApp();
const analyzeOne = (metric: object, extra: object = {}) => request(app).post('/v1/analyze').send({ metrics: [metric], ...extra });

describe('POST /v1/analyze verdicts per kind', () => {
  it.each([
    ['continuous pass', continuousMetric('latency', 1.0, 5000), 'pass'],
    ['continuous fail (+30 %)', continuousMetric('latency', 1.3, 5000), 'fail'],
    ['continuous inconclusive (30 samples)', continuousMetric('latency', 1.0, 30), 'inconclusive'],
    ['proportion pass', proportionMetric('errors', [480, 100000], [500, 100000]), 'pass'],
    ['proportion fail (3x)', proportionMetric('errors', [1500, 100000], [500, 100000]), 'fail'],
    ['proportion inconclusive', proportionMetric('errors', [1, 100], [50, 10000]), 'inconclusive'],
    ['distribution pass', distributionMetric('score', 0), 'pass'],
    ['distribution fail (0.8 sd)', distributionMetric('score', 0.8), 'fail'],
    ['distribution inconclusive', distributionMetric('score', 0, 40), 'inconclusive'],
    ['categorical pass', categoricalMetric('class', { cat: 25000, dog: 25000 }, { cat: 51000, dog: 49000 }), 'pass'],
    ['categorical fail', categoricalMetric('class', { cat: 3500, dog: 1500 }, { cat: 51000, dog: 49000 }), 'fail'],
    ['categorical inconclusive', categoricalMetric('class', { cat: 30, dog: 20 }, { cat: 51000, dog: 49000 }), 'inconclusive'],
  ])('%s', async (_label, metric, verdict) => {
    const res = await analyzeOne(metric);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body.verdict).toBe(verdict);
    expect(res.body.metrics[0].verdict).toBe(verdict);
    expect(typeof res.body.reason).toBe('string');
    expect(res.body.metrics[0].reason.length).toBeGreaterThan(20);
  });

  it('reports side summaries, the effect with its interval, and the classic tests', async () => {
    const res = await analyzeOne(continuousMetric('latency', 1.3, 5000));
    const m = res.body.metrics[0];
    expect(m.baseline).toEqual(expect.objectContaining({ n: 20000, mean: expect.any(Number), p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) }));
    expect(m.effect).toEqual(expect.objectContaining({ measure: 'relative shift of p95', unit: 'relative', tolerance: 0.1 }));
    expect(m.effect.lower).toBeGreaterThan(0.1);
    expect(m.effect.lower).toBeLessThanOrEqual(m.effect.estimate);
    expect(m.effect.upper).toBeGreaterThanOrEqual(m.effect.estimate);
    expect(m.tests.map((t: { name: string }) => t.name)).toEqual(['mann-whitney-u', 'kolmogorov-smirnov']);
    expect(m.reason).toMatch(/p95 changed by \+\d/);
  });

  it('lists psi, jensen-shannon and wasserstein with thresholds for distributions', async () => {
    const res = await analyzeOne(distributionMetric('score', 0.8));
    const names = res.body.metrics[0].tests.map((t: { name: string }) => t.name);
    expect(names).toEqual(['kolmogorov-smirnov', 'mann-whitney-u', 'psi', 'jensen-shannon', 'wasserstein']);
    for (const t of res.body.metrics[0].tests.slice(2)) expect(t.threshold).toBe(0.1);
  });

  it('never passes a metric whose baseline is empty while the canary has data', async () => {
    const res = await analyzeOne({ name: 'latency', kind: 'continuous', baseline: { values: [] }, canary: { values: [1, 2, 3] } });
    expect(res.status).toBe(200);
    expect(res.body.verdict).toBe('inconclusive');
    expect(res.body.metrics[0].reason).toMatch(/baseline has no data/);
  });

  it('never passes below minSamples and says so', async () => {
    const res = await analyzeOne(proportionMetric('errors', [0, 10], [0, 10000], { minSamples: '50' }));
    expect(res.body.verdict).toBe('inconclusive');
    expect(res.body.metrics[0].reason).toMatch(/canary has 10 trials, fewer than the 50 required/);
  });
});

describe('histogram input', () => {
  const buckets = (counts: number[]) => {
    const le = ['10', '25', '50', '100', '250', '+Inf'];
    let cumulative = 0;
    return le.map((bound, i) => ({ le: bound, count: (cumulative += counts[i]) }));
  };

  it('judges latency given as Prometheus histograms (ties by bucket), bounded by bucket edges', async () => {
    // Both medians lie in (10, 25]: the buckets can never show a shift within +10 %, so an
    // identical canary is not passed on made-up precision, and the reason says why.
    const healthy = await analyzeOne({
      name: 'latency', kind: 'continuous', statistic: 'p50',
      baseline: { histogram: { buckets: buckets([1000, 4000, 3000, 1500, 400, 100]) } },
      canary: { histogram: { buckets: buckets([1010, 3990, 3010, 1490, 400, 100]) } },
    });
    expect(healthy.body.metrics[0].verdict).toBe('inconclusive');
    expect(healthy.body.metrics[0].reason).toMatch(/too coarse to ever tell whether it is within the tolerated \+10%: p50 lies in the bucket \(10, 25\] on both sides/);
    // A median two buckets up is beyond any doubt the buckets leave.
    const slow = await analyzeOne({
      name: 'latency', kind: 'continuous', statistic: 'p50',
      baseline: { histogram: { buckets: buckets([1000, 4000, 3000, 1500, 400, 100]) } },
      canary: { histogram: { buckets: buckets([100, 400, 1000, 3000, 4000, 1500]) } },
    });
    expect(slow.body.metrics[0].verdict).toBe('fail');
    expect(slow.body.metrics[0].tests[0].name).toBe('mann-whitney-u');
  });

  it('compares histograms with different bucket layouts on their shared bounds', async () => {
    const res = await analyzeOne({
      name: 'score', kind: 'distribution',
      baseline: { histogram: { buckets: [{ le: 0.25, count: 100 }, { le: 0.5, count: 400 }, { le: 0.75, count: 900 }, { le: '+Inf', count: 1000 }] } },
      canary: { histogram: { buckets: [{ le: 0.5, count: 410 }, { le: '+Inf', count: 1000 }] } },
    });
    expect(res.status).toBe(200);
    expect(res.body.metrics[0].canary.n).toBe(1000);
    // On the shared bounds (0.5, +Inf) the two CDFs differ by 0.01.
    expect(res.body.metrics[0].effect.estimate).toBeCloseTo(0.01, 12);
  });

  it('bins raw values onto the other side\'s buckets', async () => {
    const res = await analyzeOne({
      name: 'latency', kind: 'continuous', statistic: 'p50', minSamples: 1,
      baseline: { histogram: { buckets: [{ le: 10, count: 2 }, { le: 20, count: 4 }, { le: '+Inf', count: 4 }] } },
      canary: { values: [5, 15, 15, 25] },
    });
    expect(res.body.metrics[0].canary.n).toBe(4);
    expect(res.body.metrics[0].canary.p50).toBe(15);
  });
});

describe('numbers as strings (Argo Rollouts sends every arg as a string)', () => {
  it('reads strings wherever numbers and flags are expected', async () => {
    const res = await request(app)
      .post('/v1/analyze')
      .send({
        alpha: '0.05',
        thresholds: { pass: '100', marginal: '75' },
        metrics: [
          { ...proportionMetric('errors', ['1500', '100000'] as never, ['500', '100000'] as never), margin: { relative: '0.5' }, critical: 'true', weight: '2', minSamples: '100' },
          { ...continuousMetric('latency', 1, 100), baseline: { values: ['41.2', '39.8', 55] }, minSamples: '1' },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.verdict).toBe('fail');
    expect(res.body.metrics[0]).toEqual(expect.objectContaining({ critical: true, weight: 2, verdict: 'fail' }));
    expect(res.body.metrics[0].baseline).toEqual({ n: 100000, events: 500, rate: 0.005 });
  });
});

describe('overall verdict', () => {
  it('fails the analysis when a critical metric fails, whatever the others say', async () => {
    const res = await request(app).post('/v1/analyze').send({
      metrics: [
        { ...proportionMetric('errors', [1500, 100000], [500, 100000]), critical: true },
        continuousMetric('latency', 1, 5000),
        categoricalMetric('class', { cat: 25000, dog: 25000 }, { cat: 51000, dog: 49000 }),
      ],
    });
    expect(res.body.verdict).toBe('fail');
    expect(res.body.reason).toMatch(/^critical metric errors/);
    expect(res.body.score).toBeCloseTo((100 * 2) / 3, 1);
  });

  it('is inconclusive, not failed, when one non-critical metric of several fails', async () => {
    const res = await request(app).post('/v1/analyze').send({
      metrics: [
        proportionMetric('errors', [1500, 100000], [500, 100000]),
        continuousMetric('latency', 1, 5000),
        categoricalMetric('class', { cat: 25000, dog: 25000 }, { cat: 51000, dog: 49000 }),
        distributionMetric('score', 0),
      ],
    });
    expect(res.body.metrics.map((m: { verdict: string }) => m.verdict)).toEqual(['fail', 'pass', 'pass', 'pass']);
    expect(res.body.score).toBe(75);
    expect(res.body.verdict).toBe('inconclusive');
  });

  it('passes only when every metric passes under the default threshold', async () => {
    const res = await request(app).post('/v1/analyze').send({
      metrics: [continuousMetric('latency', 1, 5000), proportionMetric('errors', [480, 100000], [500, 100000])],
    });
    expect(res.body).toEqual(expect.objectContaining({ verdict: 'pass', score: 100, alpha: 0.05, evidence: 'anytime-valid' }));
  });
});

describe('text output for curl', () => {
  it('returns a readable table with ?format=text', async () => {
    const res = await request(app).post('/v1/analyze?format=text').send({ metrics: [proportionMetric('errors', [1500, 100000], [500, 100000])] });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/^verdict: FAIL/);
    expect(res.text).toMatch(/errors\s+proportion\s+fail\s+relative change in rate\s+\+200%/);
  });

  it('returns the table for Accept: text/plain and JSON for Accept: */*', async () => {
    const body = { metrics: [proportionMetric('errors', [1500, 100000], [500, 100000])] };
    const text = await request(app).post('/v1/analyze').set('Accept', 'text/plain').send(body);
    expect(text.text).toMatch(/^verdict: FAIL/);
    const json = await request(app).post('/v1/analyze').set('Accept', '*/*').send(body);
    expect(json.body.verdict).toBe('fail');
  });
});

describe('continuous metrics judged on the mean', () => {
  const range = { min: 0, max: 1000 };
  it('passes a healthy canary, fails a 30 % slower one, and says so in the mean\'s terms (given the range)', async () => {
    const healthy = await analyzeOne(continuousMetric('latency', 1.0, 5000, { statistic: 'mean', range }));
    expect(healthy.body.metrics[0].verdict).toBe('pass');
    expect(healthy.body.metrics[0].effect.measure).toBe('relative shift of the mean');
    const slow = await analyzeOne(continuousMetric('latency', 1.3, 5000, { statistic: 'mean', range, margin: { absolute: 2 } }));
    expect(slow.body.metrics[0].verdict).toBe('fail');
    expect(slow.body.metrics[0].reason).toMatch(/^the mean changed by \+1\d/);
  });

  it('refuses the mean without a range, saying why and what to give instead', async () => {
    const res = await analyzeOne(continuousMetric('latency', 1.3, 5000, { statistic: 'mean' }));
    expect(res.body.metrics[0].verdict).toBe('inconclusive');
    expect(res.body.metrics[0].reason).toMatch(/^the mean of data without a known range has no valid bound.*give "range".*or judge a quantile/);
    expect(res.body.metrics[0].effect).toBeUndefined();
  });

  it('answers 400 for an observation outside the range, a range beside a quantile and an empty range, naming each', async () => {
    const metric = continuousMetric('latency', 1.0, 50, { statistic: 'mean', range: { min: 0, max: 100 } });
    const res = await request(app).post('/v1/analyze').send({ metrics: [metric, continuousMetric('p95', 1, 50, { range }), continuousMetric('lat', 1, 50, { statistic: 'mean', range: { min: 5, max: 5 } })] });
    expect(res.status).toBe(400);
    const paths = res.body.issues.map((i: { path: string }) => i.path);
    expect(paths).toContain('metrics[1].range');
    expect(paths).toContain('metrics[2].range.max');
    // An empty range is one problem, not one per observation.
    expect(paths.filter((p: string) => p.startsWith('metrics[2]'))).toEqual(['metrics[2].range.max']);
    const outside = res.body.issues.filter((i: { path: string }) => /^metrics\[0\]\.(baseline|canary)\.values\[\d+\]$/.test(i.path));
    expect(outside.length).toBeGreaterThan(0);
    expect(outside[0].message).toMatch(/outside the declared range \[0, 100\]/);
  });

  it('stays inconclusive on histograms, which cannot give a mean\'s spread', async () => {
    const res = await analyzeOne({
      name: 'latency', kind: 'continuous', statistic: 'mean',
      baseline: { histogram: { buckets: [{ le: 10, count: 50 }, { le: '+Inf', count: 100 }] } },
      canary: { histogram: { buckets: [{ le: 10, count: 50 }, { le: '+Inf', count: 100 }] } },
    });
    expect(res.body.metrics[0].verdict).toBe('inconclusive');
    expect(res.body.metrics[0].reason).toMatch(/the mean needs raw values/);
  });
});
