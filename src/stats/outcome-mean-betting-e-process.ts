/**
 * An e-process for the mean of an outcome that takes a few known values in [lo, hi], from
 * per-interval counts, by a mixture of constant bets: valid at every look whatever the rate of
 * each value does over time. Two outcomes of a shadow step are judged with it
 * (src/judge/paired-timeline.ts):
 *
 * - McNemar's comparison of correctness on the same requests: per labelled pair
 *   Z = +1 (v2 alone right), -1 (v1 alone right), 0 (both right or both wrong), so E[Z] is v2's
 *   accuracy minus v1's (pi_c - pi_b in McNemar's table) and the ties (concordant pairs) are a
 *   nuisance that no bet needs to know;
 * - the disagreement rate without a noise floor: Z = 1 when the two answers differ, 0 otherwise.
 *
 * The null of a fail or pass claim at mu0 is "E[Z_j | earlier pairs] <= mu0 for every pair j"
 * (`greater`), or ">= mu0" (`less`). For a bet lambda in [0, 1 / (mu0 - lo)) the capital
 * prod_j (1 + lambda (Z_j - mu0)) is a nonnegative supermartingale under every element of that
 * null (its factors have conditional mean 1 + lambda (E[Z_j | past] - mu0) <= 1), and so is any
 * mixture over lambda with weights fixed in advance; by Ville's inequality
 * P(exists t: E_t >= 1/alpha) <= alpha (Waudby-Smith & Ramdas 2024, section 4: capital
 * processes; Ramdas et al. 2023 for e-processes under composite nulls). `less` bets
 * 1 - lambda (Z_j - mu0), lambda in [0, 1 / (hi - mu0)).
 *
 * Why constant bets mixed over a grid (their "hedged" and "mixture" capital processes) rather
 * than a predictable plug-in: a constant bet's product over a set of observations does not depend
 * on their order, so an interval's counts (the order of its requests is not known) give exactly
 * the product over its observations, and the e-process after k intervals equals the e-process on
 * the cumulative counts: the same number from a timeline or from totals, however the data were
 * grouped. For an outcome on three points with its mean fixed, 1 + lambda (z - mu0) is every
 * e-variable there is (the null's extreme points are the two-point laws on {lo, mid} or {mid, hi}
 * and on {lo, hi}; an e-variable has mean at most 1 under each, two linear constraints on three
 * values), so mixing these bets loses nothing to a parametric test that knew the ties' rate; on
 * two points it is the Bernoulli likelihood-ratio mixture.
 *
 * The bets are u / (mu0 - lo) (`greater`) or u / (hi - mu0) (`less`) for the fractions u of
 * BET_FRACTIONS, mixed uniformly: a loss on every outcome at the far end never exceeds the
 * fraction u <= 0.99 of the capital. An interval's factor may be tempered, raised to a weight in
 * [0, 1] fixed before its outcomes are seen (1/phi for outcomes that come in clusters of up to
 * phi, src/stats/count-dispersion.ts: a cluster of K equal outcomes multiplies K factors, and
 * E[f^(K/phi)] <= E[f]^(K/phi) <= 1 when phi >= K), which keeps it an e-value.
 *
 * Inverting the test at each mu0 gives a confidence sequence for the mean (the set of mu0 not
 * rejected; each one-sided e-value is monotone in mu0, so each edge is found by bisection); the
 * running intersection over looks is valid too.
 *
 * References: Waudby-Smith, I. & Ramdas, A. (2024) "Estimating means of bounded random variables
 * by betting", JRSS-B 86(1) (capital processes, constant-bet mixtures, confidence sequences by
 * inversion); Howard, S. R., Ramdas, A., McAuliffe, J. & Sekhon, J. (2021) "Time-uniform,
 * nonparametric, nonasymptotic confidence sequences", Ann. Statist. 49(2) (mixture boundaries);
 * Ramdas, A., Grunwald, P., Vovk, V. & Shafer, G. (2023) "Game-theoretic statistics and safe
 * anytime-valid inference", Statist. Sci. 38(4); McNemar, Q. (1947) "Note on the sampling error
 * of the difference between correlated proportions or percentages", Psychometrika 12(2) (the
 * discordant pairs).
 *
 * @example
 * // 4,000 labelled pairs: v1 alone right on 130, v2 alone on 58, the rest concordant.
 * const interval = { counts: [130, 3812, 58] }; // values -1, 0, +1
 * logOutcomeMeanEValue([-1, 0, 1], weightedCounts([interval], 3), -0.01, 'less') // ln E against "v2 loses at most 1 pp": ~1.09, E ~3 (not yet 1/alpha)
 * outcomeMeanConfidenceSequence([-1, 0, 1], [130, 3812, 58], 0.025, 0.025) // { lower: ~-0.0305, upper: ~-0.0062 }
 */
import { logMixture, type LogFactorTable } from './e-detector';
import type { Bounds } from './quantile-bounds';

/** One interval's counts of each value (in the order of the values), and its tempering weight. */
export interface OutcomeCounts {
  readonly counts: ArrayLike<number>;
  /** The interval's factor is raised to this power (default 1; 0 leaves it out). */
  readonly weight?: number;
}

export type OutcomeAlternative = 'greater' | 'less';

/** Bet fractions u: 40 points from 0.99 down by 2^(1/3) each (to ~1.2e-4), mixed uniformly. */
export const BET_FRACTIONS: Float64Array = Float64Array.from({ length: 40 }, (_, j) => 0.99 * 2 ** (-j / 3));
const LOG_MIX = Float64Array.from(BET_FRACTIONS, () => -Math.log(BET_FRACTIONS.length));

function checkValues(values: readonly number[]): { lo: number; hi: number } {
  if (values.length < 2 || !values.every(Number.isFinite)) throw new Error('An outcome needs at least two finite values');
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (!(hi > lo)) throw new Error('An outcome needs two different values');
  return { lo, hi };
}

function checkCounts(counts: ArrayLike<number>, k: number): void {
  if (counts.length !== k) throw new Error('Each interval needs one count per value');
  for (let v = 0; v < k; v++) if (!(counts[v] >= 0 && Number.isFinite(counts[v]))) throw new Error('Counts must be finite and not negative');
}

/**
 * ln of one observation's factor for each value (rows) at each bet fraction (columns), testing
 * mu0 against `alternative`. +Infinity where the value alone rules the null out (mu0 at the far
 * end), 0 throughout where nothing can speak against it.
 */
export function logBetFactors(values: readonly number[], mu0: number, alternative: OutcomeAlternative): Float64Array {
  const { lo, hi } = checkValues(values);
  const grid = BET_FRACTIONS.length;
  const out = new Float64Array(values.length * grid);
  // The capital bets on the side away from the null: (1 - u) + u * distance / room, where room is
  // the null mean's distance from the end the bet loses at.
  const room = alternative === 'greater' ? mu0 - lo : hi - mu0;
  const reach = alternative === 'greater' ? hi - mu0 : mu0 - lo;
  if (!(reach > 0)) return out; // mu0 at or beyond the end the bet wins at: the null holds for every law
  values.forEach((v, row) => {
    const distance = alternative === 'greater' ? v - lo : hi - v;
    for (let j = 0; j < grid; j++) {
      const u = BET_FRACTIONS[j];
      out[row * grid + j] = room > 0 ? Math.log(1 - u + (u * distance) / room) : distance > 0 ? Infinity : 0;
    }
  });
  return out;
}

/** The counts of each value summed over intervals, each weighted by its tempering weight (or `weights` in its place). */
export function weightedCounts(intervals: readonly OutcomeCounts[], k: number, weights?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(k);
  intervals.forEach((interval, i) => {
    checkCounts(interval.counts, k);
    const w = weights ? weights[i] : (interval.weight ?? 1);
    if (!(w >= 0 && w <= 1)) throw new Error('A weight must lie in [0, 1]');
    if (w > 0) for (let v = 0; v < k; v++) out[v] += w * interval.counts[v];
  });
  return out;
}

/** ln E for (weighted) counts of each value against mu0. */
export function logOutcomeMeanEValue(values: readonly number[], counts: ArrayLike<number>, mu0: number, alternative: OutcomeAlternative): number {
  checkCounts(counts, values.length);
  return logEValue(logBetFactors(values, mu0, alternative), counts);
}

function logEValue(factors: Float64Array, counts: ArrayLike<number>): number {
  const grid = BET_FRACTIONS.length;
  const sums = new Float64Array(grid);
  for (let v = 0; v < counts.length; v++) {
    const n = counts[v];
    if (n > 0) for (let j = 0; j < grid; j++) sums[j] += n * factors[v * grid + j];
  }
  // An observation the null rules out makes every bet infinitely rich (logMixture would read NaN).
  return sums.includes(Infinity) ? Infinity : logMixture(LOG_MIX, sums);
}

/** What an observation the null rules out counts for in a table: beyond any threshold, and finite, as weighted sums need. */
export const RULED_OUT = 1e9;

/**
 * Each interval's ln-factors at the grid's bet fractions (src/stats/e-detector.ts), untempered:
 * the caller weights rows by what it may read. An interval holding a value the null rules out
 * (mu0 at the end of the range) counts RULED_OUT nats.
 */
export function outcomeMeanLogFactorTable(values: readonly number[], intervals: readonly OutcomeCounts[], mu0: number, alternative: OutcomeAlternative): LogFactorTable {
  const factors = logBetFactors(values, mu0, alternative);
  const grid = BET_FRACTIONS.length;
  const table = new Float64Array(intervals.length * grid);
  intervals.forEach((interval, i) => {
    checkCounts(interval.counts, values.length);
    for (let v = 0; v < values.length; v++) {
      const n = interval.counts[v];
      if (n > 0) for (let j = 0; j < grid; j++) table[i * grid + j] += factors[v * grid + j] === Infinity ? RULED_OUT : n * factors[v * grid + j];
    }
  });
  return { looks: intervals.length, grid, logMix: LOG_MIX, factors: table };
}

/** ln E after each interval (one value per look), every interval at its own weight. */
export function logOutcomeMeanEProcess(values: readonly number[], intervals: readonly OutcomeCounts[], mu0: number, alternative: OutcomeAlternative): Float64Array {
  const factors = logBetFactors(values, mu0, alternative);
  const running = new Float64Array(values.length);
  return Float64Array.from(intervals, (interval) => {
    checkCounts(interval.counts, values.length);
    const w = interval.weight ?? 1;
    for (let v = 0; v < values.length; v++) running[v] += w * interval.counts[v];
    return logEValue(factors, running);
  });
}

/** The weighted mean of the outcome; NaN without observations. */
export function outcomeMean(values: readonly number[], counts: ArrayLike<number>): number {
  let total = 0;
  let sum = 0;
  for (let v = 0; v < values.length; v++) (total += counts[v]), (sum += counts[v] * values[v]);
  return total > 0 ? sum / total : NaN;
}

/**
 * One edge of the confidence sequence: the lower (`greater`, the smallest mu0 the test at alpha
 * does not reject) or the upper (`less`, the largest) for (weighted) counts of each value; lo or
 * hi without observations.
 */
export function outcomeMeanEdge(values: readonly number[], counts: ArrayLike<number>, alternative: OutcomeAlternative, alpha: number): number {
  const { lo, hi } = checkValues(values);
  checkCounts(counts, values.length);
  if (!(alpha > 0 && alpha < 1)) throw new Error('alpha must lie strictly between 0 and 1');
  const estimate = outcomeMean(values, counts);
  const far = alternative === 'greater' ? lo : hi;
  if (Number.isNaN(estimate)) return far;
  const threshold = Math.log(1 / alpha);
  const rejected = (mu0: number) => logOutcomeMeanEValue(values, counts, mu0, alternative) >= threshold;
  if (!rejected(far)) return far;
  // Rejected at the far end, not at the estimate (where every bet's log-capital is at most 0):
  // each bet's factors are monotone in mu0, so the edge lies between.
  let out = far;
  let inside = estimate;
  for (let i = 0; i < 200 && Math.abs(inside - out) > 1e-12 * (hi - lo); i++) {
    const probe = (out + inside) / 2;
    if (rejected(probe)) out = probe;
    else inside = probe;
  }
  return inside;
}

/** The confidence sequence for the mean: the lower edge at alphaLower, the upper at alphaUpper. */
export function outcomeMeanConfidenceSequence(values: readonly number[], counts: ArrayLike<number>, alphaLower: number, alphaUpper: number): Bounds {
  return { lower: outcomeMeanEdge(values, counts, 'greater', alphaLower), upper: outcomeMeanEdge(values, counts, 'less', alphaUpper) };
}
