import fc from 'fast-check';
import fixtures from '../fixtures/kolmogorov-smirnov.json';
import { kolmogorovSmirnov, kolmogorovSmirnovPValue, ksDistance } from '../../src/stats/kolmogorov-smirnov';
import { fromBuckets, fromValues, type WeightedSample } from '../../src/stats/weighted-sample';

const weighted = (points: ArrayLike<number>, counts: ArrayLike<number>): WeightedSample => ({
  points: Float64Array.from(points),
  counts: Float64Array.from(counts),
  n: Array.from(counts).reduce((a, b) => a + b, 0),
});

// The contract with scipy: D exactly (up to float noise), p within 1e-3 absolute.
const STATISTIC_TOLERANCE = 1e-12;
const P_VALUE_TOLERANCE = 1e-3;

describe('kolmogorovSmirnov (scipy.stats.ks_2samp reference)', () => {
  it.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = kolmogorovSmirnov(
      weighted(c.canary.values, c.canary.counts),
      weighted(c.baseline.values, c.baseline.counts),
    );
    expect(Math.abs(result.statistic - c.statistic)).toBeLessThanOrEqual(STATISTIC_TOLERANCE);
    expect(Math.abs(result.pValue - c.pValue)).toBeLessThanOrEqual(P_VALUE_TOLERANCE);
  });

  it.each(fixtures.pValueGrid.map((g) => [g.n1, g.n2, g.d, g] as const))(
    'p-value for sizes %i and %i at D = %f',
    (n1, n2, d, g) => {
      const { pValue, method } = kolmogorovSmirnovPValue(d, n1, n2);
      expect(Math.abs(pValue - g.pValue)).toBeLessThanOrEqual(P_VALUE_TOLERANCE);
      // Exact where scipy is exact, the kstwo family where scipy is asymptotic.
      if (g.scipyMethod === 'exact') expect(method).toMatch(/^(exact-|tail\/kstwo-|no-difference)/);
      else expect(method).toMatch(/^kstwo-/);
    },
  );
});

describe('kolmogorovSmirnov behaviour', () => {
  it('reports the one-sided distances: dPlus when the canary is larger, dMinus when smaller', () => {
    const slower = fromValues([3, 4, 5, 6]);
    const baseline = fromValues([1, 2, 3, 4]);
    expect(ksDistance(slower, baseline)).toEqual({ d: 0.5, dPlus: 0.5, dMinus: 0 });
    expect(ksDistance(baseline, slower)).toEqual({ d: 0.5, dPlus: 0, dMinus: 0.5 });
  });

  it('gives p in [0, 1], and swapping the samples swaps dPlus and dMinus but keeps D and p', () => {
    const values = fc.array(fc.integer({ min: -15, max: 15 }), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(values, values, (canaryValues, baselineValues) => {
        const canary = fromValues(canaryValues);
        const baseline = fromValues(baselineValues);
        const forward = kolmogorovSmirnov(canary, baseline);
        const backward = kolmogorovSmirnov(baseline, canary);
        expect(forward.pValue).toBeGreaterThanOrEqual(0);
        expect(forward.pValue).toBeLessThanOrEqual(1);
        expect(backward).toEqual(forward);
        const distance = ksDistance(canary, baseline);
        const swapped = ksDistance(baseline, canary);
        expect(swapped.dPlus).toBe(distance.dMinus);
        expect(swapped.dMinus).toBe(distance.dPlus);
        expect(distance.d).toBe(forward.statistic);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('gives the same answer for histogram buckets as for the bucket bounds given as values', () => {
    const upperBounds = [0.01, 0.05, 0.1, 0.5, 1, Infinity];
    const canaryCounts = [3, 10, 40, 25, 7, 2];
    const baselineCounts = [9, 30, 80, 30, 5, 0];
    const asValues = (counts: number[]) => upperBounds.flatMap((bound, i) => Array<number>(counts[i]).fill(bound));
    const binned = kolmogorovSmirnov(fromBuckets(upperBounds, canaryCounts), fromBuckets(upperBounds, baselineCounts));
    const raw = kolmogorovSmirnov(fromValues(asValues(canaryCounts)), fromValues(asValues(baselineCounts)));
    expect(binned).toEqual(raw);
    // The ECDFs are compared at the bucket bounds only: the largest gap is after the 0.1 bucket.
    expect(binned.statistic).toBeCloseTo(119 / 154 - 53 / 87, 15);
  });

  it('leaves frozen inputs untouched', () => {
    const canary = Object.freeze(weighted([1, 2, 3], [4, 5, 6]));
    const baseline = Object.freeze(weighted([2, 4], [1, 1]));
    kolmogorovSmirnov(canary, baseline);
    ksDistance(canary, baseline);
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
    expect(() => kolmogorovSmirnov(canary, baseline)).toThrow('Neither sample can be empty');
    expect(() => ksDistance(canary, baseline)).toThrow('Neither sample can be empty');
  });

  it('rejects points that are not strictly ascending', () => {
    expect(() => ksDistance(weighted([2, 1], [1, 1]), fromValues([1]))).toThrow(
      'Sample points must be strictly ascending',
    );
  });

  it('says which method priced the distance', () => {
    const separated = kolmogorovSmirnov(fromValues([1, 2, 3]), fromValues([4, 5, 6, 7]));
    expect(separated.statistic).toBe(1);
    expect(separated.pValue).toBeCloseTo(2 / 35, 15);
    expect(separated.method).toBe('exact-lattice-paths');
    expect(kolmogorovSmirnovPValue(0.1, 500, 500).method).toBe('exact-equal-sizes');
    expect(kolmogorovSmirnovPValue(0, 500, 700)).toEqual({ pValue: 1, method: 'no-difference' });
    expect(kolmogorovSmirnovPValue(0.05, 9999, 10000).method).toBe('tail/kstwo-smirnov');
    expect(kolmogorovSmirnovPValue(0.005, 50000, 60000).method).toBe('kstwo-pelz-good');
    expect(kolmogorovSmirnovPValue(0.1, 100, 60000).method).toBe('kstwo-durbin-matrix');
    // Fractional counts (e.g. rates from a Prometheus increase()) cannot use the lattice.
    expect(kolmogorovSmirnovPValue(0.2, 40.5, 60.25).method).toMatch(/^kstwo-/);
  });

  // Speed is measured in benchmarks, not timed here; a walk that blew up would run into the
  // test's timeout.
  it('answers at the most expensive exact sizes', () => {
    // D sqrt(en) just under the 2.2 tail cut-off: the longest lattice walk the code will run.
    const { pValue, method } = kolmogorovSmirnovPValue(0.0311, 9999, 10000);
    expect(method).toBe('exact-lattice-paths');
    expect(pValue).toBeGreaterThan(1e-4);
  });

  // Not timed (speed lives in benchmarks); a quadratic merge (1e12 steps) would run into the
  // test's timeout.
  it('merges a million distinct points per side', () => {
    const size = 1_000_000;
    const canaryPoints = new Float64Array(size);
    const baselinePoints = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      canaryPoints[i] = 2 * i + 1;
      baselinePoints[i] = 2 * i;
    }
    const ones = new Float64Array(size).fill(1);
    const result = kolmogorovSmirnov({ points: canaryPoints, counts: ones, n: size }, {
      points: baselinePoints,
      counts: ones,
      n: size,
    });
    expect(result.statistic).toBeCloseTo(1 / size, 15);
    expect(result.pValue).toBe(1);
  });
});
