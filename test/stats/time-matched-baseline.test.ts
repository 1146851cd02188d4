import fixtures from '../fixtures/time-matched-baseline.json';
import { normalSampler, seededRandom } from '../support/random';
import { timeMatched } from '../../src/stats/time-matched-baseline';
import { ksDistance } from '../../src/stats/kolmogorov-smirnov';
import { wassersteinDistance } from '../../src/stats/wasserstein';
import { fromBuckets, fromValues, type WeightedSample } from '../../src/stats/weighted-sample';

const cdfAt = (s: WeightedSample, x: number) => {
  let below = 0;
  for (let i = 0; i < s.points.length && s.points[i] <= x; i++) below += s.counts[i];
  return below / s.n;
};

describe('timeMatched (numpy reference: the reweighted empirical CDF; scipy wasserstein_distance with weights)', () => {
  it.each(fixtures.map((c) => [c.case, c]))('%s', (_name, c) => {
    const m = timeMatched(c.intervals.map((i) => ({ canary: fromValues(i.canary), baseline: fromValues(i.baseline) })));
    expect(m.canary.n).toBe(c.n);
    expect(m.baseline.n).toBeCloseTo(c.n, 10);
    c.points.forEach((x, k) => {
      expect(cdfAt(m.baseline, x)).toBeCloseTo(c.baselineCdf[k], 12);
      expect(cdfAt(m.canary, x)).toBeCloseTo(c.canaryCdf[k], 12);
    });
    expect(wassersteinDistance(m.canary, m.baseline)).toBeCloseTo(c.wasserstein, 10);
  });

  it('keeps the buckets of histograms (their lower edges) and drops intervals with one side empty', () => {
    const h = (counts: number[]) => fromBuckets([1, 2, 4, Infinity], counts, 0);
    const m = timeMatched([
      { canary: h([1, 0, 0, 0]), baseline: h([2, 2, 0, 0]) },
      { canary: h([0, 0, 0, 0]), baseline: h([9, 9, 9, 9]) },
      { canary: h([0, 0, 3, 0]), baseline: h([0, 1, 1, 1]) },
    ]);
    expect(Array.from(m.baseline.points)).toEqual([1, 2, 4, Infinity]);
    expect(Array.from(m.baseline.counts)).toEqual([0.5, 1.5, 1, 1]);
    expect(Array.from(m.baseline.lowerEdges!)).toEqual([0, 1, 2, 4]);
    expect(Array.from(m.canary.points)).toEqual([1, 4]);
    expect(m.canary.n).toBe(4);
  });
});

describe('by simulation: an A/A whose scores drift 1 sd while the split steps 1 % -> 10 % -> 50 %', () => {
  it('the KS statistic against the time-matched baseline stays small; against the pooled baseline it does not', () => {
    const normal = normalSampler(seededRandom(7));
    const matched: number[] = [];
    const pooled: number[] = [];
    for (let run = 0; run < 20; run++) {
      const intervals = Array.from({ length: 21 }, (_, i) => {
        const nc = Math.round(2000 * (i < 7 ? 0.01 : i < 14 ? 0.1 : 0.5));
        const draw = (n: number) => Array.from({ length: n }, () => 0.7 + 0.12 * (i / 20) + 0.12 * normal());
        return { canary: draw(nc), baseline: draw(2000 - nc) };
      });
      const m = timeMatched(intervals.map((i) => ({ canary: fromValues(i.canary), baseline: fromValues(i.baseline) })));
      matched.push(ksDistance(m.canary, m.baseline).d);
      pooled.push(ksDistance(fromValues(intervals.flatMap((i) => i.canary)), fromValues(intervals.flatMap((i) => i.baseline))).d);
    }
    expect(Math.max(...matched)).toBeLessThan(0.05);
    expect(Math.min(...pooled)).toBeGreaterThan(0.1);
  });
});
