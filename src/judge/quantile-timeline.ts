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
 * confidence sequence of shifts neither one-sided test rejects (src/judge/timeline-checks.ts).
 * The first interval has no earlier baseline data to set its threshold, so it serves only to
 * set the next one's. On a histogram the claims are the bracket test's
 * (src/stats/quantile-bracket-e-process.ts): each side against the level at bucket bounds, over
 * each step of the canary's weight with both sides weighted alike (the steps are the settling's
 * step starts, the e-detector's starts and the gated windows' beginnings, so every range a claim
 * or a bound reads begins a block). Its confidence sequence shrinks to one bucket width on each
 * side of the truth (two for the comparison of tails it replaced: a p95 x1.2 could never fail a
 * +10 % margin on bounds 4.5 % apart), and buckets too coarse to place the quantile (Envoy's
 * defaults) keep the verdict inconclusive, with the bucket reason
 * (src/judge/bucket-resolution.ts) read from the gated window's buckets (issue 21).
 */
import { fromBuckets, fromValues, type WeightedSample } from '../stats/weighted-sample';
import { matchedQuantile, matchedShiftEstimate, shiftEdge, shiftLogFactorTable, shiftRangeEvidence, withBlocks, withScale, withWeights, type HistogramTest, type MatchedQuantile } from '../stats/matched-quantile-shift-e-process';
import { settle, type Settling } from './interval-settling';
import type { MetricContext } from './metric-context';
import { toSamplePair } from './side-samples';
import { decideTimeline, marginClaims, passRateChoice, rangeWeights, type CheckRates, type EvidenceRange, type TimelineCheck, type TimelineDecision } from './timeline-checks';
import type { Direction, Margin, ValuesInterval } from './types';

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
  const { checks, settling, looks } = quantileTimelineChecks(baseline, canary, level, margin, direction, ctx, subject);
  return decideTimeline(checks, looks, settling, direction);
}

/** A quantile timeline's checks (their claims computed, their bounds on demand) and settling. */
export function quantileTimelineChecks(
  baseline: readonly ValuesInterval[],
  canary: readonly ValuesInterval[],
  level: number,
  margin: Margin,
  direction: Direction,
  ctx: Pick<MetricContext, 'rates'>,
  subject: string,
  histogramTest: HistogramTest = 'bracket',
): { checks: TimelineCheck[]; settling: Settling; looks: number } {
  const intervals = baseline.map((b, i) => intervalPair(b, canary[i]));
  const unsettled = matchedQuantile(intervals, level, 'relative', histogramTest);
  const settling = settleTails(unsettled);
  // The bracket test reads each step of the canary's weight as a block of its own (src/stats/matched-quantile-shift-e-process.ts).
  const prepared = withBlocks(unsettled, settling.stepStart);
  const checks: TimelineCheck[] = [];
  const [relativeAt, absoluteAt] =
    margin.relative !== undefined && margin.absolute !== undefined
      ? passRateChoice(ctx.rates.pass, (start) => {
          // The relative margin's shift at the window's threshold (set before it) against the absolute one.
          const q = prepared.thresholds[start];
          return Number.isFinite(q) && start > 0 ? margin.relative! * q >= margin.absolute! : undefined;
        })
      : [() => ctx.rates.pass, () => ctx.rates.pass];
  if (margin.relative !== undefined) checks.push(shiftCheck(prepared, margin.relative, direction, { fail: ctx.rates.fail, passAt: relativeAt }, settling, `relative shift of ${subject}`));
  if (margin.absolute !== undefined) checks.push(shiftCheck(withScale(prepared, 'absolute'), margin.absolute, direction, { fail: ctx.rates.fail, passAt: absoluteAt }, settling, `shift of ${subject}`));
  return { checks, settling, looks: intervals.length };
}

/**
 * The settling of a quantile's intervals: steadiness read from the baseline's count beyond its
 * upper threshold (it does not depend on the shift tested; the canary's tail is what the test
 * judges, so a canary-only change never sets an interval aside).
 */
function settleTails(m: MatchedQuantile): Settling {
  // The baseline's tail in an interval beyond a threshold (0 before the first threshold).
  const beyond = (i: number, q: number) => {
    const b = m.baseline[i];
    return Number.isNaN(q) ? 0 : m.tail === 'upper' ? b.above(q, 'fewest') : b.n - b.above(q, 'most');
  };
  return settle(
    m.baseline.map((b, i) => ({
      canaryTotal: m.canary[i].n,
      baselineTotal: b.n,
      events: beyond(i, m.thresholds[i]),
      exposure: b.n,
      // The interval before counted beyond this one's threshold: the threshold moves, the pair must not.
      ...(i > 0 ? { previousEvents: beyond(i - 1, m.thresholds[i]) } : {}),
    })),
  );
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

function shiftCheck(m: MatchedQuantile, tol: number, direction: Direction, rates: CheckRates, settling: Settling, measure: string): TimelineCheck {
  const looks = m.thresholds.length;
  // Histograms: the bracket test, whose statements each range fixes before it; raw values: the tails' table.
  const test = (shift: number, alternative: 'greater' | 'less') => (m.bracket ? shiftRangeEvidence(m, shift, alternative) : shiftLogFactorTable(m, shift, alternative));
  // No relative shift lies below -100 %: with tol >= 1 the lower boundary cannot be crossed.
  const lowerBoundary = m.scale === 'relative' && tol >= 1 ? undefined : -tol;
  const claims = marginClaims(test, looks, tol, lowerBoundary, direction, rates, settling);
  // The timeline as a range's claim read it (its mixtures rebuilt with those weights), kept per range.
  const views = new Map<string, MatchedQuantile>();
  const viewOf = (range: EvidenceRange) => {
    const key = `${range.from}:${range.to}:${range.claim}`;
    if (!views.has(key)) views.set(key, withWeights(m, rangeWeights(settling, range)));
    return views.get(key)!;
  };
  return {
    claims,
    rates,
    measure,
    unit: m.scale === 'relative' ? 'relative' : 'units',
    tolerance: tol,
    edge: (range, alternative, alpha, hint) => shiftEdge(viewOf(range), alternative, alpha, range.to + 1, hint, range.from),
    estimateOver: (range, hint) => {
      const e = matchedShiftEstimate(viewOf(range), range.to + 1, hint);
      return Number.isNaN(e) ? 0 : e;
    },
  };
}
