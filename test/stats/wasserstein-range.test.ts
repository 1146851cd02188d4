import { wassersteinDistance } from '../../src/stats/wasserstein';
import { wassersteinRange } from '../../src/stats/wasserstein-range';
import { fromBuckets, fromValues } from '../../src/stats/weighted-sample';
import { seededRandom } from '../support/random';

/**
 * The reference is the definition: W1 over raw samples that fall into the same buckets, by
 * wassersteinDistance on raw values (itself checked against scipy's wasserstein_distance).
 */
const bounds = [0.1, 0.3, 0.4, 0.8, 1, Infinity];
const edges = [0, ...bounds.slice(0, -1)];
const canaryCounts = [5, 30, 0, 40, 25, 0];
const baselineCounts = [10, 20, 0, 35, 35, 0];

function spread(counts: number[], position: (i: number) => number): number[] {
  return counts.flatMap((count, i) => Array.from({ length: count }, () => edges[i] + (bounds[i] - edges[i]) * position(i)));
}

describe('wassersteinRange', () => {
  const canary = fromBuckets(bounds, canaryCounts, 0);
  const baseline = fromBuckets(bounds, baselineCounts, 0);
  const range = wassersteinRange(canary, baseline);

  it('holds the distance of raw samples spread anyhow inside the buckets', () => {
    const random = seededRandom(3);
    for (let run = 0; run < 300; run++) {
      const d = wassersteinDistance(fromValues(spread(canaryCounts, () => 1 - random())), fromValues(spread(baselineCounts, () => 1 - random())));
      expect(d).toBeGreaterThanOrEqual(range.lower - 1e-12);
      expect(d).toBeLessThanOrEqual(range.upper + 1e-12);
    }
  });

  it('is reached at the top by the most extreme arrangement the buckets allow', () => {
    // Per bucket, whichever side gains more from being early goes to the bottom.
    const early = 1e-9;
    const late = 1;
    let canaryCdf = 0;
    let baselineCdf = 0;
    const canaryAt: number[] = [];
    const baselineAt: number[] = [];
    bounds.forEach((_, i) => {
      const c = canaryCdf + canaryCounts[i] / 100;
      const b = baselineCdf + baselineCounts[i] / 100;
      const canaryFirst = c - baselineCdf >= b - canaryCdf;
      canaryAt.push(canaryFirst ? early : late);
      baselineAt.push(canaryFirst ? late : early);
      canaryCdf = c;
      baselineCdf = b;
    });
    const extreme = wassersteinDistance(fromValues(spread(canaryCounts, (i) => canaryAt[i])), fromValues(spread(baselineCounts, (i) => baselineAt[i])));
    expect(extreme).toBeCloseTo(range.upper, 6);
    expect(range.lower).toBeLessThan(range.upper);
  });

  it('is 0 to the width for one shared bucket, and known exactly across empty buckets', () => {
    const one = fromBuckets([10, Infinity], [5, 0], 0);
    expect(wassersteinRange(one, one)).toEqual({ lower: 0, upper: 10 });
    // Canary all in (0, 1], baseline all in (9, 10]: at least 8, at most 10.
    const c = fromBuckets([1, 9, 10, Infinity], [4, 0, 0, 0], 0);
    const b = fromBuckets([1, 9, 10, Infinity], [0, 0, 4, 0], 0);
    expect(wassersteinRange(c, b)).toEqual({ lower: 8, upper: 10 });
  });

  it('has no upper end when observations sit in the +Inf bucket', () => {
    const c = fromBuckets([1, Infinity], [4, 1], 0);
    const b = fromBuckets([1, Infinity], [5, 0], 0);
    expect(wassersteinRange(c, b).upper).toBe(Infinity);
  });

  it('refuses raw samples and empty ones', () => {
    expect(() => wassersteinRange(fromValues([1]), baseline)).toThrow('Both samples must be histograms');
    expect(() => wassersteinRange(fromBuckets([1, Infinity], [0, 0], 0), baseline)).toThrow('Neither sample can be empty');
  });
});
