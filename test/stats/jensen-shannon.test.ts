import fixtures from '../fixtures/jensen-shannon.json';
import { jensenShannonDistance } from '../../src/stats/jensen-shannon';

describe('jensenShannonDistance (scipy.spatial.distance.jensenshannon reference)', () => {
  it.each(fixtures.map((c) => [c.label, c]))('%s', (_label, c) => {
    const distance = jensenShannonDistance(c.baseline, c.canary);
    // Where scipy's own cancellation error exceeds 1e-10 it is no reference; the 50-digit value is.
    if (c.scipyAccurate) expect(Math.abs(distance - c.distance)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(distance - c.exact)).toBeLessThanOrEqual(1e-13);
  });
});

describe('jensenShannonDistance behaviour', () => {
  it('is zero for identical distributions, sqrt(ln 2) for disjoint ones, and symmetric', () => {
    expect(jensenShannonDistance([3, 0, 5], [6, 0, 10])).toBe(0);
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(Math.sqrt(Math.LN2), 15);
    const forward = jensenShannonDistance([100, 200, 400], [80, 0, 380]);
    expect(jensenShannonDistance([80, 0, 380], [100, 200, 400])).toBeCloseTo(forward, 15);
  });

  it('stays within [0, sqrt(ln 2)] and leaves its inputs alone', () => {
    const baseline = Object.freeze([5, 0, 9, 1]);
    const canary = Uint32Array.from([1, 4, 9, 0]);
    const distance = jensenShannonDistance(baseline, canary);
    expect(distance).toBeGreaterThan(0);
    expect(distance).toBeLessThanOrEqual(Math.sqrt(Math.LN2));
    expect(baseline).toEqual([5, 0, 9, 1]);
    expect(Array.from(canary)).toEqual([1, 4, 9, 0]);
  });

  it.each([
    [[1, 2], [1, 2, 3], 'Baseline and canary must have the same number of bins'],
    [[1, -2], [1, 2], 'Counts must not be negative'],
    [[1, NaN], [1, 2], 'Counts must be finite numbers'],
    [[1, 2], [0, 0], 'Both totals must be positive'],
    [[], [], 'Both totals must be positive'],
  ])('rejects %j vs %j', (baseline, canary, message) => {
    expect(() => jensenShannonDistance(baseline, canary)).toThrow(message);
  });
});
