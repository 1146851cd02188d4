/**
 * The bracket test of a quantile's shift on histograms: an e-process that reads each side
 * against the quantile level itself, at bucket bounds, so that with unlimited data its confidence
 * sequence shrinks to what the buckets can say and no further (issue 21).
 *
 * What buckets can say. A p-quantile inside a bucket (b-, b+] is known only to lie there: however
 * much data arrive, the ratio of the canary's p-quantile to the baseline's is only known to lie
 * between (the canary's bucket's lower edge) / (the baseline's upper edge) and (the canary's upper
 * edge) / (the baseline's lower edge): any two continuous distributions with the same bucket
 * probabilities are indistinguishable. That interval, the identified set (Manski 2003), is one
 * bucket width on each side of the truth on average (two in all), and no valid test of the
 * quantile claims beyond it: ONE bucket width of slack per side is the floor.
 *
 * The two-sample comparison of tails (src/stats/matched-quantile-shift-e-process.ts, the test of
 * raw values) pays one bucket more on each side: to claim "the canary's p-quantile exceeds x" from
 * the canary's share beyond x it needs a yardstick known to be at least 1 - p, and the baseline's
 * share beyond a bound is that only below the baseline's quantile, a bucket below its bracket's top.
 * On bounds 4.5 % apart its confidence sequence stopped shrinking at about +-9 % and a p95 x1.2
 * never failed a +10 % margin (BENCHMARKS.md). The bracket test uses the level p as the yardstick:
 *
 *   "the canary's quantile exceeds (1 + r) times the baseline's" holds if, for bounds b and x with
 *   x >= (1 + r) b, the baseline's quantile is at most b (at most 1 - p of it beyond b) and the
 *   canary's exceeds x (more than 1 - p of it beyond x);
 *
 * "less than r" mirrors it (the baseline's quantile above b, the canary's at most y <= (1 + r) b).
 * With unlimited data the claims reach the identified set: x the canary's bucket's lower edge, b
 * the baseline's upper edge.
 *
 * Validity. The two statements are about the same stretch of time. In a block of intervals (a
 * step of the canary's weight) each side's observations are pooled with the same weight per
 * interval (interval i counts v_i = min(n_ci, n_bi / c) canary observations and c v_i baseline
 * ones, c the block's split; each side's likelihood ratio raised to its share of the count, never
 * above 1), so both sides' pooled distributions weight the block's minutes alike: a shared drift
 * or a latency spike moves both alike and cannot pose as a canary effect. Under the null for a
 * block (the canary's pooled quantile at most (1 + r) times the baseline's) at every look, either
 * the baseline's statement is false or (it holds, so the canary's quantile is at most
 * (1 + r) b <= x) the canary's is. Each statement has a mixture of Bernoulli likelihood ratios
 * against the rate 1 - p, A for the canary and B for the baseline; under its own null each is at
 * most a test martingale (at a rate below the null's the product of ratios is the martingale times
 * exp(kappa * sum of v_i (rate_i - rate_0)) <= 1: the pooled rate is what the null bounds, however
 * the per-interval rates move). So min(A, B) <= max(Mart_A, Mart_B) <= Mart_A + Mart_B at every
 * look, and min(A, B) / 2 is dominated by the test martingale (Mart_A + Mart_B) / 2: by Ville's
 * inequality a level-alpha test at every look, the sequential intersection-union test (Berger
 * 1982) for ln 2. The bounds b and x are fixed before the block from the baseline's earlier
 * intervals; the candidates (the bracket's edge, the next bound beyond it, the other edge) are
 * averaged with fixed weights, and the blocks' values multiplied (each dominated by a martingale
 * that starts at 1 where the block does). Nothing assumes that the bracket still holds the
 * baseline's quantile: the baseline's own statement checks it, over the same minutes.
 *
 * Power: each side's mixture bets on its own alternatives (half-normal weights on the log-odds
 * offset from the null rate), and the minimum is as strong as the weaker statement: where the
 * baseline's quantile sits within a percent of a bound neither statement about it can be shown
 * with any realistic amount of data, and no valid test can tell which bucket holds it.
 *
 * References: Berger, R. L. (1982) "Multiparameter hypothesis testing and acceptance sampling",
 * Technometrics 24(4) (intersection-union tests); Manski, C. F. (2003) "Partial identification of
 * probability distributions", Springer (identified sets); Ville, J. (1939) "Etude critique de la
 * notion de collectif" (the maximal inequality); Howard, Ramdas, McAuliffe & Sekhon (2021)
 * "Time-uniform, nonparametric, nonasymptotic confidence sequences", Ann. Statist. 49(2)
 * (mixtures of likelihood ratios); Ramdas, Grunwald, Vovk & Shafer (2023) "Game-theoretic
 * statistics and safe anytime-valid inference", Statist. Sci. (test supermartingales, e-processes
 * dominated by them); Vovk, V. & Wang, R. (2021) "E-values: calibration, combination and
 * applications", Ann. Statist. 49(3) (averages of e-values).
 *
 * @example
 * // One block of two intervals, one candidate pair (b, x): p95, so the null rate is 5 %.
 * const counts = { candidates: 1, candidateLogWeights: Float64Array.of(0), canarySide: 'up' as const,
 *   canaryEvents: Float64Array.of(90, 95), canaryTotals: [1000, 1000],
 *   baselineEvents: Float64Array.of(30, 28), baselineTotals: [1000, 1000] };
 * bracketLogEProcess(bernoulliGrid(0.05), counts, [{ start: 0, end: 2, ratio: 1 }], 2, [1, 1])
 * // ln E after each interval: evidence that the canary's p95 exceeds x while the baseline's is at most b
 */
import { logMixture } from './e-detector';

/** Offsets of the alternative's log-odds from the null rate's (39 points to 3), fixed in advance. */
export const BRACKET_OFFSETS: Float64Array = (() => {
  const d: number[] = [];
  for (let i = 1; i <= 15; i++) d.push(i * 0.02); // to 0.3
  for (let i = 1; i <= 14; i++) d.push(0.3 + i * 0.05); // to 1
  for (let i = 1; i <= 10; i++) d.push(1 + i * 0.2); // to 3
  return Float64Array.from(d);
})();

/**
 * Standard deviation of the half-normal mixing weights on the log-odds offset: a share beyond a
 * bound near the quantile differs from 1 - p by a fraction of a bucket's share (offsets of 0.05
 * to 0.5 for p95 on bounds 4.5 % apart); 0.15 to 0.5 decided alike in simulation.
 */
export const BRACKET_PRIOR_SD = 0.25;

/** ln of the normalised half-normal weights of BRACKET_OFFSETS (each point weighted by its spacing). */
export const BRACKET_LOG_WEIGHTS: Float64Array = (() => {
  const o = BRACKET_OFFSETS;
  const raw = Array.from(o, (d, j) => Math.exp(-0.5 * (d / BRACKET_PRIOR_SD) ** 2) * ((o[Math.min(j + 1, o.length - 1)] - o[Math.max(j - 1, 0)]) / 2 || o[0]));
  const total = raw.reduce((a, b) => a + b, 0);
  return Float64Array.from(raw, (w) => Math.log(w / total));
})();

/** The Bernoulli log-likelihood-ratio coefficients of each grid alternative against `rate`, on either side of it. */
export interface BernoulliGrid {
  readonly rate: number;
  /** Alternatives above the rate: ln f = events * event[j] + (n - events) * other[j]. */
  readonly up: { readonly event: Float64Array; readonly other: Float64Array };
  /** Alternatives below it. */
  readonly down: { readonly event: Float64Array; readonly other: Float64Array };
}

export function bernoulliGrid(rate: number): BernoulliGrid {
  if (!(rate > 0 && rate < 1)) throw new Error('The null rate must lie strictly between 0 and 1');
  const logit = Math.log(rate / (1 - rate));
  const side = (sign: number) => {
    const event = new Float64Array(BRACKET_OFFSETS.length);
    const other = new Float64Array(BRACKET_OFFSETS.length);
    BRACKET_OFFSETS.forEach((d, j) => {
      const alt = 1 / (1 + Math.exp(-(logit + sign * d)));
      event[j] = Math.log(alt / rate);
      other[j] = Math.log((1 - alt) / (1 - rate));
    });
    return { event, other };
  };
  return { rate, up: side(1), down: side(-1) };
}

/** The counts the bracket test reads: per interval i and candidate k (at i * candidates + k), each side's events beyond its bound. */
export interface BracketCounts {
  readonly candidates: number;
  /** ln of each candidate's share of the average (the shares summing to at most 1). */
  readonly candidateLogWeights: Float64Array;
  /** The canary's events beyond x_k (the rarer side: beyond for p >= 0.5, at or below else); NaN where the candidate does not bet. */
  readonly canaryEvents: Float64Array;
  readonly canaryTotals: ArrayLike<number>;
  /** The baseline's events beyond b_k, counted the same way. */
  readonly baselineEvents: Float64Array;
  readonly baselineTotals: ArrayLike<number>;
  /** The canary's statement: its event rate above the null's (`up`) or below it (`down`); the baseline's is the other. */
  readonly canarySide: 'up' | 'down';
}

/** A run of intervals [start, end) read under one set of statements, both sides weighted to one time profile. */
export interface BracketBlock {
  readonly start: number;
  readonly end: number;
  /** Baseline observations per canary observation that the block's weights assume (its split, known before it is read). */
  readonly ratio: number;
  /** ln of the candidates' shares in this block, in place of the counts' (each block's are fixed before it). */
  readonly candidateLogWeights?: Float64Array;
}

/**
 * ln E of the bracket test after each interval of `blocks` (consecutive; 0 outside them), each
 * interval tempered by `weights[i]` (0 leaves it out; 1/phi for clustered counts): per block and
 * candidate, the canary's mixture and the baseline's over the block's rows read so far, the
 * smaller of the two; the candidates averaged and halved (the union's price); the blocks'
 * values multiplied (a block that has read nothing is worth 1). `everyLook` false: only each
 * block's last value (and the last look's) is computed.
 */
export function bracketLogEProcess(grid: BernoulliGrid, counts: BracketCounts, blocks: readonly BracketBlock[], looks: number, weights: ArrayLike<number>, everyLook = true): Float64Array {
  const K = counts.candidates;
  // Each side's ln-likelihood ratio summed over intervals is events * event[j] + others * other[j]
  // with the (tempered) sums of events and of the rest: two numbers per candidate, not a grid.
  const sums = new Float64Array(4 * K); // per candidate: canary events, canary rest, baseline events, baseline rest
  const out = new Float64Array(looks);
  let before = 0;
  for (const block of blocks) {
    if (!(block.ratio > 0 && Number.isFinite(block.ratio))) throw new Error("A block's split must be a positive ratio");
    sums.fill(0);
    let read = false;
    let value = 0;
    const end = Math.min(block.end, looks);
    for (let i = block.start; i < end; i++) {
      const nc = counts.canaryTotals[i];
      const nb = counts.baselineTotals[i];
      const w = weights[i];
      if (w > 0 && nc > 0 && nb > 0) {
        // Both sides weighted alike: v canary observations and ratio * v baseline ones, each side tempered, never raised.
        const v = Math.min(nc, nb / block.ratio);
        const wc = (w * v) / nc;
        const wb = (w * v * block.ratio) / nb;
        for (let k = 0; k < K; k++) {
          const ec = counts.canaryEvents[i * K + k];
          if (Number.isNaN(ec)) continue;
          const eb = counts.baselineEvents[i * K + k];
          read = true;
          sums[4 * k] += wc * ec;
          sums[4 * k + 1] += wc * (nc - ec);
          sums[4 * k + 2] += wb * eb;
          sums[4 * k + 3] += wb * (nb - eb);
        }
      }
      if (read && (everyLook || i === end - 1)) value = bracketBlockValue(grid, counts.canarySide, sums, block.candidateLogWeights ?? counts.candidateLogWeights);
      out[i] = before + value;
    }
    before += value;
  }
  return out;
}

/**
 * A block's value from its tempered sums (per candidate k at 4k: the canary's events and rest, the
 * baseline's events and rest): ln of (sum over candidates of w_k min(the canary's mixture, the
 * baseline's mixture)) / 2.
 */
export function bracketBlockValue(grid: BernoulliGrid, canarySide: 'up' | 'down', sums: Float64Array, logWeights: Float64Array): number {
  const K = logWeights.length;
  const canary = grid[canarySide];
  const baseline = grid[canarySide === 'up' ? 'down' : 'up'];
  let max = -Infinity;
  const terms = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const a = mixture(canary, sums[4 * k], sums[4 * k + 1]);
    const b = mixture(baseline, sums[4 * k + 2], sums[4 * k + 3]);
    terms[k] = logWeights[k] + Math.min(a, b);
    max = Math.max(max, terms[k]);
  }
  if (max === -Infinity) return -Infinity;
  let total = 0;
  for (let k = 0; k < K; k++) total += Math.exp(terms[k] - max);
  return max + Math.log(total) - Math.LN2;
}

/** ln of the mixture over the grid of the likelihood ratios of `events` and `rest` (tempered sums) on one side of the null rate. */
function mixture(side: BernoulliGrid['up'], events: number, rest: number): number {
  const values = SCRATCH;
  for (let j = 0; j < side.event.length; j++) values[j] = events * side.event[j] + rest * side.other[j];
  return logMixture(BRACKET_LOG_WEIGHTS, values);
}
const SCRATCH = new Float64Array(BRACKET_OFFSETS.length);
