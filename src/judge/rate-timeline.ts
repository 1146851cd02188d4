/**
 * Rates with a timeline (proportions, and the share above a continuous metric's threshold):
 * sticky verdicts from per-interval counts.
 *
 * Relative margin (rate ratio theta): the conditional e-process of
 * src/stats/conditional-rate-ratio-e-process.ts, one-sided at the margin's boundary. Within
 * each interval the canary's share of the events is Binomial(E_i, p_i(theta)), so neither the
 * split's steps (1 % -> 10 % -> 50 %) nor a trend shared by both sides can pose as a canary
 * effect, and the canary's uncertainty is not added to the baseline's (as per-side bounds
 * do): the test is as sharp as the events allow. One-sided e-processes are valid tests of the
 * composite nulls (theta <= 1 + tol for a fail, theta >= 1 + tol for a pass), so a verdict is
 * the first look at which the e-process at the boundary crosses 1/alpha. Reported bounds are
 * the confidence sequence at the decisive look intersected with the latest look's (a subset of
 * the running intersection, so valid).
 *
 * Absolute margin (rate difference): the e-process of src/stats/rate-difference-e-process.ts,
 * one-sided at the margin's boundary in the same way. Its null is the product over intervals
 * (p_c - p_b <= tol in every interval for a fail, >= tol for a pass), each interval with its
 * own baseline rate, so the split's steps and a rate trend cannot pose as a difference either
 * (a constant ratio of 2 is a difference of 0.2 pp at 0.2 % and 1 pp at 1 %: per interval,
 * each minute's difference is judged at that minute's rate). The baseline's rate is a
 * nuisance that no conditioning removes for a difference, so each interval bets on a plug-in
 * from the earlier intervals with the numeraire (reverse-information-projection) e-value,
 * whose tilt is insensitive to the baseline's rate near the plug-in; see that file for why
 * not universal inference. It replaced per-side anytime-valid bounds on cumulative totals
 * re-judged at past looks, which added the canary's uncertainty to the baseline's and mixed
 * early and late traffic: on 400 simulated errors-3x-1k rollouts the difference claim alone
 * now fails 84 % (65 % before). Reported bounds are its confidence sequence, as for the ratio. The
 * two margins remain alternatives (pass if either passes, fail if both fail), as without a
 * timeline.
 */
import {
  logRateRatioEProcess,
  mantelHaenszelRateRatio,
  rateRatioConfidenceSequence,
  rateRatioConfidenceSequences,
  type Alternative,
  type RateInterval,
} from '../stats/conditional-rate-ratio-e-process';
import {
  logRateDifferenceEProcess,
  mantelHaenszelRateDifference,
  rateDifferenceConfidenceSequence,
  type DifferenceAlternative,
} from '../stats/rate-difference-e-process';
import type { Check, ErrorRates } from './margin-check';
import type { MetricContext } from './metric-context';
import { lookOf } from './look-series';
import type { Bounds, CountInterval, Direction, Effect, Look, Margin, Verdict } from './types';
import { looksToJudge } from './timeline';

export interface TimelineDecision {
  readonly verdict: Verdict;
  readonly checks: Check[];
  readonly decisive: Check;
  /** 1-based interval of the first decisive look. */
  readonly decidedAt?: number;
  /** Whether the latest look alone is decisive the same way. */
  readonly still: boolean;
  /** The decisive check's effect at evenly spaced looks and the deciding one (src/judge/look-series.ts). */
  readonly timeline: readonly Look[];
}

/** Per look (0-based), whether a claim holds: crossing once is enough (sticky). */
interface Claims {
  readonly failing: readonly boolean[];
  readonly passing: readonly boolean[];
}

interface TimelineCheck {
  readonly claims: Claims;
  /** The effect as reported for a verdict reached at look k (0-based). */
  readonly effectAt: (verdict: Verdict, look: number) => Effect;
  /** The looks (0-based) this check's series lists when it is the decisive check. */
  readonly seriesLooks: readonly number[];
  /** Each listed look's own effect, at the error rates of the verdict standing then. */
  readonly series: (looks: readonly number[], verdictAt: (look: number) => Verdict) => Look[];
}

/**
 * A rate check's series lists at most this many looks (plus the deciding one): each look's
 * bounds cost a root search on the e-process of its prefix (about 8 passes over it), so on a
 * 2-hour timeline of 1-minute intervals 12 looks add ~8 ms to a rate metric's ~13 ms
 * (BENCHMARKS.md); the looks the verdict rests on (every e-process value) are not limited.
 */
const MAX_RATE_SERIES_LOOKS = 12;

const first = (xs: readonly boolean[]) => {
  const i = xs.indexOf(true);
  return i < 0 ? undefined : i;
};

/** Judges a rate's timeline against its margins; `what` names the rate ("rate", "share above 250"). */
export function judgeRateTimeline(baseline: readonly CountInterval[], canary: readonly CountInterval[], margin: Margin, direction: Direction, ctx: MetricContext, what: string): TimelineDecision {
  const intervals: RateInterval[] = canary.map((c, i) => ({ canaryEvents: c.events, canaryTotal: c.total, baselineEvents: baseline[i].events, baselineTotal: baseline[i].total }));
  const candidates = (margin.relative !== undefined ? 1 : 0) + (margin.absolute !== undefined ? 1 : 0);
  const rates: ErrorRates = { fail: ctx.rates.fail, pass: ctx.rates.pass / Math.max(1, candidates) };
  const checks: TimelineCheck[] = [];
  if (margin.relative !== undefined) checks.push(ratioCheck(intervals, margin.relative, direction, rates, what));
  if (margin.absolute !== undefined) checks.push(differenceCheck(intervals, margin.absolute, direction, rates, what));

  const last = intervals.length - 1;
  const passAt = min(checks.map((c) => first(c.claims.passing)));
  const failAts = checks.map((c) => first(c.claims.failing));
  const failAt = failAts.some((x) => x === undefined) ? undefined : Math.max(...(failAts as number[]));
  const verdict: Verdict = failAt !== undefined && (passAt === undefined || failAt <= passAt) ? 'fail' : passAt !== undefined ? 'pass' : 'inconclusive';
  const decidedAt = verdict === 'fail' ? failAt : verdict === 'pass' ? passAt : undefined;
  const still = verdict === 'fail' ? checks.every((c) => c.claims.failing[last]) : verdict === 'pass' ? checks.some((c) => c.claims.passing[last]) : false;

  const perCheck: Check[] = checks.map((c) => {
    const f = first(c.claims.failing);
    const p = first(c.claims.passing);
    const v: Verdict = f !== undefined && (p === undefined || f <= p) ? 'fail' : p !== undefined ? 'pass' : 'inconclusive';
    return { verdict: v, effect: c.effectAt(v, v === 'fail' ? f! : v === 'pass' ? p! : last) };
  });
  const decisiveIndex = verdict === 'pass' ? checks.findIndex((c) => first(c.claims.passing) === passAt) : 0;
  const seriesLooks = [...new Set([...checks[decisiveIndex].seriesLooks, ...(decidedAt !== undefined ? [decidedAt] : [])])].sort((a, b) => a - b);
  const timeline = checks[decisiveIndex].series(seriesLooks, (k) => (decidedAt !== undefined && k >= decidedAt ? verdict : 'inconclusive'));
  return { verdict, checks: perCheck, decisive: perCheck[decisiveIndex], ...(decidedAt !== undefined ? { decidedAt: decidedAt + 1 } : {}), still, timeline };
}

function min(xs: readonly (number | undefined)[]): number | undefined {
  const defined = xs.filter((x): x is number => x !== undefined);
  return defined.length ? Math.min(...defined) : undefined;
}

/** The one-sided alphas a verdict's reported bounds take (as in margin-check.ts). */
function reportedAlphas(verdict: Verdict, direction: Direction, rates: ErrorRates): [number, number] {
  if (direction === 'increase') return [rates.fail, rates.pass];
  if (direction === 'decrease') return [rates.pass, rates.fail];
  return verdict === 'fail' ? [rates.fail / 2, rates.fail / 2] : [rates.pass, rates.pass];
}

function intersect(a: Bounds, b: Bounds): Bounds {
  return { lower: Math.max(a.lower, b.lower), upper: Math.min(a.upper, b.upper) };
}

/**
 * The fail and pass claims at each look from one-sided tests at the margin's boundaries:
 * `greater` beyond the upper one, `less` below the lower one (undefined: a boundary no value
 * can cross, so that side never fails and always passes). For `either` the fail alpha is
 * split between the two sides, and a pass needs both one-sided claims, each holding from its
 * first crossing on.
 */
function marginClaims(
  looks: number,
  crossing: (boundary: number, alternative: 'greater' | 'less', alpha: number) => boolean[],
  upper: number | undefined,
  lower: number | undefined,
  direction: Direction,
  rates: ErrorRates,
): Claims {
  const never: boolean[] = Array(looks).fill(false);
  const always: boolean[] = Array(looks).fill(true);
  const sticky = (xs: readonly boolean[]) => xs.map((_, k) => xs.slice(0, k + 1).includes(true));
  switch (direction) {
    case 'increase':
      return upper === undefined ? { failing: never, passing: always } : { failing: crossing(upper, 'greater', rates.fail), passing: crossing(upper, 'less', rates.pass) };
    case 'decrease':
      return lower === undefined ? { failing: never, passing: always } : { failing: crossing(lower, 'less', rates.fail), passing: crossing(lower, 'greater', rates.pass) };
    case 'either': {
      const up = upper === undefined ? never : crossing(upper, 'greater', rates.fail / 2);
      const down = lower === undefined ? never : crossing(lower, 'less', rates.fail / 2);
      const belowUpper = upper === undefined ? always : sticky(crossing(upper, 'less', rates.pass));
      const aboveLower = lower === undefined ? always : sticky(crossing(lower, 'greater', rates.pass));
      return { failing: up.map((u, k) => u || down[k]), passing: belowUpper.map((b, k) => b && aboveLower[k]) };
    }
  }
}

function ratioCheck(intervals: readonly RateInterval[], tol: number, direction: Direction, rates: ErrorRates, what: string): TimelineCheck {
  const crossing = (theta0: number, alternative: Alternative, alpha: number) =>
    Array.from(logRateRatioEProcess(intervals, theta0, alternative), (x) => x >= Math.log(1 / alpha));
  // No ratio lies below 1 - tol when tol >= 1: that boundary cannot be crossed.
  const claims = marginClaims(intervals.length, crossing, 1 + tol, tol < 1 ? 1 - tol : undefined, direction, rates);
  const boundsAt = (look: number, aL: number, aU: number): Bounds => {
    const ratio = rateRatioConfidenceSequence(intervals.slice(0, look + 1), aL, aU);
    return { lower: ratio.lower - 1, upper: ratio.upper - 1 };
  };
  const estimate = mantelHaenszelRateRatio(intervals);
  return {
    claims,
    seriesLooks: looksToJudge(intervals.length, MAX_RATE_SERIES_LOOKS).map((look) => look - 1),
    series: (looks, verdictAt) => {
      const bounds = rateRatioConfidenceSequences(intervals, looks.map((k) => k + 1), (look) => reportedAlphas(verdictAt(look - 1), direction, rates));
      return looks.map((k, i) => {
        const at = mantelHaenszelRateRatio(intervals.slice(0, k + 1));
        return lookOf(k + 1, { estimate: Number.isNaN(at) ? 0 : at - 1, lower: bounds[i].lower - 1, upper: bounds[i].upper - 1 });
      });
    },
    effectAt: (verdict, look) => {
      const [aL, aU] = reportedAlphas(verdict, direction, rates);
      const last = intervals.length - 1;
      const bounds = look === last ? boundsAt(last, aL, aU) : intersect(boundsAt(look, aL, aU), boundsAt(last, aL, aU));
      return { measure: `relative change in ${what}`, unit: 'relative', estimate: Number.isNaN(estimate) ? 0 : estimate - 1, ...bounds, tolerance: tol };
    },
  };
}

function differenceCheck(intervals: readonly RateInterval[], tol: number, direction: Direction, rates: ErrorRates, what: string): TimelineCheck {
  const crossing = (delta: number, alternative: DifferenceAlternative, alpha: number) =>
    Array.from(logRateDifferenceEProcess(intervals, delta, alternative), (x) => x >= Math.log(1 / alpha));
  // A tolerance of a whole rate (or more) can never be exceeded: fail never, pass at once.
  const within = tol < 1;
  const claims = marginClaims(intervals.length, crossing, within ? tol : undefined, within ? -tol : undefined, direction, rates);
  const boundsAt = (look: number, aL: number, aU: number): Bounds => rateDifferenceConfidenceSequence(intervals.slice(0, look + 1), aL, aU);
  const estimate = mantelHaenszelRateDifference(intervals);
  return {
    claims,
    seriesLooks: looksToJudge(intervals.length, MAX_RATE_SERIES_LOOKS).map((look) => look - 1),
    series: (looks, verdictAt) =>
      looks.map((k) => {
        const prefix = intervals.slice(0, k + 1);
        const [aL, aU] = reportedAlphas(verdictAt(k), direction, rates);
        const at = mantelHaenszelRateDifference(prefix);
        return lookOf(k + 1, { estimate: Number.isNaN(at) ? 0 : at, ...rateDifferenceConfidenceSequence(prefix, aL, aU) });
      }),
    effectAt: (verdict, look) => {
      const [aL, aU] = reportedAlphas(verdict, direction, rates);
      const last = intervals.length - 1;
      const bounds = look === last ? boundsAt(last, aL, aU) : intersect(boundsAt(look, aL, aU), boundsAt(last, aL, aU));
      return { measure: `change in ${what}`, unit: 'rate', estimate: Number.isNaN(estimate) ? 0 : estimate, ...bounds, tolerance: tol };
    },
  };
}
