/**
 * What the per-interval sequential checks share (rates in src/judge/rate-timeline.ts,
 * quantiles in src/judge/quantile-timeline.ts, category shares in
 * src/judge/categorical-timeline.ts): the fail and pass claims at each look from one-sided
 * tests at the margin's boundaries, and the verdict over one or two margins.
 *
 * Verdicts that follow the canary through the rollout (issue 21):
 * - Fail claims test the null "within the margin in every interval" with an e-detector
 *   (src/stats/e-detector.ts): a mixture over the intervals at which harm may have started,
 *   weighted towards the weight steps, so harm that starts at the 50 % step is judged on the
 *   50 % step's evidence and not buried under the healthy 1 % and 10 % steps. Its null is a
 *   product over intervals, so it stays valid however the effect moves over time; a claim
 *   holds from the first look at which it crosses 1/alpha (Ville's inequality) and fail
 *   evidence keeps accumulating after a pass: a later fail is never hidden by an earlier pass.
 *   It reads settled intervals only (src/judge/interval-settling.ts), so it lags one look.
 * - Pass claims test "beyond the margin throughout the gated window" (the trailing intervals at
 *   the canary's current weight, src/judge/interval-settling.ts) with the mixture e-process
 *   started at the window's first interval: a gate's pass rests on the traffic it gates, not
 *   on early steps at 1 %. Valid for each window at its own level whatever came before it
 *   (the earlier intervals do not enter the product). Sticky within the window: once made, a
 *   pass stands until the canary's weight steps (new traffic to judge) or a fail arrives, so
 *   the same evidence never flips it back to inconclusive.
 * - Margins are alternatives, as without a timeline (src/judge/margin-check.ts): the metric
 *   fails when every check's fail claim has held, and passes while one check's pass claim
 *   holds. Which check a window's pass rests on is chosen before the window from the data
 *   before it (the margin wider at the baseline's level then), so that check takes the whole
 *   pass rate; a window without earlier data splits it (Bonferroni).
 * - The reported interval is the confidence sequence of the intervals the verdict rests on
 *   (the window for a pass, the fail evidence's start on for a fail), intersected with the
 *   deciding look's when that intersection is not empty: never an empty interval, and the
 *   reason names the intervals.
 */
import { changePointPrior, dominantStart, logEDetector, logMixture, type LogFactorTable } from '../stats/e-detector';
import { describeCheck } from './describe';
import { intervalRange, setAsideText, type Settling } from './interval-settling';
import { lookOf } from './look-series';
import type { Check, ErrorRates } from './margin-check';
import { judged, type Resolved } from './metric-context';
import type { Bounds, Direction, Effect, EffectUnit, Look, Margin, MetricInput, MetricResult, SideSummary, TestReport, Verdict } from './types';
import { looksToJudge, stickyPhrase } from './timeline';

/** The intervals (0-based, inclusive) a verdict or a look rests on, and which claim's weights they are read with. */
export interface EvidenceRange {
  readonly from: number;
  readonly to: number;
  readonly claim: 'fail' | 'pass';
}

export interface TimelineDecision {
  readonly verdict: Verdict;
  readonly checks: Check[];
  readonly decisive: Check;
  /** 1-based interval of the look at which the standing verdict was reached. */
  readonly decidedAt?: number;
  /** Whether the latest look alone is decisive the same way. */
  readonly still: boolean;
  /** The decisive check's effect at evenly spaced looks and the deciding one (src/judge/look-series.ts). */
  readonly timeline: readonly Look[];
  /** The intervals the decisive effect rests on. */
  readonly range: EvidenceRange;
  readonly settling: Settling;
}

/** Per look (0-based): whether a claim holds then. */
export interface Claims {
  /** A fail claim has held at this look or before (sticky for good). */
  readonly failing: readonly boolean[];
  /** A pass claim holds at this look (sticky within the gated window). */
  readonly passing: readonly boolean[];
  /** The interval the first fail's evidence starts at (the e-detector's dominant start). */
  readonly failFrom?: number;
}

export interface TimelineCheck {
  readonly claims: Claims;
  readonly measure: string;
  readonly unit: EffectUnit;
  readonly tolerance: number;
  /** The confidence sequence over a range's intervals (with its claim's weights) at one-sided alphas; `hint`: a nearby range's bounds. */
  readonly boundsOver: (range: EvidenceRange, alphas: readonly [number, number], hint?: Bounds) => Bounds;
  /** The point estimate over a range's intervals. */
  readonly estimateOver: (range: EvidenceRange, hint?: number) => number;
  /** The one-sided alphas the bounds take for a verdict standing over a range. */
  readonly alphasFor: (verdict: Verdict, range: EvidenceRange) => [number, number];
}

/**
 * A check's series lists at most this many looks (plus the deciding one): each look's bounds
 * cost root searches on the e-process of its intervals, so on a 2-hour timeline of 1-minute
 * intervals 12 looks add ~8 ms to a rate metric's ~13 ms (BENCHMARKS.md); the looks the
 * verdict rests on (every e-process value) are not limited.
 */
export const MAX_SERIES_LOOKS = 12;

/** The 0-based looks a check's series lists: evenly spaced, the last among them. */
export function seriesLooksOf(intervals: number): number[] {
  return looksToJudge(intervals, MAX_SERIES_LOOKS).map((look) => look - 1);
}

/** The error rates of each check: the pass rate is shared among the alternative margins (relative, absolute). */
export function checkRates(rates: ErrorRates, margin: Margin): ErrorRates {
  const margins = (margin.relative !== undefined ? 1 : 0) + (margin.absolute !== undefined ? 1 : 0);
  return { fail: rates.fail, pass: rates.pass / Math.max(1, margins) };
}

/**
 * The pass rate of each of two alternative checks in the window starting at `start`: all of it
 * on the one that `firstWider(start)` (decided from the intervals before `start` alone) says is
 * the wider margin there, or half each when it cannot tell (no data before the window).
 */
export function passRateChoice(pass: number, firstWider: (start: number) => boolean | undefined): [(start: number) => number, (start: number) => number] {
  return [
    (start) => {
      const wider = firstWider(start);
      return wider === undefined ? pass / 2 : wider ? pass : 0;
    },
    (start) => {
      const wider = firstWider(start);
      return wider === undefined ? pass / 2 : wider ? 0 : pass;
    },
  ];
}

/** The one-sided alphas a verdict's reported bounds take (as in margin-check.ts). */
export function reportedAlphas(verdict: Verdict, direction: Direction, rates: ErrorRates): [number, number] {
  if (direction === 'increase') return [rates.fail, rates.pass];
  if (direction === 'decrease') return [rates.pass, rates.fail];
  return verdict === 'fail' ? [rates.fail / 2, rates.fail / 2] : [rates.pass, rates.pass];
}

export function intersect(a: Bounds, b: Bounds): Bounds {
  return { lower: Math.max(a.lower, b.lower), upper: Math.min(a.upper, b.upper) };
}

/**
 * Each interval's weight in a range as its claim read it at the range's last look: a fail
 * reads settled intervals; a pass reads them and its last interval as the latest then.
 */
export function rangeWeights(settling: Settling, range: EvidenceRange): Float64Array {
  const n = settling.settled.length;
  const out = new Float64Array(n);
  for (let i = range.from; i <= range.to && i < n; i++) out[i] = settling.settled[i];
  if (range.claim === 'pass' && range.to < n) out[range.to] = settling.asLatest[range.to];
  return out;
}

/** The prior over where harm starts, from the settling's step starts (src/stats/e-detector.ts). */
export function startPrior(settling: Settling): Float64Array {
  return changePointPrior(settling.stepStart);
}

/**
 * The fail claim per look from the untempered table of a one-sided test at a boundary: the
 * e-detector over the settled intervals, read at look k after interval k - 1 (the last one
 * settled then), sticky from its first crossing.
 */
export function failClaim(table: LogFactorTable, settling: Settling, prior: Float64Array, alpha: number): { failing: boolean[]; from?: number } {
  const looks = table.looks;
  const weighted = weightRows(table, settling.settled);
  const detector = logEDetector(weighted, prior);
  const threshold = Math.log(1 / alpha);
  const failing: boolean[] = Array(looks).fill(false);
  let first: number | undefined;
  for (let k = 1; k < looks; k++) {
    if (first === undefined && detector[k - 1] >= threshold) first = k;
    failing[k] = first !== undefined;
  }
  return { failing, ...(first !== undefined ? { from: dominantStart(weighted, prior, first - 1) } : {}) };
}

/**
 * The pass claim per look: the mixture e-process over the gated window (settled intervals,
 * the latest read as the latest) crosses 1/alpha(window start) at this look or an earlier one
 * of the same window.
 */
export function passClaim(table: LogFactorTable, settling: Settling, alphaAt: (start: number) => number): boolean[] {
  const { looks, grid, logMix, factors } = table;
  const passing: boolean[] = Array(looks).fill(false);
  const sums = new Float64Array(grid);
  const current = new Float64Array(grid);
  let start = -1;
  let summedTo = -1; // sums hold the settled rows start..summedTo
  let crossedInWindow = false;
  for (let k = 0; k < looks; k++) {
    const ws = settling.windowStart[k];
    if (ws !== start) {
      start = ws;
      sums.fill(0);
      summedTo = ws - 1;
      crossedInWindow = false;
    }
    for (let i = summedTo + 1; i < k; i++) {
      const w = settling.settled[i];
      if (w > 0) for (let j = 0; j < grid; j++) sums[j] += w * factors[i * grid + j];
    }
    summedTo = Math.max(summedTo, k - 1);
    const w = settling.asLatest[k];
    for (let j = 0; j < grid; j++) current[j] = sums[j] + (w > 0 ? w * factors[k * grid + j] : 0);
    const alpha = alphaAt(start);
    if (alpha > 0 && logMixture(logMix, current) >= Math.log(1 / alpha)) crossedInWindow = true;
    passing[k] = crossedInWindow;
  }
  return passing;
}

function weightRows(table: LogFactorTable, weights: Float64Array): LogFactorTable {
  const { looks, grid } = table;
  const factors = new Float64Array(looks * grid);
  for (let i = 0; i < looks; i++) {
    const w = weights[i];
    if (w > 0) for (let j = 0; j < grid; j++) factors[i * grid + j] = w * table.factors[i * grid + j];
  }
  return { ...table, factors };
}

/** The pass and fail error rates of one check: the fail rate fixed, the pass rate by window start. */
export interface CheckRates {
  readonly fail: number;
  readonly passAt: (start: number) => number;
}

/**
 * The fail and pass claims at each look from one-sided tests at the margin's boundaries:
 * `greater` beyond the upper one, `less` below the lower one (undefined: a boundary no value
 * can cross, so that side never fails and always passes). `test` gives the untempered table
 * of a one-sided test at a boundary. For `either` the fail rate is split between the two
 * sides, and a pass needs both one-sided claims.
 */
export function marginClaims(
  test: (boundary: number, alternative: 'greater' | 'less') => LogFactorTable,
  looks: number,
  upper: number | undefined,
  lower: number | undefined,
  direction: Direction,
  rates: CheckRates,
  settling: Settling,
): Claims {
  const prior = startPrior(settling);
  const never: boolean[] = Array(looks).fill(false);
  const always: boolean[] = Array(looks).fill(true);
  const fail = (boundary: number | undefined, alternative: 'greater' | 'less', alpha: number) =>
    boundary === undefined ? { failing: never } : failClaim(test(boundary, alternative), settling, prior, alpha);
  const pass = (boundary: number | undefined, alternative: 'greater' | 'less') => (boundary === undefined ? always : passClaim(test(boundary, alternative), settling, rates.passAt));
  switch (direction) {
    case 'increase': {
      const f = fail(upper, 'greater', rates.fail);
      return { failing: f.failing, passing: pass(upper, 'less'), ...(f.from !== undefined ? { failFrom: f.from } : {}) };
    }
    case 'decrease': {
      const f = fail(lower, 'less', rates.fail);
      return { failing: f.failing, passing: pass(lower, 'greater'), ...(f.from !== undefined ? { failFrom: f.from } : {}) };
    }
    case 'either': {
      const up = fail(upper, 'greater', rates.fail / 2);
      const down = fail(lower, 'less', rates.fail / 2);
      const belowUpper = pass(upper, 'less');
      const aboveLower = pass(lower, 'greater');
      const firstUp = up.failing.indexOf(true);
      const firstDown = down.failing.indexOf(true);
      const from = firstUp >= 0 && (firstDown < 0 || firstUp <= firstDown) ? up.from : down.from;
      return { failing: up.failing.map((u, k) => u || down.failing[k]), passing: belowUpper.map((b, k) => b && aboveLower[k]), ...(from !== undefined ? { failFrom: from } : {}) };
    }
  }
}

const first = (xs: readonly boolean[]) => {
  const i = xs.indexOf(true);
  return i < 0 ? undefined : i;
};

/** The first look of the trailing run of true ending at the last look. */
function runStart(xs: readonly boolean[]): number {
  let k = xs.length - 1;
  while (k > 0 && xs[k - 1]) k--;
  return k;
}

/**
 * The verdict over a timeline of `looks` looks from its margins' checks: fail when every
 * check's fail claim has held (whatever passed before), else pass when one check's pass claim
 * holds at the latest look, else inconclusive; with the decisive effect over the intervals it
 * rests on and the series of looks.
 */
export function decideTimeline(checks: readonly TimelineCheck[], looks: number, settling: Settling): TimelineDecision {
  const last = looks - 1;
  const failAts = checks.map((c) => first(c.claims.failing));
  const failAt = failAts.some((x) => x === undefined) ? undefined : Math.max(...(failAts as number[]));
  const passers = checks.map((c, index) => ({ index, passing: c.claims.passing[last] })).filter((c) => c.passing);
  const verdict: Verdict = failAt !== undefined ? 'fail' : passers.length ? 'pass' : 'inconclusive';
  const window = settling.windowStart[last];
  const passStarts = passers.map((p) => runStart(checks[p.index].claims.passing));
  const passAt = passStarts.length ? Math.min(...passStarts) : undefined;
  const decisiveIndex = verdict === 'pass' ? passers[passStarts.indexOf(passAt!)].index : verdict === 'fail' ? failAts.indexOf(failAt) : 0;
  const decidedAt = verdict === 'fail' ? failAt : verdict === 'pass' ? passAt : undefined;
  const windowRange: EvidenceRange = { from: window, to: last, claim: 'pass' };
  // A fail rests on the settled intervals from the fail evidence's start on (the deciding look reads up to the interval before it).
  const failFrom = (c: TimelineCheck) => Math.min(c.claims.failFrom ?? 0, Math.max(0, last - 1));
  const rangesOf = (c: TimelineCheck, v: Verdict): { deciding?: EvidenceRange; latest: EvidenceRange } => {
    if (v === 'fail') {
      const from = failFrom(c);
      const decided = first(c.claims.failing)!;
      return { deciding: { from, to: Math.max(from, decided - 1), claim: 'fail' }, latest: { from, to: Math.max(from, last - 1), claim: 'fail' } };
    }
    if (v === 'pass') return { deciding: { from: window, to: Math.max(window, runStart(c.claims.passing)), claim: 'pass' }, latest: windowRange };
    return { latest: windowRange };
  };
  const perCheck: Check[] = checks.map((c) => {
    const v: Verdict = first(c.claims.failing) !== undefined ? 'fail' : c.claims.passing[last] ? 'pass' : 'inconclusive';
    return { verdict: v, effect: effectOf(c, v, rangesOf(c, v)) };
  });
  // Both claims are sticky (a fail for good, a pass within its window): a decided verdict still stands.
  const still = verdict !== 'inconclusive';
  const decisive = checks[decisiveIndex];
  const seriesLooks = [...new Set([...seriesLooksOf(looks), ...(decidedAt !== undefined ? [decidedAt] : [])])].sort((a, b) => a - b);
  const verdictAt = (k: number): Verdict => (decidedAt !== undefined && k >= decidedAt ? verdict : 'inconclusive');
  const timeline = seriesOf(decisive, seriesLooks, settling, verdictAt);
  return {
    verdict,
    checks: perCheck,
    decisive: perCheck[decisiveIndex],
    ...(decidedAt !== undefined ? { decidedAt: decidedAt + 1 } : {}),
    still,
    timeline,
    range: rangesOf(decisive, verdict).latest,
    settling,
  };
}

/** The effect over the latest range, intersected with the deciding look's range when the two overlap (never empty). */
function effectOf(check: TimelineCheck, verdict: Verdict, ranges: { deciding?: EvidenceRange; latest: EvidenceRange }): Effect {
  const latest = check.boundsOver(ranges.latest, check.alphasFor(verdict, ranges.latest));
  const sameRange = ranges.deciding && ranges.deciding.from === ranges.latest.from && ranges.deciding.to === ranges.latest.to;
  let bounds = latest;
  if (ranges.deciding && !sameRange) {
    const both = intersect(check.boundsOver(ranges.deciding, check.alphasFor(verdict, ranges.deciding), latest), latest);
    if (both.lower <= both.upper) bounds = both;
  }
  const estimate = check.estimateOver(ranges.latest);
  return { measure: check.measure, unit: check.unit, estimate: Math.min(Math.max(estimate, bounds.lower), bounds.upper), ...bounds, tolerance: check.tolerance };
}

/** Each listed look's effect over its gated window, at the error rates of the verdict standing then. */
function seriesOf(check: TimelineCheck, looks: readonly number[], settling: Settling, verdictAt: (look: number) => Verdict): Look[] {
  let hint: Bounds | undefined;
  let estimate: number | undefined;
  return looks.map((k) => {
    const range: EvidenceRange = { from: settling.windowStart[k], to: k, claim: 'pass' };
    const bounds = check.boundsOver(range, check.alphasFor(verdictAt(k), range), hint);
    hint = bounds;
    estimate = check.estimateOver(range, estimate);
    const e = Number.isFinite(estimate) ? Math.min(Math.max(estimate, bounds.lower), bounds.upper) : 0;
    return lookOf(k + 1, { estimate: e, ...bounds });
  });
}

/** "on intervals 15-21, the gated window; set aside: interval 15 (a weight step inside it); events weighted by 1/18 (they come in clusters)". */
export function evidenceText(decision: TimelineDecision): string {
  const { range, settling, verdict } = decision;
  const which = verdict === 'fail' ? 'the fail evidence from its likeliest start' : 'the traffic at the canary\'s current weight';
  const parts = [`on ${intervalRange(range.from, range.to)} (${which})`];
  const aside = setAsideText(settling, range.from, range.to);
  if (aside) parts.push(`set aside: ${aside}`);
  if (settling.dispersion >= 1.5) parts.push(`each interval's evidence weighted by 1/${Number(settling.dispersion.toPrecision(2))} (events come in clusters)`);
  return parts.join('; ');
}

/**
 * The result of a timeline decision, its reason led by when it was decided: "<when>, on
 * <intervals>: <subject>; it changed by ...", or `sentence` of the decisive check in place of
 * the part after the subject's semicolon (a distance is worded differently).
 */
export function judgedTimeline(
  metric: MetricInput,
  resolved: Resolved,
  summaries: { baseline: SideSummary; canary: SideSummary },
  tests: readonly TestReport[],
  timeline: TimelineDecision & { intervals: number },
  subject: string,
  sentence: (decisive: Check) => string = (decisive) => `${subject}; ${describeCheck('it', decisive, resolved.direction)}`,
): MetricResult {
  const { verdict, checks, decisive, decidedAt, intervals, still, timeline: looks } = timeline;
  const when = verdict !== 'inconclusive' && decidedAt !== undefined ? `${stickyPhrase(verdict, decidedAt, intervals, still)}, ` : '';
  const result = judged(metric, resolved, summaries, tests, { verdict, checks, decisive, reason: `${when}${evidenceText(timeline)}: ${sentence(decisive)}` });
  return { ...result, intervals, ...(decidedAt !== undefined ? { decidedAt } : {}), ...(looks.length ? { timeline: looks } : {}) };
}
