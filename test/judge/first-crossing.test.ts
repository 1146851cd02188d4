/**
 * The mean and distributions follow the canary (src/judge/first-crossing.ts): a canary
 * identical to the baseline at 1 % and 10 % and harmful from the 50 % step loses the pass its
 * early steps earned as soon as the 50 % step is the gate's traffic, and fails once its own
 * evidence says so; a healthy one passes on the 50 % step's intervals alone.
 */
import { analyze } from '../../src/judge/analyze';
import { sumValuesIntervals } from '../../src/judge/timeline';
import type { MetricInput, MetricResult, ValuesInterval } from '../../src/judge/types';
import { normalSampler, seededRandom } from '../support/random';

const SHARES = (i: number) => (i < 7 ? 0.01 : i < 14 ? 0.1 : 0.5);

/**
 * 21 one-minute intervals of `perInterval` scores in [0, 1] split 1 % -> 10 % -> 50 %, both
 * sides around 0.6 (sd 0.12), the canary's shifted by `lateShift` from interval `from` (0-based).
 */
function timeline(seed: number, perInterval: number, lateShift: number, from: number): { baseline: ValuesInterval[]; canary: ValuesInterval[] } {
  const normal = normalSampler(seededRandom(seed));
  const draw = (n: number, mean: number) => Array.from({ length: n }, () => Math.min(1, Math.max(0, mean + 0.12 * normal())));
  const baseline: ValuesInterval[] = [];
  const canary: ValuesInterval[] = [];
  for (let i = 0; i < 21; i++) {
    const nc = Math.round(perInterval * SHARES(i));
    baseline.push({ values: draw(perInterval - nc, 0.6) });
    canary.push({ values: draw(nc, i >= from ? 0.6 + lateShift : 0.6) });
  }
  return { baseline, canary };
}

const prefix = (t: { baseline: ValuesInterval[]; canary: ValuesInterval[] }, looks: number) => ({ baseline: t.baseline.slice(0, looks), canary: t.canary.slice(0, looks) });

function mean(t: { baseline: ValuesInterval[]; canary: ValuesInterval[] }): MetricInput {
  return {
    name: 'score',
    kind: 'continuous',
    quantile: 'mean',
    range: { min: 0, max: 1 },
    direction: 'decrease',
    margin: { relative: 0.05 },
    baseline: { ...sumValuesIntervals(t.baseline), intervals: t.baseline },
    canary: { ...sumValuesIntervals(t.canary), intervals: t.canary },
  };
}

function distribution(t: { baseline: ValuesInterval[]; canary: ValuesInterval[] }): MetricInput {
  return {
    name: 'score',
    kind: 'distribution',
    margin: { absolute: 0.1 },
    baseline: { ...sumValuesIntervals(t.baseline), intervals: t.baseline },
    canary: { ...sumValuesIntervals(t.canary), intervals: t.canary },
  };
}

const judge = (metric: MetricInput): MetricResult => analyze({ metrics: [metric] }).metrics[0];

describe.each([
  ['the mean', mean, -0.15],
  ['the KS distance', distribution, -0.25],
])('%s follows the canary', (_name, metricOf, harm) => {
  const healthy = timeline(2101, 4000, 0, 0);
  const late = timeline(2101, 4000, harm, 14);

  it('a healthy canary passes at 10 %, and at 50 % on the 50 % step\'s intervals alone', () => {
    const at10 = judge(metricOf(prefix(healthy, 14)));
    expect(at10.verdict).toBe('pass');
    const at50 = judge(metricOf(healthy));
    expect(at50.verdict).toBe('pass');
    expect(at50.decidedAt).toBeGreaterThanOrEqual(15);
    expect(at50.reason).toMatch(/^passed at interval (1[5-9]|2[01]) of 21 [^:]*: .*; on intervals 15-21 \(the traffic at the canary's current weight\)$/);
  });

  it('a canary harmful from the 50 % step keeps no pass from its 1 % and 10 % steps, and fails on its 50 % minutes', () => {
    // The same data as the healthy canary up to the step: passed then.
    expect(judge(metricOf(prefix(late, 14))).verdict).toBe('pass');
    // One minute into the 50 % step: the gate's traffic has not shown the canary healthy.
    const first = judge(metricOf(prefix(late, 15)));
    expect(first.verdict).not.toBe('pass');
    const end = judge(metricOf(late));
    expect(end.verdict).toBe('fail');
    expect(end.decidedAt).toBeGreaterThanOrEqual(15);
    expect(end.reason).toMatch(/^failed at interval \d+ of 21 [^:]*: .*; on intervals 1-21 \(the fail evidence, from the first interval\)$/);
    // Never an empty interval, and never one that sits inside the margin beside the fail.
    const effect = end.effect!;
    expect(effect.lower).toBeLessThanOrEqual(effect.upper);
    if (effect.measure === 'Kolmogorov-Smirnov distance') expect(effect.lower).toBeGreaterThanOrEqual(effect.tolerance);
    else expect(effect.upper).toBeLessThanOrEqual(-effect.tolerance);
  });

  it('the verdict at every look of the late-harm rollout: pass up to the step, never pass after it', () => {
    const verdicts = Array.from({ length: 21 }, (_, k) => judge(metricOf(prefix(late, k + 1))).verdict);
    expect(verdicts.slice(14)).not.toContain('pass');
    expect(verdicts.lastIndexOf('pass')).toBeLessThan(14);
  });
});
