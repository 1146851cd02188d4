import fixtures from '../fixtures/rate-difference-e-process.json';
import { risingRateRollout } from '../support/rising-rate-rollout';
import { binomial } from '../../bench/simulate/binomial';
import { normalSampler, seededRandom } from '../support/random';
import {
  logRateDifferenceEProcess,
  logRateDifferenceEValue,
  mantelHaenszelRateDifference,
  rateDifferenceConfidenceSequence,
  type DifferenceAlternative,
  type RateInterval,
} from '../../src/stats/rate-difference-e-process';

const asIntervals = (rows: readonly (readonly number[])[]): RateInterval[] =>
  Object.freeze(rows.map(([canaryEvents, canaryTotal, baselineEvents, baselineTotal]) => Object.freeze({ canaryEvents, canaryTotal, baselineEvents, baselineTotal }))) as RateInterval[];

describe('logRateDifferenceEProcess (scipy reference: optimize.minimize_scalar, binom.pmf/logpmf summed over outcomes)', () => {
  it.each(fixtures.eProcess.map((c) => [c.case, c.delta, c.alternative, c]))('%s delta=%d %s', (_n, _d, _a, c) => {
    const process = logRateDifferenceEProcess(asIntervals(c.intervals), c.delta, c.alternative as DifferenceAlternative);
    expect(process).toHaveLength(c.logE.length);
    c.logE.forEach((x, k) => expect(process[k]).toBeCloseTo(x, 5));
  });

  it.each(fixtures.bounds.map((c) => [c.case, c]))('confidence sequence %s', (_n, c) => {
    const b = rateDifferenceConfidenceSequence(asIntervals(c.intervals), c.alphaLower, c.alphaUpper);
    expect(b.lower).toBeCloseTo(c.lower, 6);
    expect(b.upper).toBeCloseTo(c.upper, 6);
  });
});

describe('edge cases', () => {
  it('is 1 before any data and bets nothing on the first interval, nor without traffic on both sides', () => {
    expect(logRateDifferenceEValue([], 0.001, 'greater')).toBe(0);
    expect(logRateDifferenceEValue(asIntervals([[5, 100, 0, 900]]), 0, 'greater')).toBe(0);
    expect(Array.from(logRateDifferenceEProcess(asIntervals([[0, 0, 0, 0], [0, 0, 3, 900], [4, 100, 0, 0], [0, 0, 0, 0]]), 0.001, 'greater'))).toEqual([0, 0, 0, 0]);
    expect(rateDifferenceConfidenceSequence(asIntervals([[0, 0, 0, 0]]), 0.05, 0.05)).toEqual({ lower: -1, upper: 1 });
  });

  it('stays finite with zero events, all events and empty intervals, at every delta', () => {
    const rows = asIntervals([[0, 100, 0, 900], [0, 100, 0, 900], [100, 100, 0, 900], [100, 100, 900, 900], [0, 0, 0, 0], [0, 100, 900, 900], [3, 100, 2, 900]]);
    for (const delta of [-0.999, -0.5, -0.001, 0, 0.001, 0.5, 0.999]) {
      for (const alternative of ['greater', 'less'] as const) {
        for (const x of logRateDifferenceEProcess(rows, delta, alternative)) expect(Number.isFinite(x)).toBe(true);
      }
    }
    const b = rateDifferenceConfidenceSequence(rows, 0.05, 0.05);
    expect(b.lower).toBeLessThanOrEqual(b.upper);
    expect(b.lower).toBeGreaterThanOrEqual(-1);
    expect(b.upper).toBeLessThanOrEqual(1);
  });

  it('refuses impossible counts and deltas with a sentence', () => {
    expect(() => logRateDifferenceEValue(asIntervals([[5, 4, 0, 10]]), 0, 'greater')).toThrow('Events must not exceed the total of their side');
    expect(() => logRateDifferenceEValue(asIntervals([[-1, 4, 0, 10]]), 0, 'greater')).toThrow('Counts must not be negative');
    expect(() => logRateDifferenceEValue(asIntervals([[1, 4, 0, 10]]), 1, 'greater')).toThrow('delta must be a difference of rates between -1 and 1');
    expect(() => logRateDifferenceEValue(asIntervals([[1, 4, 0, 10]]), NaN, 'less')).toThrow('delta must be a difference of rates between -1 and 1');
  });

  it('estimates the difference within intervals (Mantel-Haenszel)', () => {
    // Both intervals differ by 1 pp within themselves; the pooled totals would not say so.
    const rows = asIntervals([[2, 100, 9, 900], [30, 1000, 20, 1000]]);
    expect(mantelHaenszelRateDifference(rows)).toBeCloseTo(0.01, 12);
    expect(mantelHaenszelRateDifference(asIntervals([[1, 0, 0, 10]].map(([, , b, nb]) => [0, 0, b, nb])))).toBeNaN();
  });
});

/** The canary's rate is the baseline's plus `difference` at every moment (test/support/rising-rate-rollout.ts). */
const simulate = (seed: number, difference: number, requestsPerInterval?: number, intervals?: number): RateInterval[] =>
  risingRateRollout(seed, (rate) => rate + difference, requestsPerInterval, intervals);

const ALPHA = 0.05;
const RUNS = 400;
// Monte Carlo slack: two standard errors of a rejection rate of alpha over RUNS runs.
const SLACK = 2 * Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS);
const everCrosses = (process: Float64Array, alpha: number) => process.some((x) => x >= Math.log(1 / alpha));

describe('type-I error by simulation: the split changes at every step and the rate rises on both sides', () => {
  it.each([
    ['A/A, margin 0', 0, 0, 10_000],
    ['true difference at the margin (+0.1 pp)', 0.001, 0.001, 10_000],
    ['true difference at the margin, 1,000 requests/minute', 0.001, 0.001, 1_000],
  ])('%s: the fail claim crosses 1/alpha at some look in <= alpha of runs', (_name, difference, margin, requests) => {
    let rejections = 0;
    for (let r = 0; r < RUNS; r++) {
      if (everCrosses(logRateDifferenceEProcess(simulate(2000 + r, difference, requests), margin, 'greater'), ALPHA)) rejections++;
    }
    expect(rejections / RUNS).toBeLessThanOrEqual(ALPHA + SLACK);
  });

  it('the pass claim at the margin (true difference +0.1 pp, null >= 0.1 pp) crosses in <= alpha of runs', () => {
    let rejections = 0;
    for (let r = 0; r < RUNS; r++) {
      if (everCrosses(logRateDifferenceEProcess(simulate(3000 + r, 0.001), 0.001, 'less'), ALPHA)) rejections++;
    }
    expect(rejections / RUNS).toBeLessThanOrEqual(ALPHA + SLACK);
  });
});

describe('power', () => {
  /** The benchmark's rollout at 1,000 requests/minute: 7 one-minute looks per step, 0.5 % baseline. */
  function rollout(seed: number, canaryRate: number): RateInterval[] {
    const uniform = seededRandom(seed);
    const normal = normalSampler(uniform);
    return Array.from({ length: 21 }, (_, i) => {
      const canaryTotal = 1000 * [0.01, 0.1, 0.5][Math.floor(i / 7)];
      return {
        canaryEvents: binomial(canaryTotal, canaryRate, uniform, normal),
        canaryTotal,
        baselineEvents: binomial(1000 - canaryTotal, 0.005, uniform, normal),
        baselineTotal: 1000 - canaryTotal,
      };
    });
  }

  it('fails a +1 pp canary (1.5 % vs 0.5 %) at 1,000 requests/minute against +0.1 pp in >= 75 % of rollouts at alpha 1.25 %', () => {
    let failed = 0;
    for (let r = 0; r < 200; r++) if (everCrosses(logRateDifferenceEProcess(rollout(4000 + r, 0.015), 0.001, 'greater'), 0.0125)) failed++;
    expect(failed / 200).toBeGreaterThanOrEqual(0.75);
  });

  it('passes a healthy canary at 100,000 requests/minute against +0.1 pp, and its sequence narrows around 0', () => {
    let passed = 0;
    let narrow = 0;
    for (let r = 0; r < 20; r++) {
      const intervals = simulate(6000 + r, 0, 100_000);
      if (everCrosses(logRateDifferenceEProcess(intervals, 0.001, 'less'), ALPHA)) passed++;
      const b = rateDifferenceConfidenceSequence(intervals, ALPHA / 2, ALPHA / 2);
      if (b.lower < 0 && b.upper > 0 && b.upper - b.lower < 0.002) narrow++;
    }
    expect(passed).toBeGreaterThanOrEqual(18);
    expect(narrow).toBeGreaterThanOrEqual(18);
  });
});
