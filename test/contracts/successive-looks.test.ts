/**
 * What Argo's `count` and Flagger's interval see: one request per look, each carrying all the
 * rollout's data so far. With anytime-valid evidence (the default, no extra parameters) the
 * verdict moves from inconclusive to pass or fail as evidence builds, and never to the
 * opposite one. (A look may fall back to inconclusive after a pass: the service keeps no state,
 * so it cannot intersect the intervals of earlier looks; the caller acts on the first pass.)
 */
import request from 'supertest';
import { testApp } from '../support/app';
import { FakeSource } from '../support/fake-source';
import { seededRandom } from '../support/random';

const { app } = testApp();

/** Cumulative error counts per look: 10,000 requests a minute, half to the canary. */
function errorLooks(canaryRate: number, looks: number, seed: number) {
  const random = seededRandom(seed);
  const counts = { ce: 0, ct: 0, be: 0, bt: 0 };
  const binomial = (n: number, p: number) => {
    let k = 0;
    for (let i = 0; i < n; i++) if (random() < p) k++;
    return k;
  };
  return Array.from({ length: looks }, () => {
    counts.ct += 5000;
    counts.ce += binomial(5000, canaryRate);
    counts.bt += 5000;
    counts.be += binomial(5000, 0.005);
    return { ...counts };
  });
}

async function verdictsAtEachLook(canaryRate: number) {
  const verdicts: string[] = [];
  for (const look of errorLooks(canaryRate, 30, 11)) {
    const res = await request(app)
      .post('/v1/analyze')
      .send({ metrics: [{ name: 'errors', kind: 'proportion', critical: true, baseline: { events: look.be, total: look.bt }, canary: { events: look.ce, total: look.ct } }] });
    expect(res.status).toBe(200);
    expect(res.body.evidence).toBe('anytime-valid');
    verdicts.push(res.body.verdict);
  }
  return verdicts;
}

describe('verdicts at successive looks of one rollout', () => {
  it('a canary with 3x the errors goes from inconclusive to fail, and stays failed', async () => {
    const verdicts = await verdictsAtEachLook(0.015);
    expect(verdicts[0]).toBe('inconclusive');
    const firstFail = verdicts.indexOf('fail');
    expect(firstFail).toBeGreaterThan(0);
    expect(firstFail).toBeLessThan(10);
    expect(verdicts.slice(firstFail).every((v) => v === 'fail')).toBe(true);
    expect(verdicts).not.toContain('pass');
  });

  it('a healthy canary goes from inconclusive to pass, and never fails on the way', async () => {
    const verdicts = await verdictsAtEachLook(0.005);
    expect(verdicts[0]).toBe('inconclusive');
    expect(verdicts).not.toContain('fail');
    expect(verdicts.indexOf('pass')).toBeGreaterThan(0);
  });

  it('gives wider, anytime-valid intervals than a single-look analysis asked for with evidence: fixed-sample', async () => {
    const body = { metrics: [{ name: 'errors', kind: 'proportion', margin: { relative: 0.5 }, baseline: { events: 450, total: 90000 }, canary: { events: 52, total: 10000 } }] };
    const anytime = (await request(app).post('/v1/analyze').send(body)).body.metrics[0].effect;
    const fixed = (await request(app).post('/v1/analyze').send({ ...body, evidence: 'fixed-sample' })).body;
    expect(fixed.evidence).toBe('fixed-sample');
    expect(anytime.upper - anytime.lower).toBeGreaterThan(fixed.metrics[0].effect.upper - fixed.metrics[0].effect.lower);
  });
});

describe('the traffic-split (sample ratio mismatch) check', () => {
  const healthy = { name: 'errors', kind: 'proportion', baseline: { events: 4500, total: 900000 }, canary: { events: 490, total: 100000 } };

  it('passes a split that matches the expected canary share', async () => {
    const res = await request(app).post('/v1/analyze').send({ metrics: [healthy], expectedCanaryShare: '0.1', traffic: { baseline: 90000, canary: 10000 } });
    expect(res.body.verdict).toBe('pass');
    expect(res.body.checks[0]).toEqual(expect.objectContaining({ name: 'traffic-split', verdict: 'pass', observedCanaryShare: 0.1 }));
  });

  it('makes a mismatched split inconclusive, or fail when configured, whatever the metrics say', async () => {
    const mismatched = { metrics: [healthy], expectedCanaryShare: 0.1, traffic: { baseline: 95000, canary: 5000 } };
    const res = await request(app).post('/v1/analyze').send(mismatched);
    expect(res.body.metrics[0].verdict).toBe('pass');
    expect(res.body.verdict).toBe('inconclusive');
    expect(res.body.reason).toMatch(/the canary received 5% of 100000 requests where the routing promises 10%/);
    const failing = await request(app).post('/v1/analyze').send({ ...mismatched, onTrafficMismatch: 'fail' });
    expect(failing.body.verdict).toBe('fail');
  });

  it('counts requests from Istio over their own window when no counts are given', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    source.requests = { baseline: 99000, canary: 1000 };
    const { app: withSource } = testApp({ analysis: { source } });
    const res = await request(withSource).post('/v1/analyze').send({
      baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } },
      expectedCanaryShare: 0.1, trafficLookback: '2m', end: 1795516200,
    });
    expect(res.body.checks[0].verdict).toBe('fail');
    expect(res.body.verdict).toBe('inconclusive');
    const trafficCall = source.calls.find((c) => c.metric.template === 'istio-requests')!;
    expect(trafficCall.ctx.window).toEqual({ start: 1795516200 - 120, end: 1795516200 });
  });

  it('asks for the expected share when only counts are given', async () => {
    const res = await request(app).post('/v1/analyze').send({ metrics: [healthy], traffic: { baseline: 1, canary: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.issues[0].path).toBe('expectedCanaryShare');
  });
});
