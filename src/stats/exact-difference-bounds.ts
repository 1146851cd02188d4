/**
 * Exact one-sided confidence bounds for a difference of two proportions (canary - baseline):
 * for every sample size and every pair of true rates, the lower bound exceeds the true
 * difference with probability at most alphaLower, and the upper bound falls below it with
 * probability at most alphaUpper. Large-sample intervals (Wald, Newcombe) only approach that
 * at large counts, and undershoot with a handful of events, which is where a canary lives.
 *
 * How: invert an exact unconditional test, a Buehler bound.
 *  1. Order the outcomes (x1, x2) by a statistic T: here the Agresti-Caffo lower bound
 *     T = p1~ - p2~ - z * sqrt(p1~(1 - p1~)/m1 + p2~(1 - p2~)/m2), p~ = (x + a)/(n + 2a),
 *     m = n + 2a, z the normal quantile at the bound's own alpha. Ordering by an approximate
 *     bound is what makes the exact bound tight (Lloyd & Kabaila 2003): "T >= T(observed)"
 *     is then the studentized test of difference <= bound, whatever margin it is compared to.
 *     With a = max(1, z^2/4) pseudo-events T rises with x1 and falls with x2 (shown below), so
 *     each rejection region {T >= t} is, for every x2, a half-line x1 >= k(x2).
 *  2. The p-value of "difference <= d" is the largest probability of that region over the
 *     null rates. Because the region is monotone, P(region) rises with p1 and falls with p2,
 *     so the largest value sits on the line p1 - p2 = d, and grows with d: the set of rejected
 *     d is a half-line and the bound is where it ends.
 *  3. Berger & Boos (1994): take the maximum only over a (1 - gamma) Clopper-Pearson interval
 *     for the better-measured side's rate, and add gamma. Still exact, and far cheaper.
 *  4. The maximum over that interval is bounded, not sampled: cut the interval into cells, and
 *     on a cell [a, b] every null point has p1 <= b + d and p2 >= a, so P at (b + d, a) (the
 *     cell's worst corner) bounds the whole cell. A grid that misses the peak can only make the
 *     bound wider, never invalid.
 *  5. P(region) = sum over x2 of pmf2(x2) * P(X1 >= k(x2)): one pass over each binomial's
 *     support, with thresholds k(x2) from a two-pointer walk (k never decreases in x2). Tails
 *     beyond a Chernoff bound of TAIL_MASS are counted as if inside the region, and pmfs are
 *     normalised by their in-window sum, which can only overstate them: every shortcut errs
 *     towards a wider bound.
 * The upper bound is minus the lower bound of baseline - canary. Above LARGEST_EXACT_SEARCH
 * trials on a side, per-side Clopper-Pearson bounds combined by Bonferroni take over (exact,
 * wider); the switch depends on the totals only.
 *
 * Monotonicity of T in x1 (x2 alike): dT/dp1 = 1 - z (1 - 2 p1) / (2 m1 s). With s^2 >=
 * p1(1 - p1)/m1 it is positive once 4 m1 p1 (1 - p1) >= z^2 (1 - 2 p1)^2, which holds at the
 * smallest p1~ = a/m1 when a >= z^2/4, and the left side only grows towards p1 = 1/2.
 *
 * References: Buehler, R. J. (1957) JASA 52:482; Lloyd, C. J. & Kabaila, P. (2003) "On the
 * optimality and limitations of Buehler bounds", Aust. N. Z. J. Stat. 45:167; Berger, R. L. &
 * Boos, D. D. (1994) "P values maximised over a confidence set for the nuisance parameter",
 * JASA 89:1012; Chan, I. S. F. & Zhang, Z. (1999) "Test-based exact confidence intervals for
 * the difference of two binomial proportions", Biometrics 55:1202 (the same inversion with a
 * score ordering); Santner, T. J. & Snell, M. K. (1980) JASA 75:386; Agresti, A. & Caffo, B.
 * (2000) The American Statistician 54:280 (the ordering statistic).
 *
 * @example exactDifferenceBounds(5, 200, 20, 2000, 0.05, 0.05) // { lower: ~-0.0003, upper: ~0.040 }
 */
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import { checkTwoByTwo } from './input-checks';
import { normalQuantileOf } from './normal';
import type { Bounds } from './quantile-bounds';

// Module-level copies: inside jest's sandbox every global lookup in a hot loop is slow (see input-checks.ts).
const { ceil, exp, floor, log, max, min, sqrt } = Math;

/**
 * Share of alpha spent on the nuisance interval (Berger & Boos' gamma). Smaller shares widen
 * the interval the maximum runs over but leave more alpha to the test: measured over small and
 * large tables, 0.02 (their gamma = 0.001 at alpha = 0.05) gives intervals 1-3 % narrower than
 * 0.1 for ~15 % more cells, and would just reject 5/200 vs 20/2000 at difference 0 (a valid
 * exact p under 0.05, where Boschloo's test gives 0.051 and Fisher's 0.070). 0.1 is the
 * conservative choice between the two.
 */
const NUISANCE_SHARE = 0.1;
/** Cells per standard error of the difference: the worst corner of a cell overstates by ~2 widths. */
const CELLS_PER_SE = 32;
const MAX_CELLS = 2048;
/** Binomial tail mass (relative to alpha) left outside a summation window and added back whole. */
const TAIL_MASS = 1e-7;
/** Up to this many trials, summing the whole support is cheaper than finding the window. */
const WHOLE_SUPPORT = 100;
/** Rounding in sums of thousands of terms is far below this; rejecting below it keeps float error on the safe side. */
const FLOAT_SAFETY = 1e-9;
/** Search stops when the bound is known to this fraction of a standard error. */
const TOLERANCE_PER_SE = 1 / 1024;
/**
 * Above this many trials on a side the search's cost (which grows like the square root of the
 * totals) passes ~20 ms per bound on an idle core, so the bound switches to per-side
 * Clopper-Pearson combined by Bonferroni: exact too, only wider. The switch looks at the
 * totals alone, never at the counts, so each branch keeps its own guarantee.
 */
const LARGEST_EXACT_SEARCH = 2_000_000;

export function exactDifferenceBounds(
  canaryEvents: number,
  canaryTotal: number,
  baselineEvents: number,
  baselineTotal: number,
  alphaLower: number,
  alphaUpper: number,
): Bounds {
  for (const count of [canaryEvents, canaryTotal, baselineEvents, baselineTotal]) {
    if (!Number.isSafeInteger(count)) throw new Error('Exact difference bounds need whole-number counts');
  }
  checkTwoByTwo(canaryEvents, canaryTotal, baselineEvents, baselineTotal);
  if (Number.isNaN(alphaLower) || Number.isNaN(alphaUpper)) throw new Error('alpha must be a number');
  return {
    lower: exactLowerBound(canaryEvents, canaryTotal, baselineEvents, baselineTotal, alphaLower),
    upper: -exactLowerBound(baselineEvents, baselineTotal, canaryEvents, canaryTotal, alphaUpper),
  };
}

/**
 * Lower bound for p1 - p2 at one-sided error alpha. alpha <= 0 claims nothing (-1); alpha >= 1
 * allows any error, so it returns the extreme 1, as the other bounds do at alpha 1.
 */
export function exactLowerBound(x1: number, n1: number, x2: number, n2: number, alpha: number): number {
  if (alpha <= 0) return -1;
  if (alpha >= 1) return 1;
  if (max(n1, n2) > LARGEST_EXACT_SEARCH) return bonferroniLowerBound(x1, n1, x2, n2, alpha);
  const gamma = alpha * NUISANCE_SHARE;
  const level = (alpha - gamma) * (1 - FLOAT_SAFETY);
  const order = new Ordering(n1, n2, normalQuantileOf(1 - alpha));
  const observed = order.value(x1, x2);
  const region = new RegionProbability(order, observed, level * TAIL_MASS);
  // The nuisance is the better-measured side's rate; the choice depends on the totals only.
  const nuisanceIsFirst = n1 > n2;
  const interval = clopperPearson(nuisanceIsFirst ? x1 : x2, nuisanceIsFirst ? n1 : n2, gamma);
  const se = order.standardError(x1, x2);
  const cells = min(MAX_CELLS, max(1, ceil((interval.upper - interval.lower) / (se / CELLS_PER_SE))));
  const grid = new CellGrid(region, interval.lower, interval.upper, cells, nuisanceIsFirst);
  return searchBound(grid, level, clamp(observed), se * TOLERANCE_PER_SE, se);
}

/**
 * Lower bound for p1 - p2 from one-sided Clopper-Pearson bounds per side at alpha / 2 each:
 * the difference can only be overstated if one of them misses, which together happens with
 * probability at most alpha (Bonferroni). Exact at any size, wider than the search.
 */
export function bonferroniLowerBound(x1: number, n1: number, x2: number, n2: number, alpha: number): number {
  if (alpha <= 0) return -1;
  if (alpha >= 1) return 1;
  const lower1 = x1 === 0 ? 0 : betaQuantile(alpha / 2, x1, n1 - x1 + 1);
  const upper2 = x2 === n2 ? 1 : betaQuantile(1 - alpha / 2, x2 + 1, n2 - x2);
  return lower1 - upper2;
}

/**
 * The largest d at which every cell's corner probability is at most the level. Each cell's
 * probability rises with d, so that is the smallest of the cells' own crossing points. Find
 * the crossing of the cell riskiest at the approximate bound, then visit every other cell
 * once: a cell still at or below the level there needs nothing (it stays so at any smaller
 * d), one above it lowers the bound to its own crossing.
 */
function searchBound(grid: CellGrid, level: number, start: number, tol: number, se: number): number {
  const riskiest = grid.riskiestCell(start);
  let bound = grid.probability(riskiest, start) <= level ? grid.crossingAbove(riskiest, start, level, tol, se) : grid.crossingBelow(riskiest, -1, start, level, tol, se);
  for (let cell = 0; cell < grid.count; cell++) {
    if (cell === riskiest || bound <= -1) continue;
    if (grid.probability(cell, bound) > level) bound = grid.crossingBelow(cell, -1, bound, level, tol, se);
  }
  return max(-1, bound);
}

function clamp(d: number): number {
  return min(1, max(-1, d));
}

/** Two-sided (1 - gamma) Clopper-Pearson interval, widened by a hair against rounding in the quantile. */
function clopperPearson(events: number, total: number, gamma: number): { lower: number; upper: number } {
  const lower = events === 0 ? 0 : betaQuantile(gamma / 2, events, total - events + 1);
  const upper = events === total ? 1 : betaQuantile(1 - gamma / 2, events + 1, total - events);
  return { lower: max(0, lower * (1 - 1e-12)), upper: min(1, upper * (1 + 1e-12)) };
}

/** The ordering statistic T(x1, x2): an Agresti-Caffo style lower bound for p1 - p2. */
class Ordering {
  private readonly a: number;
  private readonly m1: number;
  private readonly m2: number;

  constructor(
    readonly n1: number,
    readonly n2: number,
    private readonly z: number,
  ) {
    this.a = max(1, (z * z) / 4);
    this.m1 = n1 + 2 * this.a;
    this.m2 = n2 + 2 * this.a;
  }

  value(x1: number, x2: number): number {
    const p1 = (x1 + this.a) / this.m1;
    const p2 = (x2 + this.a) / this.m2;
    return p1 - p2 - this.z * sqrt((p1 * (1 - p1)) / this.m1 + (p2 * (1 - p2)) / this.m2);
  }

  standardError(x1: number, x2: number): number {
    const p1 = (x1 + this.a) / this.m1;
    const p2 = (x2 + this.a) / this.m2;
    return sqrt((p1 * (1 - p1)) / this.m1 + (p2 * (1 - p2)) / this.m2);
  }

  /** Smallest x1 in [0, n1 + 1] with T(x1, x2) >= t (n1 + 1: none), by bisection; T rises with x1. */
  threshold(x2: number, t: number): number {
    let lo = 0;
    let hi = this.n1 + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.value(mid, x2) >= t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/**
 * The cells of the nuisance interval and each cell's worst-corner probability at a difference d.
 * With the second side as nuisance (t = p2 in [a, b]): the null points have p1 <= b + d, so the
 * corner is (min(1, b + d), a), and the cell holds no null point when b + d < 0. With the first
 * side (t = p1 in [a, b]): p2 >= a - d, corner (b, max(0, a - d)), empty when a - d > 1.
 */
class CellGrid {
  constructor(
    private readonly region: RegionProbability,
    private readonly from: number,
    private readonly to: number,
    readonly count: number,
    private readonly nuisanceIsFirst: boolean,
  ) {}

  private edge(i: number): number {
    return i === this.count ? this.to : this.from + ((this.to - this.from) * i) / this.count;
  }

  probability(cell: number, d: number): number {
    const a = this.edge(cell);
    const b = this.edge(cell + 1);
    if (this.nuisanceIsFirst) {
      if (a - d > 1) return 0;
      return this.region.at(b, max(0, a - d));
    }
    if (b + d < 0) return 0;
    return this.region.at(min(1, b + d), a);
  }

  /**
   * The cell with the largest corner probability at d, or near it: a probability varies slowly
   * from cell to cell, so every stride-th cell is visited, then the neighbours of the best.
   * Only the cost of the search depends on the choice, never its validity.
   */
  riskiestCell(d: number): number {
    const stride = ceil(sqrt(this.count));
    let best = 0;
    let bestP = -1;
    const visit = (i: number) => {
      const p = this.probability(i, d);
      if (p > bestP) (best = i), (bestP = p);
    };
    for (let i = 0; i < this.count; i += stride) visit(i);
    const centre = best;
    for (let i = max(0, centre - stride + 1); i < min(this.count, centre + stride); i++) if (i % stride !== 0) visit(i);
    return best;
  }

  /** Largest d' >= d (to tol) with the cell at or below level, knowing it is so at d. */
  crossingAbove(cell: number, d: number, level: number, tol: number, se: number): number {
    let lo = d;
    let hi = d;
    let step = se / 4;
    for (;;) {
      hi = min(1, lo + step);
      if (this.probability(cell, hi) > level) break;
      lo = hi;
      if (hi >= 1) return 1;
      step *= 2;
    }
    return this.bisect(cell, lo, hi, level, tol);
  }

  /** Largest d' in [floor, d) (to tol) with the cell at or below level, knowing it is above at d. */
  crossingBelow(cell: number, floor: number, d: number, level: number, tol: number, se: number): number {
    let hi = d;
    let lo = d;
    let step = se / 8;
    for (;;) {
      lo = max(floor, hi - step);
      if (lo <= floor || this.probability(cell, lo) <= level) break;
      hi = lo;
      step *= 2;
    }
    return this.bisect(cell, lo, hi, level, tol);
  }

  /** lo at or below level (or the certified floor), hi above: returns the last lo. */
  private bisect(cell: number, lo: number, hi: number, level: number, tol: number): number {
    while (hi - lo > tol) {
      const mid = 0.5 * (lo + hi);
      if (this.probability(cell, mid) <= level) lo = mid;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * An upper bound on P(T(X1, X2) >= t) for X1 ~ Bin(n1, p1), X2 ~ Bin(n2, p2), summed as
 * sum_x2 pmf2(x2) * P(X1 >= k(x2)) over each binomial's window, plus the mass outside it.
 */
class RegionProbability {
  private readonly first: BinomialWindow;
  private readonly second: BinomialWindow;
  private thresholdsFrom = 0;
  private thresholds = new Int32Array(0);

  constructor(
    private readonly order: Ordering,
    private readonly t: number,
    tailMass: number,
  ) {
    this.first = new BinomialWindow(order.n1, tailMass);
    this.second = new BinomialWindow(order.n2, tailMass);
  }

  at(p1: number, p2: number): number {
    const one = this.first.set(p1, true);
    const two = this.second.set(p2, false);
    this.coverThresholds(two.lo, two.hi);
    const n1 = this.order.n1;
    const suffix = one.weights;
    const lo1 = one.lo;
    const hi1 = one.hi;
    const inv1 = 1 / one.total;
    const tail1 = one.tailAbove;
    const w2 = two.weights;
    const lo2 = two.lo;
    const k = this.thresholds;
    const offset = this.thresholdsFrom;
    let sum = 0;
    for (let x2 = lo2; x2 <= two.hi; x2++) {
      const kk = k[x2 - offset];
      // P(X1 >= kk), bounded from above: 1 below the window, the tail bound above it.
      const survival = kk <= lo1 ? 1 : kk > n1 ? 0 : kk > hi1 ? tail1 : suffix[kk - lo1] * inv1 + tail1;
      sum += w2[x2 - lo2] * survival;
    }
    return sum / two.total + two.tailBelow + two.tailAbove;
  }

  /** Thresholds k(x2) for x2 in [lo, hi], extending the cached range with a two-pointer walk. */
  private coverThresholds(lo: number, hi: number): void {
    const from = this.thresholdsFrom;
    const to = from + this.thresholds.length - 1;
    if (this.thresholds.length > 0 && lo >= from && hi <= to) return;
    // Grow by half a window beyond what is asked: the nuisance walk shifts windows a little at a time.
    const margin = (hi - lo + 1) >>> 1;
    const newFrom = max(0, (this.thresholds.length > 0 ? min(lo, from) : lo) - margin);
    const newTo = min(this.order.n2, (this.thresholds.length > 0 ? max(hi, to) : hi) + margin);
    const values = new Int32Array(newTo - newFrom + 1);
    let k = this.order.threshold(newFrom, this.t);
    const n1 = this.order.n1;
    for (let x2 = newFrom; x2 <= newTo; x2++) {
      // T falls as x2 grows, so the threshold never moves down.
      while (k <= n1 && this.order.value(k, x2) < this.t) k++;
      values[x2 - newFrom] = k;
    }
    this.thresholdsFrom = newFrom;
    this.thresholds = values;
  }
}

/**
 * Binomial(n, p) probabilities over a window [lo, hi] outside which each tail holds at most
 * tailMass (Chernoff: P(X >= k) <= exp(-n KL(k/n || p)) above the mean, alike below). Weights
 * run from 1 at the mode by the pmf ratio; dividing by their in-window total overstates each
 * pmf by the factor 1/(1 - outside mass), which is the safe direction here. With `suffix`, the
 * weights are replaced by their sums from each point to hi. The last p is cached: a root
 * search on one cell keeps one side's rate fixed.
 */
class BinomialWindow {
  weights = new Float64Array(0);
  lo = 0;
  hi = 0;
  total = 1;
  tailBelow = 0;
  tailAbove = 0;
  private p = NaN;
  private suffix = false;
  private reciprocalTable = new Float64Array(0);
  private reciprocalsFrom = 1;
  private readonly logTail: number;

  constructor(
    private readonly n: number,
    tailMass: number,
  ) {
    this.logTail = log(tailMass);
  }

  set(p: number, suffix: boolean): this {
    if (p === this.p && suffix === this.suffix) return this;
    this.p = p;
    this.suffix = suffix;
    const n = this.n;
    if (p <= 0 || p >= 1) {
      this.lo = this.hi = p <= 0 ? 0 : n;
      this.ensure(1)[0] = 1;
      this.total = 1;
      this.tailBelow = this.tailAbove = 0;
      return this;
    }
    this.window(p);
    const lo = this.lo;
    const hi = this.hi;
    const size = hi - lo + 1;
    const w = this.ensure(size);
    // From the lower edge upwards, pmf(j + 1) / pmf(j) = (n - j) / (j + 1) * p / (1 - p); the
    // weights rise by up to the inverse tail mass and fall back, far inside double range.
    // Division is the slow step of this loop, so 1 / (j + 1) comes from a table kept across calls.
    const odds = p / (1 - p);
    const reciprocal = this.reciprocals(lo + 1, hi);
    const shift = this.reciprocalsFrom;
    let value = 1;
    w[0] = 1;
    for (let j = lo; j < hi; j++) w[j + 1 - lo] = value = value * (n - j) * odds * reciprocal[j + 1 - shift];
    let total = 0;
    if (suffix) {
      for (let i = size - 1; i >= 0; i--) w[i] = total += w[i];
    } else {
      for (let i = 0; i < size; i++) total += w[i];
    }
    this.total = total;
    return this;
  }

  /** 1 / k for k in [from, to] (at reciprocal[k - reciprocalsFrom]), grown by half a window beyond what is asked. */
  private reciprocals(from: number, to: number): Float64Array {
    const have = this.reciprocalTable;
    const haveTo = this.reciprocalsFrom + have.length - 1;
    if (have.length > 0 && from >= this.reciprocalsFrom && to <= haveTo) return have;
    const margin = (to - from + 1) >>> 1;
    const start = max(1, (have.length > 0 ? min(from, this.reciprocalsFrom) : from) - margin);
    const end = min(this.n, (have.length > 0 ? max(to, haveTo) : to) + margin);
    const table = new Float64Array(max(0, end - start + 1));
    for (let k = start; k <= end; k++) table[k - start] = 1 / k;
    this.reciprocalsFrom = start;
    this.reciprocalTable = table;
    return table;
  }

  private ensure(size: number): Float64Array {
    if (this.weights.length < size) this.weights = new Float64Array(max(size, 2 * this.weights.length));
    return this.weights;
  }

  /** Window edges where the Chernoff bound of the tail beyond drops to the tail mass. */
  private window(p: number): void {
    const n = this.n;
    if (n <= WHOLE_SUPPORT) {
      this.lo = 0;
      this.hi = n;
      this.tailBelow = this.tailAbove = 0;
      return;
    }
    const mean = n * p;
    // hi: smallest k >= mean with bound(P(X >= k + 1)) <= tail mass.
    let a = min(n, ceil(mean));
    let b = n;
    if (this.logUpperTail(b, p) > this.logTail) {
      this.hi = n;
      this.tailAbove = 0;
    } else {
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (this.logUpperTail(mid + 1, p) <= this.logTail) b = mid;
        else a = mid + 1;
      }
      this.hi = a;
      this.tailAbove = a < n ? exp(this.logUpperTail(a + 1, p)) : 0;
    }
    // lo: largest k <= mean with bound(P(X <= k - 1)) <= tail mass.
    a = 0;
    b = max(0, floor(mean));
    if (this.logLowerTail(a, p) > this.logTail) {
      this.lo = 0;
      this.tailBelow = 0;
    } else {
      while (a < b) {
        const mid = (a + b + 1) >>> 1;
        if (this.logLowerTail(mid - 1, p) <= this.logTail) a = mid;
        else b = mid - 1;
      }
      this.lo = a;
      this.tailBelow = a > 0 ? exp(this.logLowerTail(a - 1, p)) : 0;
    }
  }

  /** log of the Chernoff bound on P(X >= k), k >= np (0 when k <= np; -Infinity beyond n). */
  private logUpperTail(k: number, p: number): number {
    if (k > this.n) return -Infinity;
    if (k <= this.n * p) return 0;
    return -this.n * klBernoulli(k / this.n, p);
  }

  /** log of the Chernoff bound on P(X <= k), k <= np. */
  private logLowerTail(k: number, p: number): number {
    if (k < 0) return -Infinity;
    if (k >= this.n * p) return 0;
    return -this.n * klBernoulli(k / this.n, p);
  }
}

/** Kullback-Leibler divergence of Bernoulli(q) from Bernoulli(p), 0 < p < 1. */
function klBernoulli(q: number, p: number): number {
  const a = q > 0 ? q * log(q / p) : 0;
  const b = q < 1 ? (1 - q) * log((1 - q) / (1 - p)) : 0;
  return a + b;
}
