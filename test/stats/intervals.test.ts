import fixtures from '../fixtures/intervals.json';
import { fromBuckets, fromValues } from '../../src/stats/weighted-sample';
import { quantile } from '../../src/stats/quantile';
import { quantileBounds } from '../../src/stats/quantile-bounds';
import { rateRatioBounds } from '../../src/stats/rate-ratio-bounds';
import { wilsonBounds } from '../../src/stats/wilson-bounds';
import { newcombeDifferenceBounds } from '../../src/stats/newcombe-difference-bounds';
import { dkwHalfWidth } from '../../src/stats/dkw-band';

const orInfinity = (x: number | null, sign: 1 | -1) => (x === null ? sign * Infinity : x);
const closeTo = (actual: number, expected: number, rel = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1e-300, Math.abs(expected)));

describe('quantile (numpy type 7 for raw values)', () => {
  it.each(fixtures.quantile.map((c) => [c.n, c.p, c]))('n=%d p=%d', (_n, _p, c) => {
    closeTo(quantile(fromValues(c.values), c.p), c.expected);
  });
});

describe('quantile of binned data (Prometheus histogram_quantile)', () => {
  it.each(fixtures.binnedQuantile.map((c) => [c.le.join(','), c.p, c]))('le=%s p=%d', (_le, _p, c) => {
    const le = c.le.map((x) => (x === '+Inf' ? Infinity : Number(x)));
    const perBucket = c.cumulative.map((v, i) => v - (i ? c.cumulative[i - 1] : 0));
    const firstLowerEdge = le[0] > 0 ? 0 : -Infinity;
    closeTo(quantile(fromBuckets(le, perBucket, firstLowerEdge), c.p), c.expected);
  });
});

describe('quantileBounds (order statistics, scipy binom.ppf reference)', () => {
  it.each(fixtures.quantileBounds.map((c) => [c.n, c.p, c.alphaLower, c]))('n=%d p=%d alpha=%d', (_n, _p, _a, c) => {
    const bounds = quantileBounds(fromValues(c.values), c.p, c.alphaLower, c.alphaUpper);
    expect(bounds.lower).toBe(orInfinity(c.lower, -1));
    expect(bounds.upper).toBe(orInfinity(c.upper, 1));
  });

  it.each(fixtures.binnedQuantileBounds.map((c) => [c.le.length, c.p, c.alpha, c]))(
    'binned data: %d buckets p=%d alpha=%d, interpolated inside the bucket',
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

describe('wilsonBounds and newcombeDifferenceBounds', () => {
  it.each(fixtures.wilson.map((c) => [c.events, c.total, c]))('wilson %d/%d', (_e, _t, c) => {
    const bounds = wilsonBounds(c.events, c.total, c.alpha, c.alpha);
    expect(bounds.lower).toBeCloseTo(c.lower, 12);
    expect(bounds.upper).toBeCloseTo(c.upper, 12);
  });
  it.each(fixtures.newcombe.map((c) => [c.ce, c.ct, c.be, c.bt, c]))('newcombe %d/%d vs %d/%d', (_a, _b, _c, _d, c) => {
    const bounds = newcombeDifferenceBounds(c.ce, c.ct, c.be, c.bt, c.alpha, c.alpha);
    expect(bounds.lower).toBeCloseTo(c.lower, 12);
    expect(bounds.upper).toBeCloseTo(c.upper, 12);
  });
});

describe('dkwHalfWidth (Massart)', () => {
  it.each(fixtures.dkw.map((c) => [c.n, c.alpha, c]))('n=%d alpha=%d', (_n, _a, c) => {
    closeTo(dkwHalfWidth(c.n, c.alpha), c.eps, 1e-9);
  });
  it('is infinite without data', () => expect(dkwHalfWidth(0, 0.05)).toBe(Infinity));
});
