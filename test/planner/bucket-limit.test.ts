import fixtures from '../fixtures/bucket-limit.json';
import { normalCdf } from '../../src/stats/normal';
import { bucketLimit, claimReadings } from '../../src/planner/bucket-limit';
import { latencyModel } from '../../src/planner/latency-model';
import { RESOLVING_LATENCY_BUCKETS } from '../../demo/latency-buckets';

/** The stable's histogram as the fixture builds it: lognormal (median, sigma 0.5), 10 million observations. */
function stable(median: number) {
  const bounds = [...RESOLVING_LATENCY_BUCKETS, Infinity];
  let previous = 0;
  const counts = bounds.map((le) => {
    const c = le === Infinity ? 1 : normalCdf(Math.log(le / median) / 0.5);
    const p = c - previous;
    previous = c;
    return Math.round(p * 1e7);
  });
  return latencyModel({ bounds, counts });
}

type Case = (typeof fixtures.cases)[number];
const inputOf = (c: Case, maxMinutes = 240) => ({ level: c.level, margin: c.margin, harm: c.harm, requestsPerMinute: c.requestsPerMinute, share: c.share, maxMinutes, rates: c.rates });

describe('claimReadings (scipy reference)', () => {
  it.each(fixtures.cases.map((c) => [c.median, c.requestsPerMinute, c.harm, c] as const))('median %d ms at %d requests/minute, harm x%d', (_m, _r, _h, c) => {
    const readings = claimReadings(stable(c.median), inputOf(c));
    expect(readings.map((r) => r.claim)).toEqual(c.readings.map((r) => r.claim));
    readings.forEach((r, i) => {
      const ref = c.readings[i];
      expect([r.stableBound, r.canaryBound]).toEqual([ref.stableBound, ref.canaryBound]);
      expect(r.rate).toBeCloseTo(ref.rate, 12);
      expect(r.freeRate).toBeCloseTo(ref.freeRate, 12);
      if (ref.minutes === null) expect(r.minutes).toBe(Infinity);
      else expect(r.minutes).toBeCloseTo(ref.minutes, 6);
      expect(r.freeMinutes).toBeCloseTo(ref.freeMinutes!, 6);
    });
  });
});

describe('bucketLimit', () => {
  it('names the bucket, the bounds each statement needs, how far the quantiles sit from them, and the bounds that would help', () => {
    const c = fixtures.cases[0];
    expect(bucketLimit(stable(c.median), inputOf(c))).toEqual({
      alone: true,
      text: 'p95 (93.12 ms) lies in (89.6, 93.6], 4.5 % wide; to fail p95 x1.2 at +10 % the data must place the stable\'s p95 below 93.6 ms (it sits 0.52 % below) and the canary\'s above 107 ms (111.7 ms, 4.4 % above): about 24 hours at the last step, where bounds placed freely near 93.12 and 111.7 ms would need about 22 minutes. Add bounds near 93.12 and 111.7 ms (about 1 % apart there) or widen the margin',
    });
  });

  it('the buckets alone when free bounds would decide within the step, slowing it when they would at least halve the time, else nothing', () => {
    // The fail: 9 minutes with these buckets, 2.2 with free bounds; the pass: 4.9 and 1.6.
    const c = fixtures.cases[1];
    expect(bucketLimit(stable(c.median), inputOf(c, 240))).toBeUndefined();
    const five = bucketLimit(stable(c.median), inputOf(c, 5))!;
    expect(five.alone).toBe(true);
    expect(five.text).toMatch(/to fail p95 x1\.2 at \+10 % .*: about 9 minutes at the last step, where bounds placed freely near 91\.11 and 109\.3 ms would need about 2 minutes/);
    expect(five.text).not.toMatch(/to pass/);
    const one = bucketLimit(stable(c.median), inputOf(c, 1))!;
    expect(one.alone).toBe(false);
    expect(one.text).toMatch(/to fail .*; to pass a healthy canary at \+10 % the data must place the stable's p95 above 85\.7 ms/);
    // A +20 % margin against x1.2: no fail to show; the healthy pass takes 8.7 minutes with these buckets, 4.5 with free ones (not half).
    expect(bucketLimit(stable(40), { ...inputOf(c, 1), requestsPerMinute: 1000, margin: 0.2 })).toBeUndefined();
  });

  it('says "never" when these buckets cannot show the harm beyond the margin at any traffic', () => {
    const c = fixtures.cases[2];
    expect(bucketLimit(stable(c.median), inputOf(c))!.text).toMatch(/to fail p95 x1\.15 at \+10 % the data must place the stable's p95 below 93\.6 ms \(it sits 2\.7 % below\) and the canary's above 107 ms \(104\.8 ms, 2\.1 % below, the wrong side\): never, at any traffic/);
  });
});
