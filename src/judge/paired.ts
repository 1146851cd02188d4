/**
 * Paired metrics: a shadow (mirror) step, where v1 and v2 answer the same requests and a
 * comparator counts how the two answers relate (src/judge/paired-outcomes.ts). Pairing removes
 * what two independent samples cannot: the requests. Two models' accuracies measured on
 * different requests differ by the requests' difficulty as much as by the models; on the same
 * requests only the pairs where the two differ carry information, so a 1 pp loss shows on a few
 * hundred discordant pairs where independent samples need thousands of requests per side
 * (BENCHMARKS.md, "Paired shadow comparison").
 *
 * Up to two checks, each against a margin the request states; the metric fails when one fails
 * (each fail claim at the metric's fail rate over the number of checks: Bonferroni) and passes
 * when every one passes (each at the full pass rate: an intersection-union test):
 *
 * - Disagreement (`margin.absolute`): the share of compared pairs where v1 and v2 answered
 *   differently may exceed the noise floor by at most the margin. The noise floor (`baseline`)
 *   is v1 against itself, two replicas answering the same (or like) requests, as differential
 *   testing tools compare a primary with a secondary of the same version: a model whose answers
 *   vary from call to call (sampling, batching, GPU non-determinism) disagrees with itself, and
 *   that is not v2's doing. With a floor the excess is a difference of two rates, tested per
 *   interval by the rate-difference e-process of src/stats/rate-difference-e-process.ts (the
 *   floor's rate is a nuisance there, as a baseline's error rate is); without one the rate
 *   itself is tested against the margin by betting (src/judge/paired-timeline.ts). The floor is
 *   taken as a sample of its own: measured on other requests it is independent, and measured on
 *   the same requests (a three-way mirror) its disagreements go with v2's (a request on which
 *   v1's replicas differ is one on which v1 and v2 differ more often, not less), which only
 *   makes the test conservative: for `greater` the e-value's tilt rewards v2's disagreements and
 *   penalises the floor's, so positively associated counts lower its mean (the covariance of an
 *   increasing and a decreasing function of associated variables is not positive). The
 *   decision benchmark's A/A runs on the same requests keep their false fails below alpha.
 * - Accuracy (`accuracyMargin`), when labels exist: McNemar's comparison of correctness on the
 *   labelled pairs. Per pair Z = +1 where v2 alone was right, -1 where v1 alone was, 0 where
 *   both or neither were, so E[Z] is v2's accuracy minus v1's; it may fall at most to
 *   -accuracyMargin. Anytime-valid: the betting e-process on Z
 *   (src/stats/outcome-mean-betting-e-process.ts, Waudby-Smith & Ramdas 2024), where the
 *   concordant pairs are a nuisance no bet needs to know; fixed-sample: McNemar's conditional
 *   split of the discordant pairs with the discordance rate, both exact
 *   (src/stats/paired-difference-bounds.ts). McNemar's exact test of "no difference" is reported
 *   beside it. Non-determinism needs no floor here: two draws of one model are exchangeable, so
 *   its discordant pairs favour neither side.
 *
 * Each check reads its own partition of the counts: compared pairs for the disagreement,
 * labelled pairs for correctness (labels arrive later, for fewer pairs). A check without enough
 * pairs (`minSamples`) is inconclusive with the reason ("labels pending"), so the metric never
 * passes without evidence; an outcome outside the vocabulary (a "timeout" the comparator counts)
 * makes it inconclusive too, naming it, since it may be v2's failure to answer. Timelines are
 * judged per interval with sticky verdicts like every other kind (src/judge/timeline-checks.ts);
 * fixed-sample evidence judges the totals at the last look.
 */
import { clopperPearsonBounds } from '../stats/clopper-pearson-bounds';
import { mcnemarExact } from '../stats/mcnemar-exact';
import { outcomeMeanConfidenceSequence, type OutcomeCounts } from '../stats/outcome-mean-betting-e-process';
import { pairedDifferenceBounds } from '../stats/paired-difference-bounds';
import { DEFAULT_MARGIN } from './defaults';
import { describeLevel, quoted } from './describe';
import { checkAgainstMargin, checkAgainstMargins, type Check, type EffectCandidate, type ErrorRates } from './margin-check';
import { resolve, type MetricContext } from './metric-context';
import { comparedPairs, labelledPairs, pairCounts, PAIR_OUTCOMES, unknownOutcomes, type PairCounts } from './paired-outcomes';
import { judgeOutcomeTimeline, pairedEvidenceText, pairedSettling, type OutcomeTest } from './paired-timeline';
import { describeProjection, projectDecision } from './projection';
import { countTests, percent, rateCandidates } from './proportion';
import { judgeRateTimeline } from './rate-timeline';
import type { TimelineDecision } from './timeline-checks';
import { stickyPhrase } from './timeline';
import type { CategoricalSide, CountInterval, Look, MetricInput, MetricResult, PairedCheckReport, SideSummary, TestReport, Verdict } from './types';

type PairedMetric = Extract<MetricInput, { kind: 'paired' }>;

/** A check's verdict and what the reason says of it. */
interface CheckOutcome extends PairedCheckReport {
  readonly direction: 'increase' | 'decrease';
  /** What was found: the counts that decided, the effect, its interval and the margin. */
  readonly sentence: string;
  /** Which intervals it rests on (a timeline). */
  readonly evidence?: string;
  readonly looks?: readonly Look[];
  /** The pairs its effect rests on and the latest interval's, for the projection, and what they are called. */
  readonly pairs: number;
  readonly latestPairs?: number;
  readonly pairsAre: string;
}

export const DISAGREEMENT_ABOVE_FLOOR = 'disagreement above the noise floor';
export const DISAGREEMENT_WITHOUT_FLOOR = 'disagreement rate (no noise floor)';
export const PAIRED_ACCURACY = "v2's accuracy minus v1's on the same requests";

export function judgePaired(metric: PairedMetric, ctx: MetricContext): MetricResult {
  const resolved = resolve(metric);
  const summaries = { baseline: pairedSummary(metric.baseline), canary: pairedSummary(metric.canary) };
  const v12 = pairCounts(metric.canary);
  const floor = pairCounts(metric.baseline);
  const tests = pairedTests(v12, metric.noiseFloor ? floor : undefined);
  const common = { name: metric.name, kind: metric.kind, critical: resolved.critical, weight: resolved.weight, ...summaries, tests };

  const unknown = unknownText(metric);
  if (unknown) return { ...common, verdict: 'inconclusive', direction: 'increase', reason: unknown };

  const disagreementMargin = metric.margin?.absolute ?? (metric.accuracyMargin === undefined ? DEFAULT_MARGIN.paired.absolute : undefined);
  const wanted = [disagreementMargin, metric.accuracyMargin].filter((m) => m !== undefined).length;
  // Either check failing fails the metric: each fail claim takes its share of the fail rate.
  const rates: ErrorRates = { fail: ctx.rates.fail / Math.max(1, wanted), pass: ctx.rates.pass };
  const sub: MetricContext = { evidence: ctx.evidence, rates };
  const checks: CheckOutcome[] = [];
  if (disagreementMargin !== undefined) checks.push(disagreementCheck(metric, disagreementMargin, resolved.minSamples, sub));
  if (metric.accuracyMargin !== undefined) checks.push(accuracyCheck(metric, metric.accuracyMargin, resolved.minSamples, sub));

  const { verdict, decisive } = combine(checks);
  const others = checks.filter((c) => c !== decisive);
  const intervals = metric.canary.intervals?.length;
  const sequential = ctx.evidence.sequential && intervals !== undefined;
  const when = verdict !== 'inconclusive' && sequential && decisive.decidedAt !== undefined ? `${stickyPhrase(verdict, decisive.decidedAt, intervals!, true)}: ` : '';
  const unjudged = metric.accuracyMargin === undefined && labelledPairs(v12) > 0 ? [`${labelledPairs(v12).toLocaleString('en-US')} labelled pairs not judged for correctness (no "accuracyMargin")`] : [];
  const parts = [`${when}${decisive.check}: ${decisive.sentence}`, ...(decisive.evidence ? [decisive.evidence] : []), ...others.map((o) => `${o.check}: ${o.sentence}`), ...unjudged];
  const projection = verdict === 'inconclusive' && decisive.effect ? projectDecision(decisive.effect, decisive.direction, decisive.pairs, decisive.latestPairs, metric.intervalSeconds) : null;
  if (projection) parts.push(describeProjection(projection, decisive.pairsAre));
  return {
    ...common,
    verdict,
    reason: parts.join('; '),
    direction: decisive.direction,
    ...(decisive.effect ? { effect: decisive.effect } : {}),
    ...(sequential ? { intervals } : {}),
    ...(sequential && verdict !== 'inconclusive' && decisive.decidedAt !== undefined ? { decidedAt: decisive.decidedAt } : {}),
    ...(decisive.looks?.length ? { timeline: decisive.looks } : {}),
    pairedChecks: checks.map(({ check, verdict, direction, effect, decidedAt }) => ({ check, verdict, direction, ...(effect ? { effect } : {}), ...(decidedAt !== undefined ? { decidedAt } : {}) })),
    ...(projection ? { projection } : {}),
  };
}

/**
 * Fail when a check fails (the earliest fail decides), pass when every check passes (the last to
 * pass decides: the metric passed then), else inconclusive (a check without data decides first:
 * what is missing is the news).
 */
function combine(checks: readonly CheckOutcome[]): { verdict: Verdict; decisive: CheckOutcome } {
  const at = (c: CheckOutcome) => c.decidedAt ?? Infinity;
  const fails = checks.filter((c) => c.verdict === 'fail');
  if (fails.length) return { verdict: 'fail', decisive: fails.reduce((a, b) => (at(b) < at(a) ? b : a)) };
  if (checks.every((c) => c.verdict === 'pass')) return { verdict: 'pass', decisive: checks.reduce((a, b) => ((b.decidedAt ?? -1) > (a.decidedAt ?? -1) ? b : a)) };
  const open = checks.filter((c) => c.verdict === 'inconclusive');
  return { verdict: 'inconclusive', decisive: open.find((c) => !c.effect) ?? open[0] };
}

/** "v1 and v2 answered 212 of 30,000 compared requests differently (0.707%)". */
const ofPairs = (events: number, total: number) => `${events.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`;

function disagreementCheck(metric: PairedMetric, tol: number, minSamples: number, ctx: MetricContext): CheckOutcome {
  const v12 = pairCounts(metric.canary);
  const n = comparedPairs(v12);
  const floor = metric.noiseFloor ? pairCounts(metric.baseline) : undefined;
  const found = `v1 and v2 answered ${ofPairs(v12.disagree, n)} compared requests differently${n > 0 ? ` (${percent(v12.disagree / n)})` : ''}`;
  const floorFound = floor ? `, two replicas of v1 ${ofPairs(floor.disagree, comparedPairs(floor))} (the noise floor${comparedPairs(floor) > 0 ? `, ${percent(floor.disagree / comparedPairs(floor))}` : ''})` : ', with no noise floor given';
  const base = { check: 'disagreement' as const, direction: 'increase' as const, pairsAre: 'compared pairs' };
  const gap = fewPairs(n, minSamples, 'compared pairs (agree or disagree)') ?? (floor ? fewPairs(comparedPairs(floor), minSamples, 'noise-floor pairs (v1 against itself)') : null);
  if (gap) return { ...base, verdict: 'inconclusive', sentence: `${found}${floorFound}: ${gap}`, pairs: n };

  const measure = floor ? DISAGREEMENT_ABOVE_FLOOR : DISAGREEMENT_WITHOUT_FLOOR;
  const subject = `${found}${floorFound}; the ${measure}`;
  const v12Intervals = metric.canary.intervals?.map(pairCounts);
  if (floor) {
    const asCounts = (p: PairCounts): CountInterval => ({ events: p.disagree, total: comparedPairs(p) });
    const floorIntervals = metric.baseline.intervals?.map(pairCounts);
    if (ctx.evidence.sequential && v12Intervals && floorIntervals && floorIntervals.length === v12Intervals.length) {
      const decision = judgeRateTimeline(floorIntervals.map(asCounts), v12Intervals.map(asCounts), { absolute: tol }, 'increase', ctx, 'disagreement');
      return fromTimeline(base, renamed(decision, measure), subject, v12Intervals.map(comparedPairs));
    }
    const c = asCounts(v12);
    const b = asCounts(floor);
    const { verdict, checks } = checkAgainstMargins(rateCandidates(c, b, { absolute: tol }, ctx, 'disagreement'), 'increase', ctx.rates);
    const check = withMeasure(checks[0], measure);
    return { ...base, verdict, effect: check.effect, sentence: describeLevel(subject, check, 'increase'), pairs: n };
  }
  const test: OutcomeTest = { values: [0, 1], direction: 'increase', tolerance: tol, measure, unit: 'rate' };
  const disagreements = (p: PairCounts): OutcomeCounts => ({ counts: [p.agree, p.disagree] });
  if (ctx.evidence.sequential && v12Intervals) {
    const settling = pairedSettling(v12Intervals.map((p) => ({ events: p.disagree, exposure: comparedPairs(p) })));
    return fromTimeline(base, judgeOutcomeTimeline(test, v12Intervals.map(disagreements), settling, { fail: ctx.rates.fail, passAt: () => ctx.rates.pass }), subject, v12Intervals.map(comparedPairs));
  }
  const candidate: EffectCandidate = {
    measure,
    unit: 'rate',
    estimate: v12.disagree / n,
    tolerance: tol,
    bounds: (aL, aU) => (ctx.evidence.sequential ? outcomeMeanConfidenceSequence(test.values, [v12.agree, v12.disagree], aL, aU) : clopperPearsonBounds(v12.disagree, n, aL, aU)),
  };
  const check = checkAgainstMargin(candidate, 'increase', ctx.rates);
  return { ...base, verdict: check.verdict, effect: check.effect, sentence: describeLevel(subject, check, 'increase'), pairs: n };
}

function accuracyCheck(metric: PairedMetric, tol: number, minSamples: number, ctx: MetricContext): CheckOutcome {
  const v12 = pairCounts(metric.canary);
  const n = labelledPairs(v12);
  const found = `of ${n.toLocaleString('en-US')} labelled pairs v1 alone was right on ${v12.v1Only.toLocaleString('en-US')} and v2 alone on ${v12.v2Only.toLocaleString('en-US')} (McNemar's discordant pairs)`;
  const base = { check: 'accuracy' as const, direction: 'decrease' as const, pairsAre: 'labelled pairs' };
  const gap = fewPairs(n, minSamples, 'labelled pairs');
  if (gap) return { ...base, verdict: 'inconclusive', sentence: `labels pending: ${gap}`, pairs: n };

  const subject = `${found}; ${PAIRED_ACCURACY}`;
  const test: OutcomeTest = { values: [-1, 0, 1], direction: 'decrease', tolerance: tol, measure: PAIRED_ACCURACY, unit: 'rate' };
  const scored = (p: PairCounts): OutcomeCounts => ({ counts: [p.v1Only, p.bothCorrect + p.bothWrong, p.v2Only] });
  const intervals = metric.canary.intervals?.map(pairCounts);
  if (ctx.evidence.sequential && intervals) {
    const settling = pairedSettling(intervals.map((p) => ({ events: p.v1Only + p.v2Only, exposure: labelledPairs(p) })));
    return fromTimeline(base, judgeOutcomeTimeline(test, intervals.map(scored), settling, { fail: ctx.rates.fail, passAt: () => ctx.rates.pass }), subject, intervals.map(labelledPairs));
  }
  const candidate: EffectCandidate = {
    measure: PAIRED_ACCURACY,
    unit: 'rate',
    estimate: (v12.v2Only - v12.v1Only) / n,
    tolerance: tol,
    bounds: (aL, aU) => (ctx.evidence.sequential ? outcomeMeanConfidenceSequence(test.values, scored(v12).counts, aL, aU) : pairedDifferenceBounds(v12.v1Only, v12.v2Only, n, aL, aU)),
  };
  const check = checkAgainstMargin(candidate, 'decrease', ctx.rates);
  return { ...base, verdict: check.verdict, effect: check.effect, sentence: describeLevel(subject, check, 'decrease'), pairs: n };
}

/** A check's outcome from its timeline decision: the pairs its effect rests on are those of the intervals the decision names. */
function fromTimeline(
  base: Pick<CheckOutcome, 'check' | 'direction' | 'pairsAre'>,
  decision: TimelineDecision,
  subject: string,
  pairsPerInterval: readonly number[],
): CheckOutcome {
  const { range } = decision;
  const pairs = pairsPerInterval.slice(range.from, range.to + 1).reduce((a, b) => a + b, 0);
  return {
    ...base,
    verdict: decision.verdict,
    effect: decision.decisive.effect,
    sentence: describeLevel(subject, decision.decisive, base.direction),
    evidence: pairedEvidenceText(decision),
    ...(decision.decidedAt !== undefined ? { decidedAt: decision.decidedAt } : {}),
    looks: decision.timeline,
    pairs,
    latestPairs: pairsPerInterval.at(-1),
  };
}

function fewPairs(n: number, minSamples: number, what: string): string | null {
  if (n === 0) return `no ${what} yet`;
  if (n < minSamples) return `${n.toLocaleString('en-US')} ${what}, fewer than the ${minSamples} required (minSamples)`;
  return null;
}

function withMeasure(check: Check, measure: string): Check {
  return { ...check, effect: { ...check.effect, measure } };
}

/** The rate check's effects under the paired measure's name. */
function renamed(decision: TimelineDecision, measure: string): TimelineDecision {
  return { ...decision, checks: decision.checks.map((c) => withMeasure(c, measure)), decisive: withMeasure(decision.decisive, measure) };
}

/** Outcomes outside the vocabulary, named with their side and counts; null when there are none. */
function unknownText(metric: PairedMetric): string | null {
  const sides: [string, CategoricalSide][] = [['v1-v2 pairs', metric.canary], ...(metric.noiseFloor ? [['noise-floor pairs', metric.baseline] as [string, CategoricalSide]] : [])];
  const found = sides.flatMap(([name, side]) => unknownOutcomes(side).map(([outcome, n]) => `${quoted(outcome)} (${n.toLocaleString('en-US')} ${name})`));
  if (!found.length) return null;
  return `not judged: the pairs carry outcomes outside ${PAIR_OUTCOMES.join(', ')}: ${found.join(', ')}; an outcome the judge cannot read may be v2 failing to answer, so the metric is never passed over it: count such pairs as "disagree" (or fix the comparator's label)`;
}

function pairedSummary(side: CategoricalSide): SideSummary {
  const p = pairCounts(side);
  const outcomes: Record<string, number> = Object.create(null);
  for (const [name, n] of side.counts) outcomes[name] = (outcomes[name] ?? 0) + n;
  return { n: comparedPairs(p), labelled: labelledPairs(p), outcomes };
}

/** McNemar's exact test of equal accuracy (labelled pairs), and the disagreement against the floor's (Fisher, z). */
function pairedTests(v12: PairCounts, floor: PairCounts | undefined): TestReport[] {
  const tests: TestReport[] = [];
  if (labelledPairs(v12) > 0) {
    const m = mcnemarExact(v12.v1Only, v12.v2Only);
    tests.push({ name: 'mcnemar-exact', statistic: m.statistic, pValue: m.pValue, method: m.method });
  }
  if (floor && comparedPairs(v12) > 0 && comparedPairs(floor) > 0) tests.push(...countTests(v12.disagree, comparedPairs(v12), floor.disagree, comparedPairs(floor)));
  return tests;
}
