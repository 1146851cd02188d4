import fixtures from '../fixtures/normal.json';
import { normalCdf, normalQuantileOf, normalSf } from '../../src/stats/normal';

const relative = (actual: number, expected: number) => Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);

describe('normal tails and quantiles (scipy.stats.norm reference)', () => {
  it.each(fixtures.sf)('sf(%d) keeps relative accuracy deep in the tail', (z, expected) => {
    expect(relative(normalSf(z), expected)).toBeLessThan(1e-12);
  });
  it.each(fixtures.cdf)('cdf(%d)', (z, expected) => {
    expect(relative(normalCdf(z), expected)).toBeLessThan(1e-12);
  });
  it.each(fixtures.ppf)('quantile(%d)', (p, expected) => {
    expect(relative(normalQuantileOf(p), expected)).toBeLessThan(1e-9);
  });
});
