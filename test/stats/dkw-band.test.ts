import fixtures from '../fixtures/intervals.json';
import { dkwHalfWidth } from '../../src/stats/dkw-band';

const closeTo = (actual: number, expected: number, rel = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1e-300, Math.abs(expected)));

describe('dkwHalfWidth (Massart)', () => {
  it.each(fixtures.dkw.map((c) => [c.n, c.alpha, c]))('n=%d alpha=%d', (_n, _a, c) => {
    closeTo(dkwHalfWidth(c.n, c.alpha), c.eps, 1e-9);
  });
  it('is infinite without data', () => expect(dkwHalfWidth(0, 0.05)).toBe(Infinity));
});
