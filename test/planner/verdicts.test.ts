/**
 * The planner's verdicts without bounds (src/planner/verdicts.ts) answer what the judge answers:
 * on random rate and quantile timelines, the same verdict at the same deciding interval as
 * judgeProportion / judgeContinuous (which compute the bounds too).
 */
import { anytimeValidEvidence } from '../../src/judge/anytime-evidence';
import { judgeContinuous } from '../../src/judge/continuous';
import type { MetricContext } from '../../src/judge/metric-context';
import { judgeProportion } from '../../src/judge/proportion';
import { sumCountIntervals, sumValuesIntervals } from '../../src/judge/timeline';
import type { CountInterval, Direction, Margin, ValuesInterval } from '../../src/judge/types';
import { binomial, multinomial, normalFrom, seededUniform } from '../../src/planner/draws';
import { quantileTimelineVerdict, rateTimelineVerdict } from '../../src/planner/verdicts';

const ctx: MetricContext = { evidence: anytimeValidEvidence, rates: { fail: 0.05 / 3, pass: 0.05 } };
const BOUNDS = [10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 70, 80, 90, 100, 120, 150, 200, Infinity];

function rates(seed: number, factor: number, looks: number) {
  const uniform = seededUniform(seed);
  const normal = normalFrom(uniform);
  const baseline: CountInterval[] = [];
  const canary: CountInterval[] = [];
  for (let i = 0; i < looks; i++) {
    const n = Math.round(2000 * [0.01, 0.1, 0.5][Math.min(2, Math.floor((3 * i) / looks))]);
    baseline.push({ events: binomial(2000 - n, 0.01, uniform, normal), total: 2000 - n });
    canary.push({ events: binomial(n, 0.01 * factor, uniform, normal), total: n });
  }
  return { baseline, canary };
}

function latencies(seed: number, factor: number, looks: number) {
  const uniform = seededUniform(seed);
  const normal = normalFrom(uniform);
  const probabilities = (f: number) => {
    let previous = 0;
    return Float64Array.from(BOUNDS, (le) => {
      const c = le === Infinity ? 1 : 0.5 * (1 + erf(Math.log(le / (40 * f)) / 0.5 / Math.SQRT2));
      const p = c - previous;
      previous = c;
      return p;
    });
  };
  const side = (n: number, f: number): ValuesInterval => {
    const counts = new Float64Array(BOUNDS.length);
    multinomial(n, probabilities(f), counts, uniform, normal);
    let total = 0;
    return { histogram: { buckets: BOUNDS.map((le, i) => ({ le, count: (total += counts[i]) })) } };
  };
  const baseline: ValuesInterval[] = [];
  const canary: ValuesInterval[] = [];
  for (let i = 0; i < looks; i++) {
    const n = Math.round(3000 * [0.01, 0.1, 0.5][Math.min(2, Math.floor((3 * i) / looks))]);
    baseline.push(side(3000 - n, 1));
    canary.push(side(n, factor));
  }
  return { baseline, canary };
}

/** Abramowitz-Stegun 7.1.26, enough to shape test data. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

describe('the planner decides as the judge does', () => {
  // Every verdict must come up among the cases, or the comparison proves little.
  const seen = new Set<string>();
  afterAll(() => expect([...seen].sort()).toEqual(['fail', 'inconclusive', 'pass']));
  const cases: [string, number, Margin, Direction][] = [];
  for (const factor of [1, 1.5, 3]) for (const margin of [{ relative: 0.5 }, { relative: 0.5, absolute: 0.002 }, { absolute: 0.003 }]) cases.push([`rates x${factor} ${JSON.stringify(margin)}`, factor, margin, 'increase']);
  cases.push(['rates x0.4 either', 0.4, { relative: 0.5 }, 'either']);
  it.each(cases)('%s', (_name, factor, margin, direction) => {
    for (let seed = 1; seed <= 6; seed++) {
      const { baseline, canary } = rates(seed * 101 + factor * 7, factor, 21);
      const judged = judgeProportion({ name: 'e', kind: 'proportion', margin, direction, baseline: { ...sumCountIntervals(baseline), intervals: baseline }, canary: { ...sumCountIntervals(canary), intervals: canary } }, ctx);
      const planned = rateTimelineVerdict(baseline, canary, margin, direction, ctx.rates);
      seen.add(judged.verdict);
      expect([planned.verdict, planned.decidedAt]).toEqual([judged.verdict, judged.decidedAt]);
    }
  });

  it.each([
    ['p95 x1', 1, { relative: 0.1 }],
    ['p95 x1.3', 1.3, { relative: 0.1 }],
    ['p95 x1.1, both margins', 1.1, { relative: 0.05, absolute: 3 }],
  ] as const)('quantile %s', (_name, factor, margin) => {
    for (let seed = 1; seed <= 5; seed++) {
      const { baseline, canary } = latencies(seed * 31, factor, 21);
      const judged = judgeContinuous({ name: 'l', kind: 'continuous', quantile: 0.95, margin, baseline: { ...sumValuesIntervals(baseline), intervals: baseline }, canary: { ...sumValuesIntervals(canary), intervals: canary } }, ctx);
      const planned = quantileTimelineVerdict(baseline, canary, 0.95, margin, 'increase', ctx.rates);
      seen.add(judged.verdict);
      expect([planned.verdict, planned.decidedAt]).toEqual([judged.verdict, judged.decidedAt]);
    }
  });

  it('is inconclusive below the judge\'s minimum of samples, as the judge is', () => {
    const tiny = [{ events: 0, total: 5 }];
    expect(rateTimelineVerdict(tiny, tiny, { relative: 0.5 }, 'increase', ctx.rates).verdict).toBe('inconclusive');
  });
});
