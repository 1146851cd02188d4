/**
 * Labelled quality with delayed labels (src/judge/label-coverage.ts, src/judge/labelled-quality.ts):
 * the coverage per interval and side, which intervals are judged (old enough AND labelled
 * enough, as a run of the oldest), "labels pending" / "labels late" with the time until the
 * labels are due, and the verdict on the judged run being exactly the ordinary judge's on it.
 * Reference values: test/fixtures/labelled-quality.py (numpy / scipy).
 */
import { analyze } from '../../src/judge/analyze';
import { labelCompletion } from '../../src/judge/label-coverage';
import { prefixMetric } from '../../src/judge/timeline';
import type { CountInterval, LabelledTimeline, MetricInput } from '../../src/judge/types';
import { expectedCoverage, labelledBy, TYPICAL } from '../../bench/simulate/delayed-labels';
import fixture from '../fixtures/labelled-quality.json';

interface FixtureSide {
  predictions: number[];
  labelled: number[];
  correct: number[];
}
interface FixtureCase {
  label: string;
  delaySeconds: number;
  minCoverage: number;
  ages: number[];
  sides: { baseline: FixtureSide; canary: FixtureSide };
  expected: {
    judged: number;
    perInterval: { baseline: (number | null)[]; canary: (number | null)[] };
    coverage: { baseline: number | null; canary: number | null };
    blocking: number | null;
    pendingSeconds: number | null;
  };
}

const cases = fixture.cases as FixtureCase[];

function side(intervals: CountInterval[]) {
  return { events: intervals.reduce((s, i) => s + i.events, 0), total: intervals.reduce((s, i) => s + i.total, 0), intervals };
}

type LabelledProportion = Extract<MetricInput, { kind: 'proportion' }> & { labelled: LabelledTimeline };

function metricOf(c: FixtureCase, margin = 0.01): LabelledProportion {
  const intervals = (s: FixtureSide) => side(s.correct.map((events, i) => ({ events, total: s.labelled[i] })));
  return {
    name: 'accuracy',
    kind: 'proportion',
    direction: 'decrease',
    margin: { absolute: margin },
    intervalSeconds: 60,
    labelled: { predictions: { baseline: c.sides.baseline.predictions, canary: c.sides.canary.predictions }, minCoverage: c.minCoverage, delaySeconds: c.delaySeconds, ages: c.ages },
    baseline: intervals(c.sides.baseline),
    canary: intervals(c.sides.canary),
  };
}

const close = (actual: number | null, expected: number | null) => {
  if (expected === null) expect(actual).toBeNull();
  else expect(actual).toBeCloseTo(expected, 12);
};

describe('label coverage per interval (fixture: numpy)', () => {
  it.each(cases.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const completion = labelCompletion(metricOf(c));
    expect(completion.judged).toBe(c.expected.judged);
    for (const s of ['baseline', 'canary'] as const) {
      c.expected.perInterval[s].forEach((x, i) => close(completion.perInterval[s][i], x));
      close(completion.coverage[s], c.expected.coverage[s]);
    }
    expect(completion.blocking?.index ?? null).toBe(c.expected.blocking);
    if (c.expected.blocking === null) expect(completion.pendingSeconds).toBeUndefined();
    else expect(completion.pendingSeconds).toBe(c.expected.pendingSeconds);
  });
});

describe('the judged run is judged by the ordinary judge, unchanged', () => {
  const judgedCases = cases.filter((c) => c.expected.judged > 0 && !c.label.includes('100 %'));
  it.each(judgedCases.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const labelled = metricOf(c);
    const { labelled: _l, intervalSeconds: _s, ...plain } = labelled;
    const mine = analyze({ metrics: [labelled] }).metrics[0];
    const theirs = analyze({ metrics: [prefixMetric(plain as MetricInput, c.expected.judged)] }).metrics[0];
    expect(mine.verdict).toBe(theirs.verdict);
    expect(mine.effect).toEqual(theirs.effect);
    expect(mine.intervals).toBe(c.expected.judged);
    expect(mine.decidedAt).toBe(theirs.decidedAt);
    expect(mine.reason.startsWith(theirs.reason)).toBe(true);
    expect(mine.labels).toMatchObject({ intervals: c.ages.length, judged: c.expected.judged, delaySeconds: c.delaySeconds, minCoverage: c.minCoverage });
    expect(mine.reason).toContain(`labels: judged on the oldest ${c.expected.judged} of ${c.ages.length} prediction intervals`);
  });

  it('a clear drop on the judged run fails; the same data with every interval pending is never judged', () => {
    const c = cases[0];
    // The canary 5 pp worse on every labelled prediction.
    const worse: FixtureCase = { ...c, sides: { ...c.sides, canary: { ...c.sides.canary, correct: c.sides.canary.labelled.map((l) => Math.round(l * 0.85)) } } };
    const failed = analyze({ metrics: [metricOf(worse)] }).metrics[0];
    expect(failed.verdict).toBe('fail');
    expect(failed.reason).toMatch(/labels: judged on the oldest 30 of 40/);
    const young = { ...metricOf(worse), labelled: { ...metricOf(worse).labelled, ages: worse.ages.map((a) => Math.min(a, 300)) } };
    const pending = analyze({ metrics: [young] }).metrics[0];
    expect(pending.verdict).toBe('inconclusive');
    expect(pending.effect).toBeUndefined();
    expect(pending.reason).toMatch(/^labels pending: none of the 40 prediction intervals has its labels in yet \(interval 1 has/);
    expect(pending.labels?.pendingSeconds).toBe(300);
  });
});

describe('labels pending, late, or not right', () => {
  it('pending: the coverage so far and when the first interval is due, never a verdict on early labels', () => {
    const c = cases.find((x) => x.label === 'all pending')!;
    const result = analyze({ metrics: [metricOf(c)] }).metrics[0];
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toContain('labels pending');
    expect(result.reason).toContain('so it is due in about 3 minutes');
    expect(result.reason).toContain('early labels are a biased sample');
    expect(result.labels).toMatchObject({ judged: 0, intervals: 8, pendingSeconds: 180, coverage: { baseline: null, canary: null } });
    expect(result.labels!.perInterval.canary).toHaveLength(8);
  });

  it('an interval without predictions is said so in words', () => {
    const c = cases.find((x) => x.label === 'all pending')!;
    const metric = metricOf(c);
    const empty = { ...metric.labelled, predictions: { baseline: metric.labelled.predictions.baseline.map(() => 0), canary: metric.labelled.predictions.canary.map(() => 0) } };
    const zero = (s: typeof metric.baseline) => side(s.intervals!.map(() => ({ events: 0, total: 0 })));
    const result = analyze({ metrics: [{ ...metric, labelled: empty, baseline: zero(metric.baseline), canary: zero(metric.canary) }] }).metrics[0];
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toContain("none of the baseline's (it made no predictions then), none of the canary's (it made no predictions then)");
    expect(result.reason).not.toMatch(/no predictions of the/);
  });

  it('late: beyond the delay with too few labels, the reason says they are later than declared or lost', () => {
    const c = cases.find((x) => x.label === 'labels late from interval 0')!;
    const result = analyze({ metrics: [metricOf(c)] }).metrics[0];
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/^labels late: .*later than declared, or lost/);
    expect(result.labels?.pendingSeconds).toBeNull();
  });

  it('a stuck interval ends the judged run: later complete intervals wait behind it', () => {
    const c = cases.find((x) => x.label === 'stuck interval 6')!;
    const result = analyze({ metrics: [metricOf(c)] }).metrics[0];
    expect(result.labels?.judged).toBe(6);
    expect(result.reason).toMatch(/the latest 24 await theirs \(interval 7 has .* beyond the label delay/);
  });

  it('coverage above 100 %: nothing is judged, the reason names the interval and side', () => {
    const c = cases.find((x) => x.label.includes('100 %'))!;
    const result = analyze({ metrics: [metricOf(c)] }).metrics[0];
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/^labels not judged: interval 5 of the canary has [\d,]+ labelled outcomes of [\d,]+ predictions \(coverage above 100 %\)/);
    expect(result.labels).toMatchObject({ judged: 0, coverage: { baseline: null, canary: null }, pendingSeconds: null });
  });

  it('NaN or negative predictions, or arrays that do not match the intervals: never judged', () => {
    const c = cases[0];
    const nan = metricOf(c);
    const broken = [
      { ...nan, labelled: { ...nan.labelled, predictions: { ...nan.labelled.predictions, canary: nan.labelled.predictions.canary.map((p, i) => (i === 2 ? NaN : p)) } } },
      { ...nan, labelled: { ...nan.labelled, predictions: { ...nan.labelled.predictions, baseline: nan.labelled.predictions.baseline.map((p, i) => (i === 0 ? -5 : p)) } } },
      { ...nan, labelled: { ...nan.labelled, ages: nan.labelled.ages.slice(1) } },
    ];
    for (const metric of broken) {
      const result = analyze({ metrics: [metric] }).metrics[0];
      expect(result.verdict).toBe('inconclusive');
      expect(result.reason).toMatch(/^labels not judged: /);
    }
  });

  it('a side without predictions in an interval has nothing to wait for', () => {
    const c = cases.find((x) => x.label.startsWith('canary without predictions'))!;
    const completion = labelCompletion(metricOf(c));
    expect(completion.perInterval.canary[3]).toBeNull();
    expect(completion.judged).toBeGreaterThan(3);
  });

  it('a young interval waits for the delay even when its labels are in', () => {
    const c = cases[0];
    const metric = metricOf(c);
    const full = { ...metric, canary: side(metric.canary.intervals!.map((i, k) => ({ events: Math.min(i.events, c.sides.canary.predictions[k]), total: c.sides.canary.predictions[k] }))), baseline: side(metric.baseline.intervals!.map((i, k) => ({ events: Math.min(i.events, c.sides.baseline.predictions[k]), total: c.sides.baseline.predictions[k] }))) };
    const completion = labelCompletion(full);
    // Every interval fully labelled, but the latest 10 are younger than 600 s.
    expect(completion.judged).toBe(30);
    expect(completion.blocking?.short).toEqual([]);
    expect(completion.pendingSeconds).toBe(60);
  });
});

describe('the simulation\'s label-delay model (fixture: scipy.integrate.quad of scipy.stats.expon)', () => {
  it.each(fixture.labelledBy.map((x) => [x.mean, x.x, x.labelledBy] as const))('mean %s min, %s min after the minute began', (mean, x, expected) => {
    expect(labelledBy(x, mean)).toBeCloseTo(expected, 9);
  });
  it.each(fixture.typicalCoverage.map((x) => [x.ageMinutes, x.coverage] as const))('typical coverage %s min after the interval', (age, expected) => {
    expect(expectedCoverage(TYPICAL, age)).toBeCloseTo(expected, 9);
  });
});
