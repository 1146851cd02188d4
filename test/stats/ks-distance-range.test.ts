import { ksDistance } from '../../src/stats/kolmogorov-smirnov';
import { ksDistanceUpperLimits } from '../../src/stats/ks-distance-range';
import { fromBuckets, fromValues } from '../../src/stats/weighted-sample';
import { seededRandom } from '../support/random';

/**
 * The reference is the definition: the largest KS distance over raw samples that fall into
 * the same buckets. ksDistance on raw values is itself checked against scipy's ks_2samp.
 */
const bounds = [0.1, 0.3, 0.4, 0.8, 1, Infinity];
const canaryCounts = [5, 30, 10, 40, 15, 0];
const baselineCounts = [10, 20, 25, 35, 10, 0];

/** Raw values that fill each bucket (lower, upper] at a position in (0, 1] of its width. */
function spread(counts: number[], position: (i: number, k: number) => number): number[] {
  return counts.flatMap((count, i) => {
    const lower = i === 0 ? 0 : bounds[i - 1];
    return Array.from({ length: count }, (_, k) => lower + (bounds[i] - lower) * position(i, k));
  });
}

describe('ksDistanceUpperLimits', () => {
  const canary = fromBuckets(bounds, canaryCounts, 0);
  const baseline = fromBuckets(bounds, baselineCounts, 0);
  const limits = ksDistanceUpperLimits(canary, baseline);

  it('is reached by the most extreme raw samples the buckets allow', () => {
    // Baseline at the bottom of every bucket, canary at the top: the largest F_b - F_c.
    const bottom = () => 1e-9;
    const top = () => 1;
    expect(ksDistance(fromValues(spread(canaryCounts, top)), fromValues(spread(baselineCounts, bottom))).dPlus).toBeCloseTo(limits.dPlus, 6);
    expect(ksDistance(fromValues(spread(canaryCounts, bottom)), fromValues(spread(baselineCounts, top))).dMinus).toBeCloseTo(limits.dMinus, 6);
    expect(limits.d).toBe(Math.max(limits.dPlus, limits.dMinus));
  });

  it('is never exceeded by raw samples spread anyhow inside the buckets', () => {
    const random = seededRandom(7);
    for (let run = 0; run < 200; run++) {
      const d = ksDistance(fromValues(spread(canaryCounts, () => 1 - random())), fromValues(spread(baselineCounts, () => 1 - random())));
      expect(d.dPlus).toBeLessThanOrEqual(limits.dPlus + 1e-12);
      expect(d.dMinus).toBeLessThanOrEqual(limits.dMinus + 1e-12);
    }
  });

  it('is at least the distance read at the bounds, and equals a whole bucket for one shared bucket', () => {
    const atBounds = ksDistance(canary, baseline);
    expect(limits.dPlus).toBeGreaterThanOrEqual(atBounds.dPlus);
    expect(limits.dMinus).toBeGreaterThanOrEqual(atBounds.dMinus);
    const one = fromBuckets([10, Infinity], [5, 0], 0);
    expect(ksDistanceUpperLimits(one, one)).toEqual({ d: 1, dPlus: 1, dMinus: 1 });
  });

  it('skips buckets empty on both sides and handles empty buckets on one side', () => {
    // (0.3, 0.4] is empty on both: the walk must still pair each bucket with its lower edge.
    const c = fromBuckets([0.3, 0.4, 1, Infinity], [50, 0, 50, 0], 0);
    const b = fromBuckets([0.3, 0.4, 1, Infinity], [20, 0, 80, 0], 0);
    const bottom = () => 1e-9;
    const top = () => 1;
    const raw = (counts: number[], position: () => number) =>
      counts.flatMap((count, i) => {
        const edges = [0, 0.3, 0.4, 1];
        return Array.from({ length: count }, () => edges[i] + (edges[i + 1] - edges[i]) * position());
      });
    expect(ksDistanceUpperLimits(c, b).dMinus).toBeCloseTo(ksDistance(fromValues(raw([50, 0, 50], bottom)), fromValues(raw([20, 0, 80], top))).dMinus, 6);
  });

  it('refuses raw samples and empty ones', () => {
    expect(() => ksDistanceUpperLimits(fromValues([1, 2]), baseline)).toThrow('Both samples must be histograms');
    expect(() => ksDistanceUpperLimits(fromBuckets([1, Infinity], [0, 0], 0), baseline)).toThrow('Neither sample can be empty');
  });
});

describe('ksDistanceUpperLimits at the +Inf bucket', () => {
  it('steps only the side that has observations there', () => {
    const c = fromBuckets([1, Infinity], [4, 1], 0);
    const b = fromBuckets([1, Infinity], [5, 0], 0);
    // The baseline has run out before the +Inf bound; it must not step there (it gave NaN).
    // Inside (0, 1] F_b may reach 1 while F_c is 0, and F_c 0.8 while F_b is 0.
    expect(ksDistanceUpperLimits(c, b)).toEqual({ d: 1, dPlus: 1, dMinus: 0.8 });
  });
});
