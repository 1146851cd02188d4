import fixtures from '../fixtures/sequential.json';
import { quantileConfidenceSequence } from '../../src/stats/quantile-confidence-sequence';
import { quantileBounds } from '../../src/stats/quantile-bounds';
import { fromBuckets, fromValues } from '../../src/stats/weighted-sample';
import { seededRandom } from '../support/random';

describe('quantileConfidenceSequence', () => {
  it.each(fixtures.quantileRanks.map((c) => [c.n, c.p, c.alpha, c]))('n=%d p=%d alpha=%d uses the ranks scipy finds', (_n, _p, _a, c) => {
    // On 1..n the k-th order statistic is k, so the bounds are the ranks themselves.
    const sample = fromValues(Array.from({ length: c.n }, (_, i) => i + 1));
    const bounds = quantileConfidenceSequence(sample, c.p, c.alpha, c.alpha);
    expect(bounds.lower).toBe(c.low >= 1 ? c.low : -Infinity);
    expect(bounds.upper).toBe(c.high + 1 <= c.n ? c.high + 1 : Infinity);
  });

  it('bounds a histogram by the edges of the buckets its ranks fall in, and is unbounded without data', () => {
    // Both ranks of the median fall in (10, 20]: the median may lie anywhere inside it.
    const binned = fromBuckets([10, 20, 40, Infinity], [3000, 4000, 2800, 200], 0);
    expect(quantileConfidenceSequence(binned, 0.5, 0.025, 0.025)).toEqual({ lower: 10, upper: 20 });
    expect(quantileConfidenceSequence(fromValues([]), 0.5, 0.05, 0.05)).toEqual({ lower: -Infinity, upper: Infinity });
  });

  /** Coverage by simulation: exponential data, true p95 = -ln(0.05), 20 looks from 50 to 5,000. */
  it('covers the true p95 at every look at once, where repeated order-statistic intervals do not', () => {
    const alpha = 0.1;
    const p = 0.95;
    const truth = -Math.log(1 - p);
    const looks = Array.from({ length: 20 }, (_, i) => Math.round(50 * Math.pow(100, i / 19)));
    const random = seededRandom(95);
    let sequentialMisses = 0;
    let fixedMisses = 0;
    const runs = 200;
    for (let s = 0; s < runs; s++) {
      const values: number[] = [];
      let sequentialMissed = false;
      let fixedMissed = false;
      for (const look of looks) {
        while (values.length < look) values.push(-Math.log(1 - random()));
        const sample = fromValues(values);
        const cs = quantileConfidenceSequence(sample, p, alpha / 2, alpha / 2);
        if (truth < cs.lower || truth > cs.upper) sequentialMissed = true;
        const fixed = quantileBounds(sample, p, alpha / 2, alpha / 2);
        if (truth < fixed.lower || truth > fixed.upper) fixedMissed = true;
      }
      if (sequentialMissed) sequentialMisses++;
      if (fixedMissed) fixedMisses++;
    }
    expect(sequentialMisses / runs).toBeLessThanOrEqual(alpha);
    expect(fixedMisses / runs).toBeGreaterThan(1.5 * alpha);
  });
});
