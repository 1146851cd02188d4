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
 * the largest change in a category share, from the per-category confidence sequences: its
 * lower bound at the fail claims' alpha / 2k a tail, its upper bound at the pass rate a tail
 * (the largest change exceeds it only if the category holding it exceeds its own bound, so one
 * category's sequence suffices), so the interval inverts both claims; the estimate is the
 * largest Mantel-Haenszel difference.
 */
import { mantelHaenszelRateDifference, rateDifferenceEdge, rateDifferenceLogFactorTable, type RateInterval } from '../stats/rate-difference-e-process';
import { settle, type Settling } from './interval-settling';
import type { MetricContext } from './metric-context';
import { settleRates } from './rate-timeline';
import { decideTimeline, marginClaims, rangeWeights, type Claims, type EvidenceRange, type TimelineDecision } from './timeline-checks';
import type { Bounds, CategoricalInterval } from './types';

/**
 * Looks a category mix's series lists: each look's bounds search both edges of every category
 * from every start, so fewer than other kinds' 12 (8 classes over 1,440 intervals: 4.2 s with 12).
 */
export const CATEGORICAL_SERIES_LOOKS = 4;

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
  // The gated windows from the split of observations (the same for every category); each
  // category's steadiness and dispersion from its own counts.
  const observations = settle(
    baseline.map((b, i) => ({ canaryTotal: totalOf(canary[i]), baselineTotal: totalOf(b), events: 0, exposure: totalOf(b) + totalOf(canary[i]) })),
  );
  const settlings = perCategory.map((intervals) => withWindows(settleRates(intervals), observations));
  const claims = combinedClaims(perCategory.map((intervals, j) => intervals.map((i, k) => ({ ...i, weight: settlings[j].settled[k] }))), settlings, tol, looks, ctx);
  const estimates = perCategory.map((intervals) => mantelHaenszelRateDifference(intervals));
  const largest = estimates.reduce((best, d, j) => (Math.abs(d) > Math.abs(estimates[best] || 0) ? j : best), 0);
  // Each category's intervals as its claims may read them (set-aside ones out of the plug-ins too).
  const readable = perCategory.map((intervals, j) => intervals.map((i, k) => ({ ...i, weight: settlings[j].settled[k] })));
  const weighted = (j: number, range: EvidenceRange): RateInterval[] => {
    const w = rangeWeights(settlings[j], range);
    return perCategory[j].slice(0, range.to + 1).map((i, at) => ({ ...i, weight: w[at] }));
  };
  // A range's intervals for an edge: the readable ones before it inform the plug-ins only.
  const forEdge = (j: number, range: EvidenceRange): RateInterval[] => [...readable[j].slice(0, range.from), ...weighted(j, range).slice(range.from)];
  // The largest change only grows with harm: its lower bound (`greater`) is the largest of every
  // category's lower bound on |change| from its two one-sided edges (at alpha / 2k a tail, as
  // the fail claims), its upper bound (`less`) the largest of their upper bounds on |change| (at
  // the pass rate a tail, as the pass claims: an intersection-union test).
  // Both of a category's edges serve both of the largest change's: computed once per range and alpha.
  const edgesByRange = new Map<string, Bounds[]>();
  const edge = (range: EvidenceRange, alternative: 'greater' | 'less', alpha: number): number => {
    const key = `${range.from}:${range.to}:${range.claim}:${alpha}`;
    let each = edgesByRange.get(key);
    if (!each) {
      each = perCategory.map((_, j) => {
        const intervals = forEdge(j, range);
        // Each edge at its claim's rate: a fail splits its rate over the 2k one-sided claims, a
        // pass needs every one of them, each at the full rate (so a pass's interval never reaches past the margin).
        const tail = range.claim === 'pass' ? alpha : alpha / (2 * k);
        return { lower: rateDifferenceEdge(intervals, 'greater', tail, range.from), upper: rateDifferenceEdge(intervals, 'less', tail, range.from) };
      });
      edgesByRange.set(key, each);
    }
    return alternative === 'greater' ? Math.max(0, ...each.map((b) => Math.max(b.lower, -b.upper))) : Math.max(...each.map((b) => Math.max(Math.abs(b.lower), Math.abs(b.upper))));
  };
  const decision = decideTimeline(
    [
      {
        claims,
        rates: { fail: ctx.rates.fail, passAt: () => ctx.rates.pass },
        measure: LARGEST_SHARE_CHANGE,
        unit: 'share',
        tolerance: tol,
        edge,
        estimateOver: (range) => Math.max(0, ...perCategory.map((_, j) => Math.abs(mantelHaenszelRateDifference(weighted(j, range))) || 0)),
        maxSeriesLooks: CATEGORICAL_SERIES_LOOKS,
      },
    ],
    looks,
    observations,
    'increase',
  );
  return { ...decision, largest: { category: categories[largest] ?? '', change: estimates[largest] || 0 } };
}

const totalOf = (interval: CategoricalInterval) => interval.counts.reduce((sum, [, n]) => sum + n, 0);

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

/** A category's settling with the metric's gated windows (the split of observations). */
function withWindows(own: Settling, observations: Settling): Settling {
  return { ...own, windowStart: observations.windowStart, stepStart: observations.stepStart };
}

/**
 * Fail at a look when some category's claim of a move beyond +-tol has held (each of the 2k
 * one-sided claims at fail / 2k: marginClaims splits `either`'s rate between the two sides);
 * pass when every category's claims of staying within it hold (each at the full pass rate).
 */
function combinedClaims(perCategory: readonly RateInterval[][], settlings: readonly Settling[], tol: number, looks: number, ctx: MetricContext): Claims {
  // A tolerance of a whole share (or more) can never be exceeded: fail never, pass at once.
  if (!(tol < 1)) return { failing: Array(looks).fill(false), passing: Array(looks).fill(true) };
  const k = Math.max(1, perCategory.length);
  const each = perCategory.map((intervals, j) =>
    marginClaims(
      (delta, alternative) => rateDifferenceLogFactorTable(intervals, delta, alternative),
      looks,
      tol,
      -tol,
      'either',
      { fail: ctx.rates.fail / k, passAt: () => ctx.rates.pass },
      settlings[j],
    ),
  );
  const firstFail = (c: Claims) => c.failing.indexOf(true);
  const failed = each.filter((c) => firstFail(c) >= 0).sort((a, b) => firstFail(a) - firstFail(b))[0];
  return {
    failing: Array.from({ length: looks }, (_, look) => each.some((c) => c.failing[look])),
    passing: Array.from({ length: looks }, (_, look) => each.every((c) => c.passing[look])),
    ...(failed?.failFrom !== undefined ? { failFrom: failed.failFrom } : {}),
  };
}
