/**
 * Distribution metrics on a timeline (src/judge/distribution-timeline.ts): model scores drifting
 * on both sides while the split steps, judged per interval; the same data as cumulative
 * histograms are Simpson's paradox.
 */
import { analyze } from '../../src/judge/analyze';
import { sumValuesIntervals } from '../../src/judge/timeline';
import type { MetricInput, MetricResult, ValuesInterval } from '../../src/judge/types';
import { normalSampler, seededRandom } from '../support/random';

const SCORE_BOUNDS = [...Array.from({ length: 100 }, (_, i) => Number(((i + 1) * 0.01).toFixed(2))), Infinity];

function histogram(values: readonly number[], bounds: readonly number[]): ValuesInterval {
  const counts = new Array(bounds.length).fill(0);
  for (const v of values) counts[bounds.findIndex((le) => v <= le)]++;
  let total = 0;
  return { histogram: { buckets: bounds.map((le, i) => ({ le, count: (total += counts[i]) })) } };
}

/** 21 intervals of scores in [0, 1], both sides' mean drifting `drift` sd, the canary's shifted `shift` sd; 1 % -> 10 % -> 50 %. */
function scoreTimeline(seed: number, shift: number, drift: number, perInterval: number, bounds = SCORE_BOUNDS) {
  const normal = normalSampler(seededRandom(seed));
  const draw = (n: number, mean: number) => Array.from({ length: n }, () => Math.min(1, Math.max(0, mean + 0.12 * normal())));
  const baseline: ValuesInterval[] = [];
  const canary: ValuesInterval[] = [];
  for (let i = 0; i < 21; i++) {
    const nc = Math.round(perInterval * (i < 7 ? 0.01 : i < 14 ? 0.1 : 0.5));
    const mean = 0.6 + 0.12 * drift * (i / 20);
    baseline.push(histogram(draw(perInterval - nc, mean), bounds));
    canary.push(histogram(draw(nc, mean + 0.12 * shift), bounds));
  }
  return { baseline, canary };
}

const metricOf = (t: { baseline: ValuesInterval[]; canary: ValuesInterval[] }, timeline = true): MetricInput => ({
  name: 'score',
  kind: 'distribution',
  baseline: { ...sumValuesIntervals(t.baseline), ...(timeline ? { intervals: t.baseline } : {}) },
  canary: { ...sumValuesIntervals(t.canary), ...(timeline ? { intervals: t.canary } : {}) },
});
const judge = (metric: MetricInput): MetricResult => analyze({ metrics: [metric] }).metrics[0];

describe('distribution metrics matched in time', () => {
  it('passes an A/A whose scores drift 1 sd on both sides, which the pooled histograms fail, with the drift statistics time-matched', () => {
    const t = scoreTimeline(1, 0, 1, 5000);
    const matched = judge(metricOf(t));
    expect(matched.verdict).toBe('pass');
    expect(matched.reason).toMatch(/^passed at interval \d+ of 21 and still passing: the KS distance between canary and baseline, matched by interval is 0\.0\d+ \(confidence interval 0 to 0\.0\d+\), within the tolerated 0\.1; on intervals \d+-21 \(the traffic at the canary's current weight\)$/);
    expect(matched.effect!.upper).toBeLessThanOrEqual(0.1);
    expect(matched.tests.map((x) => x.name)).toEqual(['kolmogorov-smirnov', 'psi', 'jensen-shannon', 'wasserstein']);
    for (const test of matched.tests) {
      expect(test.pValue).toBeUndefined();
      expect(test.method).toMatch(/^time-matched/);
      expect(test.statistic).toBeLessThan(test.threshold ?? 0.05);
    }
    // The same data pooled per side: the canary's traffic is late, when scores are high.
    const pooled = judge(metricOf(t, false));
    expect(pooled.verdict).toBe('fail');
    expect(pooled.tests.find((x) => x.name === 'psi')!.statistic).toBeGreaterThan(0.1);
  });

  it('fails a canary 0.6 sd higher under the same drift, and never passes one at 0.3 sd (KS 0.12)', () => {
    expect(judge(metricOf(scoreTimeline(2, 0.6, 1, 5000))).verdict).toBe('fail');
    for (let seed = 3; seed < 8; seed++) expect(judge(metricOf(scoreTimeline(seed, 0.3, 1, 5000))).verdict).not.toBe('pass');
  });

  it('says when the buckets are too coarse for a pass ever to be shown', () => {
    const t = scoreTimeline(9, 0, 0, 2000, [0.5, 0.7, 0.9, Infinity]);
    const result = judge(metricOf(t));
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/; the buckets are too coarse to ever show it within the margin: one cell of the matched test's grid holds 0\.\d+ of the baseline, as much as the tolerated 0\.1; give the histogram finer bounds where the observations are; on intervals 15-21 \(the traffic at the canary's current weight\)$/);
    expect(result.projection).toBeUndefined();
  });

  it('judges a direction on its own side only: a canary lower passes "increase" and fails "decrease"', () => {
    const t = scoreTimeline(10, -0.8, 0, 5000);
    expect(judge({ ...metricOf(t), direction: 'increase' }).verdict).toBe('pass');
    const down = judge({ ...metricOf(t), direction: 'decrease' });
    expect(down.verdict).toBe('fail');
    expect(down.reason).toMatch(/the KS distance towards lower canary values, matched by interval is 0\.3/);
  });
});
