/**
 * What the per-interval sequential checks share (rates in src/judge/rate-timeline.ts,
 * quantiles in src/judge/quantile-timeline.ts, category shares in
 * src/judge/categorical-timeline.ts): the fail and pass claims at each look from one-sided
 * tests at the margin's boundaries, and the verdict over one or two margins.
 *
 * Verdicts that follow the canary through the rollout (issue 21):
 * - Fail claims test the null "within the margin in every interval" with an e-detector
 *   (src/stats/e-detector.ts): e-processes started at the first interval and at each step of
 *   the canary's weight, summed with weights fixed in advance (their shares of the fail rate),
 *   so harm that starts at the 50 % step is judged on the 50 % step's evidence and not buried
 *   under the healthy 1 % and 10 % steps. Its null is a product over intervals, so it stays
 *   valid however the effect moves over time; a claim holds from the first look at which it
 *   crosses (Ville's inequality for the weighted sum, itself an e-process), and fail evidence
 *   keeps accumulating after a pass: a later fail is never hidden by an earlier pass. It reads
 *   settled intervals only (src/judge/interval-settling.ts), so it lags one look.
 * - Pass claims test "beyond the margin throughout the gated window" (the trailing intervals at
 *   the canary's current weight, src/judge/interval-settling.ts) with the mixture e-process
 *   started at the window's first interval: a gate's pass rests on the traffic it gates, not
 *   on early steps at 1 %. Valid for each window at its own level whatever came before it
 *   (the earlier intervals do not enter the product). Sticky within the window: once made, a
 *   pass stands until the canary's weight steps (new traffic to judge) or a fail arrives (the
 *   metric's, or the fail claim of the check the pass rests on), so the same evidence never
 *   flips it back to inconclusive.
 * - Margins are alternatives, as without a timeline (src/judge/margin-check.ts): the metric
 *   fails when every check's fail claim has held, and passes while one check's pass claim
 *   holds. Which check a window's pass rests on is chosen before the window from the data
 *   before it (the margin wider at the baseline's level then), so that check takes the whole
 *   pass rate; a window without earlier data splits it (Bonferroni).
 * - The reported interval inverts the same two claims: its bound on the harmful side is the
 *   intersection over the e-detector's starts of each start's confidence sequence at that
 *   start's share of the fail rate (valid, and a little wider than the inversion of the
 *   starts' sum: where the sum's fail claim comes first, the bound is cut at the margin),
 *   its bound on the other side the gated window's confidence sequence at the pass rate (it
 *   crosses exactly when the pass claim is made). A decided verdict's interval is intersected
 *   with the deciding look's when that is not empty: never an empty interval. The reason names
 *   the intervals the verdict rests on.
 * - Every claim reads settled intervals only (src/judge/interval-settling.ts: the latest waits
 *   for the next, minutes that timing may have misaligned are set aside, clustered events are
 *   tempered), so a verdict lags the data by one interval.
 */
import { logRestartedRanges, rangesOf, restartPrior, type LogFactorTable, type RangeEvidence, type Start } from '../stats/e-detector';
import { describeCheck } from './describe';
import { intervalRange, setAsideText, type Settling } from './interval-settling';
import { lookOf } from './look-series';
import type { Check } from './margin-check';
import { judged, type Resolved } from './metric-context';
import type { Bounds, Direction, Effect, EffectUnit, Look, MetricInput, MetricResult, SideSummary, TestReport, Verdict } from './types';
import { looksToJudge, stickyPhrase } from './timeline';

/** The intervals (0-based, inclusive) a claim reads, and with which claim's weights. */
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
  /** Whether the verdict still stands at the latest look (both claims are sticky, so: decided). */
  readonly still: boolean;
  /** The decisive check's effect at evenly spaced looks and the deciding one (src/judge/look-series.ts). */
  readonly timeline: readonly Look[];
  /** The intervals the decisive effect's estimate rests on. */
  readonly range: EvidenceRange;
  readonly settling: Settling;
  /** The claims read the latest interval too (src/judge/first-crossing.ts), not settled intervals only. */
  readonly readsLatest?: boolean;
}

/** Per look (0-based): whether a claim holds then. */
export interface Claims {
  /** A fail claim has held at this look or before (sticky for good). */
  readonly failing: readonly boolean[];
  /** A pass claim holds at this look (sticky within the gated window). */
  readonly passing: readonly boolean[];
  /** The start (0-based interval) of the e-process whose crossing made the first fail claim. */
  readonly failFrom?: number;
}

/** The pass and fail error rates of one check: the fail rate fixed, the pass rate by window start. */
export interface CheckRates {
  readonly fail: number;
  /** The pass claim's rate in the window starting here (0: the window rests on another margin). */
  readonly passAt: (start: number) => number;
}

export interface TimelineCheck {
  readonly claims: Claims;
  readonly rates: CheckRates;
  readonly measure: string;
  readonly unit: EffectUnit;
  readonly tolerance: number;
  /** One edge of the confidence sequence over a range (with its claim's weights): the lower (`greater`) or upper (`less`) bound at alpha; `hint`: a nearby value of it. */
  readonly edge: (range: EvidenceRange, alternative: 'greater' | 'less', alpha: number, hint?: number) => number;
  /** The point estimate over a range's intervals. */
  readonly estimateOver: (range: EvidenceRange, hint?: number) => number;
  /** At most this many looks in the series when this check decides (default MAX_SERIES_LOOKS): fewer where each look's bounds cost more. */
  readonly maxSeriesLooks?: number;
}

/**
 * A check's series lists at most this many looks (plus the deciding one): each look's bounds
 * cost root searches on the e-processes of its intervals, so on a 2-hour timeline of 1-minute
 * intervals 12 looks add ~8 ms to a rate metric's ~13 ms (BENCHMARKS.md); the looks the
 * verdict rests on (every e-process value) are not limited.
 */
export const MAX_SERIES_LOOKS = 12;

/** The 0-based looks a check's series lists: evenly spaced, the last among them. */
export function seriesLooksOf(intervals: number, max = MAX_SERIES_LOOKS): number[] {
  return looksToJudge(intervals, max).map((look) => look - 1);
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

export function intersect(a: Bounds, b: Bounds): Bounds {
  return { lower: Math.max(a.lower, b.lower), upper: Math.min(a.upper, b.upper) };
}

/** Each interval's weight in a range as its claims read it: the settled weights, 0 outside it. */
export function rangeWeights(settling: Settling, range: EvidenceRange): Float64Array {
  const n = settling.settled.length;
  const out = new Float64Array(n);
  for (let i = range.from; i <= range.to && i < n; i++) out[i] = settling.settled[i];
  return out;
}

/**
 * The fail claim per look from the untempered table of a one-sided test at a boundary: the
 * e-detector (the weighted sum of the restarted e-processes) over the settled intervals, read
 * at look k after interval k - 1 (the last one settled then), sticky from its first crossing.
 */
export function failClaim(table: LogFactorTable | RangeEvidence, settling: Settling, starts: readonly Start[], alpha: number): { failing: boolean[]; from?: number } {
  const looks = table.looks;
  const { value, argmax } = logRestartedRanges(asRanges(table), settling.settled, starts);
  const threshold = Math.log(1 / alpha);
  const failing: boolean[] = Array(looks).fill(false);
  let first: number | undefined;
  for (let k = 1; k < looks; k++) {
    if (first === undefined && value[k - 1] >= threshold) first = k;
    failing[k] = first !== undefined;
  }
  return { failing, ...(first !== undefined ? { from: argmax[first - 1] } : {}) };
}

/**
 * The pass claim per look: the mixture e-process over the gated window's settled intervals (at
 * look k, the window's intervals up to k - 1) crosses 1/alpha(window start) at this look or an
 * earlier one of the same window.
 */
export function passClaim(table: LogFactorTable | RangeEvidence, settling: Settling, alphaAt: (start: number) => number): boolean[] {
  const evidence = asRanges(table);
  const passing: boolean[] = Array(evidence.looks).fill(false);
  const processes = new Map<number, Float64Array>();
  let crossedIn = -1;
  for (let k = 0; k < evidence.looks; k++) {
    const ws = settling.windowStart[k];
    if (crossedIn !== ws) crossedIn = -1;
    const alpha = alphaAt(ws);
    if (k > ws && alpha > 0 && crossedIn < 0) {
      if (!processes.has(ws)) processes.set(ws, evidence.logEFrom(ws, settling.settled));
      // At look k the window's settled intervals run to k - 1.
      if (processes.get(ws)![k - 1] >= Math.log(1 / alpha)) crossedIn = ws;
    }
    passing[k] = crossedIn === ws;
  }
  return passing;
}

/** A table of per-interval factors shared by every start, or evidence each range reads for itself (src/stats/e-detector.ts). */
function asRanges(table: LogFactorTable | RangeEvidence): RangeEvidence {
  return 'logEFrom' in table ? table : rangesOf(table);
}

/**
 * The fail and pass claims at each look from one-sided tests at the margin's boundaries:
 * `greater` beyond the upper one, `less` below the lower one (undefined: a boundary no value
 * can cross, so that side never fails and always passes). `test` gives the untempered table
 * of a one-sided test at a boundary. For `either` the fail rate is split between the two
 * sides, and a pass needs both one-sided claims.
 */
export function marginClaims(
  test: (boundary: number, alternative: 'greater' | 'less') => LogFactorTable | RangeEvidence,
  looks: number,
  upper: number | undefined,
  lower: number | undefined,
  direction: Direction,
  rates: CheckRates,
  settling: Settling,
): Claims {
  const starts = restartPrior(settling.stepStart);
  const never: boolean[] = Array(looks).fill(false);
  const always: boolean[] = Array(looks).fill(true);
  const fail = (boundary: number | undefined, alternative: 'greater' | 'less', alpha: number) =>
    boundary === undefined ? { failing: never } : failClaim(test(boundary, alternative), settling, starts, alpha);
  const pass = (boundary: number | undefined, alternative: 'greater' | 'less') => (boundary === undefined ? always : passClaim(test(boundary, alternative), settling, rates.passAt));
  const withFrom = (c: Omit<Claims, 'failFrom'>, from: number | undefined): Claims => (from !== undefined ? { ...c, failFrom: from } : c);
  switch (direction) {
    case 'increase': {
      const f = fail(upper, 'greater', rates.fail);
      return withFrom({ failing: f.failing, passing: pass(upper, 'less') }, f.from);
    }
    case 'decrease': {
      const f = fail(lower, 'less', rates.fail);
      return withFrom({ failing: f.failing, passing: pass(lower, 'greater') }, f.from);
    }
    case 'either': {
      const up = fail(upper, 'greater', rates.fail / 2);
      const down = fail(lower, 'less', rates.fail / 2);
      const belowUpper = pass(upper, 'less');
      const aboveLower = pass(lower, 'greater');
      const firstUp = up.failing.indexOf(true);
      const firstDown = down.failing.indexOf(true);
      const from = firstUp >= 0 && (firstDown < 0 || firstUp <= firstDown) ? up.from : down.from;
      return withFrom({ failing: up.failing.map((u, k) => u || down.failing[k]), passing: belowUpper.map((b, k) => b && aboveLower[k]) }, from);
    }
  }
}

/** The first look (0-based) at which xs holds, up to `upTo`. */
function firstUpTo(xs: readonly boolean[], upTo: number): number | undefined {
  for (let k = 0; k <= upTo; k++) if (xs[k]) return k;
  return undefined;
}

/** The first look of the run of true ending at `at`. */
function runStart(xs: readonly boolean[], at: number): number {
  let k = at;
  while (k > 0 && xs[k - 1]) k--;
  return k;
}

/** A metric's verdict as of one look, the check it rests on, and the look it was reached at. */
interface Assessment {
  readonly verdict: Verdict;
  readonly decisive: number;
  /** 0-based look at which it was reached. */
  readonly decidedAt?: number;
}

/**
 * The metric's verdict as of look k: fail when every check's fail claim has held, else pass
 * while one check's pass claim holds and that check's own fail claim has not held: a pass made
 * earlier in the window cannot stand on a margin its own evidence has since shown crossed (with
 * two margins, the other may not have failed yet; the metric is then inconclusive).
 */
function assess(checks: readonly { readonly claims: Claims }[], k: number): Assessment {
  const failAts = checks.map((c) => firstUpTo(c.claims.failing, k));
  if (failAts.every((x) => x !== undefined)) {
    const failAt = Math.max(...(failAts as number[]));
    return { verdict: 'fail', decisive: failAts.indexOf(failAt), decidedAt: failAt };
  }
  let best: Assessment | undefined;
  checks.forEach((c, i) => {
    if (!c.claims.passing[k] || failAts[i] !== undefined) return;
    const at = runStart(c.claims.passing, k);
    if (!best || at < best.decidedAt!) best = { verdict: 'pass', decisive: i, decidedAt: at };
  });
  return best ?? { verdict: 'inconclusive', decisive: 0 };
}

/**
 * The verdict over a timeline of `looks` looks from its margins' checks: fail when every
 * check's fail claim has held (whatever passed before), else pass when one check's pass claim
 * holds at the latest look, else inconclusive; with each check's effect at the latest look,
 * the series of looks, and the intervals the verdict rests on.
 */
export function decideTimeline(checks: readonly TimelineCheck[], looks: number, settling: Settling, direction: Direction): TimelineDecision {
  const last = looks - 1;
  const starts = restartPrior(settling.stepStart);
  const reporters = checks.map((c) => new EffectReporter(c, settling, starts, direction));
  const final = assess(checks, last);
  const perCheck: Check[] = checks.map((c, i) => {
    const own = assess([c], last);
    return { verdict: own.verdict, effect: reporters[i].effectAt(last, own) };
  });
  const seriesLooks = [...new Set([...seriesLooksOf(looks, checks[final.decisive].maxSeriesLooks), ...(final.decidedAt !== undefined ? [final.decidedAt] : [])])].sort((a, b) => a - b);
  const decisiveReporter = reporters[final.decisive];
  const timeline = seriesLooks.map((k) => {
    const e = decisiveReporter.effectAt(k, assess(checks, k));
    return lookOf(k + 1, e);
  });
  return {
    verdict: final.verdict,
    checks: perCheck,
    decisive: perCheck[final.decisive],
    ...(final.decidedAt !== undefined ? { decidedAt: final.decidedAt + 1 } : {}),
    still: final.verdict !== 'inconclusive',
    timeline,
    range: decisiveReporter.estimateRange(last, final.verdict),
    settling,
  };
}

/**
 * The verdict and the 1-based interval it was reached at, from the checks' claims alone (as
 * decideTimeline decides, without the reported bounds' root searches): for the planner's
 * thousands of simulated rollouts (src/planner/verdicts.ts).
 */
export function verdictOfClaims(checks: readonly { readonly claims: Claims }[], looks: number): { verdict: Verdict; decidedAt?: number } {
  const { verdict, decidedAt } = assess(checks, looks - 1);
  return { verdict, ...(decidedAt !== undefined ? { decidedAt: decidedAt + 1 } : {}) };
}

/** A check's effect as of any look: the bounds that invert its claims, cached per look and verdict. */
class EffectReporter {
  private readonly cache = new Map<string, Bounds>();
  /** Each edge's latest value by start (or window) and side: the next look's search starts there (bounds move little). */
  private readonly hints = new Map<string, number>();

  constructor(
    private readonly check: TimelineCheck,
    private readonly settling: Settling,
    private readonly starts: readonly Start[],
    private readonly direction: Direction,
  ) {}

  /** The settled intervals the estimate rests on at look k: from the fail evidence's start for a fail, the gated window's otherwise (empty at a window's first look). */
  estimateRange(k: number, verdict: Verdict): EvidenceRange {
    if (verdict === 'fail' && this.check.claims.failFrom !== undefined) {
      const from = Math.min(this.check.claims.failFrom, Math.max(0, k - 1));
      return { from, to: Math.max(from, k - 1), claim: 'fail' };
    }
    return { from: this.settling.windowStart[k], to: k - 1, claim: 'pass' };
  }

  effectAt(k: number, a: Assessment): Effect {
    let bounds = this.boundsAt(k, a.verdict);
    if (a.decidedAt !== undefined && a.decidedAt !== k) {
      const both = intersect(this.boundsAt(a.decidedAt, a.verdict), bounds);
      if (both.lower <= both.upper) bounds = both;
    }
    bounds = this.withinClaim(k, a.verdict, bounds);
    const estimate = this.check.estimateOver(this.estimateRange(k, a.verdict));
    const { measure, unit, tolerance } = this.check;
    return { measure, unit, estimate: Math.min(Math.max(estimate, bounds.lower), bounds.upper), ...bounds, tolerance };
  }

  /**
   * The bounds never contradict a claim this check holds at look k: a claim that held at some
   * look of its range puts the running intersection of its confidence sequence beyond the
   * margin's boundary, so the bound on that side is at most the boundary (the intersection is
   * narrower still; its exact edge would cost a root search per look). Where the bound at look k
   * alone reaches past it (the e-process fell back after crossing; a category mix's pass holds
   * per category, each from its own look), it is cut there, never widened.
   */
  private withinClaim(k: number, verdict: Verdict, bounds: Bounds): Bounds {
    const tol = this.check.tolerance;
    const { claims } = this.check;
    let { lower, upper } = bounds;
    if (verdict === 'pass' && claims.passing[k]) {
      if (this.direction !== 'decrease') upper = Math.min(upper, tol);
      if (this.direction !== 'increase') lower = Math.max(lower, -tol);
    } else if (verdict === 'fail' && claims.failing[k]) {
      if (this.direction === 'increase') lower = Math.max(lower, tol);
      if (this.direction === 'decrease') upper = Math.min(upper, -tol);
    }
    return lower <= upper ? { lower, upper } : bounds;
  }

  /** The bounds as of look k for a verdict standing then: the harmful side from the fail evidence, the other from the gated window. */
  boundsAt(k: number, verdict: Verdict): Bounds {
    const key = `${k}:${verdict}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const { fail } = this.check.rates;
    let bounds: Bounds;
    switch (this.direction) {
      case 'increase':
        bounds = { lower: this.failSide(k, 'greater', fail), upper: this.passSide(k, 'less') };
        break;
      case 'decrease':
        bounds = { lower: this.passSide(k, 'greater'), upper: this.failSide(k, 'less', fail) };
        break;
      case 'either':
        bounds = verdict === 'fail' ? { lower: this.failSide(k, 'greater', fail / 2), upper: this.failSide(k, 'less', fail / 2) } : { lower: this.passSide(k, 'greater'), upper: this.passSide(k, 'less') };
        break;
    }
    this.cache.set(key, bounds);
    return bounds;
  }

  /** The intersection over the starts of each start's edge at its share of the fail rate (the settled intervals from it to k - 1). */
  private failSide(k: number, alternative: 'greater' | 'less', alpha: number): number {
    // No settled interval yet: the bound of no data (a ratio's 0, a difference's -1).
    if (k < 1) return this.check.edge({ from: 0, to: -1, claim: 'fail' }, alternative, alpha);
    let edge = alternative === 'greater' ? -Infinity : Infinity;
    for (const start of this.starts) {
      if (start.at > k - 1) continue;
      const e = this.hinted(`${start.at}:${alternative}:${alpha}`, (hint) => this.check.edge({ from: start.at, to: k - 1, claim: 'fail' }, alternative, alpha * Math.exp(start.logWeight), hint));
      edge = alternative === 'greater' ? Math.max(edge, e) : Math.min(edge, e);
    }
    return edge;
  }

  /** The gated window's edge at its pass rate (half the rate where the window rests on the other margin, for the report). */
  private passSide(k: number, alternative: 'greater' | 'less'): number {
    const start = this.settling.windowStart[k];
    const rate = this.check.rates.passAt(start);
    const shown = rate > 0 ? rate : this.check.rates.passAt(-1) || this.check.rates.fail;
    return this.hinted(`window ${start}:${alternative}`, (hint) => this.check.edge({ from: start, to: k - 1, claim: 'pass' }, alternative, shown, hint));
  }

  private hinted(key: string, search: (hint: number | undefined) => number): number {
    const previous = this.hints.get(key);
    const edge = search(previous !== undefined && Number.isFinite(previous) ? previous : undefined);
    this.hints.set(key, edge);
    return edge;
  }
}

/** "on intervals 15-21, the gated window; set aside: interval 15 (a weight step inside it); events weighted by 1/18 (they come in clusters)". */
export function evidenceText(decision: TimelineDecision): string {
  const { range, settling, verdict } = decision;
  const latest = settling.settled.length;
  if (decision.readsLatest) {
    const which = verdict === 'fail' ? 'the fail evidence, from the first interval' : "the traffic at the canary's current weight";
    return `on ${intervalRange(range.from, range.to)} (${which})`;
  }
  const which = verdict === 'fail' ? 'the fail evidence from its likeliest start' : "the traffic at the canary's current weight";
  // Nothing settled yet at the canary's current weight (a step has just begun).
  if (range.to < range.from) return `nothing settled yet at the canary's current weight (interval ${latest} is read once the next is in)`;
  const parts = [`on ${intervalRange(range.from, range.to)} (${which}; interval ${latest} is read once the next is in)`];
  const aside = setAsideText(settling, range.from, range.to);
  if (aside) parts.push(`set aside: ${aside}`);
  if (settling.dispersion >= 1.5) parts.push(`each interval's evidence weighted by 1/${Number(settling.dispersion.toPrecision(2))} (events come in clusters)`);
  return parts.join('; ');
}

/**
 * The result of a timeline decision, its reason led by when it was decided and what was found,
 * then the intervals it rests on: "<when>: <subject>; it changed by ...; on <intervals> (...)",
 * or `sentence` of the decisive check in place of the part after the subject's semicolon (a
 * distance is worded differently). What was found comes first: Flagger's events and Argo's
 * messages are cut short, and the finding is what a reader needs.
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
  const when = verdict !== 'inconclusive' && decidedAt !== undefined ? `${stickyPhrase(verdict, decidedAt, intervals, still)}: ` : '';
  const result = judged(metric, resolved, summaries, tests, { verdict, checks, decisive, reason: `${when}${sentence(decisive)}; ${evidenceText(timeline)}` });
  return { ...result, intervals, ...(decidedAt !== undefined ? { decidedAt } : {}), ...(looks.length ? { timeline: looks } : {}) };
}
