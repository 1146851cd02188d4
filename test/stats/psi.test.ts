import fixtures from '../fixtures/psi.json';
import { populationStabilityIndex } from '../../src/stats/psi';

describe('populationStabilityIndex (numpy reference, empty bins at 1e-4)', () => {
  it.each(fixtures.map((c) => [c.label, c]))('%s', (_label, c) => {
    const psi = populationStabilityIndex(c.baseline, c.canary);
    expect(Math.abs(psi - c.psi)).toBeLessThanOrEqual(1e-12 * Math.max(1, c.psi));
  });
});

describe('populationStabilityIndex behaviour', () => {
  it('is zero for identical distributions and symmetric in its arguments', () => {
    expect(populationStabilityIndex([3, 0, 5], [6, 0, 10])).toBe(0);
    const forward = populationStabilityIndex([100, 200, 400], [80, 0, 380]);
    expect(populationStabilityIndex([80, 0, 380], [100, 200, 400])).toBeCloseTo(forward, 14);
  });

  it('is non-negative and leaves its inputs alone', () => {
    const baseline = Object.freeze([5, 0, 9, 1]);
    const canary = Uint32Array.from([1, 4, 9, 0]);
    expect(populationStabilityIndex(baseline, canary)).toBeGreaterThan(0);
    expect(baseline).toEqual([5, 0, 9, 1]);
    expect(Array.from(canary)).toEqual([1, 4, 9, 0]);
  });

  it.each([
    [[1, 2], [1, 2, 3], 'Baseline and canary must have the same number of bins'],
    [[1, -2], [1, 2], 'Counts must not be negative'],
    [[1, Infinity], [1, 2], 'Counts must be finite numbers'],
    [[0, 0], [1, 2], 'Both totals must be positive'],
    [[], [], 'Both totals must be positive'],
  ])('rejects %j vs %j', (baseline, canary, message) => {
    expect(() => populationStabilityIndex(baseline, canary)).toThrow(message);
  });
});
