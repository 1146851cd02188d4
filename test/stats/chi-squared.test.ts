import fixtures from '../fixtures/chi-squared.json';
import { chiSquaredHomogeneity } from '../../src/stats/chi-squared';

const relativeError = (actual: number, expected: number) =>
  actual === expected ? 0 : Math.abs(actual - expected) / Math.abs(expected);

describe('chiSquaredHomogeneity (scipy.stats.chi2_contingency reference)', () => {
  it.each(fixtures.map((c) => [c.label, c]))('%s', (_label, c) => {
    const result = chiSquaredHomogeneity(c.canary, c.baseline);
    expect(result.dof).toBe(c.dof);
    if (c.statistic === 0) expect(result.statistic).toBeLessThan(1e-20);
    else expect(relativeError(result.statistic, c.statistic)).toBeLessThanOrEqual(1e-12);
    if (c.pValue === 0) expect(result.pValue).toBe(0);
    else expect(relativeError(result.pValue, c.pValue)).toBeLessThanOrEqual(1e-6);
  });
});

describe('chiSquaredHomogeneity behaviour', () => {
  it('applies Yates only with two categories and says so', () => {
    expect(chiSquaredHomogeneity([12, 388], [30, 470]).method).toBe('asymptotic, Yates-corrected');
    expect(chiSquaredHomogeneity([12, 388, 5], [30, 470, 9]).method).toBe('asymptotic');
  });

  it('is symmetric in the two samples and leaves its inputs alone', () => {
    const canary = Object.freeze([120, 30, 0, 25, 10]);
    const baseline = Float64Array.from([1300, 310, 0, 240, 100]);
    const forward = chiSquaredHomogeneity(canary, baseline);
    const swapped = chiSquaredHomogeneity(baseline, canary);
    expect(swapped.statistic).toBeCloseTo(forward.statistic, 12);
    expect(swapped.pValue).toBeCloseTo(forward.pValue, 12);
    expect(canary).toEqual([120, 30, 0, 25, 10]);
    expect(Array.from(baseline)).toEqual([1300, 310, 0, 240, 100]);
  });

  it('has nothing to compare with fewer than two non-empty categories', () => {
    expect(chiSquaredHomogeneity([0, 5], [0, 9])).toEqual({ statistic: 0, pValue: 1, dof: 0, method: 'asymptotic' });
  });

  it('keeps p-values in [0, 1]', () => {
    for (const [c, b] of [[[1, 0], [0, 1]], [[1, 1], [1, 1]], [[1e6, 0, 0], [0, 1e6, 1]]]) {
      const { pValue } = chiSquaredHomogeneity(c, b);
      expect(pValue).toBeGreaterThanOrEqual(0);
      expect(pValue).toBeLessThanOrEqual(1);
    }
  });

  it.each([
    [[1, 2], [1, 2, 3], 'Canary and baseline must have the same number of categories'],
    [[1, -2], [1, 2], 'Counts must not be negative'],
    [[1, NaN], [1, 2], 'Counts must be finite numbers'],
    [[0, 0], [1, 2], 'Both totals must be positive'],
    [[], [], 'Both totals must be positive'],
  ])('rejects %j vs %j', (canary, baseline, message) => {
    expect(() => chiSquaredHomogeneity(canary, baseline)).toThrow(message);
  });
});
