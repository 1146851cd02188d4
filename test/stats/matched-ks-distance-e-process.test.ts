import fixtures from '../fixtures/matched-ks-distance.json';
import { normalSampler, seededRandom } from '../support/random';
import { fromBuckets, fromValues, type WeightedSample } from '../../src/stats/weighted-sample';
import { ksDistance } from '../../src/stats/kolmogorov-smirnov';
import {
  cellIntervals,
  failIntervals,
  GRID_LEVELS,
  ksDistanceBounds,
  ksPassClaims,
  logKsFailEProcess,
  matchedKs,
  matchedKsEstimate,
  type KsInterval,
  type KsSide,
} from '../../src/stats/matched-ks-distance-e-process';

type Side = { values: number[] } | { buckets: { le: number | string; count: number }[] };
const sample = (side: Side): WeightedSample => {
  if ('values' in side) return fromValues(side.values);
  const les = side.buckets.map((b) => (b.le === '+Inf' ? Infinity : Number(b.le)));
  const counts = side.buckets.map((b, i) => b.count - (i ? side.buckets[i - 1].count : 0));
  return fromBuckets(les, counts, 0);
};
const intervalsOf = (c: (typeof fixtures)[number]): KsInterval[] => c.intervals.map((i) => ({ canary: sample(i.canary as Side), baseline: sample(i.baseline as Side) }));
const asRows = (intervals: ReturnType<typeof failIntervals>) => intervals.map((i) => [i.canaryEvents, i.canaryTotal, i.baselineEvents, i.baselineTotal]);

describe('matchedKs (numpy reference: inverted-CDF quantiles of the earlier baselines, searchsorted counts)', () => {
  it.each(fixtures.map((c) => [c.case, c]))('%s', (_name, c) => {
    const m = matchedKs(intervalsOf(c));
    expect(Array.from(m.gridded)).toEqual(c.grids.map((g) => (g === null ? 0 : 1)));
    c.grids.forEach((grid, i) => {
      if (grid === null) return;
      for (let j = 0; j < GRID_LEVELS; j++) {
        expect(m.canaryAt[i * GRID_LEVELS + j]).toBe(c.canaryAt[i]![j]);
        expect(m.baselineAt[i * GRID_LEVELS + j]).toBe(c.baselineAt[i]![j]);
      }
    });
    for (const side of ['higher', 'lower'] as const) {
      // The fail test's threshold per interval (a predictable plug-in) and every cell's envelope counts.
      expect(asRows(failIntervals(m, side))).toEqual(c[`fail_${side}`]);
      for (let cell = 0; cell <= GRID_LEVELS; cell++) expect(asRows(cellIntervals(m, side, cell, m.looks))).toEqual(c[`cells_${side}`][cell]);
      expect(matchedKsEstimate(m, side)).toBeCloseTo(c[`estimate_${side}`], 12);
    }
  });
});

describe('edge cases', () => {
  it('bets nothing before a grid exists, and bounds nothing', () => {
    const tiny: KsInterval[] = [{ canary: fromValues([1, 2]), baseline: fromValues([1, 2, 3]) }, { canary: fromValues([5]), baseline: fromValues([4]) }];
    const m = matchedKs(tiny);
    expect(Array.from(m.gridded)).toEqual([0, 0]);
    expect(Array.from(logKsFailEProcess(m, 0.1, 'higher'))).toEqual([0, 0]);
    expect(ksPassClaims(m, 0.1, 'lower', 0.05)).toEqual([false, false]);
    expect(ksDistanceBounds(m, 'higher', 0.05, 0.05)).toEqual({ lower: 0, upper: 1 });
    expect(matchedKsEstimate(m, 'higher')).toBe(0);
  });

  it('leaves an interval without a grid when a level of the earlier baseline lies in the +Inf bucket', () => {
    const h = (counts: number[]) => fromBuckets([1, 2, Infinity], counts, 0);
    const m = matchedKs([{ canary: h([10, 10, 80]), baseline: h([10, 10, 80]) }, { canary: h([10, 10, 80]), baseline: h([10, 10, 80]) }]);
    expect(Array.from(m.gridded)).toEqual([0, 0]);
  });
});

/**
 * Per-interval raw scores of a rollout (21 intervals, 1 % -> 10 % -> 50 %): both sides' mean
 * drifting `drift` sd over the rollout, the canary shifted `shift` sd (a normal shift of s sd has
 * KS distance 2 Phi(s/2) - 1).
 */
function rollout(seed: number, shift: number, drift: number, perInterval: number): KsInterval[] {
  const normal = normalSampler(seededRandom(seed));
  const draw = (n: number, mean: number) => fromValues(Array.from({ length: n }, () => mean + 0.12 * normal()));
  return Array.from({ length: 21 }, (_, i) => {
    const share = i < 7 ? 0.01 : i < 14 ? 0.1 : 0.5;
    const nc = Math.round(perInterval * share);
    const mean = 0.7 + 0.12 * drift * (i / 20);
    return { canary: draw(nc, mean + 0.12 * shift), baseline: draw(perInterval - nc, mean) };
  });
}

// The shift whose KS distance is exactly 0.1: 2 Phi(s/2) - 1 = 0.1, s = 2 Phi^-1(0.55).
const AT_MARGIN = 2 * 0.12566134685507402;
const ALPHA = 0.05;
const RUNS = 200;
const SLACK = 2 * Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS);
const ever = (xs: readonly boolean[]) => xs.some(Boolean);

describe('validity by simulation: scores drifting 1 sd on both sides while the split steps, 1,000 per interval', () => {
  it('A/A: the fail claims (either side) are made in at most alpha of rollouts; on the pooled sides the distance looks beyond the margin', () => {
    let failed = 0;
    let pooledBeyond = 0;
    for (let run = 0; run < RUNS; run++) {
      const intervals = rollout(100 + run, 0, 1, 1000);
      const m = matchedKs(intervals);
      const threshold = Math.log(1 / (ALPHA / 2));
      if ((['higher', 'lower'] as KsSide[]).some((side) => logKsFailEProcess(m, 0.1, side).some((x) => x >= threshold))) failed++;
      if (run >= 40) continue;
      const pool = (key: 'canary' | 'baseline') => fromValues(intervals.flatMap((i) => Array.from(i[key].observations!)));
      if (ksDistance(pool('canary'), pool('baseline')).d > 0.1) pooledBeyond++;
    }
    expect(failed / RUNS).toBeLessThanOrEqual(ALPHA + SLACK);
    expect(pooledBeyond / 40).toBeGreaterThan(0.9);
  });

  it.each([
    ['higher', AT_MARGIN],
    ['lower', -AT_MARGIN],
  ] as const)('a canary exactly at the margin (%s): neither the fail nor the pass claim beyond alpha, and the bounds cover 0.1', (side, shift) => {
    let failed = 0;
    let passed = 0;
    let missed = 0;
    const runs = 120;
    for (let run = 0; run < runs; run++) {
      const m = matchedKs(rollout(1000 + run, shift, 1, 1000));
      if (logKsFailEProcess(m, 0.1, side).some((x) => x >= Math.log(1 / ALPHA))) failed++;
      if (ever(ksPassClaims(m, 0.1, side, ALPHA))) passed++;
      const b = ksDistanceBounds(m, side, ALPHA, ALPHA);
      if (b.lower > 0.1 || b.upper < 0.1) missed++;
    }
    const slack = 2 * Math.sqrt((ALPHA * (1 - ALPHA)) / runs);
    expect(failed / runs).toBeLessThanOrEqual(ALPHA + slack);
    expect(passed / runs).toBeLessThanOrEqual(ALPHA + slack);
    expect(missed / runs).toBeLessThanOrEqual(2 * ALPHA + slack);
  });

  it('has power: A/A passes and a canary 0.6 sd higher (KS 0.24) fails in most rollouts', () => {
    let passed = 0;
    let failed = 0;
    const runs = 20;
    for (let run = 0; run < runs; run++) {
      if (ever(ksPassClaims(matchedKs(rollout(3000 + run, 0, 1, 2000)), 0.1, 'higher', ALPHA))) passed++;
      if (logKsFailEProcess(matchedKs(rollout(4000 + run, 0.6, 1, 2000)), 0.1, 'higher').some((x) => x >= Math.log(1 / ALPHA))) failed++;
    }
    expect(passed / runs).toBeGreaterThan(0.8);
    expect(failed / runs).toBeGreaterThan(0.9);
  });
});
