/**
 * An e-detector for evidence that may begin at an interval other than the first: one mixture
 * e-process started at each candidate start j, weighted by its share w_j of the error rate
 * (sum_j w_j <= 1), and the weighted sum of them. A canary that is healthy at 1 % and harmful
 * from 50 % (pods saturating) leaves a plain e-process started at the first interval deep below
 * 1 after the healthy steps (each healthy interval's factor at an alternative beyond the margin
 * is below 1), so harm that starts late would have to climb out of that hole first; the process
 * started at the 50 % step has no hole to climb.
 *
 * Per interval i the caller gives ln f_i(d) on a fixed grid of alternatives d (a likelihood
 * ratio, or any factor with conditional mean at most 1 under the null, given the past) and
 * mixing weights pi(d) fixed in advance. The process started at j is
 * M^j_k = sum_d pi(d) prod_{i=j..k} f_i(d), an e-process under every null element from j on.
 * The claim "harm began at some start" is made when the weighted sum (a mixture over the start)
 *
 *   S_k = sum_{j <= k} w_j M^j_k  >=  1/alpha,
 *
 * with w_j chosen before interval j (predictable: here from the traffic split, which the
 * controller sets before the interval's events). S_k is at most S'_k = S_k + (the weight of the
 * starts not yet made), which is a nonnegative supermartingale with S'_0 <= 1: a new start moves
 * weight w_j from the reserve to w_j M^j, whose conditional mean is at most w_j. By Ville's
 * inequality P(exists k: S_k >= 1/alpha) <= alpha: valid at every look whatever the effect
 * does over time, and a claim kept from its first crossing on stays valid (sticky).
 *
 * Why the sum and not the maximum over starts (the CUSUM form, each start tested at alpha w_j,
 * a Bonferroni union): the sum is never smaller than the maximum, so every claim the union makes
 * the sum makes too, and where more than one start grows (harm present from the first interval
 * grows the process from 0 and the ones from each step) their evidence adds: on the decision
 * benchmark's errors-3x-1k (1,000 requests/minute, 3x errors) the error metric's fail rose from
 * 40.3 % to 47.0 % of 300 rollouts (bench/errors-ablation.bench.ts), with harm that starts at the
 * 50 % step caught as before. This is the Shiryaev-Roberts form of an e-detector (Shin, Ramdas
 * & Rinaldo 2024: a sum over starts of e-processes started there) made a level-alpha test by
 * fixed weights that sum to at most 1 (a mixture of e-processes is an e-process; Vovk & Wang
 * 2021 on averaging e-values) instead of a threshold tuned to an average run length.
 *
 * The confidence sequence reported with it is the intersection, over the starts, of each
 * start's confidence sequence at alpha w_j: valid (it contains the sum's own confidence
 * sequence, {d: S_k(d) < 1/alpha}), and wider than it, so the sum's claim can come before the
 * reported bound crosses the margin; the judge then cuts the bound at the margin
 * (src/judge/timeline-checks.ts, `withinClaim`). The cost of a start against knowing it is at
 * most ln(1/w_j) nats.
 *
 * References: Shin, J., Ramdas, A. & Rinaldo, A. (2024) "E-detectors: a nonparametric
 * framework for sequential change detection", New England J. Statist. Data Sci. 2(2);
 * Vovk, V. & Wang, R. (2021) "E-values: calibration, combination and applications", Ann.
 * Statist. 49(3) (the weighted average of e-values is an e-value); Roberts, S. W. (1966) "A
 * comparison of some control chart procedures", Technometrics 8(3), and Shiryaev, A. N. (1963)
 * "On optimum methods in quickest detection problems", Theory Probab. Appl. 8(1) (the sum over
 * change points); Lorden, G. (1971) "Procedures for reacting to a change in
 * distribution", Ann. Math. Statist. 42(6) (the maximum, which this replaced); Ramdas,
 * Grunwald, Vovk & Shafer (2023) "Game-theoretic statistics and safe anytime-valid inference",
 * Statist. Sci. (e-processes, Ville's inequality, predictable weights).
 *
 * @example
 * const table = { looks: 3, grid: 1, logMix: Float64Array.of(0), factors: Float64Array.of(-1, 0.2, 2.5) };
 * logRestartedEProcesses(table, restartPrior([false, false, true])) // ln sum_j w_j M^j after each interval
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

/**
 * Evidence whose per-interval factors depend on where a range starts (the bracket test of a
 * quantile fixes its statements' bounds before each range: src/stats/quantile-bracket-e-process.ts),
 * so that each start reads its own range rather than a shared table's rows.
 */
export interface RangeEvidence {
  readonly looks: number;
  /** ln E of the range [from, k] after each interval k (0 before `from`), interval i tempered by weights[i] (0 leaves it out). */
  logEFrom(from: number, weights: ArrayLike<number>): Float64Array;
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
 * After each interval k: ln S_k = ln sum over the starts j <= k of w_j M^j_k, and which start's
 * term is the largest (the likeliest start, for the reason; -Infinity and -1 before the first
 * start).
 */
export function logRestartedEProcesses(table: LogFactorTable, starts: readonly Start[]): { value: Float64Array; argmax: Int32Array } {
  return logRestartedRanges(rangesOf(table), new Float64Array(table.looks).fill(1), starts);
}

/** `logRestartedEProcesses` for evidence read by range: each start's own e-process, interval i tempered by weights[i]. */
export function logRestartedRanges(evidence: RangeEvidence, weights: ArrayLike<number>, starts: readonly Start[]): { value: Float64Array; argmax: Int32Array } {
  const looks = evidence.looks;
  const value = new Float64Array(looks).fill(-Infinity);
  const largest = new Float64Array(looks).fill(-Infinity);
  const argmax = new Int32Array(looks).fill(-1);
  // The sum is an e-process only while the weights sum to at most 1 (rounding aside).
  if (!(starts.reduce((total, s) => total + Math.exp(s.logWeight), 0) <= 1 + 1e-12)) throw new Error('Start weights must sum to at most 1');
  for (const start of starts) {
    const process = evidence.logEFrom(start.at, weights);
    for (let k = start.at; k < looks; k++) {
      const v = start.logWeight + process[k];
      value[k] = logAdd(value[k], v);
      if (v > largest[k]) [largest[k], argmax[k]] = [v, start.at];
    }
  }
  return { value, argmax };
}

/** A table read by range: from each start, the mixture of its rows' running sums (each row tempered by its weight; 0 leaves it out). */
export function rangesOf(table: LogFactorTable): RangeEvidence {
  const { looks, grid, logMix, factors } = table;
  return {
    looks,
    logEFrom(from, weights) {
      const out = new Float64Array(looks);
      const sums = new Float64Array(grid);
      for (let k = from; k < looks; k++) {
        const w = weights[k];
        if (w > 0) for (let j = 0; j < grid; j++) sums[j] += w * factors[k * grid + j];
        out[k] = logMixture(logMix, sums);
      }
      return out;
    },
  };
}

/** ln(e^a + e^b). */
function logAdd(a: number, b: number): number {
  const max = Math.max(a, b);
  if (max === -Infinity) return max;
  return max + Math.log(Math.exp(a - max) + Math.exp(b - max));
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
