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
import { mantelHaenszelRateDifference, RateDifferenceEdges, rateDifferenceLogFactorTable, type RateInterval } from '../stats/rate-difference-e-process';
import { settle, type Settling } from './interval-settling';
import type { MetricContext } from './metric-context';
import { settleRates } from './rate-timeline';
import { decideTimeline, marginClaims, type Claims, type EvidenceRange, type TimelineDecision } from './timeline-checks';
import type { CategoricalInterval } from './types';

/**
 * Looks a category mix's series lists: each look's bounds search both edges of every category
 * from every start, so fewer than other kinds' 12 (8 classes over 1,440 intervals: 4.2 s with 12
 * before the searches were prepared once per category and stopped where moot, 0.9 s of CPU with 4 after).
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
  // Each category's intervals as its claims may read them (set-aside ones out of the plug-ins too).
  const readable = perCategory.map((intervals, j) => intervals.map((i, k) => ({ ...i, weight: settlings[j].settled[k] })));
  const claims = combinedClaims(readable, settlings, tol, looks, ctx);
  const estimates = perCategory.map((intervals) => mantelHaenszelRateDifference(intervals));
  const largest = estimates.reduce((best, d, j) => (Math.abs(d) > Math.abs(estimates[best] || 0) ? j : best), 0);
  // A range's intervals for an edge are the readable ones up to its end (those before it
  // inform the plug-ins only; those in it carry the settled weights, as rangeWeights gives
  // them): each category's are prepared once, and every range's edges searched on them.
  const sequences = readable.map((intervals) => new RateDifferenceEdges(intervals));
  const edgeCache = new Map<string, number>();
  const edge = (range: EvidenceRange, alternative: 'greater' | 'less', alpha: number): number => {
    const key = `${range.from}:${range.to}:${range.claim}:${alternative}:${alpha}`;
    const cached = edgeCache.get(key);
    if (cached !== undefined) return cached;
    // Each edge at its claim's rate: a fail splits its rate over the 2k one-sided claims, a
    // pass needs every one of them, each at the full rate (so a pass's interval never reaches past the margin).
    const tail = range.claim === 'pass' ? alpha : alpha / (2 * k);
    const value = alternative === 'greater' ? largestLowerBound(sequences, range, tail) : largestUpperBound(sequences, range, tail);
    edgeCache.set(key, value);
    return value;
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
        // The Mantel-Haenszel difference reads the range's intervals alone, with the weights of its claims.
        estimateOver: (range) => Math.max(0, ...sequences.map((s) => Math.abs(s.estimate(range.from, range.to)) || 0)),
        maxSeriesLooks: CATEGORICAL_SERIES_LOOKS,
      },
    ],
    looks,
    observations,
    'increase',
  );
  return { ...decision, largest: { category: categories[largest] ?? '', change: estimates[largest] || 0 } };
}

/**
 * The largest change's lower bound (`greater`, at the fail claims' alpha / 2k a tail): the
 * largest of every category's lower bound on |change| from its two one-sided edges, at least 0.
 * Categories are searched from the largest estimated change down, and a search stops once it
 * has shown that its edge cannot raise the largest bound found so far (RateDifferenceEdges'
 * `moot`): the maximum is the one full searches give, value for value.
 */
function largestLowerBound(sequences: readonly RateDifferenceEdges[], range: EvidenceRange, alpha: number): number {
  let largest = 0;
  for (const [j, side] of searchOrder(sequences, range)) {
    // A category's lower bound on |change|: its lower edge, or minus its upper edge; moot where it is at most the largest.
    largest =
      side === 'greater'
        ? Math.max(largest, sequences[j].edge('greater', alpha, range.from, range.to, { lower: -Infinity, upper: largest }))
        : Math.max(largest, -sequences[j].edge('less', alpha, range.from, range.to, { lower: -largest, upper: Infinity }));
  }
  return largest;
}

/**
 * The largest change's upper bound (`less`, at the pass rate a tail, as the pass claims: an
 * intersection-union test): the largest of every category's upper bound on |change|, the
 * larger |edge| of its two. An edge within +-(the largest so far) cannot raise it: moot.
 */
function largestUpperBound(sequences: readonly RateDifferenceEdges[], range: EvidenceRange, alpha: number): number {
  if (sequences.length === 0) return -Infinity;
  let largest = 0;
  for (const [j, side] of searchOrder(sequences, range)) {
    largest = Math.max(largest, Math.abs(sequences[j].edge(side, alpha, range.from, range.to, { lower: -largest, upper: largest })));
  }
  return largest;
}

/** Each category's two edges, the categories by their estimated change over the range (largest first), the side the estimate points to first: the likeliest largest bounds come first. */
function searchOrder(sequences: readonly RateDifferenceEdges[], range: EvidenceRange): [number, 'greater' | 'less'][] {
  const estimates = sequences.map((s) => s.estimate(range.from, range.to));
  const order = sequences.map((_, j) => j).sort((a, b) => (Math.abs(estimates[b]) || 0) - (Math.abs(estimates[a]) || 0));
  return order.flatMap((j): [number, 'greater' | 'less'][] => (estimates[j] < 0 ? [[j, 'less'], [j, 'greater']] : [[j, 'greater'], [j, 'less']]));
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
