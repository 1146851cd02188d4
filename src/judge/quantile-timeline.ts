/**
 * Quantiles with a timeline (continuous metrics, `quantile` a level): sticky verdicts from a
 * test matched in time, src/stats/matched-quantile-shift-e-process.ts.
 *
 * Why not the per-side bounds on cumulative data that judge a single look: each side's
 * cumulative data mix the times that side was served, so when load moves latency over the
 * rollout while the split rises (the canary's traffic late and slow, the baseline's early and
 * fast) the two cumulative p95s differ although the versions do not, and adding the two
 * sides' bound widths makes the test slower still. Matched by interval, the canary's
 * observations are compared only with the baseline's of the same minutes, and one two-sample
 * test (the conditional rate-ratio of tail counts) replaces two one-sample bounds combined by
 * Bonferroni: the two sides' uncertainty combines inside one binomial likelihood (their
 * variances add, as in quadrature) instead of the widths adding, exactly rather than
 * asymptotically. In `npm run bench:decisions` (BENCHMARKS.md) it is what lets
 * aa-latency-load pass at all (95 % of rollouts, 3 % before), passes the plain A/A as often,
 * and lifts the latency metric's passes at 1,000 requests/minute from 5 % to 86 %.
 *
 * The reported effect is the matched shift: the estimate where the tails balance, and the
 * confidence sequence of shifts neither one-sided test rejects (at the decisive look
 * intersected with the latest one, a subset of the running intersection). The first interval
 * has no earlier baseline data to set its threshold, so it serves only to set the next one's.
 */
import { fromBuckets, fromValues, type WeightedSample } from '../stats/weighted-sample';
import {
  logShiftEProcess,
  matchedQuantile,
  matchedShiftEstimate,
  shiftConfidenceSequence,
  withScale,
  type MatchedQuantile,
} from '../stats/matched-quantile-shift-e-process';
import type { ErrorRates } from './margin-check';
import type { MetricContext } from './metric-context';
import { lookOf } from './look-series';
import { toSamplePair } from './side-samples';
import { checkRates, decideTimeline, intersect, marginClaims, reportedAlphas, seriesLooksOf, type TimelineCheck, type TimelineDecision } from './timeline-checks';
import type { Bounds, Direction, Margin, ValuesInterval } from './types';

/** Judges a quantile's timeline against its margins; `subject` names it ("p95"). */
export function judgeQuantileTimeline(
  baseline: readonly ValuesInterval[],
  canary: readonly ValuesInterval[],
  level: number,
  margin: Margin,
  direction: Direction,
  ctx: MetricContext,
  subject: string,
): TimelineDecision {
  const intervals = baseline.map((b, i) => intervalPair(b, canary[i]));
  const rates = checkRates(ctx.rates, margin);
  const prepared = matchedQuantile(intervals, level, 'relative');
  const checks: TimelineCheck[] = [];
  if (margin.relative !== undefined) checks.push(shiftCheck(prepared, margin.relative, direction, rates, `relative shift of ${subject}`));
  if (margin.absolute !== undefined) checks.push(shiftCheck(withScale(prepared, 'absolute'), margin.absolute, direction, rates, `shift of ${subject}`));
  return decideTimeline(checks, intervals.length);
}

/** One interval's sides as weighted samples (histograms brought onto the bounds they share). */
export function intervalPair(baseline: ValuesInterval, canary: ValuesInterval): { baseline: WeightedSample; canary: WeightedSample } {
  if ('values' in baseline && 'values' in canary) return { baseline: fromValues(baseline.values), canary: fromValues(canary.values) };
  const pair = toSamplePair(baseline, canary);
  // Histograms with no bound in common cannot be compared in this interval: it counts as empty.
  if (pair.disjointBounds) return { baseline: EMPTY, canary: EMPTY };
  return { baseline: pair.baseline, canary: pair.canary };
}

const EMPTY: WeightedSample = fromBuckets([], []);

function shiftCheck(m: MatchedQuantile, tol: number, direction: Direction, rates: ErrorRates, measure: string): TimelineCheck {
  const looks = m.thresholds.length;
  const crossing = (shift: number, alternative: 'greater' | 'less', alpha: number) =>
    Array.from(logShiftEProcess(m, shift, alternative), (x) => x >= Math.log(1 / alpha));
  // No relative shift lies below -100 %: with tol >= 1 the lower boundary cannot be crossed.
  const lowerBoundary = m.scale === 'relative' && tol >= 1 ? undefined : -tol;
  const claims = marginClaims(looks, crossing, tol, lowerBoundary, direction, rates);
  const unit = m.scale === 'relative' ? ('relative' as const) : ('units' as const);
  const boundsAt = (look: number, [aL, aU]: [number, number], hint?: Bounds): Bounds => shiftConfidenceSequence(m, aL, aU, look + 1, hint);
  const estimateAt = (look: number, hint?: number) => {
    const e = matchedShiftEstimate(m, look + 1, hint);
    return Number.isNaN(e) ? 0 : e;
  };
  return {
    claims,
    seriesLooks: seriesLooksOf(looks),
    series: (series, verdictAt) => {
      // Each look's searches start from the previous look's answers: they move little.
      let hint: Bounds | undefined;
      let estimate: number | undefined;
      return series.map((k) => {
        const bounds = boundsAt(k, reportedAlphas(verdictAt(k), direction, rates), hint);
        hint = bounds;
        estimate = estimateAt(k, estimate);
        return lookOf(k + 1, { estimate, ...bounds });
      });
    },
    effectAt: (verdict, look) => {
      const alphas = reportedAlphas(verdict, direction, rates);
      const last = looks - 1;
      const latest = boundsAt(last, alphas);
      const bounds = look === last ? latest : intersect(boundsAt(look, alphas, latest), latest);
      return { measure, unit, estimate: estimateAt(last), ...bounds, tolerance: tol };
    },
  };
}
