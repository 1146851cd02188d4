import fixtures from '../fixtures/rate-ratio-e-process.json';
import { risingRateRollout } from '../support/rising-rate-rollout';
import {
  logRateRatioEProcess,
  logRateRatioEValue,
  mantelHaenszelRateRatio,
  rateRatioConfidenceSequence,
  RateRatioMixture,
  type RateInterval,
} from '../../src/stats/conditional-rate-ratio-e-process';

const asIntervals = (rows: readonly (readonly number[])[]): RateInterval[] =>
  rows.map(([canaryEvents, canaryTotal, baselineEvents, baselineTotal]) => Object.freeze({ canaryEvents, canaryTotal, baselineEvents, baselineTotal }));

describe('logRateRatioEValue (scipy binom.logpmf reference)', () => {
  it.each(fixtures.eValue.map((c) => [c.case, c.theta0, c.alternative, c]))('%s theta0=%d %s', (_n, _t, _a, c) => {
    expect(logRateRatioEValue(asIntervals(c.intervals), c.theta0, c.alternative as 'greater')).toBeCloseTo(c.logE, 7);
  });

  it.each(fixtures.bounds.map((c) => [c.case, c]))('confidence sequence %s', (_n, c) => {
    const b = rateRatioConfidenceSequence(asIntervals(c.intervals), c.alphaLower, c.alphaUpper);
    expect(b.lower).toBeCloseTo(c.lower!, 5);
    expect(b.upper).toBeCloseTo(c.upper!, 5);
  });

  it('is 1 before any events, and bounds nothing without them', () => {
    expect(logRateRatioEValue([], 1, 'two-sided')).toBe(0);
    expect(logRateRatioEValue(asIntervals([[0, 100, 0, 900]]), 2, 'two-sided')).toBeCloseTo(0, 12);
    expect(rateRatioConfidenceSequence(asIntervals([[0, 100, 0, 900]]), 0.05, 0.05)).toEqual({ lower: 0, upper: Infinity });
  });

  it('gives no upper bound when only the canary had events, and refuses impossible counts with a sentence', () => {
    const b = rateRatioConfidenceSequence(asIntervals([[4, 100, 0, 100]]), 0.05, 0.05);
    expect(b.upper).toBe(Infinity);
    expect(() => logRateRatioEValue(asIntervals([[5, 4, 0, 10]]), 1, 'greater')).toThrow('Events must not exceed the total of their side');
    expect(() => logRateRatioEValue(asIntervals([[1, 4, 0, 10]]), 0, 'greater')).toThrow('theta0 must be a positive finite ratio');
  });

  it('RateRatioMixture (the tabulated mixture) gives the same e-process for any counts over the same totals', () => {
    const intervals = asIntervals([[3, 100, 50, 9900], [0, 0, 7, 700], [2, 50, 0, 0], [0, 1000, 0, 9000], [30, 5000, 28, 5000], [12, 1000, 40, 9000]]);
    for (const theta0 of [0.7, 1, 1.5]) {
      for (const alternative of ['greater', 'less'] as const) {
        const mixture = new RateRatioMixture(intervals, theta0, alternative);
        const canary = intervals.map((i) => i.canaryEvents);
        const baseline = intervals.map((i) => i.baselineEvents);
        const expected = logRateRatioEProcess(intervals, theta0, alternative);
        Array.from(mixture.logEProcess(canary, baseline)).forEach((x, k) => expect(x).toBeCloseTo(expected[k], 9));
        for (let looks = 1; looks <= intervals.length; looks++) expect(mixture.logEValue(canary, baseline, looks)).toBeCloseTo(logRateRatioEValue(intervals.slice(0, looks), theta0, alternative), 9);
        expect(mixture.logEValue(canary, baseline, 0)).toBe(0);
      }
    }
  });

  it('estimates the ratio within intervals (Mantel-Haenszel)', () => {
    expect(mantelHaenszelRateRatio(asIntervals([[10, 1000, 10, 1000], [40, 1000, 20, 1000]]))).toBeCloseTo(50 / 30, 12);
  });
});

/** The canary's rate is theta times the baseline's at every moment (test/support/rising-rate-rollout.ts). */
const simulate = (seed: number, theta: number, requestsPerInterval?: number, intervals?: number): RateInterval[] =>
  risingRateRollout(seed, (rate) => rate * theta, requestsPerInterval, intervals);

/** Every look's cumulative totals as one interval: the test as if the split were fixed. */
function cumulativeLooks(intervals: readonly RateInterval[]): RateInterval[][] {
  const sum = { canaryEvents: 0, canaryTotal: 0, baselineEvents: 0, baselineTotal: 0 };
  return intervals.map((i) => {
    sum.canaryEvents += i.canaryEvents;
    sum.canaryTotal += i.canaryTotal;
    sum.baselineEvents += i.baselineEvents;
    sum.baselineTotal += i.baselineTotal;
    return [{ ...sum }];
  });
}

const ALPHA = 0.05;
const RUNS = 400;
const everCrosses = (process: Float64Array, alpha: number) => process.some((x) => x >= Math.log(1 / alpha));

describe('coverage by simulation: the split changes at every step and the rate rises on both sides', () => {
  it('covers the true ratio at every look (false rejection <= alpha), for theta = 1 and theta = 2', () => {
    for (const theta of [1, 2]) {
      let misses = 0;
      for (let r = 0; r < RUNS; r++) {
        const intervals = simulate(1000 + r, theta);
        // Either one-sided e-process crossing at alpha/2 excludes theta from the two-sided sequence.
        if (everCrosses(logRateRatioEProcess(intervals, theta, 'greater'), ALPHA / 2) || everCrosses(logRateRatioEProcess(intervals, theta, 'less'), ALPHA / 2)) misses++;
      }
      expect(misses / RUNS).toBeLessThanOrEqual(ALPHA);
    }
  });

  it('the same test on cumulative totals is wrong here: it rejects a true ratio of 1 most of the time', () => {
    let misses = 0;
    for (let r = 0; r < 100; r++) {
      const looks = cumulativeLooks(simulate(1000 + r, 1));
      if (looks.some((look) => logRateRatioEValue(look, 1, 'greater') >= Math.log(2 / ALPHA))) misses++;
    }
    expect(misses / 100).toBeGreaterThan(0.5);
  });

  it('detects a 3x error rate early, and the sequence narrows around a healthy canary', () => {
    let detected = 0;
    let narrow = 0;
    for (let r = 0; r < 50; r++) {
      if (everCrosses(logRateRatioEProcess(simulate(5000 + r, 3), 1.5, 'greater'), ALPHA)) detected++;
      const b = rateRatioConfidenceSequence(simulate(7000 + r, 1), ALPHA / 2, ALPHA / 2);
      if (b.lower > 0.7 && b.upper < 1.5) narrow++;
    }
    expect(detected).toBe(50);
    expect(narrow).toBeGreaterThanOrEqual(45);
  });
});
