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
import type { Bounds, CountInterval, Direction, Effect, Margin, Verdict } from './types';

export interface TimelineDecision {
  readonly verdict: Verdict;
  readonly checks: Check[];
  readonly decisive: Check;
  /** 1-based interval of the first decisive look. */
  readonly decidedAt?: number;
  /** Whether the latest look alone is decisive the same way. */
  readonly still: boolean;
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
}

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
  return { verdict, checks: perCheck, decisive: perCheck[decisiveIndex], ...(decidedAt !== undefined ? { decidedAt: decidedAt + 1 } : {}), still };
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

function ratioCheck(intervals: readonly RateInterval[], tol: number, direction: Direction, rates: ErrorRates, what: string): TimelineCheck {
  const never = intervals.map(() => false);
  const always = intervals.map(() => true);
  const crossing = (theta0: number, alternative: Alternative, alpha: number) =>
    Array.from(logRateRatioEProcess(intervals, theta0, alternative), (x) => x >= Math.log(1 / alpha));
  const sticky = (xs: readonly boolean[]) => xs.map((_, k) => xs.slice(0, k + 1).includes(true));
  const upper = 1 + tol;
  const lower = 1 - tol;
  let claims: Claims;
  switch (direction) {
    case 'increase':
      claims = { failing: crossing(upper, 'greater', rates.fail), passing: crossing(upper, 'less', rates.pass) };
      break;
    case 'decrease':
      claims = lower > 0 ? { failing: crossing(lower, 'less', rates.fail), passing: crossing(lower, 'greater', rates.pass) } : { failing: never, passing: always };
      break;
    case 'either': {
      const up = crossing(upper, 'greater', rates.fail / 2);
      const down = lower > 0 ? crossing(lower, 'less', rates.fail / 2) : never;
      // Pass needs both one-sided claims; each holds from its first crossing on.
      const belowUpper = sticky(crossing(upper, 'less', rates.pass));
      const aboveLower = lower > 0 ? sticky(crossing(lower, 'greater', rates.pass)) : always;
      claims = { failing: up.map((u, k) => u || down[k]), passing: belowUpper.map((b, k) => b && aboveLower[k]) };
      break;
    }
  }
  const boundsAt = (look: number, aL: number, aU: number): Bounds => {
    const ratio = rateRatioConfidenceSequence(intervals.slice(0, look + 1), aL, aU);
    return { lower: ratio.lower - 1, upper: ratio.upper - 1 };
  };
  const estimate = mantelHaenszelRateRatio(intervals);
  return {
    claims,
    effectAt: (verdict, look) => {
      const [aL, aU] = reportedAlphas(verdict, direction, rates);
      const last = intervals.length - 1;
      const bounds = look === last ? boundsAt(last, aL, aU) : intersect(boundsAt(look, aL, aU), boundsAt(last, aL, aU));
      return { measure: `relative change in ${what}`, unit: 'relative', estimate: Number.isNaN(estimate) ? 0 : estimate - 1, ...bounds, tolerance: tol };
    },
  };
}

function differenceCheck(intervals: readonly RateInterval[], tol: number, direction: Direction, rates: ErrorRates, what: string): TimelineCheck {
  const never = intervals.map(() => false);
  const always = intervals.map(() => true);
  const crossing = (delta: number, alternative: DifferenceAlternative, alpha: number) =>
    Array.from(logRateDifferenceEProcess(intervals, delta, alternative), (x) => x >= Math.log(1 / alpha));
  const sticky = (xs: readonly boolean[]) => xs.map((_, k) => xs.slice(0, k + 1).includes(true));
  // A tolerance of a whole rate (or more) can never be exceeded: fail never, pass at once.
  const within = tol < 1;
  let claims: Claims;
  switch (direction) {
    case 'increase':
      claims = within ? { failing: crossing(tol, 'greater', rates.fail), passing: crossing(tol, 'less', rates.pass) } : { failing: never, passing: always };
      break;
    case 'decrease':
      claims = within ? { failing: crossing(-tol, 'less', rates.fail), passing: crossing(-tol, 'greater', rates.pass) } : { failing: never, passing: always };
      break;
    case 'either': {
      if (!within) {
        claims = { failing: never, passing: always };
        break;
      }
      const up = crossing(tol, 'greater', rates.fail / 2);
      const down = crossing(-tol, 'less', rates.fail / 2);
      // Pass needs both one-sided claims; each holds from its first crossing on.
      const belowUpper = sticky(crossing(tol, 'less', rates.pass));
      const aboveLower = sticky(crossing(-tol, 'greater', rates.pass));
      claims = { failing: up.map((u, k) => u || down[k]), passing: belowUpper.map((b, k) => b && aboveLower[k]) };
      break;
    }
  }
  const boundsAt = (look: number, aL: number, aU: number): Bounds => rateDifferenceConfidenceSequence(intervals.slice(0, look + 1), aL, aU);
  const estimate = mantelHaenszelRateDifference(intervals);
  return {
    claims,
    effectAt: (verdict, look) => {
      const [aL, aU] = reportedAlphas(verdict, direction, rates);
      const last = intervals.length - 1;
      const bounds = look === last ? boundsAt(last, aL, aU) : intersect(boundsAt(look, aL, aU), boundsAt(last, aL, aU));
      return { measure: `change in ${what}`, unit: 'rate', estimate: Number.isNaN(estimate) ? 0 : estimate, ...bounds, tolerance: tol };
    },
  };
}
