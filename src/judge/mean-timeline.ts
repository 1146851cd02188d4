/**
 * The mean of a continuous metric (`statistic: "mean"`): judged on paired contrasts matched in
 * time, by betting (src/stats/paired-mean-betting-e-process.ts), given the range the data can
 * take; refused with the reason without one.
 *
 * Why a range, or nothing: the mean of unbounded data has no valid finite-sample bound (a far
 * tail no sample shows can carry any share of it), and the normal-theory bounds this judge used
 * before were liberal on skewed data: on lognormal latencies (sigma 1.2-1.5, 50 canary values,
 * one fixed-sample look) they passed 9-18 % of canaries exactly at the margin and failed 9-16 %
 * of identical ones (issue 21), where 5 % was promised. With `range` (say [0, the request
 * timeout]) every bound is exact at any sample size; without it the metric is inconclusive and
 * says to give one or to judge a quantile, whose distribution-free bounds need no range.
 *
 * Matched in time: each interval's canary observations are paired with the baseline's of the
 * same interval, so a load trend meeting the split's steps cancels (on cumulative data it failed
 * 18 % of A/A rollouts whose latency followed load 1 -> 1.5x, issue 21). Without a timeline the
 * data are one interval. With anytime-valid evidence a verdict is the first look at which a
 * claim's e-process crossed (sticky; a pass rests on the canary's current weight, src/judge/first-crossing.ts); with fixed-sample evidence
 * only the last look is read.
 */
import {
  logPairedMeanEProcess,
  pairedMeanConfidenceSequence,
  pairedMeanEstimate,
  pairedMeans,
  type DataRange,
  type MeanScale,
  type PairedMeans,
} from '../stats/paired-mean-betting-e-process';
import { lookOf } from './look-series';
import type { ErrorRates } from './margin-check';
import type { MetricContext } from './metric-context';
import { checkRates, crossingClaims, decideByFirstCrossing, followTheCanary, reportedAlphas, type CrossingCheck } from './first-crossing';
import { intersect, type TimelineDecision } from './timeline-checks';
import { looksToJudge } from './timeline';
import type { Bounds, Direction, Margin, ValuesInterval } from './types';

/** Looks a mean's series lists: each look's bounds search over every pair so far, so fewer than other kinds' 12. */
export const MEAN_SERIES_LOOKS = 6;

/** Why a mean cannot be judged on these data, or null. */
export function meanRefusal(intervals: { baseline: readonly ValuesInterval[]; canary: readonly ValuesInterval[] }, range: DataRange | undefined, margin: Margin): string | null {
  const raw = [...intervals.baseline, ...intervals.canary].every((i) => 'values' in i);
  if (!raw) return 'the mean needs raw values on both sides: a histogram does not say how values spread inside its buckets';
  if (!range) {
    return (
      'the mean of data without a known range has no valid bound: a far tail no sample shows can carry any share of it, so normal-theory bounds on skewed data are liberal; ' +
      'give "range" (the smallest and largest value an observation can take, e.g. {"min": 0, "max": <the request timeout>}), or judge a quantile (p95 by default), whose bounds need no range'
    );
  }
  for (const [side, list] of [['baseline', intervals.baseline], ['canary', intervals.canary]] as const) {
    for (const interval of list) {
      if (!('values' in interval)) continue;
      for (let j = 0; j < interval.values.length; j++) {
        const x = interval.values[j];
        if (!(x >= range.min && x <= range.max)) return `a ${side} observation (${x}) lies outside the declared range [${range.min}, ${range.max}], on which the mean's bounds rest: widen the range to what the data can really take`;
      }
    }
  }
  if (margin.absolute === undefined && range.min < 0) return `a relative margin compares means as a ratio, which needs data that cannot be negative; the declared range starts at ${range.min}: give margin.absolute instead`;
  return null;
}

/** Judges the mean's timeline (one interval for cumulative data) against its margins; `sequential`: every look counts, else only the last. */
export function judgeMeanTimeline(
  baseline: readonly ValuesInterval[],
  canary: readonly ValuesInterval[],
  range: DataRange,
  margin: Margin,
  direction: Direction,
  ctx: MetricContext,
): TimelineDecision {
  const values = (i: ValuesInterval) => ('values' in i ? i.values : []);
  const sequential = ctx.evidence.sequential === true;
  const rates = checkRates(ctx.rates, margin);
  // The intervals from `start` on, judged as a run of their own (src/judge/first-crossing.ts).
  const decideFrom = (start: number) => {
    const pairs = pairedMeans(baseline.slice(start).map((b, i) => ({ baseline: values(b), canary: values(canary[start + i]) })), range);
    const checks: CrossingCheck[] = [];
    // A relative margin needs non-negative data (meanRefusal); with both margins and negative data, the absolute one alone decides.
    if (margin.relative !== undefined && range.min >= 0) checks.push(meanCheck(pairs, 'relative', margin.relative, direction, rates, sequential));
    if (margin.absolute !== undefined) checks.push(meanCheck(pairs, 'absolute', margin.absolute, direction, rates, sequential));
    return decideByFirstCrossing(checks, baseline.length - start);
  };
  const sizes = baseline.map((b, i) => ({ canaryTotal: values(canary[i]).length, baselineTotal: values(b).length }));
  return followTheCanary(decideFrom, sizes, sequential);
}

function meanCheck(pairs: PairedMeans, scale: MeanScale, tol: number, direction: Direction, rates: ErrorRates, sequential: boolean): CrossingCheck {
  const looks = pairs.ends.length;
  const last = looks - 1;
  const crossing = (parameter: number, alternative: 'greater' | 'less', alpha: number) => {
    const k = scale === 'relative' ? 1 + parameter : 1;
    const delta = scale === 'relative' ? 0 : parameter;
    const crossed = Array.from(logPairedMeanEProcess(pairs, k, delta, alternative), (x) => x >= Math.log(1 / alpha));
    // A single look (fixed-sample evidence) reads the last value only.
    return sequential ? crossed : crossed.map((c, i) => i === last && c);
  };
  // No relative shift lies below -100 %: with tol >= 1 the lower boundary cannot be crossed.
  const lowerBoundary = scale === 'relative' && tol >= 1 ? undefined : -tol;
  const claims = crossingClaims(looks, crossing, tol, lowerBoundary, direction, rates);
  const unit = scale === 'relative' ? ('relative' as const) : ('units' as const);
  const measure = scale === 'relative' ? 'relative shift of the mean' : 'shift of the mean';
  const boundsAt = (look: number, [aL, aU]: [number, number], hint?: Bounds): Bounds => pairedMeanConfidenceSequence(pairs, scale, aL, aU, look + 1, hint);
  const estimateAt = (look: number) => {
    const e = pairedMeanEstimate(pairs, scale, look + 1);
    return Number.isNaN(e) ? 0 : e;
  };
  return {
    claims,
    seriesLooks: sequential ? looksToJudge(looks, MEAN_SERIES_LOOKS).map((look) => look - 1) : [last],
    series: (series, verdictAt) => {
      let hint: Bounds | undefined;
      return series.map((k) => {
        const bounds = boundsAt(k, reportedAlphas(verdictAt(k), direction, rates), hint);
        hint = bounds;
        return lookOf(k + 1, { estimate: estimateAt(k), ...bounds });
      });
    },
    effectAt: (verdict, look) => {
      const alphas = reportedAlphas(verdict, direction, rates);
      const latest = boundsAt(last, alphas);
      // The deciding look's bounds narrow the latest's when they meet. An effect that moved over the
      // rollout (harm from the 50 % step) can leave the two apart: then the deciding look's, which
      // invert the claim that decided (the latest alone could sit inside the margin beside a fail).
      const atLook = look === last ? latest : boundsAt(look, alphas, latest);
      const both = intersect(atLook, latest);
      const bounds = both.lower <= both.upper ? both : atLook;
      return { measure, unit, estimate: estimateAt(last), ...bounds, tolerance: tol };
    },
  };
}
