import fc from 'fast-check';
import fixtures from '../fixtures/mann-whitney-u.json';
import { mannWhitneyU } from '../../src/stats/mann-whitney-u';
import { fromBuckets, fromValues, type WeightedSample } from '../../src/stats/weighted-sample';

type FixtureSample = { values: number[]; counts: number[] } | { arange: number[] };
interface FixtureCase {
  name: string;
  canary: FixtureSample;
  baseline: FixtureSample;
  statistic: number;
  pValue: number;
  method: string;
}

const weighted = (points: ArrayLike<number>, counts: ArrayLike<number>): WeightedSample => ({
  points: Float64Array.from(points),
  counts: Float64Array.from(counts),
  n: Array.from(counts).reduce((a, b) => a + b, 0),
});

/** The integers start, start + 1, ..., stop - 1, once each. */
function integerRun(start: number, stop: number): WeightedSample {
  const points = new Float64Array(stop - start);
  for (let i = 0; i < points.length; i++) points[i] = start + i;
  return { points, counts: new Float64Array(points.length).fill(1), n: points.length };
}

const sample = (s: FixtureSample): WeightedSample =>
  'arange' in s ? integerRun(s.arange[0], s.arange[1]) : weighted(s.values, s.counts);

const expectRelativelyClose = (actual: number, expected: number, relative: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(relative * Math.abs(expected));

describe('mannWhitneyU (scipy.stats.mannwhitneyu reference)', () => {
  const cases = fixtures.cases as FixtureCase[];

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = mannWhitneyU(sample(c.canary), sample(c.baseline));
    expect(result.statistic).toBe(c.statistic);
    expectRelativelyClose(result.pValue, c.pValue, 1e-6);
    expect(result.method).toBe(c.method);
  });

  it.each(fixtures.exactDistribution.map((row) => [row.m, row.n, row.k, row] as const))(
    'exact null distribution for %i vs %i at U = %i (integer-count reference)',
    (m, n, k, row) => {
      // Canary values between the baseline integers so that U1 = k, with no ties.
      const canaryPoints = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        const baselineBelow = Math.floor(k / m) + (i < k % m ? 1 : 0);
        canaryPoints[i] = baselineBelow - 0.5 + (m - i) * 0.01;
      }
      canaryPoints.reverse();
      const result = mannWhitneyU(weighted(canaryPoints, new Float64Array(m).fill(1)), integerRun(0, n));
      expect(result.statistic).toBe(k);
      expect(result.method).toBe('exact');
      expectRelativelyClose(result.pValue, row.pValue, 1e-9);
    },
  );
});

describe('mannWhitneyU behaviour', () => {
  it('leaves frozen inputs untouched', () => {
    const canary = Object.freeze(weighted([1, 2, 3], [4, 5, 6]));
    const baseline = Object.freeze(weighted([2, 4], [1, 1]));
    mannWhitneyU(canary, baseline);
    expect(Array.from(canary.points)).toEqual([1, 2, 3]);
    expect(Array.from(canary.counts)).toEqual([4, 5, 6]);
    expect(Array.from(baseline.points)).toEqual([2, 4]);
    expect(Array.from(baseline.counts)).toEqual([1, 1]);
  });

  it.each([
    ['an empty canary', fromValues([]), fromValues([1])],
    ['an empty baseline', fromValues([1]), fromValues([])],
    ['a baseline whose counts are all zero', fromValues([1]), weighted([1, 2], [0, 0])],
  ])('rejects %s with a sentence', (_label, canary, baseline) => {
    expect(() => mannWhitneyU(canary, baseline)).toThrow('Neither sample can be empty');
  });

  it('rejects points that are not strictly ascending', () => {
    expect(() => mannWhitneyU(weighted([2, 1], [1, 1]), fromValues([1]))).toThrow(
      'Sample points must be strictly ascending',
    );
    expect(() => mannWhitneyU(fromValues([1]), weighted([NaN], [1]))).toThrow('Sample points must be numbers, not NaN');
  });

  it('gives p in [0, 1], and swapping the samples gives U2 = n1 n2 - U1 and the same p', () => {
    const values = fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(values, values, (canaryValues, baselineValues) => {
        const forward = mannWhitneyU(fromValues(canaryValues), fromValues(baselineValues));
        const backward = mannWhitneyU(fromValues(baselineValues), fromValues(canaryValues));
        expect(forward.pValue).toBeGreaterThanOrEqual(0);
        expect(forward.pValue).toBeLessThanOrEqual(1);
        expect(backward.statistic).toBe(canaryValues.length * baselineValues.length - forward.statistic);
        expect(backward.pValue).toBe(forward.pValue);
        expect(backward.method).toBe(forward.method);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('counts U as canary wins plus half the ties', () => {
    // Pairs: 3>1, 3>2, 3=3 (half), 1<2, 1<3 and 1=1 (half) => 2 + 1 = 3 of 6.
    expect(mannWhitneyU(fromValues([1, 3]), fromValues([1, 2, 3])).statistic).toBe(3);
  });

  it('gives the same answer for histogram buckets as for the bucket bounds given as values', () => {
    const upperBounds = [0.01, 0.05, 0.1, 0.5, 1, Infinity];
    const canaryCounts = [3, 10, 40, 25, 7, 2];
    const baselineCounts = [9, 30, 80, 30, 5, 0];
    const asValues = (counts: number[]) => upperBounds.flatMap((bound, i) => Array<number>(counts[i]).fill(bound));
    const binned = mannWhitneyU(fromBuckets(upperBounds, canaryCounts), fromBuckets(upperBounds, baselineCounts));
    const raw = mannWhitneyU(fromValues(asValues(canaryCounts)), fromValues(asValues(baselineCounts)));
    expect(binned).toEqual(raw);
    expect(binned.method).toBe('asymptotic');
  });

  it('keeps p at 1 when every observation is tied', () => {
    expect(mannWhitneyU(fromValues([5, 5, 5]), fromValues([5, 5]))).toEqual({
      statistic: 3,
      pValue: 1,
      method: 'asymptotic',
    });
  });

  // Speed is measured in `npm run bench` (not timed here: a loaded machine made this flaky);
  // a quadratic merge (1e12 steps) would still run into the test's timeout.
  it('ranks a million distinct points per side', () => {
    const size = 1_000_000;
    const canary = integerRun(0, size);
    const baselinePoints = new Float64Array(size);
    for (let i = 0; i < size; i++) baselinePoints[i] = i + 0.5;
    const baseline = { points: baselinePoints, counts: new Float64Array(size).fill(1), n: size };
    const result = mannWhitneyU(canary, baseline);
    // Baseline value i + 0.5 is beaten by canary values i+1..size-1.
    expect(result.statistic).toBe((size * (size - 1)) / 2);
    expect(result.pValue).toBeGreaterThan(0.99);
  });
});
