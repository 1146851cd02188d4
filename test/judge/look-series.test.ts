/**
 * The per-look series of a timeline metric (`timeline`), checked against an independent
 * computation: every listed look judged on its own (the prefix of the timeline up to it, as an
 * analysis run then would have seen it) must report the same bounds, and the verdict of each
 * prefix must agree with the series' deciding look.
 */
import { analyze, EVIDENCE } from '../../src/judge/analyze';
import { looksToJudge, prefixMetric } from '../../src/judge/timeline';
import type { CountInterval, Look, MetricInput, MetricResult, ValuesInterval } from '../../src/judge/types';
import { rateRatioConfidenceSequence, rateRatioConfidenceSequences, type RateInterval } from '../../src/stats/conditional-rate-ratio-e-process';
import { seededRandom } from '../support/random';

/** Per-interval error counts: the canary's share steps 1 % -> 10 % -> 50 %. */
function rateTimeline(canaryRate: (i: number) => number, baselineRate: (i: number) => number, intervals: number) {
  const baseline: CountInterval[] = [];
  const canary: CountInterval[] = [];
  for (let i = 0; i < intervals; i++) {
    const share = [0.01, 0.1, 0.5][Math.min(2, Math.floor((3 * i) / intervals))];
    const canaryTotal = Math.round(10_000 * share);
    baseline.push({ events: Math.round((10_000 - canaryTotal) * baselineRate(i)), total: 10_000 - canaryTotal });
    canary.push({ events: Math.round(canaryTotal * canaryRate(i)), total: canaryTotal });
  }
  return { baseline, canary };
}

/** A metric with its timeline and (as the request parser does) the cumulative sums. */
function withTimeline<M extends MetricInput>(metric: M): M {
  return prefixMetric(metric, metric.baseline.intervals!.length);
}

const judgeOne = (metric: MetricInput): MetricResult => analyze({ metrics: [metric] }).metrics[0];
/** ln(1 + x) of a relative change, so ratios compare on their own scale; -1 (ratio 0) stays finite. */
const close = (a: number, b: number, digits: number) => {
  if (!Number.isFinite(a) || !Number.isFinite(b) || a === -1 || b === -1) return expect(a).toBe(b);
  expect(Math.log1p(a)).toBeCloseTo(Math.log1p(b), digits);
};

/** `estimateDigits`: a closed-form estimate (rates) agrees to 9 digits; a searched one (the matched quantile shift) to its search's tolerance. */
function expectAgreesWithPrefixes(metric: MetricInput, result: MetricResult, digits: number, estimateDigits = 9) {
  const series = result.timeline!;
  expect(series.length).toBeGreaterThan(1);
  expect(series.at(-1)!.interval).toBe(result.intervals);
  if (result.decidedAt !== undefined) expect(series.map((l) => l.interval)).toContain(result.decidedAt);
  expect(series.map((l) => l.interval)).toEqual([...new Set(series.map((l) => l.interval))].sort((a, b) => a - b));
  for (const look of series) {
    const alone = judgeOne(prefixMetric(metric, look.interval));
    // The verdict an analysis run at this look would have answered. A pass rests on the gated
    // window (the traffic at the canary's weight then, issue 21), so a healthy canary may have
    // passed in an earlier step's window and be undecided again at the next step: before the
    // deciding look a pass is then possible, never a fail.
    if (result.decidedAt === undefined || look.interval < result.decidedAt) expect(alone.verdict).toBe(result.verdict === 'pass' && alone.verdict === 'pass' ? 'pass' : 'inconclusive');
    else {
      expect(alone.verdict).toBe(result.verdict);
      expect(alone.decidedAt).toBe(result.decidedAt);
    }
    // Its bounds, when it reports that look's own (not intersected with a deciding look's).
    if (alone.decidedAt === undefined || alone.decidedAt === look.interval) {
      expect(alone.effect!.measure).toBe(result.effect!.measure);
      close(look.estimate, alone.effect!.estimate, estimateDigits);
      close(look.lower, alone.effect!.lower, digits);
      close(look.upper, alone.effect!.upper, digits);
    }
  }
}

describe('the per-look series of a timeline', () => {
  it('rate ratio: a 3x canary fails; every listed look agrees with that prefix judged alone', () => {
    const { baseline, canary } = rateTimeline(() => 0.015, () => 0.005, 21);
    // One margin, so the ratio alone decides (with two, a fail needs both).
    const metric = withTimeline<MetricInput>({ name: 'errors', kind: 'proportion', margin: { relative: 0.5 }, baseline: { events: 0, total: 0, intervals: baseline }, canary: { events: 0, total: 0, intervals: canary } });
    const result = judgeOne(metric);
    expect(result.verdict).toBe('fail');
    expect(result.timeline!.length).toBeLessThanOrEqual(13);
    expectAgreesWithPrefixes(metric, result, 4);
    // With the default margins (relative and absolute) too.
    const both = { ...metric, margin: undefined };
    expectAgreesWithPrefixes(both, judgeOne(both), 4);
    // The bounds cross the margin at the deciding look, not before (the e-process and its inversion agree).
    const tol = result.effect!.tolerance;
    for (const look of result.timeline!) {
      if (look.interval < result.decidedAt!) expect(look.lower).toBeLessThanOrEqual(tol + 1e-4);
      else if (look.interval === result.decidedAt) expect(look.lower).toBeGreaterThan(tol - 1e-4);
    }
  });

  it('rate ratio, either direction: a healthy canary passes later; the series agrees with every prefix', () => {
    const rate = (i: number) => 0.002 + 0.0004 * i;
    const { baseline, canary } = rateTimeline(rate, rate, 24);
    const metric = withTimeline<MetricInput>({ name: 'errors', kind: 'proportion', direction: 'either', margin: { relative: 0.5 }, baseline: { events: 0, total: 0, intervals: baseline }, canary: { events: 0, total: 0, intervals: canary } });
    const result = judgeOne(metric);
    expect(result.verdict).toBe('pass');
    expectAgreesWithPrefixes(metric, result, 4);
  });

  it('rate difference (absolute margin): at most 12 evenly spaced looks and the deciding one, each the prefix judged alone', () => {
    const { baseline, canary } = rateTimeline(() => 0.004, () => 0.004, 15);
    const metric = withTimeline<MetricInput>({ name: 'errors', kind: 'proportion', margin: { absolute: 0.003 }, baseline: { events: 0, total: 0, intervals: baseline }, canary: { events: 0, total: 0, intervals: canary } });
    const result = judgeOne(metric);
    expect(result.verdict).toBe('pass');
    expect(result.timeline!.map((l) => l.interval)).toEqual([...new Set([...looksToJudge(15, 12), result.decidedAt!])].sort((a, b) => a - b));
    expectAgreesWithPrefixes(metric, result, 12);
  });

  it('quantiles (matched by interval): at most 12 evenly spaced looks and the deciding one, each the prefix judged alone', () => {
    const values = (shift: number) => (i: number): ValuesInterval => ({ values: Array.from({ length: 150 }, (_, j) => 100 + ((j * 37 + i * 11) % 100) + shift) });
    const baseline = Array.from({ length: 30 }, (_, i) => values(0)(i));
    const canary = Array.from({ length: 30 }, (_, i) => values(25)(i));
    const metric = withTimeline<MetricInput>({ name: 'latency', kind: 'continuous', baseline: { values: [], intervals: baseline }, canary: { values: [], intervals: canary } });
    const result = judgeOne(metric);
    expect(result.verdict).toBe('fail');
    expect(result.effect!.measure).toBe('relative shift of p95');
    expect(result.timeline!.map((l) => l.interval)).toEqual([...new Set([...looksToJudge(30, 12), result.decidedAt!])].sort((a, b) => a - b));
    expectAgreesWithPrefixes(metric, result, 3, 3);
    // With an absolute margin too (the shift in the metric's units).
    const both = { ...metric, margin: { relative: 0.1, absolute: 5 } };
    expectAgreesWithPrefixes(both, judgeOne(both), 3, 3);
  });

  it('means (paired by interval, given a range): at most 6 evenly spaced looks and the deciding one, each the prefix judged alone', () => {
    const values = (shift: number) => (i: number): ValuesInterval => ({ values: Array.from({ length: 150 }, (_, j) => 100 + ((j * 37 + i * 11) % 100) + shift) });
    const baseline = Array.from({ length: 30 }, (_, i) => values(0)(i));
    const canary = Array.from({ length: 30 }, (_, i) => values(25)(i));
    const metric = withTimeline<MetricInput>({ name: 'latency', kind: 'continuous', quantile: 'mean', range: { min: 0, max: 1000 }, baseline: { values: [], intervals: baseline }, canary: { values: [], intervals: canary } });
    const result = judgeOne(metric);
    expect(result.verdict).toBe('fail');
    expect(result.effect!.measure).toBe('relative shift of the mean');
    expect(result.decidedAt).toBeGreaterThan(1);
    expect(result.timeline!.map((l) => l.interval)).toEqual([...new Set([...looksToJudge(30, 6), result.decidedAt!])].sort((a, b) => a - b));
    expectAgreesWithPrefixes(metric, result, 3);
    // With an absolute margin too (the shift in the metric's units).
    const both = { ...metric, margin: { relative: 0.1, absolute: 5 } };
    expectAgreesWithPrefixes(both, judgeOne(both), 3);
  });

  it('distributions (matched by interval): at most 6 evenly spaced looks and the deciding one, each the prefix judged alone', () => {
    // Scores spread evenly per interval (deterministic), the canary's shifted up by 0.3 of their range.
    const scores = (shift: number, n: number) => (i: number): ValuesInterval => ({ values: Array.from({ length: n }, (_, j) => ((j * 37 + i * 11) % 1000) / 1000 + shift) });
    const baseline = Array.from({ length: 21 }, (_, i) => scores(0, 1800)(i));
    const canary = Array.from({ length: 21 }, (_, i) => scores(0.3, 200 + 20 * i)(i));
    const metric = withTimeline<MetricInput>({ name: 'score', kind: 'distribution', baseline: { values: [], intervals: baseline }, canary: { values: [], intervals: canary } });
    const result = judgeOne(metric);
    expect(result.verdict).toBe('fail');
    expect(result.effect!.measure).toBe('Kolmogorov-Smirnov distance');
    expect(result.timeline!.map((l) => l.interval)).toEqual([...new Set([...looksToJudge(21, 6), result.decidedAt!])].sort((a, b) => a - b));
    expectAgreesWithPrefixes(metric, result, 3, 9);
  });

  it('stays small on a long timeline: at most 33 looks, the latest and the deciding one among them', () => {
    const { baseline, canary } = rateTimeline(() => 0.0075, () => 0.005, 120);
    for (const margin of [{ relative: 0.2 }, { absolute: 0.001 }, { relative: 0.2, absolute: 0.001 }]) {
      const metric = withTimeline<MetricInput>({ name: 'errors', kind: 'proportion', margin, baseline: { events: 0, total: 0, intervals: baseline }, canary: { events: 0, total: 0, intervals: canary } });
      const result = judgeOne(metric);
      const looks = result.timeline!.map((l: Look) => l.interval);
      expect(looks.length).toBeLessThanOrEqual(33);
      expect(looks.at(-1)).toBe(120);
      if (result.decidedAt !== undefined) expect(looks).toContain(result.decidedAt);
    }
  });

  it('is absent with fixed-sample evidence (a timeline is then judged at its last look only)', () => {
    const { baseline, canary } = rateTimeline(() => 0.015, () => 0.005, 10);
    const metric = withTimeline<MetricInput>({ name: 'errors', kind: 'proportion', baseline: { events: 0, total: 0, intervals: baseline }, canary: { events: 0, total: 0, intervals: canary } });
    const result = analyze({ metrics: [metric], evidence: 'fixed-sample' }, EVIDENCE['fixed-sample']).metrics[0];
    expect(result.timeline).toBeUndefined();
  });
});

describe('rateRatioConfidenceSequences (the series\' root search)', () => {
  it('agrees with rateRatioConfidenceSequence on random timelines (rare to frequent events, any split)', () => {
    const random = seededRandom(14);
    for (let run = 0; run < 25; run++) {
      const rate = 10 ** (-4 + 3 * random());
      const ratio = 0.2 + 4 * random();
      const intervals: RateInterval[] = Array.from({ length: 5 + Math.floor(20 * random()) }, () => {
        const canaryTotal = Math.floor(5000 * random() ** 2);
        const baselineTotal = 100 + Math.floor(20_000 * random());
        const count = (n: number, p: number) => Math.min(n, Math.round(n * p * (0.5 + random())));
        return { canaryEvents: count(canaryTotal, Math.min(1, rate * ratio)), canaryTotal, baselineEvents: count(baselineTotal, rate), baselineTotal };
      });
      const looks = Array.from({ length: intervals.length }, (_, i) => i + 1).filter((look) => look % 3 === 0 || look === intervals.length);
      const fast = rateRatioConfidenceSequences(intervals, looks, () => [0.01, 0.05]);
      looks.forEach((look, i) => {
        const exact = rateRatioConfidenceSequence(intervals.slice(0, look), 0.01, 0.05);
        for (const side of ['lower', 'upper'] as const) {
          if (exact[side] === 0 || !Number.isFinite(exact[side])) expect(fast[i][side]).toBe(exact[side]);
          else expect(Math.log(fast[i][side])).toBeCloseTo(Math.log(exact[side]), 4);
        }
      });
    }
  });

  it('agrees with rateRatioConfidenceSequence at every look, unbounded ends included', () => {
    const cases: RateInterval[][] = [
      Array.from({ length: 30 }, (_, i) => ({ canaryEvents: i % 3, canaryTotal: 100 * (1 + (i % 5)), baselineEvents: 4 + (i % 7), baselineTotal: 2000 })),
      Array.from({ length: 12 }, () => ({ canaryEvents: 0, canaryTotal: 500, baselineEvents: 5, baselineTotal: 5000 })),
      Array.from({ length: 12 }, (_, i) => ({ canaryEvents: 3 + i, canaryTotal: 500, baselineEvents: i < 4 ? 0 : 2, baselineTotal: 5000 })),
    ];
    for (const intervals of cases) {
      const looks = Array.from({ length: intervals.length }, (_, i) => i + 1);
      const fast = rateRatioConfidenceSequences(intervals, looks, (look) => (look % 2 ? [0.01, 0.05] : [0.025, 0.025]));
      looks.forEach((look, i) => {
        const exact = rateRatioConfidenceSequence(intervals.slice(0, look), look % 2 ? 0.01 : 0.025, look % 2 ? 0.05 : 0.025);
        for (const side of ['lower', 'upper'] as const) {
          if (exact[side] === 0 || !Number.isFinite(exact[side])) expect(fast[i][side]).toBe(exact[side]);
          else expect(Math.log(fast[i][side])).toBeCloseTo(Math.log(exact[side]), 4);
        }
      });
    }
  });
});
