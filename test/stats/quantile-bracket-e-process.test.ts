import fixtures from '../fixtures/quantile-bracket.json';
import { normalCdf } from '../../src/stats/normal';
import { bernoulliGrid, bracketLogEProcess, type BracketCounts } from '../../src/stats/quantile-bracket-e-process';
import { logShiftEValue, matchedQuantile, shiftConfidenceSequence, shiftRangeEvidence, withBlocks, type ShiftInterval } from '../../src/stats/matched-quantile-shift-e-process';
import { fromBuckets } from '../../src/stats/weighted-sample';
import { multinomial, normalFrom, seededUniform } from '../../src/planner/draws';

const nullable = (xs: readonly (number | null)[]) => Float64Array.from(xs, (x) => (x === null ? NaN : x));

describe('bracketLogEProcess (numpy/scipy reference)', () => {
  it.each(fixtures.process.map((c) => [c.name, c] as const))('%s: ln E after every look, two blocks with their splits, tempered intervals', (_name, c) => {
    const counts: BracketCounts = {
      candidates: c.counts.candidates,
      candidateLogWeights: Float64Array.from(c.counts.candidateLogWeights),
      canaryEvents: nullable(c.counts.canaryEvents),
      canaryTotals: c.counts.canaryTotals,
      baselineEvents: nullable(c.counts.baselineEvents),
      baselineTotals: c.counts.baselineTotals,
      canarySide: c.counts.canarySide as 'up' | 'down',
    };
    const logE = bracketLogEProcess(bernoulliGrid(c.counts.rate), counts, c.blocks, c.looks, c.weights);
    c.logE.forEach((x, k) => expect(logE[k]).toBeCloseTo(x, 7));
    // Only the last look (and each block's end) computed: the same last value.
    expect(bracketLogEProcess(bernoulliGrid(c.counts.rate), counts, c.blocks, c.looks, c.weights, false)[c.looks - 1]).toBeCloseTo(c.logE[c.looks - 1], 7);
  });

  it('is worth 1 before a block reads anything, and at most 1/2 of the smaller side once it has', () => {
    const counts: BracketCounts = {
      candidates: 1,
      candidateLogWeights: Float64Array.of(0),
      canaryEvents: Float64Array.of(NaN, 50, 50),
      canaryTotals: [1000, 1000, 1000],
      // The baseline exactly at the level: its statement gives no evidence, whatever the canary shows.
      baselineEvents: Float64Array.of(0, 50, 50),
      baselineTotals: [1000, 1000, 1000],
      canarySide: 'up',
    };
    const logE = bracketLogEProcess(bernoulliGrid(0.05), counts, [{ start: 0, end: 3, ratio: 1 }], 3, [1, 1, 1]);
    expect(logE[0]).toBe(0);
    expect(logE[1]).toBeLessThanOrEqual(-Math.LN2);
    expect(() => bracketLogEProcess(bernoulliGrid(0.05), counts, [{ start: 0, end: 3, ratio: 0 }], 3, [1, 1, 1])).toThrow('positive ratio');
  });
});

const BOUNDS = fixtures.timelines[0].bounds.map((b) => (b === null ? Infinity : b));

function intervalsOf(t: (typeof fixtures.timelines)[number]): ShiftInterval[] {
  return t.baseline.map((b, i) => ({ baseline: fromBuckets(BOUNDS, b, 0), canary: fromBuckets(BOUNDS, t.canary[i], 0) }));
}

describe('the bracket test of histogram timelines (numpy/scipy reference)', () => {
  describe.each(fixtures.timelines.map((t) => [t.name, t] as const))('%s', (_name, t) => {
    const looks = t.baseline.length;
    const steps = Array.from({ length: looks }, (_, i) => i > 0 && t.blockStarts.includes(i));
    const m = withBlocks(matchedQuantile(intervalsOf(t), t.level, 'relative'), steps);

    it.each(t.evalues.map((e) => [e.shift, e.alternative, e.from, e] as const))('shift %d %s from interval %d: ln E at every look', (_r, _a, _f, e) => {
      const logE = shiftRangeEvidence(m, e.shift, e.alternative as 'greater').logEFrom(e.from, new Float64Array(looks).fill(1));
      e.logE.forEach((x, k) => expect(logE[k]).toBeCloseTo(x, 6));
      expect(logShiftEValue(m, e.shift, e.alternative as 'greater', looks, e.from)).toBeCloseTo(e.logE[looks - 1], 6);
    });

    it('the confidence sequence after every look', () => {
      const c = t.confidence;
      const bounds = shiftConfidenceSequence(m, c.alphaLower, c.alphaUpper, looks, undefined, c.from);
      // The e-value is a staircase in the shift (counts change where b (1 + r) crosses a bound): both searches stop at a step.
      expect(Math.log1p(bounds.lower)).toBeCloseTo(Math.log1p(c.lower!), 3);
      expect(Math.log1p(bounds.upper)).toBeCloseTo(Math.log1p(c.upper!), 3);
    });
  });
});

/** Bucket probabilities of a lognormal (median, sigma) on `bounds` (the last +Inf). */
function probabilities(bounds: readonly number[], median: number, sigma: number): Float64Array {
  let previous = 0;
  return Float64Array.from(bounds, (le) => {
    const c = le === Infinity ? 1 : normalCdf(Math.log(le / median) / sigma);
    const p = c - previous;
    previous = c;
    return p;
  });
}

/** A timeline of `looks` intervals, `perInterval` observations a side, both sides' latency lognormal (sigma 0.5). */
function timeline(seed: number, looks: number, perInterval: number, medians: (i: number) => { baseline: number; canary: number }, bounds: readonly number[]): ShiftInterval[] {
  const uniform = seededUniform(seed);
  const normal = normalFrom(uniform);
  const counts = new Float64Array(bounds.length);
  return Array.from({ length: looks }, (_, i) => {
    const { baseline, canary } = medians(i);
    multinomial(perInterval, probabilities(bounds, baseline, 0.5), counts, uniform, normal);
    const b = fromBuckets(bounds, counts, 0);
    multinomial(perInterval, probabilities(bounds, canary, 0.5), counts, uniform, normal);
    return { baseline: b, canary: fromBuckets(bounds, counts, 0) };
  });
}

describe('what the buckets can say, and no more', () => {
  // Bounds 4.5 % apart around the p95 of a lognormal with median 40 (p95 91.0 ms, inside (89.6, 93.6]).
  const bounds = [...Array.from({ length: 80 }, (_, k) => Number((25 * 1.045 ** k).toFixed(3))), Infinity];
  const at = (x: number) => bounds.find((b) => b >= x)!;
  const below = (x: number) => [...bounds].reverse().find((b) => b < x)!;

  it('with a million observations an interval, its confidence sequence is the identified set: one bucket on each side', () => {
    const m = matchedQuantile(timeline(1, 6, 1_000_000, () => ({ baseline: 40, canary: 40 }), bounds), 0.95, 'relative');
    const q = 40 * Math.exp(1.6448536269514722 * 0.5);
    const cs = shiftConfidenceSequence(m, 0.0125, 0.05);
    // Identified: the canary's p95 in (below(q), at(q)], the baseline's too (3e-4: the edge search stops within 2e-4 in ln(1 + r)).
    const lowest = below(q) / at(q) - 1;
    const highest = at(q) / below(q) - 1;
    expect(cs.lower).toBeLessThanOrEqual(lowest + 3e-4);
    expect(cs.upper).toBeGreaterThanOrEqual(highest - 3e-4);
    // ... and reaches it: within a bucket of the truth on each side (the comparison of tails stops near two).
    expect(cs.lower).toBeGreaterThan(lowest - 1e-3);
    expect(cs.upper).toBeLessThan(highest + 1e-3);
    const tails = shiftConfidenceSequence(matchedQuantile(timeline(1, 6, 1_000_000, () => ({ baseline: 40, canary: 40 }), bounds), 0.95, 'relative', 'tails'), 0.0125, 0.05);
    expect(tails.upper - tails.lower).toBeGreaterThan(1.8 * (cs.upper - cs.lower));
  });

  it('decides in the lower tail too, within what the buckets allow: a p25 10 % lower is shown lower', () => {
    // Baseline p25 29.26 ms, canary's 26.34 ms: the ratio is only known within (26.125 / 29.813, 27.301 / 28.529).
    const m = matchedQuantile(timeline(3, 6, 1_000_000, () => ({ baseline: 41, canary: 36.9 }), bounds), 0.25, 'relative');
    const q = 41 * Math.exp(-0.6744897501960817 * 0.5);
    const cs = shiftConfidenceSequence(m, 0.05, 0.05);
    expect(cs.upper).toBeLessThan(0);
    expect(cs.upper).toBeGreaterThanOrEqual(at(0.9 * q) / below(q) - 1 - 3e-4);
    expect(cs.lower).toBeLessThanOrEqual(below(0.9 * q) / at(q) - 1 + 3e-4);
  });

  it('never claims beyond what the buckets allow: a p95 x1.2 is shown beyond +10 %, and no further than its buckets place it', () => {
    const m = matchedQuantile(timeline(2, 6, 1_000_000, () => ({ baseline: 40, canary: 48 }), bounds), 0.95, 'relative');
    const q = 40 * Math.exp(1.6448536269514722 * 0.5);
    const cs = shiftConfidenceSequence(m, 0.0125, 0.05);
    // The canary's p95 (109.2 ms) lies in (below, at] of it, the baseline's (91.0 ms) likewise.
    expect(cs.lower).toBeLessThanOrEqual(below(1.2 * q) / at(q) - 1 + 3e-4);
    expect(cs.lower).toBeGreaterThan(0.1);
    expect(cs.upper).toBeGreaterThanOrEqual(at(1.2 * q) / below(q) - 1 - 3e-4);
  });
});

const RUNS = 200;
const ALPHA = 0.05;
/** 200 runs at a true rate of 5 %: 3 standard errors above it. */
const AT_MOST = ALPHA + 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS);

describe('validity by simulation (histograms 4.5 % apart, read in blocks at the steps)', () => {
  const bounds = [...Array.from({ length: 80 }, (_, k) => Number((10 * 1.045 ** k).toFixed(3))), Infinity];
  const steps = Array.from({ length: 12 }, (_, i) => i === 6);
  const ever = (m: ReturnType<typeof matchedQuantile>, r: number, alternative: 'greater' | 'less') =>
    shiftRangeEvidence(m, r, alternative).logEFrom(0, new Float64Array(12).fill(1)).some((x) => x >= Math.log(1 / ALPHA));

  it.each([
    ['a shared latency spike (x1.6 for one interval) on an A/A', (i: number) => (i === 8 ? 64 : 40), 1, 0, 0.95],
    ['load rising 1 -> 1.5x on an A/A', (i: number) => 40 * (1 + (0.5 * i) / 11), 1, 0, 0.95],
    ['a canary exactly at +10 % under rising load', (i: number) => 40 * (1 + (0.5 * i) / 11), 1.1, 0.1, 0.95],
    ['p25 (the lower tail), a canary exactly 10 % faster under rising load', (i: number) => 40 * (1 + (0.5 * i) / 11), 0.9, -0.1, 0.25],
  ])('%s: each one-sided claim at the true shift errs at most alpha', (_name, median, factor, shift, level = 0.95) => {
    let greater = 0;
    let less = 0;
    for (let run = 0; run < RUNS; run++) {
      const intervals = timeline(100 + run, 12, 3000, (i) => ({ baseline: median(i), canary: factor * median(i) }), bounds);
      const m = withBlocks(matchedQuantile(intervals, level, 'relative'), steps);
      if (ever(m, shift, 'greater')) greater++;
      if (ever(m, shift, 'less')) less++;
    }
    expect(greater / RUNS).toBeLessThanOrEqual(AT_MOST);
    expect(less / RUNS).toBeLessThanOrEqual(AT_MOST);
  });
});
