import fixtures from '../fixtures/matched-quantile-shift.json';
import { seededRandom } from '../support/random';
import { normalQuantileOf } from '../../src/stats/normal';
import {
  logShiftEProcess,
  matchedQuantile,
  matchedShiftEstimate,
  predictableThresholds,
  shiftConfidenceSequence,
  shiftRateIntervals,
  type MatchedQuantile,
  type ShiftInterval,
  type ShiftScale,
} from '../../src/stats/matched-quantile-shift-e-process';
import { fromBuckets, fromValues, type WeightedSample } from '../../src/stats/weighted-sample';

type Case = (typeof fixtures.cases)[number];

function intervalsOf(c: Case): ShiftInterval[] {
  const bounds = (c.bounds ?? []).map((b) => (b === null ? Infinity : b));
  const side = (data: number[]): WeightedSample => (c.kind === 'values' ? fromValues(data) : fromBuckets(bounds, data, 0));
  return c.baseline.map((b, i) => ({ baseline: side(b), canary: side(c.canary[i]) }));
}

describe('the matched quantile-shift e-process (numpy/scipy reference)', () => {
  describe.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // Histograms read by the two-sample comparison of tails, as raw values are (the bracket test: test/stats/quantile-bracket-e-process.test.ts).
    const m = matchedQuantile(intervalsOf(c), c.level, c.scale as ShiftScale, 'tails');

    it('sets each threshold from the baseline of the intervals before it alone', () => {
      expect(Array.from(m.thresholds, (q) => (Number.isNaN(q) ? null : q))).toEqual(c.thresholds.map((q) => (q === null ? null : expect.closeTo(q, 9))));
      expect(Array.from(m.lowerThresholds, (q) => (Number.isNaN(q) ? null : q))).toEqual(c.lowerThresholds.map((q) => (q === null ? null : expect.closeTo(q, 9))));
    });

    it.each(c.evalues.map((e) => [e.shift, e.alternative, e] as const))('shift %d %s: the tail counts and ln E at every look', (_r, _a, e) => {
      const counts = shiftRateIntervals(m, e.shift, e.alternative as 'greater').map((i) => [i.canaryEvents, i.canaryTotal, i.baselineEvents, i.baselineTotal]);
      expect(counts).toEqual(e.counts);
      const process = Array.from(logShiftEProcess(m, e.shift, e.alternative as 'greater'));
      process.forEach((x, k) => expect(x).toBeCloseTo(e.logE[k], 7));
    });

    it.each(c.confidence.map((b) => [b.looks, b] as const))('the confidence sequence after %d looks', (_k, b) => {
      const bounds = shiftConfidenceSequence(m, b.alphaLower, b.alphaUpper, b.looks);
      // The search stops within 2.5e-5 of its range (ln(1 + r) for a relative shift, r for an absolute one).
      const close = (x: number, y: number | null) => (c.scale === 'relative' ? expect(Math.log1p(x)).toBeCloseTo(Math.log1p(y!), 3) : expect(Math.abs(x - y!)).toBeLessThan(m.span * 3e-5));
      close(bounds.lower, b.lower);
      close(bounds.upper, b.upper);
    });

    it('estimates the shift where the tails balance', () => {
      const e = matchedShiftEstimate(m);
      if (c.scale === 'relative') expect(Math.log1p(e)).toBeCloseTo(Math.log1p(c.estimate), 3);
      else expect(Math.abs(e - c.estimate)).toBeLessThan(m.span * 3e-5);
    });
  });
});

describe('histogram counts read by the comparison of tails: each claim reads the count that makes it hardest', () => {
  // Buckets (0, 10], (10, 20], (20, 40], (40, +Inf] with 5, 3, 2, 1 observations per side.
  const bounds = [10, 20, 40, Infinity];
  const side = () => fromBuckets(bounds, [5, 3, 2, 1], 0);
  const m = matchedQuantile([{ baseline: side(), canary: side() }, { baseline: side(), canary: side() }], 0.5, 'absolute', 'tails');

  it('brackets the baseline quantile by the edges of the bucket holding it', () => {
    expect(m.thresholds[0]).toBeNaN();
    // 11 observations, rank 5.5: the second bucket (cumulative 8), (10, 20].
    expect(m.thresholds[1]).toBe(20);
    expect(m.lowerThresholds[1]).toBe(10);
  });

  it('pairs the canary beyond one edge moved by the shift with the baseline beyond the other, each read the way that makes its claim hardest', () => {
    // "More than 5": the canary's fewest beyond 20 + 5 = 25 (only (40, +Inf]: 1) against the baseline's beyond 10 (6, exact at a bound).
    expect(shiftRateIntervals(m, 5, 'greater')[1]).toEqual({ canaryEvents: 1, canaryTotal: 11, baselineEvents: 6, baselineTotal: 11, weight: 1 });
    // "Less than 5": the canary's most beyond 10 + 5 = 15 ((10, 20] reaches beyond it: 6) against the baseline's beyond 20 (3).
    expect(shiftRateIntervals(m, 5, 'less')[1]).toEqual({ canaryEvents: 6, canaryTotal: 11, baselineEvents: 3, baselineTotal: 11, weight: 1 });
    // An interval without a threshold carries no events.
    expect(shiftRateIntervals(m, 5, 'greater')[0]).toEqual({ canaryEvents: 0, canaryTotal: 11, baselineEvents: 0, baselineTotal: 11, weight: 1 });
  });

  it('cannot claim about a quantile its buckets cannot place: Envoy-like buckets never pass a +10 % margin however much data', () => {
    // p95 inside (100, 250] on both sides, a canary identical to the baseline, 100,000 observations an interval.
    const envoy = [50, 100, 250, 500, Infinity];
    const side = () => fromBuckets(envoy, [40_000, 50_000, 7_000, 2_000, 1_000], 0);
    const coarse = matchedQuantile(Array.from({ length: 10 }, () => ({ baseline: side(), canary: side() })), 0.95, 'relative', 'tails');
    // The pass claim compares the canary beyond 100 x 1.1 (most: beyond 100, 10 %) with the baseline beyond 250 (3 %).
    expect(Math.max(...logShiftEProcess(coarse, 0.1, 'less'))).toBeLessThan(0);
    // Nor can it fail: the canary beyond 250 x 1.1 (fewest: beyond 500, 1 %) against the baseline beyond 100 (10 %).
    expect(Math.max(...logShiftEProcess(coarse, 0.1, 'greater'))).toBeLessThan(0);
  });
});

describe('predictableThresholds', () => {
  it('pools the latest earlier intervals until they expect 20 tail observations, and skips empty ones', () => {
    const sample = (n: number, offset: number) => fromValues(Array.from({ length: n }, (_, i) => offset + i));
    const q = predictableThresholds([sample(300, 0), fromValues([]), sample(100, 1000), sample(500, 2000), sample(10, 0)], 0.95);
    expect(q[0]).toBeNaN();
    // Interval 1 sees interval 0 only (300 < 400 needed, but that is all there is).
    expect(q[1]).toBeCloseTo(0.95 * 299, 9);
    expect(q[2]).toBeCloseTo(0.95 * 299, 9);
    // Interval 3: 100 (interval 2) + 300 (interval 0, the empty one skipped) = 400 pooled.
    const pooled = [...Array.from({ length: 300 }, (_, i) => i), ...Array.from({ length: 100 }, (_, i) => 1000 + i)];
    expect(q[3]).toBeCloseTo(pooled[379] + 0.05 * (pooled[380] - pooled[379]), 9);
    expect(q[4]).toBeCloseTo(2000 + 0.95 * 499, 9);
  });
});

/**
 * A rollout of `intervals` minutes at `perMinute` requests, the canary's share stepping
 * 1 % -> 10 % -> 50 % in thirds, both sides' median latency following load up to `load` times
 * its start (lognormal, sigma 0.5); the canary's latency is the baseline's mapped by `canaryOf`.
 */
function driftingRollout(seed: number, canaryOf: (x: number) => number, options: { perMinute?: number; intervals?: number; load?: number; bounds?: readonly number[] } = {}): ShiftInterval[] {
  const { perMinute = 1000, intervals = 21, load = 1.5, bounds } = options;
  const uniform = seededRandom(seed);
  // A standard normal by table lookup: one uniform a draw (Box-Muller's logs and cosines made the runs 8x slower).
  const normal = () => STANDARD_NORMAL[Math.floor(uniform() * STANDARD_NORMAL.length)];
  const side = (values: Float64Array) => (bounds ? binned(values, bounds) : fromValues(values));
  return Array.from({ length: intervals }, (_, i) => {
    const share = [0.01, 0.1, 0.5][Math.min(2, Math.floor((3 * i) / intervals))];
    const median = 40 * (1 + ((load - 1) * i) / (intervals - 1));
    const nc = Math.round(perMinute * share);
    const draw = (n: number, map: (x: number) => number) => {
      const out = new Float64Array(n);
      for (let j = 0; j < n; j++) out[j] = map(median * Math.exp(0.5 * normal()));
      return out;
    };
    return { baseline: side(draw(perMinute - nc, (x) => x)), canary: side(draw(nc, canaryOf)) };
  });
}

/** 2^14 standard normal quantiles at the midpoints of equal-probability cells (ties are harmless: the test holds for any distribution). */
const STANDARD_NORMAL = Float64Array.from({ length: 1 << 14 }, (_, k) => normalQuantileOf((k + 0.5) / (1 << 14)));

function binned(values: Float64Array, bounds: readonly number[]): WeightedSample {
  const counts = new Float64Array(bounds.length);
  for (const v of values) {
    let lo = 0;
    let hi = bounds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v <= bounds[mid]) hi = mid;
      else lo = mid + 1;
    }
    counts[lo]++;
  }
  return fromBuckets(bounds, counts, 0);
}

/** Whether the one-sided e-process at r ever reaches 1/alpha over the rollout. */
const everRejects = (m: MatchedQuantile, r: number, alternative: 'greater' | 'less', alpha: number) => logShiftEProcess(m, r, alternative).some((x) => x >= Math.log(1 / alpha));

const RUNS = 300;
const ALPHA = 0.05;
/** 300 runs at a true rate of 5 %: 3 standard errors above it. */
const AT_MOST = ALPHA + 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS);

describe('coverage by simulation: the split steps while load moves latency, the canary exactly at the margin', () => {
  it.each([
    ['p95, relative, raw values, canary 10 % slower', 0.95, 'relative' as const, 0.1, (x: number) => 1.1 * x, undefined],
    ['p95, relative, fine histogram (4.5 % buckets), canary 10 % slower', 0.95, 'relative' as const, 0.1, (x: number) => 1.1 * x, Array.from({ length: 80 }, (_, k) => 10 * 1.045 ** k).concat(Infinity)],
    ['p50, absolute, raw values, canary 5 ms slower', 0.5, 'absolute' as const, 5, (x: number) => x + 5, undefined],
    ['p25 (the lower tail), relative, raw values, canary 10 % faster', 0.25, 'relative' as const, -0.1, (x: number) => 0.9 * x, undefined],
  ])('%s: each one-sided claim at the true shift errs at most alpha over all 21 looks', (_name, level, scale, trueShift, canaryOf, bounds) => {
    let greater = 0;
    let less = 0;
    for (let run = 0; run < RUNS; run++) {
      const m = matchedQuantile(driftingRollout(1000 + run, canaryOf, { bounds }), level, scale);
      if (everRejects(m, trueShift, 'greater', ALPHA)) greater++;
      if (everRejects(m, trueShift, 'less', ALPHA)) less++;
    }
    expect(greater / RUNS).toBeLessThanOrEqual(AT_MOST);
    expect(less / RUNS).toBeLessThanOrEqual(AT_MOST);
  });

  it('the same data pooled per side (cumulative, not matched in time) reject the true shift of an A/A under load', () => {
    // Each side's data summed over all intervals into one: the canary's, served late, is slower.
    let matched = 0;
    let pooled = 0;
    for (let run = 0; run < 100; run++) {
      const intervals = driftingRollout(5000 + run, (x) => x);
      if (everRejects(matchedQuantile(intervals, 0.95, 'relative'), 0, 'greater', ALPHA)) matched++;
      const all = (side: 'baseline' | 'canary') => fromValues(intervals.flatMap((i) => Array.from(i[side].observations!)));
      // The pooled p95s as a threshold for a single look (the earlier minutes' baseline sets it, as it would).
      const cumulative = matchedQuantile([intervals[0], { baseline: all('baseline'), canary: all('canary') }], 0.95, 'relative');
      if (everRejects(cumulative, 0, 'greater', ALPHA)) pooled++;
    }
    expect(matched / 100).toBeLessThanOrEqual(0.1);
    expect(pooled / 100).toBeGreaterThan(0.9);
  });

  it('detects a canary 30 % slower under the same load and split, and passes an A/A against a 10 % margin', () => {
    let detected = 0;
    let passed = 0;
    for (let run = 0; run < 100; run++) {
      if (everRejects(matchedQuantile(driftingRollout(7000 + run, (x) => 1.3 * x), 0.95, 'relative'), 0.1, 'greater', 0.0125)) detected++;
      if (everRejects(matchedQuantile(driftingRollout(8000 + run, (x) => x), 0.95, 'relative'), 0.1, 'less', ALPHA)) passed++;
    }
    expect(detected / 100).toBeGreaterThan(0.95);
    expect(passed / 100).toBeGreaterThan(0.9);
  });

  it('covers the true shift with its confidence sequence at every look (running intersection)', () => {
    let missed = 0;
    for (let run = 0; run < 100; run++) {
      const m = matchedQuantile(driftingRollout(9000 + run, (x) => 1.1 * x, { intervals: 12 }), 0.95, 'relative');
      let hint;
      for (let look = 2; look <= 12; look++) {
        const b = shiftConfidenceSequence(m, ALPHA / 2, ALPHA / 2, look, hint);
        hint = b;
        if (b.lower > 0.1 || b.upper < 0.1) {
          missed++;
          break;
        }
      }
    }
    expect(missed / 100).toBeLessThanOrEqual(0.1);
  });
});
