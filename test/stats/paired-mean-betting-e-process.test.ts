import fixtures from '../fixtures/paired-mean-betting.json';
import { normalSampler, seededRandom } from '../support/random';
import {
  logPairedMeanEProcess,
  logPairedMeanEValue,
  pairedMeanConfidenceSequence,
  pairedMeanEstimate,
  pairedMeans,
  type MeanAlternative,
  type MeanInterval,
  type MeanScale,
} from '../../src/stats/paired-mean-betting-e-process';

const byCase = new Map(fixtures.pairs.map((p) => [p.case, p]));
const intervalsOf = (name: string): MeanInterval[] => byCase.get(name)!.intervals.map(([canary, baseline]) => ({ canary, baseline }));
const rangeOf = (name: string) => ({ min: byCase.get(name)!.range[0], max: byCase.get(name)!.range[1] });

describe('pairedMeans (numpy reference: the same fixed order, groups of the larger side averaged)', () => {
  it.each(fixtures.pairs.map((p) => [p.case, p]))('%s', (name) => {
    const pairs = pairedMeans(intervalsOf(name as string), rangeOf(name as string));
    const want = byCase.get(name as string)!;
    expect(Array.from(pairs.ends)).toEqual(want.ends);
    want.canary.forEach((x, j) => expect(pairs.canary[j]).toBeCloseTo(x, 10));
    want.baseline.forEach((x, j) => expect(pairs.baseline[j]).toBeCloseTo(x, 10));
  });
});

describe('logPairedMeanEProcess (numpy reference: aGRAPA bets from the prefix mean and variance)', () => {
  it.each(fixtures.eProcess.map((c) => [c.case, c.k, c.delta, c.alternative, c]))('%s k=%d delta=%d %s', (name, _k, _d, _a, c) => {
    const pairs = pairedMeans(intervalsOf(name as string), rangeOf(name as string));
    const process = logPairedMeanEProcess(pairs, c.k, c.delta, c.alternative as MeanAlternative);
    c.logE.forEach((x, look) => expect(process[look]).toBeCloseTo(x, 8));
  });
});

describe('pairedMeanConfidenceSequence (scipy reference: brentq on the sign change)', () => {
  it.each(fixtures.bounds.map((c) => [c.case, c.scale, c.looks, c.alphaLower, c]))('%s %s after %d looks, alpha %d', (name, scale, looks, _a, c) => {
    const pairs = pairedMeans(intervalsOf(name as string), rangeOf(name as string));
    expect(pairedMeanEstimate(pairs, scale as MeanScale, looks as number)).toBeCloseTo(c.estimate, 10);
    const b = pairedMeanConfidenceSequence(pairs, scale as MeanScale, c.alphaLower, c.alphaUpper, looks as number);
    // Within the search's tolerance (2e-5 in ln(1 + r); 1e-7 of the range).
    const digits = scale === 'relative' ? 4 : 3;
    if (c.lower === null) expect(b.lower).toBe(scale === 'relative' ? -1 : -(rangeOf(name as string).max - rangeOf(name as string).min));
    else expect(b.lower).toBeCloseTo(c.lower, digits);
    if (c.upper === null) expect(b.upper === Infinity || b.upper === rangeOf(name as string).max - rangeOf(name as string).min).toBe(true);
    else expect(b.upper).toBeCloseTo(c.upper, digits);
    expect(b.lower).toBeLessThanOrEqual(b.upper);
  });
});

describe('edge cases', () => {
  it('bets nothing without pairs, before MIN_PAIRS, or when the range makes the null certain', () => {
    expect(Array.from(logPairedMeanEProcess(pairedMeans([{ canary: [], baseline: [1, 2] }, { canary: [5], baseline: [] }], { min: 0, max: 10 }), 1, 0, 'greater'))).toEqual([0, 0]);
    const few = pairedMeans([{ canary: Array(10).fill(9), baseline: Array(10).fill(1) }], { min: 0, max: 10 });
    expect(logPairedMeanEValue(few, 1, 0, 'greater')).toBe(0);
    // Canary - baseline <= 10 - 0 always: the null "<= 10" can never be refuted.
    const many = pairedMeans([{ canary: Array(50).fill(9), baseline: Array(50).fill(1) }], { min: 0, max: 10 });
    expect(logPairedMeanEValue(many, 1, 10, 'greater')).toBe(0);
    expect(logPairedMeanEValue(many, 1, 0, 'greater')).toBeGreaterThan(10);
    // Canary - baseline >= -10 + ... : a null below the range's reach is refuted by any pair above it.
    expect(logPairedMeanEValue(many, 1, -10.5, 'greater')).toBe(Infinity);
  });

  it('refuses observations outside the range and a relative scale on negative data, with a sentence', () => {
    expect(() => pairedMeans([{ canary: [11], baseline: [1] }], { min: 0, max: 10 })).toThrow('An observation (11) lies outside the range [0, 10]');
    expect(() => pairedMeans([{ canary: [1], baseline: [1] }], { min: 1, max: 1 })).toThrow('The range must have finite min < max');
    expect(() => pairedMeanConfidenceSequence(pairedMeans([{ canary: [1], baseline: [1] }], { min: -1, max: 1 }), 'relative', 0.05, 0.05)).toThrow('min >= 0');
  });

  it('gives the same pairs at every look: a longer timeline only appends', () => {
    const intervals = intervalsOf('split steps, load, canary +20 %');
    const range = rangeOf('split steps, load, canary +20 %');
    const all = pairedMeans(intervals, range);
    const prefix = pairedMeans(intervals.slice(0, 3), range);
    expect(Array.from(all.canary.subarray(0, prefix.canary.length))).toEqual(Array.from(prefix.canary));
    expect(Array.from(logPairedMeanEProcess(all, 1.1, 0, 'greater')).slice(0, 3)).toEqual(Array.from(logPairedMeanEProcess(prefix, 1.1, 0, 'greater')));
  });
});

/**
 * Lognormal latencies capped at a timeout (a request that times out is observed at the
 * timeout), per interval of a rollout whose split steps 1 % -> 10 % -> 50 % while load moves
 * both sides' median from 1 to 1.5x: the canary's mean is `factor` x the baseline's in every
 * interval (the cap moves it by under 0.1 % here).
 */
function rollout(seed: number, factor: number, sigma: number, perInterval: number, cap: number): MeanInterval[] {
  const normal = normalSampler(seededRandom(seed));
  const draw = (n: number, median: number) => Array.from({ length: n }, () => Math.min(cap, median * Math.exp(sigma * normal())));
  return Array.from({ length: 21 }, (_, i) => {
    const share = i < 7 ? 0.01 : i < 14 ? 0.1 : 0.5;
    const load = 1 + (0.5 * i) / 20;
    const nc = Math.round(perInterval * share);
    return { canary: draw(nc, 40 * load * factor), baseline: draw(perInterval - nc, 40 * load) };
  });
}

const ALPHA = 0.05;
const everCrosses = (process: Float64Array) => process.some((x) => x >= Math.log(1 / ALPHA));

describe('validity by simulation: every look, load rising while the split steps, skewed capped data', () => {
  // 200 rollouts of 21 intervals; 2 standard errors of a 5 % rate over 200 runs is 3 points.
  const RUNS = 200;
  const SLACK = 2 * Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS);
  it.each([
    ['relative, canary exactly +10 % (sigma 0.5), "greater" at 1.1', 1.1, 0.5, 'relative', 0.1, 'greater'],
    ['relative, canary exactly +10 % (sigma 0.5), "less" at 1.1', 1.1, 0.5, 'relative', 0.1, 'less'],
    ['relative, A/A with skewed data (sigma 1.5), both claims at 1', 1, 1.5, 'relative', 0, 'greater'],
    ['relative, A/A with skewed data (sigma 1.5), "less" at 1', 1, 1.5, 'relative', 0, 'less'],
  ] as const)('%s: the claim is made in at most alpha of rollouts', (_name, factor, sigma, _scale, r, alternative) => {
    let crossed = 0;
    for (let run = 0; run < RUNS; run++) {
      const pairs = pairedMeans(rollout(1000 + run, factor, sigma, 400, 5000), { min: 0, max: 5000 });
      if (everCrosses(logPairedMeanEProcess(pairs, 1 + r, 0, alternative))) crossed++;
    }
    expect(crossed / RUNS).toBeLessThanOrEqual(ALPHA + SLACK);
  });

  it('the same A/A data pooled per side (cumulative) claim a slower canary; paired by interval they do not', () => {
    let pooled = 0;
    let matched = 0;
    const runs = 40;
    for (let run = 0; run < runs; run++) {
      const intervals = rollout(5000 + run, 1, 0.5, 2000, 1000);
      const range = { min: 0, max: 1000 };
      if (everCrosses(logPairedMeanEProcess(pairedMeans(intervals, range), 1.05, 0, 'greater'))) matched++;
      // One "interval" of everything: the canary's observations come mostly from the loaded end.
      const all = [{ canary: intervals.flatMap((i) => Array.from(i.canary)), baseline: intervals.flatMap((i) => Array.from(i.baseline)) }];
      if (everCrosses(logPairedMeanEProcess(pairedMeans(all, range), 1.05, 0, 'greater'))) pooled++;
    }
    expect(matched).toBeLessThanOrEqual(2);
    expect(pooled / runs).toBeGreaterThan(0.9);
  });

  it('has power: a canary 30 % slower is claimed beyond +10 % in most rollouts, a healthy one within it', () => {
    let failed = 0;
    let passed = 0;
    const runs = 40;
    for (let run = 0; run < runs; run++) {
      const range = { min: 0, max: 2000 };
      if (everCrosses(logPairedMeanEProcess(pairedMeans(rollout(7000 + run, 1.3, 0.5, 2000, 2000), range), 1.1, 0, 'greater'))) failed++;
      if (everCrosses(logPairedMeanEProcess(pairedMeans(rollout(8000 + run, 1, 0.5, 2000, 2000), range), 1.1, 0, 'less'))) passed++;
    }
    expect(failed / runs).toBeGreaterThan(0.9);
    expect(passed / runs).toBeGreaterThan(0.8);
  });
});
