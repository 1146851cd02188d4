import fixtures from '../fixtures/intervals.json';
import { fromBuckets, fromValues } from '../../src/stats/weighted-sample';
import { quantile } from '../../src/stats/quantile';
import { orderStatistic } from '../../src/stats/quantile-bounds';

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

describe('order statistics read from observations', () => {
  it('match a scan of the counts, with and without ties', () => {
    for (const values of [[5, 1, 4, 2, 3], [3, 1, 3, 2, 3, 3, 7, 1], [0, -0, 2, 2]]) {
      const sample = fromValues(values);
      const scanned = { points: sample.points, counts: sample.counts, n: sample.n };
      for (const p of [0, 0.1, 0.25, 0.5, 0.9, 0.95, 0.99, 1]) expect(quantile(sample, p)).toBe(quantile(scanned, p));
      // Out-of-range and fractional ranks too: both ways answer alike.
      for (let k = -1; k <= sample.n + 1; k += 0.5) {
        expect(orderStatistic(sample, k, 'lower')).toBe(orderStatistic(scanned, k, 'lower'));
      }
    }
  });
});
