import fixtures from '../fixtures/wasserstein.json';
import { fromBuckets, fromValues, type WeightedSample } from '../../src/stats/weighted-sample';
import { wassersteinDistance } from '../../src/stats/wasserstein';

const closeTo = (actual: number, expected: number, rel: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected) + 1e-300);

const weighted = (points: number[], counts: number[]): WeightedSample => ({
  points: Float64Array.from(points),
  counts: Float64Array.from(counts),
  n: counts.reduce((a, b) => a + b, 0),
});

/** The fixture's recipe, evaluated in the same operation order as numpy so the values are identical. */
function generated(recipe: { n: number; multiplier: number; grid: number; offset: number }): Float64Array {
  const values = new Float64Array(recipe.n);
  for (let i = 0; i < recipe.n; i++) {
    values[i] = (Math.floor(((i * recipe.multiplier) % 1) * recipe.grid) / recipe.grid) * 1000 + recipe.offset;
  }
  return values;
}

describe('wassersteinDistance (scipy.stats.wasserstein_distance reference)', () => {
  it.each(fixtures.values.map((c) => [c.label, c]))('raw values: %s', (_label, c) => {
    closeTo(wassersteinDistance(fromValues(c.canary), fromValues(c.baseline)), c.distance, 1e-9);
  });

  it.each(fixtures.weighted.map((c) => [c.label, c]))('weighted points: %s', (_label, c) => {
    const canary = weighted(c.canaryPoints, c.canaryCounts);
    const baseline = weighted(c.baselinePoints, c.baselineCounts);
    closeTo(wassersteinDistance(canary, baseline), c.distance, 1e-9);
  });

  it.each(fixtures.generated.map((c) => [c.label, c]))('%s, in linear time after sorting', (_label, c) => {
    const canaryValues = generated(c.canary);
    const baselineValues = generated(c.baseline);
    closeTo(canaryValues.reduce((a, b) => a + b, 0), c.canarySum, 1e-12);
    closeTo(baselineValues.reduce((a, b) => a + b, 0), c.baselineSum, 1e-12);
    const canary = fromValues(canaryValues);
    const baseline = fromValues(baselineValues);
    expect(canary.points.length).toBe(c.canaryDistinct);
    expect(baseline.points.length).toBe(c.baselineDistinct);

    const distance = wassersteinDistance(canary, baseline);
    closeTo(distance, c.distance, 1e-9);
  });
});

describe('wassersteinDistance behaviour', () => {
  it('is symmetric, zero for a sample against itself, and a shift for shifted samples', () => {
    const a = fromValues([1, 5, 5, 9, 20]);
    const b = fromValues([2, 2, 7, 30]);
    expect(wassersteinDistance(b, a)).toBeCloseTo(wassersteinDistance(a, b), 14);
    expect(wassersteinDistance(a, a)).toBe(0);
    expect(wassersteinDistance(fromValues([1, 5, 5, 9, 20].map((x) => x + 2.5)), a)).toBeCloseTo(2.5, 13);
  });

  it('treats histogram buckets as weighted points at their upper bounds', () => {
    const canary = fromBuckets([10, 20, 40], [0, 3, 1]);
    const baseline = fromBuckets([10, 20, 40], [2, 2, 0]);
    expect(wassersteinDistance(canary, baseline)).toBeCloseTo(10, 13);
  });

  it('leaves its inputs alone', () => {
    const canary = weighted([1, 2, 3], [4, 5, 6]);
    const baseline = weighted([2, 4], [1, 1]);
    wassersteinDistance(Object.freeze(canary), Object.freeze(baseline));
    expect(Array.from(canary.points)).toEqual([1, 2, 3]);
    expect(Array.from(canary.counts)).toEqual([4, 5, 6]);
    expect(Array.from(baseline.points)).toEqual([2, 4]);
  });

  it.each([
    ['an empty canary', fromValues([]), fromValues([1]), 'Neither sample can be empty'],
    ['an empty baseline', fromValues([1]), weighted([1, 2], [0, 0]), 'Neither sample can be empty'],
    ['an infinite bucket', fromBuckets([1, Infinity], [1, 1]), fromValues([1]), 'Sample points must be finite'],
    ['unsorted points', weighted([2, 1], [1, 1]), fromValues([1]), 'Sample points must be strictly ascending'],
    ['a negative count', weighted([1, 2], [1, -1]), fromValues([1]), 'Counts must be finite and not negative'],
    ['mismatched points and counts', weighted([1, 2], [1]), fromValues([1]), 'A sample needs one count per point'],
  ])('rejects %s', (_what, canary, baseline, message) => {
    expect(() => wassersteinDistance(canary, baseline)).toThrow(message);
  });
});
