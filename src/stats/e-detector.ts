/**
 * An e-process for evidence that may begin at any interval: the weighted sum, over every
 * interval j at which harm may have started, of the mixture e-process started at j. A canary
 * that is healthy at 1 % and harmful from 50 % (pods saturating) leaves a plain e-process
 * started at the first interval deep below 1 after the healthy steps (each healthy interval's
 * factor at an alternative beyond the margin is below 1), so harm that starts late would have
 * to climb out of that hole; the process started at the 50 % step has no hole to climb.
 *
 * Per interval i the caller gives ln f_i(d) on a fixed grid of alternatives d (a likelihood
 * ratio, or any factor with conditional mean at most 1 under the null, given the past) and
 * mixing weights pi(d) fixed in advance. The e-process started at j is
 * M^j_k = sum_d pi(d) prod_{i=j..k} f_i(d) (M^j_k = 1 for k < j), and the statistic is
 *
 *   D_k = sum_{j<=k} w_j M^j_k + (1 - sum_{j<=k} w_j),   sum_j w_j <= 1,
 *
 * with w_j chosen before interval j (predictable: here from the traffic split, which the
 * controller sets before the interval's events). D is a nonnegative supermartingale with
 * D_0 = 1 under every null element: E[D_k | past] <= sum_{j<k} w_j M^j_{k-1} + w_k +
 * (1 - sum_{j<=k} w_j) = D_{k-1}. By Ville's inequality P(exists k: D_k >= 1/alpha) <= alpha:
 * a fail claimed when D crosses 1/alpha is valid at every look whatever the effect does over
 * time, and a verdict kept from that look on stays valid (sticky). It is computed in one pass:
 * per grid point S_k(d) = f_k(d) (S_{k-1}(d) + w_k), D_k = sum_d pi(d) S_k(d) + 1 - W_k.
 *
 * This is the Shiryaev-Roberts form of an e-detector (Shin, Ramdas & Rinaldo 2024), made an
 * e-process by summable start weights instead of the uniform ones that only bound the average
 * run length: the change-point statistic of Lorden & Pollak's mixture, with a prior over the
 * change point. The cost of a start j against knowing it is ln(1/w_j) nats.
 *
 * References: Shin, J., Ramdas, A. & Rinaldo, A. (2024) "E-detectors: a nonparametric
 * framework for sequential change detection", New England J. Statist. Data Sci. 2(2);
 * Lorden, G. & Pollak, M. (2005) "Nonanticipating estimation applied to sequential analysis
 * and changepoint detection", Ann. Statist. 33(3); Ramdas, Grunwald, Vovk & Shafer (2023)
 * "Game-theoretic statistics and safe anytime-valid inference", Statist. Sci. (mixtures of
 * e-processes with predictable weights, Ville's inequality).
 *
 * @example
 * const table = { looks: 3, grid: 1, logMix: Float64Array.of(0), factors: Float64Array.of(-1, 0.2, 2.5) };
 * logEDetector(table, changePointPrior([false, false, true])) // ln D after each interval
 */

/** Per-interval ln-factors of a one-sided test on a grid of alternatives, and the grid's mixing weights. */
export interface LogFactorTable {
  readonly looks: number;
  readonly grid: number;
  /** ln of the mixing weights over the grid (summing to 1). */
  readonly logMix: Float64Array;
  /** ln f_i(d): interval i's factors at the grid's points, row by row (looks x grid). */
  readonly factors: Float64Array;
}

/** ln(e^a + e^b) without overflow. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const max = Math.max(a, b);
  return max + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** ln sum_j exp(logMix_j + values_j). */
export function logMixture(logMix: Float64Array, values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let j = 0; j < logMix.length; j++) max = Math.max(max, logMix[j] + values[j]);
  if (max === -Infinity) return max;
  let total = 0;
  for (let j = 0; j < logMix.length; j++) total += Math.exp(logMix[j] + values[j] - max);
  return max + Math.log(total);
}

/**
 * ln D_k after each interval k (one value per look), for start weights ln w_j
 * (`changePointPrior`, or any whose exponentials sum to at most 1).
 */
export function logEDetector(table: LogFactorTable, logStart: Float64Array): Float64Array {
  const { looks, grid, logMix, factors } = table;
  if (logStart.length < looks) throw new Error('One start weight per interval is needed');
  const logS = new Float64Array(grid).fill(-Infinity);
  const out = new Float64Array(looks);
  let used = 0;
  for (let k = 0; k < looks; k++) {
    used += Math.exp(logStart[k]);
    for (let j = 0; j < grid; j++) logS[j] = factors[k * grid + j] + logAddExp(logS[j], logStart[k]);
    const rest = Math.max(0, 1 - used);
    out[k] = logAddExp(logMixture(logMix, logS), rest > 0 ? Math.log(rest) : -Infinity);
  }
  return out;
}

/**
 * The start at which most of D_k comes from: argmax_j ln w_j + ln M^j_k (0-based), to report
 * the intervals a fail rests on. O(k x grid) per start.
 */
export function dominantStart(table: LogFactorTable, logStart: Float64Array, look: number): number {
  const { grid, logMix, factors } = table;
  const sums = new Float64Array(grid);
  let best = -Infinity;
  let at = 0;
  // Sum backwards from the look: the start j's process is the mixture of sums over j..look.
  for (let j = look; j >= 0; j--) {
    for (let g = 0; g < grid; g++) sums[g] += factors[j * grid + g];
    const value = logStart[j] + logMixture(logMix, sums);
    if (value > best) [best, at] = [value, j];
  }
  return at;
}

/**
 * Start weights w_j (as ln w_j), fixed before each interval: half on the first interval (harm
 * from the start), a quarter over the marked intervals (where the canary's weight stepped up,
 * the s-th marked one getting 1/(4 s (s + 1))), a quarter over every later interval
 * (1/(4 (j - 1) j) for the j-th, 1-based): harm starting with a weight step costs ln(4 s (s + 1))
 * nats (ln 24 for the second step), harm starting anywhere else ln(4 (j - 1) j).
 */
export function changePointPrior(marked: readonly boolean[]): Float64Array {
  const out = new Float64Array(marked.length);
  let s = 0;
  marked.forEach((isMarked, i) => {
    let w = i === 0 ? 0.5 : 0.25 / (i * (i + 1));
    if (i > 0 && isMarked) {
      s++;
      w += 0.25 / (s * (s + 1));
    }
    out[i] = Math.log(w);
  });
  return out;
}
