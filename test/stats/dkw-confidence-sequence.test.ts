import fixtures from '../fixtures/sequential.json';
import { dkwConfidenceSequenceHalfWidth } from '../../src/stats/dkw-confidence-sequence';
import { dkwHalfWidth } from '../../src/stats/dkw-band';
import { seededRandom } from '../support/random';

describe('dkwConfidenceSequenceHalfWidth (Howard & Ramdas)', () => {
  it.each(fixtures.dkw.map((c) => [c.n, c.alpha, c]))('n=%d alpha=%d', (_n, _a, c) => {
    expect(dkwConfidenceSequenceHalfWidth(c.n, c.alpha)).toBeCloseTo(c.eps, 12);
  });

  it('is infinite without data and wider than the fixed-sample band', () => {
    expect(dkwConfidenceSequenceHalfWidth(0, 0.05)).toBe(Infinity);
    expect(dkwConfidenceSequenceHalfWidth(1000, 0.05)).toBeGreaterThan(dkwHalfWidth(1000, 0.05));
  });

  /** Coverage by simulation: uniform data, sup |F_n - F| checked at 20 looks from 20 to 4,000. */
  it('holds for the whole CDF at every look at once', () => {
    const alpha = 0.1;
    const looks = Array.from({ length: 20 }, (_, i) => Math.round(20 * Math.pow(200, i / 19)));
    const random = seededRandom(7);
    let misses = 0;
    const runs = 200;
    for (let s = 0; s < runs; s++) {
      const values: number[] = [];
      let missed = false;
      for (const look of looks) {
        while (values.length < look) values.push(random());
        const sorted = Float64Array.from(values).sort();
        let sup = 0;
        for (let i = 0; i < sorted.length; i++) sup = Math.max(sup, (i + 1) / sorted.length - sorted[i], sorted[i] - i / sorted.length);
        if (sup > dkwConfidenceSequenceHalfWidth(sorted.length, alpha)) missed = true;
      }
      if (missed) misses++;
    }
    expect(misses / runs).toBeLessThanOrEqual(alpha);
  });
});
