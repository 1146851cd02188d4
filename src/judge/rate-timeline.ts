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
import type { ErrorRates } from './margin-check';
import type { MetricContext } from './metric-context';
import { lookOf } from './look-series';
import { checkRates, decideTimeline, intersect, marginClaims, reportedAlphas, seriesLooksOf, type TimelineCheck, type TimelineDecision } from './timeline-checks';
import type { Bounds, CountInterval, Direction, Margin } from './types';

/** Judges a rate's timeline against its margins; `what` names the rate ("rate", "share above 250"). */
export function judgeRateTimeline(baseline: readonly CountInterval[], canary: readonly CountInterval[], margin: Margin, direction: Direction, ctx: MetricContext, what: string): TimelineDecision {
  const intervals: RateInterval[] = canary.map((c, i) => ({ canaryEvents: c.events, canaryTotal: c.total, baselineEvents: baseline[i].events, baselineTotal: baseline[i].total }));
  const rates = checkRates(ctx.rates, margin);
  const checks: TimelineCheck[] = [];
  if (margin.relative !== undefined) checks.push(ratioCheck(intervals, margin.relative, direction, rates, what));
  if (margin.absolute !== undefined) checks.push(differenceCheck(intervals, margin.absolute, direction, rates, what));
  return decideTimeline(checks, intervals.length);
}

function ratioCheck(intervals: readonly RateInterval[], tol: number, direction: Direction, rates: ErrorRates, what: string): TimelineCheck {
  const crossing = (theta0: number, alternative: Alternative, alpha: number) =>
    Array.from(logRateRatioEProcess(intervals, theta0, alternative), (x) => x >= Math.log(1 / alpha));
  // No ratio lies below 1 - tol when tol >= 1: that boundary cannot be crossed.
  const claims = marginClaims(intervals.length, crossing, 1 + tol, tol < 1 ? 1 - tol : undefined, direction, rates);
  // The searches of the series (Newton from the previous look's bound), a few passes a bound.
  const boundsAtLooks = (looks: readonly number[], aL: number, aU: number): Bounds[] =>
    rateRatioConfidenceSequences(intervals, looks.map((k) => k + 1), () => [aL, aU]).map((ratio) => ({ lower: ratio.lower - 1, upper: ratio.upper - 1 }));
  const estimate = mantelHaenszelRateRatio(intervals);
  return {
    claims,
    seriesLooks: seriesLooksOf(intervals.length),
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
      const [atLook, atLast] = boundsAtLooks(look === last ? [last] : [look, last], aL, aU);
      const bounds = atLast ? intersect(atLook, atLast) : atLook;
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
    seriesLooks: seriesLooksOf(intervals.length),
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
