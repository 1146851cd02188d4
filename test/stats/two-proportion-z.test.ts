import fixtures from '../fixtures/two-proportion-z.json';
import { twoProportionZ } from '../../src/stats/two-proportion-z';

const relativeError = (actual: number, expected: number) =>
  actual === expected ? 0 : Math.abs(actual - expected) / Math.abs(expected);

describe('twoProportionZ (pooled z with scipy.stats.norm.sf reference)', () => {
  it.each(fixtures.map((c) => [c.label, c]))('%s', (_label, c) => {
    const result = twoProportionZ(c.canaryEvents, c.canaryTotal, c.baselineEvents, c.baselineTotal);
    if (c.statistic === 0) expect(result.statistic).toBe(0);
    else expect(relativeError(result.statistic, c.statistic)).toBeLessThanOrEqual(1e-12);
    if (c.pValue === 0) expect(result.pValue).toBe(0);
    else expect(relativeError(result.pValue, c.pValue)).toBeLessThanOrEqual(1e-6);
    expect(result.method).toBe('asymptotic');
  });
});

describe('twoProportionZ behaviour', () => {
  it('is positive when the canary rate is higher and antisymmetric in the groups', () => {
    const forward = twoProportionZ(60, 1000, 40, 1000);
    const swapped = twoProportionZ(40, 1000, 60, 1000);
    expect(forward.statistic).toBeGreaterThan(0);
    expect(swapped.statistic).toBeCloseTo(-forward.statistic, 14);
    expect(swapped.pValue).toBeCloseTo(forward.pValue, 14);
  });

  it('reports no evidence when the pooled rate is 0 or 1', () => {
    expect(twoProportionZ(0, 10, 0, 20)).toEqual({ statistic: 0, pValue: 1, method: 'asymptotic' });
    expect(twoProportionZ(10, 10, 20, 20)).toEqual({ statistic: 0, pValue: 1, method: 'asymptotic' });
  });

  it('keeps p-values in [0, 1]', () => {
    for (const [a, b, c, d] of [[0, 1, 1, 1], [1, 2, 1, 2], [0, 1e6, 1e5, 1e6], [5, 5, 0, 5]]) {
      const { pValue } = twoProportionZ(a, b, c, d);
      expect(pValue).toBeGreaterThanOrEqual(0);
      expect(pValue).toBeLessThanOrEqual(1);
    }
  });

  it.each([
    [[-1, 10, 1, 10], 'Event counts must not be negative'],
    [[11, 10, 1, 10], 'Events must not exceed their total'],
    [[1, 10, 1, 0.5], 'Events must not exceed their total'],
    [[0, 0, 1, 10], 'Both totals must be positive'],
    [[1, 10, 0, -3], 'Both totals must be positive'],
    [[NaN, 10, 1, 10], 'Counts must be finite numbers'],
    [[1, Infinity, 1, 10], 'Counts must be finite numbers'],
  ])('rejects %j', (args, message) => {
    const [a, b, c, d] = args;
    expect(() => twoProportionZ(a, b, c, d)).toThrow(message);
  });
});
