/**
 * An e-detector for evidence that may begin at an interval other than the first: one mixture
 * e-process started at each candidate start j, each judged at its own share alpha w_j of the
 * error rate (sum_j w_j <= 1). A canary that is healthy at 1 % and harmful from 50 % (pods
 * saturating) leaves a plain e-process started at the first interval deep below 1 after the
 * healthy steps (each healthy interval's factor at an alternative beyond the margin is below
 * 1), so harm that starts late would have to climb out of that hole first; the process started
 * at the 50 % step has no hole to climb.
 *
 * Per interval i the caller gives ln f_i(d) on a fixed grid of alternatives d (a likelihood
 * ratio, or any factor with conditional mean at most 1 under the null, given the past) and
 * mixing weights pi(d) fixed in advance. The process started at j is
 * M^j_k = sum_d pi(d) prod_{i=j..k} f_i(d), an e-process under every null element from j on.
 * The claim "harm began at some start" is made when
 *
 *   max_j  w_j M^j_k  >=  1/alpha,
 *
 * with w_j chosen before interval j (predictable: here from the traffic split, which the
 * controller sets before the interval's events). By Ville's inequality for each start and the
 * union bound, P(exists j, k: M^j_k >= 1/(alpha w_j)) <= sum_j alpha w_j <= alpha: valid at every
 * look whatever the effect does over time, and a claim kept from its first crossing on stays
 * valid (sticky). The confidence sequence that goes with it is the intersection, over the
 * starts, of each start's confidence sequence at alpha w_j: its bound crosses a margin exactly
 * when the claim at that margin is made, so the reported interval and the verdict agree. The
 * cost of a start against knowing it is ln(1/w_j) nats.
 *
 * This is the CUSUM form of an e-detector (Shin, Ramdas & Rinaldo 2024: the maximum over
 * starts of e-processes started there) made a level-alpha test by weights that sum to at most
 * 1 instead of a threshold tuned to an average run length; Lorden's (1971) maximum over change
 * points with a Bonferroni prior over them.
 *
 * References: Shin, J., Ramdas, A. & Rinaldo, A. (2024) "E-detectors: a nonparametric
 * framework for sequential change detection", New England J. Statist. Data Sci. 2(2);
 * Lorden, G. (1971) "Procedures for reacting to a change in distribution", Ann. Math. Statist.
 * 42(6); Ramdas, Grunwald, Vovk & Shafer (2023) "Game-theoretic statistics and safe
 * anytime-valid inference", Statist. Sci. (e-processes, Ville's inequality, predictable
 * weights).
 *
 * @example
 * const table = { looks: 3, grid: 1, logMix: Float64Array.of(0), factors: Float64Array.of(-1, 0.2, 2.5) };
 * logRestartedEProcesses(table, restartPrior([false, false, true])) // max_j ln(w_j M^j) after each interval
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

/** A candidate start (0-based interval) and ln of its share of the error rate. */
export interface Start {
  readonly at: number;
  readonly logWeight: number;
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
 * After each interval k: max over the starts j <= k of ln w_j + ln M^j_k, and which start
 * attains it (-Infinity and -1 before the first start).
 */
export function logRestartedEProcesses(table: LogFactorTable, starts: readonly Start[]): { value: Float64Array; argmax: Int32Array } {
  const { looks, grid, logMix, factors } = table;
  const value = new Float64Array(looks).fill(-Infinity);
  const argmax = new Int32Array(looks).fill(-1);
  const sums = new Float64Array(grid);
  for (const start of starts) {
    if (!(start.logWeight <= 0)) throw new Error('Start weights must not exceed 1');
    sums.fill(0);
    for (let k = start.at; k < looks; k++) {
      for (let j = 0; j < grid; j++) sums[j] += factors[k * grid + j];
      const v = start.logWeight + logMixture(logMix, sums);
      if (v > value[k]) [value[k], argmax[k]] = [v, start.at];
    }
  }
  return { value, argmax };
}

/**
 * The candidate starts and their weights, fixed before each interval: the first interval (harm
 * from the start) with half, and each interval where the canary's weight stepped up (`marked`)
 * with 1/(2 s (s + 1)) for the s-th such step: harm that starts with the second step (Argo's
 * 50 % after 1 % and 10 %) costs ln 12 nats.
 */
export function restartPrior(marked: readonly boolean[]): Start[] {
  const starts: Start[] = marked.length ? [{ at: 0, logWeight: Math.log(0.5) }] : [];
  let s = 0;
  marked.forEach((isMarked, i) => {
    if (i === 0 || !isMarked) return;
    s++;
    starts.push({ at: i, logWeight: Math.log(0.5 / (s * (s + 1))) });
  });
  return starts;
}
