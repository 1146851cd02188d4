import fixtures from '../fixtures/intervals.json';
import { fromBuckets, fromValues } from '../../src/stats/weighted-sample';
import { quantileBounds } from '../../src/stats/quantile-bounds';

const orInfinity = (x: number | null, sign: 1 | -1) => (x === null ? sign * Infinity : x);
const closeTo = (actual: number, expected: number, rel = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1e-300, Math.abs(expected)));

describe('quantileBounds (order statistics, scipy binom.ppf reference)', () => {
  it.each(fixtures.quantileBounds.map((c) => [c.n, c.p, c.alphaLower, c]))('n=%d p=%d alpha=%d', (_n, _p, _a, c) => {
    const bounds = quantileBounds(fromValues(c.values), c.p, c.alphaLower, c.alphaUpper);
    expect(bounds.lower).toBe(orInfinity(c.lower, -1));
    expect(bounds.upper).toBe(orInfinity(c.upper, 1));
  });

  it.each(fixtures.binnedQuantileBounds.map((c) => [c.le.length, c.p, c.alpha, c]))(
    'binned data: %d buckets p=%d alpha=%d, the edges of the order statistics\' buckets',
    (_k, _p, _a, c) => {
      const le = c.le.map((x) => (x === '+Inf' ? Infinity : Number(x)));
      const bounds = quantileBounds(fromBuckets(le, c.counts, 0), c.p, c.alpha, c.alpha);
      closeTo(bounds.lower, orInfinity(c.lower, -1));
      if (c.upper === null) expect(bounds.upper).toBe(Infinity);
      else closeTo(bounds.upper, c.upper);
    },
  );

  it('has no upper bound in the +Inf bucket', () => {
    const binned = fromBuckets([10, 20, 40, Infinity], [300, 400, 280, 20], 0);
    expect(quantileBounds(binned, 0.99, 0.025, 0.025).upper).toBe(Infinity);
  });

  it('gives no bounds for an empty sample and does not mutate its input', () => {
    expect(quantileBounds(fromValues([]), 0.5, 0.05, 0.05)).toEqual({ lower: -Infinity, upper: Infinity });
    const values = Object.freeze([3, 1, 2]);
    quantileBounds(fromValues(values), 0.5, 0.05, 0.05);
    expect(values).toEqual([3, 1, 2]);
  });
});
