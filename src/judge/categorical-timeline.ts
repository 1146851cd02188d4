/**
 * Categorical metrics with a timeline (`intervals` of category counts): sticky verdicts from
 * per-interval tests of every category's share, src/stats/rate-difference-e-process.ts.
 *
 * A category's share among a side's observations is a rate (its count among the interval's
 * total), and the margin ("no category's share may move by more than 5 pp") is a rate
 * difference, so each category gets the per-interval difference e-process of error rates: in
 * each interval the canary's share is compared with the baseline's share of the same minutes,
 * so a class mix that drifts over the rollout (by time of day, say) while the split rises
 * cannot pose as a canary effect, and one two-sample test per category replaces two
 * one-sample bounds whose widths were added.
 *
 * Fail: some category's share moved beyond the margin, either way. The 2k one-sided fail
 * claims (k categories, up and down) share the fail rate by Bonferroni, as the cumulative
 * judge's bounds do. Pass: every category's share stayed within the margin both ways; an
 * intersection-union test, so each category's pass claims take the full pass rate, each
 * holding from its first crossing on. The reported effect is the cumulative judge's measure,
 * the largest change in a category share, from the per-category confidence sequences at
 * alpha / 2k a tail; the estimate is the largest Mantel-Haenszel difference.
 */
import {
  logRateDifferenceEProcess,
  mantelHaenszelRateDifference,
  rateDifferenceConfidenceSequence,
  type RateInterval,
} from '../stats/rate-difference-e-process';
import { lookOf } from './look-series';
import type { ErrorRates } from './margin-check';
import type { MetricContext } from './metric-context';
import { decideTimeline, intersect, marginClaims, seriesLooksOf, type Claims, type TimelineDecision } from './timeline-checks';
import type { Bounds, CategoricalInterval, Effect } from './types';

/** The measure of categorical metrics, with or without a timeline. */
export const LARGEST_SHARE_CHANGE = 'largest change in a category share';

/** Judges a categorical timeline against an absolute margin on every category's share. */
export function judgeCategoricalTimeline(
  baseline: readonly CategoricalInterval[],
  canary: readonly CategoricalInterval[],
  tol: number,
  ctx: MetricContext,
): TimelineDecision & { largest: { category: string; change: number } } {
  const { categories, perCategory } = categoryIntervals(baseline, canary);
  const looks = baseline.length;
  const k = Math.max(1, categories.length);
  const claims = combinedClaims(perCategory, tol, looks, ctx.rates);
  const estimates = perCategory.map((intervals) => mantelHaenszelRateDifference(intervals));
  const largest = estimates.reduce((best, d, j) => (Math.abs(d) > Math.abs(estimates[best] || 0) ? j : best), 0);
  // The largest change's bounds from every category's confidence sequence, alpha / 2k a tail.
  // Each look's bounds are computed once (the series and the reported effect share them), and
  // once per distinct alpha: with one metric the fail and pass rates are equal.
  const sequences = new Map<string, Bounds[]>();
  const sequencesAt = (look: number, alpha: number): Bounds[] => {
    const key = `${look} ${alpha}`;
    let bounds = sequences.get(key);
    if (!bounds) {
      bounds = perCategory.map((intervals) => rateDifferenceConfidenceSequence(intervals.slice(0, look + 1), alpha / (2 * k), alpha / (2 * k)));
      sequences.set(key, bounds);
    }
    return bounds;
  };
  const boundsAt = (look: number, [aL, aU]: [number, number]): Bounds => {
    let lower = 0;
    for (const b of sequencesAt(look, aL)) lower = Math.max(lower, b.lower, -b.upper);
    let upper = -Infinity;
    for (const b of sequencesAt(look, aU)) upper = Math.max(upper, Math.abs(b.lower), Math.abs(b.upper));
    return { lower, upper };
  };
  const largestAt = (look: number) => {
    let largest = 0;
    for (const intervals of perCategory) largest = Math.max(largest, Math.abs(mantelHaenszelRateDifference(intervals.slice(0, look + 1))) || 0);
    return largest;
  };
  // The largest change only grows with harm: its lower bound takes the fail rate, its upper the pass rate.
  const alphas: [number, number] = [ctx.rates.fail, ctx.rates.pass];
  const effectOf = (estimate: number, bounds: Bounds): Effect => ({ measure: LARGEST_SHARE_CHANGE, unit: 'share', estimate, ...bounds, tolerance: tol });
  const decision = decideTimeline(
    [
      {
        claims,
        seriesLooks: seriesLooksOf(looks),
        series: (series) => series.map((look) => lookOf(look + 1, { estimate: largestAt(look), ...boundsAt(look, alphas) })),
        effectAt: (_verdict, look) => {
          const latest = boundsAt(looks - 1, alphas);
          return effectOf(largestAt(looks - 1), look === looks - 1 ? latest : intersect(boundsAt(look, alphas), latest));
        },
      },
    ],
    looks,
  );
  return { ...decision, largest: { category: categories[largest] ?? '', change: estimates[largest] || 0 } };
}

/**
 * Each category's count among each side's observations, per interval, in first-seen order:
 * one pass over the counts (a category count per interval by search would cost k^2 per interval).
 */
function categoryIntervals(baseline: readonly CategoricalInterval[], canary: readonly CategoricalInterval[]): { categories: string[]; perCategory: RateInterval[][] } {
  const index = new Map<string, number>();
  for (const side of [baseline, canary]) for (const interval of side) for (const [category] of interval.counts) if (!index.has(category)) index.set(category, index.size);
  const perCategory: RateInterval[][] = Array.from(index, () => []);
  const events = { baseline: new Float64Array(index.size), canary: new Float64Array(index.size) };
  for (let i = 0; i < baseline.length; i++) {
    const totals = { baseline: 0, canary: 0 };
    for (const [name, interval] of [['baseline', baseline[i]], ['canary', canary[i]]] as const) {
      events[name].fill(0);
      for (const [category, n] of interval.counts) {
        events[name][index.get(category)!] += n;
        totals[name] += n;
      }
    }
    for (let j = 0; j < index.size; j++) {
      perCategory[j].push({ canaryEvents: events.canary[j], canaryTotal: totals.canary, baselineEvents: events.baseline[j], baselineTotal: totals.baseline });
    }
  }
  return { categories: [...index.keys()], perCategory };
}

/**
 * Fail at a look when some category's claim of a move beyond +-tol has held (each of the 2k
 * one-sided claims at fail / 2k: marginClaims splits `either`'s rate between the two sides);
 * pass when every category's claims of staying within it have (each at the full pass rate).
 */
function combinedClaims(perCategory: readonly RateInterval[][], tol: number, looks: number, rates: ErrorRates): Claims {
  // A tolerance of a whole share (or more) can never be exceeded: fail never, pass at once.
  if (!(tol < 1)) return { failing: Array(looks).fill(false), passing: Array(looks).fill(true) };
  const k = Math.max(1, perCategory.length);
  const each = perCategory.map((intervals) => {
    const crossing = (delta: number, alternative: 'greater' | 'less', alpha: number) =>
      Array.from(logRateDifferenceEProcess(intervals, delta, alternative), (x) => x >= Math.log(1 / alpha));
    return marginClaims(looks, crossing, tol, -tol, 'either', { fail: rates.fail / k, pass: rates.pass });
  });
  return {
    failing: Array.from({ length: looks }, (_, look) => each.some((c) => c.failing[look])),
    passing: Array.from({ length: looks }, (_, look) => each.every((c) => c.passing[look])),
  };
}
