/**
 * The paired shadow comparison's statistics against scipy (test/fixtures/paired-outcomes.py):
 * Clopper-Pearson bounds, McNemar's exact test, the fixed-sample paired-difference bounds, and the
 * betting e-process with its confidence sequence; plus the e-process's defining property checked
 * exactly: at the null's boundary its expectation is 1 (a martingale), inside the null at most 1,
 * whatever the ties' rate.
 */
import fixtures from '../fixtures/paired-outcomes.json';
import { clopperPearsonBounds } from '../../src/stats/clopper-pearson-bounds';
import { mcnemarExact } from '../../src/stats/mcnemar-exact';
import { pairedDifferenceBounds } from '../../src/stats/paired-difference-bounds';
import {
  logOutcomeMeanEProcess,
  logOutcomeMeanEValue,
  outcomeMeanConfidenceSequence,
  outcomeMeanLogFactorTable,
  RULED_OUT,
  weightedCounts,
  type OutcomeAlternative,
} from '../../src/stats/outcome-mean-betting-e-process';
import gammaln from '@stdlib/math-base-special-gammaln';

describe('clopperPearsonBounds (scipy binomtest exact / beta.ppf)', () => {
  it.each(fixtures.clopperPearson.map((c) => [c.events, c.trials, c.alphaLower, c.alphaUpper, c]))('%d of %d at %d / %d', (k, n, aL, aU, c) => {
    const b = clopperPearsonBounds(k as number, n as number, aL as number, aU as number);
    expect(b.lower).toBeCloseTo(c.lower, 12);
    expect(b.upper).toBeCloseTo(c.upper, 12);
  });

  it('has no evidence without trials and refuses impossible counts', () => {
    expect(clopperPearsonBounds(0, 0, 0.05, 0.05)).toEqual({ lower: 0, upper: 1 });
    expect(() => clopperPearsonBounds(3, 2, 0.05, 0.05)).toThrow(/between 0 and the trials/);
    expect(() => clopperPearsonBounds(1.5, 2, 0.05, 0.05)).toThrow(/whole number/);
  });
});

describe('mcnemarExact (scipy binomtest(c, b + c, 0.5))', () => {
  it.each(fixtures.mcnemar.map((c) => [c.b, c.c, c]))('b %d, c %d', (b, c, want) => {
    const result = mcnemarExact(b as number, c as number);
    expect(result.statistic).toBe(want.statistic);
    expect(result.pValue).toBeCloseTo(want.pValue, 12);
    expect(Math.abs(result.pValue - want.pValue)).toBeLessThanOrEqual(1e-9 * Math.max(want.pValue, 1e-300) + 1e-15);
  });
});

describe('pairedDifferenceBounds (scipy exact intervals, the same construction)', () => {
  it.each(fixtures.pairedDifference.map((c) => [c.b, c.c, c.n, c]))('b %d, c %d of %d', (b, c, n, want) => {
    const bounds = pairedDifferenceBounds(b as number, c as number, n as number, want.alphaLower, want.alphaUpper);
    expect(bounds.lower).toBeCloseTo(want.lower, 11);
    expect(bounds.upper).toBeCloseTo(want.upper, 11);
  });

  it('covers the true difference at least as often as promised (exact enumeration, n = 40)', () => {
    // Every table of 40 pairs under (pi_b, pi_c), its probability and whether the bounds miss.
    for (const [pb, pc] of [
      [0.05, 0.02],
      [0.1, 0.1],
      [0.02, 0.08],
    ]) {
      const n = 40;
      const alpha = 0.05;
      let missLow = 0;
      let missHigh = 0;
      for (let b = 0; b <= n; b++) {
        for (let c = 0; b + c <= n; c++) {
          const p = Math.exp(gammaln(n + 1) - gammaln(b + 1) - gammaln(c + 1) - gammaln(n - b - c + 1) + b * Math.log(pb) + c * Math.log(pc) + (n - b - c) * Math.log(1 - pb - pc));
          const bounds = pairedDifferenceBounds(b, c, n, alpha, alpha);
          if (bounds.lower > pc - pb) missLow += p;
          if (bounds.upper < pc - pb) missHigh += p;
        }
      }
      expect(missLow).toBeLessThanOrEqual(alpha);
      expect(missHigh).toBeLessThanOrEqual(alpha);
    }
  });
});

describe('the betting e-process (numpy / scipy reference)', () => {
  it.each(fixtures.eValues.map((c) => [c.values.join(','), c.counts.join(','), c.mu0, c.alternative, c]))('values %s, counts %s, mu0 %d, %s', (_v, _c, _m, _a, c) => {
    const logE = logOutcomeMeanEValue(c.values, c.counts, c.mu0, c.alternative as OutcomeAlternative);
    if (c.logE === null) expect(logE).toBe(Infinity);
    else expect(logE).toBeCloseTo(c.logE, 9);
  });

  it.each(fixtures.eProcess.map((c) => [c.values.join(','), c.alternative, c]))('per interval with weights: values %s, %s', (_v, _a, c) => {
    const process = logOutcomeMeanEProcess(c.values, c.intervals, c.mu0, c.alternative as OutcomeAlternative);
    c.logE.forEach((x, look) => expect(process[look]).toBeCloseTo(x, 9));
    // The table holds each interval's untempered factors: weighted and summed, the same e-value at the last look.
    const table = outcomeMeanLogFactorTable(c.values, c.intervals, c.mu0, c.alternative as OutcomeAlternative);
    const sums = new Float64Array(table.grid);
    c.intervals.forEach((interval, i) => {
      for (let j = 0; j < table.grid; j++) sums[j] += interval.weight * table.factors[i * table.grid + j];
    });
    let max = -Infinity;
    for (let j = 0; j < table.grid; j++) max = Math.max(max, table.logMix[j] + sums[j]);
    let total = 0;
    for (let j = 0; j < table.grid; j++) total += Math.exp(table.logMix[j] + sums[j] - max);
    expect(max + Math.log(total)).toBeCloseTo(c.logE.at(-1)!, 9);
  });

  it.each(fixtures.edges.map((c) => [c.values.join(','), c.counts.join(','), c]))('confidence sequence: values %s, counts %s (brentq)', (_v, _c, c) => {
    const bounds = outcomeMeanConfidenceSequence(c.values, c.counts, c.alphaLower, c.alphaUpper);
    expect(bounds.lower).toBeCloseTo(c.lower, 9);
    expect(bounds.upper).toBeCloseTo(c.upper, 9);
  });

  it('gives the same e-value from intervals as from their totals (constant bets do not care how the pairs were grouped)', () => {
    const intervals = [{ counts: [6, 180, 2] }, { counts: [7, 190, 3] }, { counts: [9, 170, 2] }];
    const total = weightedCounts(intervals, 3);
    for (const alternative of ['greater', 'less'] as const) {
      expect(logOutcomeMeanEProcess([-1, 0, 1], intervals, -0.01, alternative).at(-1)).toBeCloseTo(logOutcomeMeanEValue([-1, 0, 1], total, -0.01, alternative), 12);
    }
  });

  it('is a martingale at the null and a supermartingale inside it, whatever the ties do (exact: every table of 30 pairs)', () => {
    const n = 30;
    const logFactorial = (k: number) => gammaln(k + 1);
    // Z in {-1, 0, +1} with P(-1) = pb, P(+1) = pc: the mean pc - pb, the ties 1 - pb - pc a nuisance.
    const expectation = (pb: number, pc: number, mu0: number, alternative: OutcomeAlternative) => {
      let sum = 0;
      for (let b = 0; b <= n; b++) {
        for (let c = 0; b + c <= n; c++) {
          const t = n - b - c;
          const logP = logFactorial(n) - logFactorial(b) - logFactorial(c) - logFactorial(t) + (b ? b * Math.log(pb) : 0) + (c ? c * Math.log(pc) : 0) + (t ? t * Math.log(1 - pb - pc) : 0);
          sum += Math.exp(logP + logOutcomeMeanEValue([-1, 0, 1], [b, t, c], mu0, alternative));
        }
      }
      return sum;
    };
    // At the boundary (mean = mu0) with few or many ties: exactly 1.
    for (const [pb, pc] of [
      [0.03, 0.02],
      [0.3, 0.29],
      [0.505, 0.495],
    ]) {
      expect(expectation(pb, pc, pc - pb, 'greater')).toBeCloseTo(1, 10);
      expect(expectation(pb, pc, pc - pb, 'less')).toBeCloseTo(1, 10);
    }
    // Inside the null: at most 1.
    expect(expectation(0.05, 0.02, -0.01, 'greater')).toBeLessThan(1);
    expect(expectation(0.02, 0.05, 0.01, 'less')).toBeLessThan(1);
  });

  it('counts a value the null rules out as beyond any threshold, in the table as in the e-value', () => {
    expect(logOutcomeMeanEValue([0, 1], [1000, 1], 0, 'greater')).toBe(Infinity);
    expect(logOutcomeMeanEValue([0, 1], [1000, 0], 0, 'greater')).toBe(0);
    const table = outcomeMeanLogFactorTable([0, 1], [{ counts: [1000, 1] }], 0, 'greater');
    expect(Math.min(...table.factors)).toBe(RULED_OUT);
    // A boundary no mean can cross speaks for the null: no evidence.
    expect(logOutcomeMeanEValue([0, 1], [0, 1000], 1, 'greater')).toBe(0);
    expect(logOutcomeMeanEValue([-1, 0, 1], [1000, 0, 0], -1, 'less')).toBe(0);
  });

  it('refuses counts that do not fit the values and weights outside [0, 1]', () => {
    expect(() => logOutcomeMeanEValue([-1, 0, 1], [1, 2], 0, 'less')).toThrow(/one count per value/);
    expect(() => logOutcomeMeanEValue([0, 1], [-1, 2], 0.5, 'less')).toThrow(/not negative/);
    expect(() => weightedCounts([{ counts: [1, 2], weight: 2 }], 2)).toThrow(/\[0, 1\]/);
    expect(() => logOutcomeMeanEValue([1, 1], [1, 2], 0.5, 'less')).toThrow(/two different values/);
  });
});
