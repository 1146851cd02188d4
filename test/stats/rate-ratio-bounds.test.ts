import fixtures from '../fixtures/intervals.json';
import { rateRatioBounds } from '../../src/stats/rate-ratio-bounds';

const closeTo = (actual: number, expected: number, rel = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1e-300, Math.abs(expected)));

describe('rateRatioBounds (conditional binomial Clopper-Pearson, scipy beta.ppf reference)', () => {
  it.each(fixtures.rateRatio.map((c) => [c.ce, c.ct, c.be, c.bt, c]))('%d/%d vs %d/%d', (_a, _b, _c, _d, c) => {
    const bounds = rateRatioBounds(c.ce, c.ct, c.be, c.bt, c.alpha, c.alpha);
    closeTo(bounds.lower, c.lower ?? Infinity);
    if (c.upper === null) expect(bounds.upper).toBe(Infinity);
    else closeTo(bounds.upper, c.upper, 1e-9);
  });
  it('refuses empty totals', () => {
    expect(() => rateRatioBounds(0, 0, 1, 10, 0.05, 0.05)).toThrow('Both totals must be positive');
  });
});
