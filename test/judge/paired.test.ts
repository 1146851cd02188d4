/**
 * The paired kind (src/judge/paired.ts) on simulated shadow steps (bench/simulate/shadow-pairs.ts)
 * and on hand-made counts: which check decides, what the reason names, the noise floor, labels
 * pending, unknown outcomes, fixed-sample bounds, and every reported number agreeing with its
 * verdict (bench/simulate/agreement.ts).
 */
import { disagreements } from '../../bench/simulate/agreement';
import { pairedSides, simulateShadow, type ShadowModel, type ShadowWorld } from '../../bench/simulate/shadow-pairs';
import { analyze } from '../../src/judge/analyze';
import { outcomeInterval, type PairOutcome } from '../../src/judge/paired-outcomes';
import { sumCategoricalIntervals } from '../../src/judge/timeline';
import type { AnalysisInput, CategoricalSide, MetricInput, MetricResult } from '../../src/judge/types';
import { clopperPearsonBounds } from '../../src/stats/clopper-pearson-bounds';
import { mcnemarExact } from '../../src/stats/mcnemar-exact';
import { pairedDifferenceBounds } from '../../src/stats/paired-difference-bounds';
import { seededRandom } from '../support/random';

type Counts = Partial<Record<PairOutcome, number>>;

function side(intervals: readonly Counts[]): CategoricalSide {
  const list = intervals.map(outcomeInterval);
  return { ...sumCategoricalIntervals(list), intervals: list };
}

function paired(canary: readonly Counts[], floor: readonly Counts[] | undefined, margins: { disagreement?: number; accuracy?: number }): MetricInput {
  return {
    name: 'shadow',
    kind: 'paired',
    noiseFloor: floor !== undefined,
    ...(margins.disagreement !== undefined ? { margin: { absolute: margins.disagreement } } : {}),
    ...(margins.accuracy !== undefined ? { accuracyMargin: margins.accuracy } : {}),
    canary: side(canary),
    baseline: side(floor ?? canary.map(() => ({}))),
  };
}

function judge(metric: MetricInput, options: Partial<AnalysisInput> = {}): MetricResult {
  const result = analyze({ metrics: [metric], ...options });
  expect(disagreements(result)).toEqual([]);
  return result.metrics[0];
}

const V1: ShadowModel = { accuracy: 0.9, classes: 5, noise: 0.01, breaks: 0, fixes: 0 };
const world = (model: ShadowModel, floor: ShadowWorld['floor'] = 'same'): ShadowWorld => ({ model, requestsPerInterval: 1000, intervals: 20, labelRate: 0.5, floor });

describe('paired: the noise floor', () => {
  it('blames v1\'s own non-determinism on nobody: an A/A passes against the floor and fails without it', () => {
    const sides = pairedSides(simulateShadow(world(V1), seededRandom(11)));
    const withFloor = judge({ name: 'shadow', kind: 'paired', noiseFloor: true, margin: { absolute: 0.01 }, ...sides });
    expect(withFloor.verdict).toBe('pass');
    expect(withFloor.effect!.measure).toBe('disagreement above the noise floor');
    expect(withFloor.reason).toMatch(/two replicas of v1 [\d,]+ of 20,000 \(the noise floor, /);
    // v1 against itself disagrees on ~2 %: judged alone, a 1 pp margin blames it on v2.
    const alone = judge({ name: 'shadow', kind: 'paired', noiseFloor: false, margin: { absolute: 0.01 }, canary: sides.canary, baseline: side(sides.canary.intervals!.map(() => ({}))) });
    expect(alone.verdict).toBe('fail');
    expect(alone.effect!.measure).toBe('disagreement rate (no noise floor)');
    expect(alone.effect!.lower).toBeGreaterThan(0.01);
    expect(alone.reason).toMatch(/with no noise floor given/);
  });

  it('fails a v2 that answers differently more often than the floor plus the margin, naming the counts', () => {
    // v2 changes 4.4 % of v1's answers.
    const sides = pairedSides(simulateShadow(world({ ...V1, breaks: 0.03, fixes: 0.17 }), seededRandom(12)));
    const m = judge({ name: 'shadow', kind: 'paired', noiseFloor: true, margin: { absolute: 0.01 }, ...sides });
    expect(m.verdict).toBe('fail');
    expect(m.direction).toBe('increase');
    expect(m.effect!.lower).toBeGreaterThan(0.01);
    expect(m.reason).toMatch(/^failed at interval \d+ of 20 and still failing: disagreement: v1 and v2 answered [\d,]+ of 20,000 compared requests differently/);
    expect(m.decidedAt).toBeGreaterThan(1);
  });
});

describe('paired: accuracy on the labelled pairs (McNemar)', () => {
  it('fails a 1 pp loss beyond a 0.25 pp margin, naming the discordant pairs and McNemar\'s exact test', () => {
    const sides = pairedSides(simulateShadow({ ...world({ ...V1, breaks: 0.03, fixes: 0.17 }), requestsPerInterval: 4000 }, seededRandom(13)));
    const m = judge({ name: 'shadow', kind: 'paired', noiseFloor: true, accuracyMargin: 0.0025, ...sides });
    expect(m.verdict).toBe('fail');
    expect(m.direction).toBe('decrease');
    expect(m.effect!.measure).toBe("v2's accuracy minus v1's on the same requests");
    expect(m.effect!.upper).toBeLessThan(-0.0025);
    const counts = Object.fromEntries(sides.canary.counts);
    expect(m.reason).toContain(`v1 alone was right on ${counts.v1_only_correct.toLocaleString('en-US')} and v2 alone on ${counts.v2_only_correct.toLocaleString('en-US')} (McNemar's discordant pairs)`);
    const mcnemar = m.tests.find((t) => t.name === 'mcnemar-exact')!;
    expect(mcnemar.pValue).toBe(mcnemarExact(counts.v1_only_correct, counts.v2_only_correct).pValue);
    expect(m.pairedChecks).toEqual([expect.objectContaining({ check: 'accuracy', verdict: 'fail', direction: 'decrease' })]);
  });

  it('fails when one check fails and passes only when both pass; each check reported', () => {
    const sides = pairedSides(simulateShadow({ ...world(V1), requestsPerInterval: 4000 }, seededRandom(14)));
    const both = judge({ name: 'shadow', kind: 'paired', noiseFloor: true, margin: { absolute: 0.01 }, accuracyMargin: 0.01, ...sides });
    expect(both.verdict).toBe('pass');
    expect(both.pairedChecks!.map((c) => [c.check, c.verdict])).toEqual([
      ['disagreement', 'pass'],
      ['accuracy', 'pass'],
    ]);
    // The pass stands from the look both had passed: the later of the two.
    expect(both.decidedAt).toBe(Math.max(...both.pairedChecks!.map((c) => c.decidedAt!)));
    // A disagreement margin below what v2 shows fails the metric whatever the accuracy says.
    const harmful = pairedSides(simulateShadow({ ...world({ ...V1, breaks: 0.01, fixes: 0.2 }), requestsPerInterval: 4000 }, seededRandom(15)));
    const oneFails = judge({ name: 'shadow', kind: 'paired', noiseFloor: true, margin: { absolute: 0.005 }, accuracyMargin: 0.01, ...harmful });
    expect(oneFails.verdict).toBe('fail');
    expect(oneFails.pairedChecks!.find((c) => c.check === 'accuracy')!.verdict).not.toBe('fail');
    expect(oneFails.effect!.measure).toBe('disagreement above the noise floor');
  });

  it('says "labels pending" and never passes while the labels are too few, whatever the disagreement says', () => {
    const canary = Array.from({ length: 10 }, () => ({ agree: 990, disagree: 10, both_correct: 1 }));
    const floor = Array.from({ length: 10 }, () => ({ agree: 990, disagree: 10 }));
    const m = judge(paired(canary, floor, { disagreement: 0.01, accuracy: 0.01 }));
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toMatch(/^accuracy: labels pending: 10 labelled pairs, fewer than the 20 required \(minSamples\); disagreement: .*within the tolerated \+1 pp/);
    expect(m.effect).toBeUndefined();
    const none = judge(paired(floor, floor, { accuracy: 0.01 }));
    expect(none.reason).toMatch(/^accuracy: labels pending: no labelled pairs yet/);
  });

  it('with fixed-sample evidence, judges the totals with exact bounds: McNemar\'s split times the discordance rate, Clopper-Pearson for the rate', () => {
    const canary = [{ agree: 4900, disagree: 100, both_correct: 3800, both_wrong: 140, v1_only_correct: 30, v2_only_correct: 30 }];
    const m = judge(paired(canary, undefined, { disagreement: 0.03, accuracy: 0.01 }), { evidence: 'fixed-sample' });
    // Two checks share the fail rate (0.05 / 2); each pass takes the full 0.05.
    const accuracy = m.pairedChecks!.find((c) => c.check === 'accuracy')!.effect!;
    const exact = pairedDifferenceBounds(30, 30, 4000, 0.05, 0.025);
    expect(accuracy.lower).toBe(exact.lower);
    expect(accuracy.upper).toBe(exact.upper);
    const disagreement = m.pairedChecks!.find((c) => c.check === 'disagreement')!.effect!;
    const cp = clopperPearsonBounds(100, 5000, 0.025, 0.05);
    expect(disagreement.lower).toBe(cp.lower);
    expect(disagreement.upper).toBe(cp.upper);
    expect(m.verdict).toBe('pass');
    expect(m.intervals).toBeUndefined();
  });
});

describe('paired: fail closed', () => {
  it('never passes on the latest interval alone (read once the next is in)', () => {
    const m = judge(paired([{ agree: 100000, disagree: 0, both_correct: 90000, both_wrong: 10000 }], [{ agree: 100000 }], { disagreement: 0.01, accuracy: 0.01 }));
    expect(m.verdict).toBe('inconclusive');
  });

  it('is inconclusive, naming them, over outcomes outside the vocabulary (a timeout may be v2 failing to answer)', () => {
    const metric = paired([{ agree: 990, disagree: 10 }], [{ agree: 995, disagree: 5 }], { disagreement: 0.01 }) as Extract<MetricInput, { kind: 'paired' }>;
    const withTimeout = { ...metric, canary: { counts: [...metric.canary.counts, ['timeout', 40]] as [string, number][], intervals: [{ counts: [...metric.canary.intervals![0].counts, ['timeout', 40]] as [string, number][] }] } };
    const m = judge(withTimeout);
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toMatch(/outcomes outside agree, disagree, .*: "timeout" \(40 v1-v2 pairs\)/);
  });

  it('needs the floor\'s pairs when it has a floor: none is not a floor of 0', () => {
    const m = judge(paired([{ agree: 990, disagree: 10 }, { agree: 990, disagree: 10 }], [{}, {}], { disagreement: 0.01 }));
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toMatch(/no noise-floor pairs \(v1 against itself\) yet/);
  });

  it('keeps its fail when v2 degrades late: a fail at any look stands', () => {
    const healthy = Array.from({ length: 20 }, () => ({ agree: 980, disagree: 20 }));
    const late = [...healthy, ...Array.from({ length: 20 }, () => ({ agree: 900, disagree: 100 }))];
    const floor = late.map(() => ({ agree: 980, disagree: 20 }));
    const m = judge(paired(late, floor, { disagreement: 0.02 }));
    expect(m.verdict).toBe('fail');
    expect(m.decidedAt).toBeGreaterThan(20);
  });

  it('keeps A/A false fails rare across seeds (a light check; the benchmark has the figures)', () => {
    let fails = 0;
    for (let seed = 0; seed < 30; seed++) {
      const sides = pairedSides(simulateShadow({ ...world(V1), requestsPerInterval: 300, intervals: 10 }, seededRandom(1000 + seed)));
      const m = judge({ name: 'shadow', kind: 'paired', noiseFloor: true, margin: { absolute: 0 }, accuracyMargin: 0, ...sides });
      if (m.verdict === 'fail') fails++;
    }
    // With no margin at all an A/A sits on the boundary: each check may fail at most alpha / 2.
    expect(fails).toBeLessThanOrEqual(4);
  });
});
