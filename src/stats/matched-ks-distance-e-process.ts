/**
 * E-processes for the Kolmogorov-Smirnov distance between canary and baseline matched in time:
 * per interval, the two sides' CDFs compared only with each other, so a drift shared by both
 * sides (scores moving with the time of day while the split steps 1 % -> 10 % -> 50 %) cannot
 * pose as a canary effect, as it does on each side's pooled data (Simpson's paradox: the canary's
 * traffic is late, the baseline's early).
 *
 * At a point x the CDF difference d_i(x) = F_c,i(x) - F_b,i(x) of interval i is a difference of
 * rates (the share of observations at or below x), so the per-interval rate-difference e-process
 * of src/stats/rate-difference-e-process.ts tests it, each interval against its own baseline
 * share. The distance towards higher canary values is D+ = sup_x (F_b - F_c), towards lower ones
 * D- = sup_x (F_c - F_b) (src/stats/kolmogorov-smirnov.ts's dPlus and dMinus).
 *
 * The grid, per interval and predictable: K points x_i,1 <= ... <= x_i,K at the levels j/(K+1)
 * of the baseline's observations in the latest earlier intervals holding at least
 * GRID_MIN_OBSERVATIONS of them (on histograms, the bucket bound at or above each level). Grid
 * point j thus follows the baseline's level j/(K+1) as a drift moves it, and the KS distance is
 * unchanged by a drift shared by both sides (a common monotone map of the values), so a canary
 * effect stays at the same levels, in the same cells. Intervals before any grid are not bet on.
 *
 * Fail (D+ > tol in some interval): one e-process whose threshold in interval i is the grid
 * point (level) where the earlier intervals' Mantel-Haenszel difference F_b - F_c was largest (a
 * predictable plug-in, so no union over the grid is paid for), testing H0: d_i(x_i) >= -tol in
 * every interval. If D+_i <= tol in every interval, H0 holds whatever the thresholds, so by
 * Ville's inequality the claim errs with probability at most alpha. D- mirrors it.
 *
 * Pass (D+ <= tol in every interval): for every cell j between grid points j - 1 and j (the
 * ends -inf and +inf), F_b(x) - F_c(x) <= F_b(x_i,j) - F_c(x_i,j-1) inside the cell, so the
 * cell's envelope (the canary's count at or below its lower end against the baseline's at or
 * below its upper end) is tested against H0: envelope >= tol in every interval; the pass is
 * claimed when every cell's test has rejected (an intersection-union test: each at the full
 * alpha). If a canary effect has D+_i > tol in every interval at a point the same cell holds
 * (an effect at a level of the distribution, as a shift or a change of spread is), that cell
 * has a true null, so the pass errs with probability at most alpha. The envelope costs each
 * cell its baseline mass (about 1/(K+1)) of the margin: a pass needs the distance shown below
 * tol minus that, what a finite grid, like a histogram's buckets (src/stats/ks-distance-range.ts),
 * can show. (A grid fixed in value instead would let a drift carry the distribution out of it:
 * scores drifting 1 sd put a fifth of the last intervals beyond a grid set in the first.)
 *
 * Bounds: the lower bound of D+ is the fail e-process inverted over tol (its thresholds do not
 * depend on tol); the upper bound is the largest of the cells' envelope bounds, which covers the
 * supremum whenever the cell holding it covers its own envelope (no union paid either). Both are
 * running intersections (a value rejected at any look so far stays rejected), so a pass claimed
 * at tol always reports an upper bound at or below tol.
 *
 * References: Dvoretzky, Kiefer & Wolfowitz (1956) and Howard & Ramdas (2022) "Sequential
 * estimation of quantiles with applications to A/B-testing and best-arm identification",
 * Bernoulli 28(3) (CDF bands; the one-sided distances); Berger, R. (1982) "Multiparameter
 * hypothesis testing and acceptance sampling", Technometrics 24(4) (intersection-union tests);
 * Ramdas, Grunwald, Vovk & Shafer (2023) "Game-theoretic statistics and safe anytime-valid
 * inference", Statist. Sci. (predictable plug-ins, e-processes, Ville's inequality).
 *
 * @example
 * const m = matchedKs(intervals); // intervals: [{ canary, baseline }] as weighted samples
 * logKsFailEProcess(m, 0.1, 'higher') // ln E after each interval: evidence that D+ > 0.1
 */
import { boundary } from './matched-quantile-shift-e-process';
import { logRateDifferenceEProcess, mantelHaenszelRateDifference, type RateInterval } from './rate-difference-e-process';
import type { Bounds } from './quantile-bounds';
import type { WeightedSample } from './weighted-sample';

/** `higher`: the canary's values higher than the baseline's (D+ = sup F_b - F_c); `lower`: D- = sup F_c - F_b. */
export type KsSide = 'higher' | 'lower';

/** Grid points per timeline: each cell's envelope costs about 1/(K+1) of the margin. */
export const GRID_LEVELS = 31;
/** Pooled observations an interval needs to set the grid. */
export const GRID_MIN_OBSERVATIONS = 64;

export interface KsInterval {
  readonly canary: WeightedSample;
  readonly baseline: WeightedSample;
}

/** A timeline prepared for the matched tests: each interval's counts at or below every point of its grid. */
export interface MatchedKs {
  /** Points per grid (K). */
  readonly levels: number;
  /** 1 where the interval has a grid (earlier baseline data to set it); elsewhere it is never bet on. */
  readonly gridded: Uint8Array;
  readonly looks: number;
  /** Counts at or below grid point j in interval i, at [i * levels + j]. */
  readonly canaryAt: Float64Array;
  readonly baselineAt: Float64Array;
  readonly canaryTotal: Float64Array;
  readonly baselineTotal: Float64Array;
}

/** Count of a sample at or below x (sample points ascending). */
function atOrBelow(sample: WeightedSample, x: number): number {
  let total = 0;
  for (let i = 0; i < sample.points.length && sample.points[i] <= x; i++) total += sample.counts[i];
  return total;
}

/** The first point of the samples (pooled) at or above each level j/(K+1), j = 1..K: a bucket bound on histograms. */
function levelsOf(samples: readonly WeightedSample[], levels: number): Float64Array {
  const points = [...new Set(samples.flatMap((s) => [...s.points]))].sort((a, b) => a - b);
  const n = samples.reduce((sum, s) => sum + s.n, 0);
  const grid = new Float64Array(levels);
  let j = 0;
  for (const x of points) {
    const below = samples.reduce((sum, s) => sum + atOrBelow(s, x), 0);
    while (j < levels && below >= ((j + 1) * n) / (levels + 1)) grid[j++] = x;
    if (j === levels) break;
  }
  return grid;
}

export function matchedKs(intervals: readonly KsInterval[], levels = GRID_LEVELS): MatchedKs {
  const looks = intervals.length;
  const canaryAt = new Float64Array(looks * levels);
  const baselineAt = new Float64Array(looks * levels);
  const gridded = new Uint8Array(looks);
  intervals.forEach((interval, i) => {
    // The latest earlier baselines holding enough observations set this interval's grid.
    const earlier: WeightedSample[] = [];
    let n = 0;
    for (let back = i - 1; back >= 0 && n < GRID_MIN_OBSERVATIONS; back--) {
      earlier.push(intervals[back].baseline);
      n += intervals[back].baseline.n;
    }
    if (n < GRID_MIN_OBSERVATIONS) return;
    const grid = levelsOf(earlier, levels);
    if (!grid.every(Number.isFinite)) return; // a level in the +Inf bucket: no finite point to compare at
    gridded[i] = 1;
    for (let j = 0; j < levels; j++) {
      canaryAt[i * levels + j] = atOrBelow(interval.canary, grid[j]);
      baselineAt[i * levels + j] = atOrBelow(interval.baseline, grid[j]);
    }
  });
  return {
    levels,
    gridded,
    looks,
    canaryAt,
    baselineAt,
    canaryTotal: Float64Array.from(intervals, (i) => i.canary.n),
    baselineTotal: Float64Array.from(intervals, (i) => i.baseline.n),
  };
}

/** Side `higher` measures F_b - F_c, i.e. minus the rate difference d = F_c - F_b. */
const orient = (side: KsSide) => (side === 'higher' ? -1 : 1);

/** The count of a side at or below grid point j of interval i; j = -1 is -inf (0), j = K is +inf (the total). */
function countAt(m: MatchedKs, side: 'canary' | 'baseline', i: number, j: number): number {
  const k = m.levels;
  if (j < 0) return 0;
  if (j >= k) return side === 'canary' ? m.canaryTotal[i] : m.baselineTotal[i];
  return side === 'canary' ? m.canaryAt[i * k + j] : m.baselineAt[i * k + j];
}

/** An interval's counts with the canary's read at grid point jc and the baseline's at jb; one without a grid is empty (no bet, no plug-in). */
function rateInterval(m: MatchedKs, i: number, jc: number, jb: number): RateInterval {
  if (!m.gridded[i]) return { canaryEvents: 0, canaryTotal: 0, baselineEvents: 0, baselineTotal: 0 };
  return { canaryEvents: countAt(m, 'canary', i, jc), canaryTotal: m.canaryTotal[i], baselineEvents: countAt(m, 'baseline', i, jb), baselineTotal: m.baselineTotal[i] };
}

/** The Mantel-Haenszel CDF difference F_c - F_b at grid point j over the intervals [0, looks) with a grid. */
function pointDifference(m: MatchedKs, j: number, looks: number): number {
  let top = 0;
  let weights = 0;
  for (let i = 0; i < looks; i++) {
    const nc = m.canaryTotal[i];
    const nb = m.baselineTotal[i];
    if (nc === 0 || nb === 0 || !m.gridded[i]) continue;
    const w = (nc * nb) / (nc + nb);
    top += w * (countAt(m, 'canary', i, j) / nc - countAt(m, 'baseline', i, j) / nb);
    weights += w;
  }
  return weights > 0 ? top / weights : NaN;
}

/**
 * The fail test's intervals for a side: in interval i the grid point where the earlier
 * intervals' difference (oriented by the side) was largest; the grid's middle before any data.
 */
export function failIntervals(m: MatchedKs, side: KsSide, looks = m.looks): RateInterval[] {
  const k = m.levels;
  const sign = orient(side);
  const top = new Float64Array(k);
  let weights = 0;
  const out: RateInterval[] = [];
  for (let i = 0; i < looks; i++) {
    let best = k >> 1;
    for (let j = 0; j < k && weights > 0; j++) if (sign * top[j] > sign * top[best]) best = j;
    out.push(rateInterval(m, i, best, best));
    const nc = m.canaryTotal[i];
    const nb = m.baselineTotal[i];
    if (nc > 0 && nb > 0 && m.gridded[i]) {
      const w = (nc * nb) / (nc + nb);
      for (let j = 0; j < k; j++) top[j] += w * (countAt(m, 'canary', i, j) / nc - countAt(m, 'baseline', i, j) / nb);
      weights += w;
    }
  }
  return out;
}

/** ln E after each interval of the fail test of a side: evidence that its distance exceeds tol (0 <= tol < 1). */
export function logKsFailEProcess(m: MatchedKs, tol: number, side: KsSide, looks = m.looks): Float64Array {
  const intervals = failIntervals(m, side, looks);
  return side === 'higher' ? logRateDifferenceEProcess(intervals, -tol, 'less') : logRateDifferenceEProcess(intervals, tol, 'greater');
}

/** The envelope intervals of cell j (between grid points j - 1 and j; 0 .. K) for a side. */
export function cellIntervals(m: MatchedKs, side: KsSide, cell: number, looks: number): RateInterval[] {
  const out: RateInterval[] = [];
  // higher: F_b(x_{j+1}) - F_c(x_j) bounds F_b - F_c in the cell; lower: F_c(x_{j+1}) - F_b(x_j).
  for (let i = 0; i < looks; i++) out.push(side === 'higher' ? rateInterval(m, i, cell - 1, cell) : rateInterval(m, i, cell, cell - 1));
  return out;
}

/** The envelope test of one cell: ln E after each interval against "the envelope is >= tol in every interval". */
function logCellEProcess(m: MatchedKs, side: KsSide, cell: number, tol: number, looks: number): Float64Array {
  const intervals = cellIntervals(m, side, cell, looks);
  return side === 'higher' ? logRateDifferenceEProcess(intervals, -tol, 'greater') : logRateDifferenceEProcess(intervals, tol, 'less');
}

/**
 * Per look, whether the pass claim of a side holds at alpha: every cell's envelope test has
 * crossed 1/alpha by then (each holding from its first crossing on).
 */
export function ksPassClaims(m: MatchedKs, tol: number, side: KsSide, alpha: number, looks = m.looks): boolean[] {
  const threshold = Math.log(1 / alpha);
  const firstCrossings: number[] = [];
  for (let cell = 0; cell <= m.levels; cell++) {
    const first = logCellEProcess(m, side, cell, tol, looks).findIndex((x) => x >= threshold);
    if (first < 0) return Array(looks).fill(false);
    firstCrossings.push(first);
  }
  const last = Math.max(...firstCrossings);
  return Array.from({ length: looks }, (_, look) => look >= last);
}

/** Bounds are searched to this precision: a distance in [0, 1] is reported to 3 digits. */
const BOUND_TOLERANCE = 1e-4;
/** The rate-difference e-process takes boundaries strictly inside (-1, 1). */
const REACH = 1 - 1e-6;

/** max over looks <= the last of ln E (the running intersection of the confidence sequence). */
function runningMax(process: Float64Array): number {
  let best = -Infinity;
  for (const x of process) if (x > best) best = x;
  return best;
}

/**
 * The edge of the values of the rate difference d that a one-sided test on `intervals` has
 * rejected at some look (the running intersection): `greater` rejects d below the lower edge,
 * `less` above the upper edge. -1 or 1 when nothing is rejected.
 */
function differenceEdge(intervals: readonly RateInterval[], alternative: 'greater' | 'less', alpha: number, start?: number): number {
  const threshold = Math.log(1 / alpha);
  const sign = alternative === 'greater' ? -1 : 1;
  const gap = (d: number) => runningMax(logRateDifferenceEProcess(intervals, Math.max(-REACH, Math.min(REACH, d)), alternative)) - threshold;
  const edge = boundary(gap, sign, start, REACH, BOUND_TOLERANCE);
  return Math.max(-1, Math.min(1, edge));
}

/**
 * Bounds for a side's distance after `looks` intervals, in [0, 1], each the running
 * intersection over the looks so far: the lower from the fail test at alphaLower, the upper the
 * largest cell envelope's at alphaUpper.
 */
export function ksDistanceBounds(m: MatchedKs, side: KsSide, alphaLower: number, alphaUpper: number, looks = m.looks): Bounds {
  return ksDistanceBoundsAt(m, side, alphaLower, alphaUpper, [looks])[0];
}

/**
 * The same bounds at several looks (1-based counts of intervals) at once, the latest first:
 * a look's upper bound is at least every later look's (running intersections), so a cell whose
 * test at a boundary no larger than that has already rejected by the look needs no search, and
 * one pass of a cell's test over the whole timeline certifies it for every earlier look.
 */
export function ksDistanceBoundsAt(m: MatchedKs, side: KsSide, alphaLower: number, alphaUpper: number, looks: readonly number[]): Bounds[] {
  const sign = orient(side);
  const threshold = Math.log(1 / alphaUpper);
  // Per cell, the running maximum of ln E by look of its test at a boundary no larger than any bound searched since.
  const certificates: (Float64Array | undefined)[] = new Array(m.levels + 1);
  const known = new Map<number, Bounds>();
  let later = -Infinity;
  for (const look of [...new Set(looks)].sort((a, b) => b - a)) {
    if (!m.gridded.subarray(0, look).some(Boolean)) {
      known.set(look, { lower: 0, upper: 1 });
      continue;
    }
    // d = F_c - F_b. Side higher measures -d: its lower bound is minus d's upper edge, its cells' upper bounds minus d's lower edges.
    const failing = failIntervals(m, side, look);
    const lower = Math.max(0, side === 'higher' ? -differenceEdge(failing, 'less', alphaLower) : differenceEdge(failing, 'greater', alphaLower));
    // The largest envelope bound: cells in order of their estimate, each searched only when
    // neither a certificate nor its test at the largest bound so far has rejected beyond it.
    const cells = Array.from({ length: m.levels + 1 }, (_, cell) => cell);
    const estimate = cells.map((cell) => sign * mantelHaenszelRateDifference(cellIntervals(m, side, cell, look)) || 0);
    cells.sort((a, b) => estimate[b] - estimate[a]);
    let upper = later;
    for (const cell of cells) {
      if (upper >= 1) break;
      if (certificates[cell] && certificates[cell]![look - 1] >= threshold) continue;
      if (upper > -REACH) {
        const path = runningMaxima(logCellEProcess(m, side, cell, Math.min(REACH, upper), m.looks));
        certificates[cell] = path;
        if (path[look - 1] >= threshold) continue;
      }
      const intervals = cellIntervals(m, side, cell, look);
      const own = side === 'higher' ? -differenceEdge(intervals, 'greater', alphaUpper, -estimate[cell]) : differenceEdge(intervals, 'less', alphaUpper, estimate[cell]);
      upper = Math.max(upper, own);
    }
    later = upper;
    known.set(look, { lower, upper: Math.min(1, Math.max(upper, lower)) });
  }
  return looks.map((look) => known.get(look)!);
}

/** The running maximum of ln E at each look. */
function runningMaxima(process: Float64Array): Float64Array {
  const out = new Float64Array(process.length);
  let best = -Infinity;
  process.forEach((x, k) => (out[k] = best = Math.max(best, x)));
  return out;
}

/** The matched distance of a side over every interval so far: the largest Mantel-Haenszel CDF difference on the grid (0 without one). */
export function matchedKsEstimate(m: MatchedKs, side: KsSide, looks = m.looks): number {
  const sign = orient(side);
  let best = 0;
  for (let j = 0; j < m.levels; j++) {
    const d = sign * pointDifference(m, j, looks);
    if (d > best) best = d;
  }
  return best;
}
