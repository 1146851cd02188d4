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
 * composite nulls (theta <= 1 + tol for a fail, theta >= 1 + tol for a pass). Which intervals
 * each claim reads, how the fail claim restarts at weight steps and why a pass rests on the
 * gated window is src/judge/timeline-checks.ts and src/judge/interval-settling.ts (issue 21).
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
 * now fails 84 % (65 % before). The two margins remain alternatives (pass if either passes,
 * fail if both fail), as without a timeline; a window's pass rests on the one that is wider at
 * the baseline's rate before the window (src/judge/timeline-checks.ts, `passRateChoice`).
 */
import { mantelHaenszelRateRatio, rateRatioEdge, rateRatioLogFactorTable, type RateInterval } from '../stats/conditional-rate-ratio-e-process';
import { mantelHaenszelRateDifference, rateDifferenceEdge, rateDifferenceLogFactorTable } from '../stats/rate-difference-e-process';
import { settle, type Settling } from './interval-settling';
import type { MetricContext } from './metric-context';
import { decideTimeline, marginClaims, passRateChoice, rangeWeights, type CheckRates, type EvidenceRange, type TimelineCheck, type TimelineDecision } from './timeline-checks';
import type { CountInterval, Direction, Margin } from './types';

/** Judges a rate's timeline against its margins; `what` names the rate ("rate", "share above 250"). */
export function judgeRateTimeline(baseline: readonly CountInterval[], canary: readonly CountInterval[], margin: Margin, direction: Direction, ctx: MetricContext, what: string): TimelineDecision {
  const { checks, settling, looks } = rateTimelineChecks(baseline, canary, margin, direction, ctx, what);
  return decideTimeline(checks, looks, settling, direction);
}

/** A rate timeline's checks (their claims computed, their bounds on demand) and settling. */
export function rateTimelineChecks(baseline: readonly CountInterval[], canary: readonly CountInterval[], margin: Margin, direction: Direction, ctx: Pick<MetricContext, 'rates'>, what: string): { checks: TimelineCheck[]; settling: Settling; looks: number } {
  const intervals: RateInterval[] = canary.map((c, i) => ({ canaryEvents: c.events, canaryTotal: c.total, baselineEvents: baseline[i].events, baselineTotal: baseline[i].total }));
  const settling = settleRates(intervals);
  const checks: TimelineCheck[] = [];
  const [relativeAt, absoluteAt] =
    margin.relative !== undefined && margin.absolute !== undefined
      ? passRateChoice(ctx.rates.pass, (start) => relativeWider(intervals, margin.relative!, margin.absolute!, start))
      : [() => ctx.rates.pass, () => ctx.rates.pass];
  if (margin.relative !== undefined) checks.push(ratioCheck(intervals, margin.relative, direction, { fail: ctx.rates.fail, passAt: relativeAt }, settling, what));
  if (margin.absolute !== undefined) checks.push(differenceCheck(intervals, margin.absolute, direction, { fail: ctx.rates.fail, passAt: absoluteAt }, settling, what));
  return { checks, settling, looks: intervals.length };
}

/** The settling of rate intervals: steadiness read from the pooled events over both sides' requests. */
export function settleRates(intervals: readonly RateInterval[]): Settling {
  return settle(intervals.map((i) => ({ canaryTotal: i.canaryTotal, baselineTotal: i.baselineTotal, events: i.canaryEvents + i.baselineEvents, exposure: i.canaryTotal + i.baselineTotal })));
}

/**
 * Whether the relative margin is the wider one for the window starting at `start`: its change
 * at the baseline's rate before the window against the absolute margin (undefined without
 * data before it). Decided from the intervals before the window alone, so predictable.
 */
function relativeWider(intervals: readonly RateInterval[], relative: number, absolute: number, start: number): boolean | undefined {
  let events = 0;
  let total = 0;
  for (let i = 0; i < start; i++) (events += intervals[i].baselineEvents), (total += intervals[i].baselineTotal);
  if (!(total > 0)) return undefined;
  return relative * (events / total) >= absolute;
}

/** The intervals as a range's claim read them (weights; 0 before the range), up to its last. */
export function weightedRange(intervals: readonly RateInterval[], settling: Settling, range: EvidenceRange): RateInterval[] {
  const w = rangeWeights(settling, range);
  const out: RateInterval[] = [];
  for (let k = range.from; k <= range.to; k++) {
    const i = intervals[k];
    out.push({ canaryEvents: i.canaryEvents, canaryTotal: i.canaryTotal, baselineEvents: i.baselineEvents, baselineTotal: i.baselineTotal, weight: w[k] });
  }
  return out;
}

function ratioCheck(intervals: readonly RateInterval[], tol: number, direction: Direction, rates: CheckRates, settling: Settling, what: string): TimelineCheck {
  const test = (theta0: number, alternative: 'greater' | 'less') => rateRatioLogFactorTable(intervals, theta0, alternative);
  // No ratio lies below 1 - tol when tol >= 1: that boundary cannot be crossed.
  const claims = marginClaims(test, intervals.length, 1 + tol, tol < 1 ? 1 - tol : undefined, direction, rates, settling);
  return {
    claims,
    rates,
    measure: `relative change in ${what}`,
    unit: 'relative',
    tolerance: tol,
    edge: (range, alternative, alpha, hint) => rateRatioEdge(weightedRange(intervals, settling, range), alternative, alpha, hint === undefined ? undefined : hint + 1) - 1,
    estimateOver: (range) => {
      const at = mantelHaenszelRateRatio(weightedRange(intervals, settling, range));
      return Number.isNaN(at) ? 0 : at - 1;
    },
  };
}

function differenceCheck(intervals: readonly RateInterval[], tol: number, direction: Direction, rates: CheckRates, settling: Settling, what: string): TimelineCheck {
  // The plug-ins read the intervals the claims may read (set-aside ones are out), in the claims
  // as in the edges, so the confidence sequence inverts the same e-process.
  const readable = intervals.map((i, k) => ({ ...i, weight: settling.settled[k] > 0 ? settling.settled[k] : 0 }));
  const test = (delta: number, alternative: 'greater' | 'less') => rateDifferenceLogFactorTable(readable, delta, alternative);
  // A tolerance of a whole rate (or more) can never be exceeded: fail never, pass at once.
  const within = tol < 1;
  const claims = marginClaims(test, intervals.length, within ? tol : undefined, within ? -tol : undefined, direction, rates, settling);
  return {
    claims,
    rates,
    measure: `change in ${what}`,
    unit: 'rate',
    tolerance: tol,
    // From the range's start, the earlier readable intervals informing the plug-ins as in the claims.
    edge: (range, alternative, alpha) => rateDifferenceEdge([...readable.slice(0, range.from), ...weightedRange(intervals, settling, range)], alternative, alpha, range.from),
    estimateOver: (range) => {
      const at = mantelHaenszelRateDifference(weightedRange(intervals, settling, range));
      return Number.isNaN(at) ? 0 : at;
    },
  };
}
