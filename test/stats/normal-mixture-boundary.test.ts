import fixtures from '../fixtures/sequential.json';
import { mixtureSprtHalfWidth } from '../../src/stats/normal-mixture-boundary';
import { normalSampler, seededRandom } from '../support/random';

describe('mixtureSprtHalfWidth (Johari et al. mixture SPRT)', () => {
  it.each(fixtures.msprt.map((c) => [c.variance, c.alpha, c.tau, c]))('variance %d alpha %d tau %d', (_v, _a, _t, c) => {
    expect(mixtureSprtHalfWidth(c.variance, c.alpha, c.tau)).toBeCloseTo(c.halfWidth, 12);
  });

  it('is 0 without variance and unbounded without a finite one', () => {
    expect(mixtureSprtHalfWidth(0, 0.05, 1)).toBe(0);
    expect(mixtureSprtHalfWidth(NaN, 0.05, 1)).toBe(Infinity);
  });

  /**
   * Coverage by simulation: a difference of means between two normal samples growing at
   * different rates (as canary and baseline do), 20 looks. The sequence must cover the true
   * difference at every look in all but alpha of the runs; the fixed 1.645 sigma interval,
   * looked at the same way, misses far more often.
   */
  it('covers a difference of means at every look at once, unlike a repeated z interval', () => {
    const alpha = 0.1;
    const normal = normalSampler(seededRandom(314));
    const runs = 300;
    let misses = 0;
    let fixedMisses = 0;
    for (let r = 0; r < runs; r++) {
      const sums = { c: 0, cc: 0, nc: 0, b: 0, bb: 0, nb: 0 };
      let missed = false;
      let fixedMissed = false;
      for (let look = 1; look <= 20; look++) {
        for (let i = 0; i < 10 * look; i++) {
          const x = 1 + 2 * normal();
          sums.c += x; sums.cc += x * x; sums.nc++;
        }
        for (let i = 0; i < 40; i++) {
          const x = 2 * normal();
          sums.b += x; sums.bb += x * x; sums.nb++;
        }
        const mc = sums.c / sums.nc;
        const mb = sums.b / sums.nb;
        const variance = (sums.cc / sums.nc - mc * mc) / sums.nc + (sums.bb / sums.nb - mb * mb) / sums.nb;
        const error = Math.abs(mc - mb - 1);
        if (error > mixtureSprtHalfWidth(variance, alpha, 0.5)) missed = true;
        if (error > 1.645 * Math.sqrt(variance)) fixedMissed = true;
      }
      if (missed) misses++;
      if (fixedMissed) fixedMisses++;
    }
    expect(misses / runs).toBeLessThanOrEqual(alpha);
    expect(fixedMisses / runs).toBeGreaterThan(2 * alpha);
  });
});
