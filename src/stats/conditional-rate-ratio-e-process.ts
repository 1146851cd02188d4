/**
 * An e-process for the ratio theta of two event rates (canary errors per request over
 * baseline errors per request) from per-interval counts, valid whatever the traffic split and
 * any trend over time shared by both sides do.
 *
 * In interval i the canary serves n_ci requests and the baseline n_bi. If the canary's events
 * arrive at theta times the baseline's rate at every moment (the baseline's rate may rise and
 * fall over time), then given the interval's total events E_i = c_i + b_i the canary's count
 * is c_i ~ Binomial(E_i, p_i(theta)), p_i(theta) = n_ci theta / (n_ci theta + n_bi): the
 * baseline's rate and the trend cancel inside each interval. For a fixed alternative theta1
 * the product over intervals of the likelihood ratios
 *
 *   L_k(theta1; theta0) = prod_{i<=k} (p_i(theta1)/p_i(theta0))^c_i ((1-p_i(theta1))/(1-p_i(theta0)))^b_i
 *                       = exp( sum_i c_i d - E_i ln(1 + p_i(theta0) (e^d - 1)) ),  d = ln(theta1/theta0)
 *
 * is a nonnegative martingale of mean 1 under theta0, and so is any fixed mixture of them.
 * Here the mixture is over d on a fixed grid with half-normal weights (sd PRIOR_SD), one-sided
 * (`greater`: d > 0, `less`: d < 0) or half of each (`two-sided`). By Ville's inequality
 * P(exists k: E_k >= 1/alpha) <= alpha. One-sided, it is also a valid test of the composite
 * null theta <= theta0 (`greater`) or theta >= theta0 (`less`): under such a theta each
 * factor has mean at most 1 (a supermartingale). Inverting it gives a confidence sequence for
 * theta; the running intersection over looks is valid too.
 *
 * The cumulative version of this test (the traffic shares taken as fixed, as in Lindon & Malek
 * 2022) is wrong when the split changes while the rate moves: a rate that rises for both sides
 * while the canary's share rises gives the canary more of the late, error-rich traffic
 * (Simpson's paradox). Per interval, each p_i uses that interval's own split.
 *
 * References: Lindon, M. & Malek, A. (2022) "Anytime-valid inference for multinomial count
 * data", NeurIPS (the conditional-binomial construction for counting processes); Howard,
 * Ramdas, McAuliffe & Sekhon (2021) "Time-uniform, nonparametric, nonasymptotic confidence
 * sequences", Ann. Statist. 49(2) (mixtures and their inversion); Ramdas, Grunwald, Vovk &
 * Shafer (2023) "Game-theoretic statistics and safe anytime-valid inference", Statist. Sci.
 * (e-processes, running intersections, composite nulls).
 *
 * @example
 * const intervals = [{ canaryEvents: 3, canaryTotal: 100, baselineEvents: 50, baselineTotal: 9900 }];
 * Math.exp(logRateRatioEValue(intervals, 1, 'greater')) // evidence that the canary's rate is higher
 */
import type { Bounds } from './quantile-bounds';

/** One interval's counts of both sides (the same span of time). */
export interface RateInterval {
  readonly canaryEvents: number;
  readonly canaryTotal: number;
  readonly baselineEvents: number;
  readonly baselineTotal: number;
}

export type Alternative = 'greater' | 'less' | 'two-sided';

/** Standard deviation of the half-normal mixing weights on d = ln(theta1/theta0). */
export const PRIOR_SD = 0.5;

/**
 * The grid of |d| (77 points): 0.01 apart near 0 (finer than the likelihood's width up to
 * ~10,000 events), coarser far out (a 10x error rate needs no precision). Fixed in advance,
 * as the mixture must be; its size is the cost of every evaluation.
 */
export const OFFSETS: Float64Array = (() => {
  const d: number[] = [];
  for (let i = 1; i <= 30; i++) d.push(i * 0.01); // to 0.3
  for (let i = 1; i <= 17; i++) d.push(0.3 + i * 0.04); // to 0.98
  for (let i = 1; i <= 20; i++) d.push(1 + i * 0.1); // to 3
  for (let i = 1; i <= 10; i++) d.push(3 + i * 0.4); // to 7
  return Float64Array.from(d);
})();

/** ln of the normalised half-normal weights of OFFSETS (each grid point weighted by its spacing). */
function logWeights(sd: number): Float64Array {
  const raw = Array.from(OFFSETS, (d, j) => {
    const spacing = (OFFSETS[Math.min(j + 1, OFFSETS.length - 1)] - OFFSETS[Math.max(j - 1, 0)]) / 2 || OFFSETS[0];
    return Math.exp(-0.5 * (d / sd) ** 2) * spacing;
  });
  const total = raw.reduce((a, b) => a + b, 0);
  return Float64Array.from(raw, (w) => Math.log(w / total));
}
const LOG_WEIGHTS = logWeights(PRIOR_SD);

function checkIntervals(intervals: readonly RateInterval[]): void {
  for (const i of intervals) {
    if (!(i.canaryEvents >= 0 && i.baselineEvents >= 0 && i.canaryTotal >= 0 && i.baselineTotal >= 0)) throw new Error('Counts must not be negative');
    if (i.canaryEvents > i.canaryTotal || i.baselineEvents > i.baselineTotal) throw new Error('Events must not exceed the total of their side');
  }
}

/**
 * ln E_k after each interval k (the e-process, one value per look), testing theta0 against
 * the alternative side.
 */
export function logRateRatioEProcess(intervals: readonly RateInterval[], theta0: number, alternative: Alternative): Float64Array {
  return eProcess(intervals, theta0, alternative, true);
}

function eProcess(intervals: readonly RateInterval[], theta0: number, alternative: Alternative, everyLook: boolean): Float64Array {
  if (!(theta0 > 0 && Number.isFinite(theta0))) throw new Error('theta0 must be a positive finite ratio');
  checkIntervals(intervals);
  const signs = alternative === 'greater' ? [1] : alternative === 'less' ? [-1] : [1, -1];
  const halves = signs.map((sign) => ({ sign, sums: new Float64Array(OFFSETS.length), expm1: Float64Array.from(OFFSETS, (d) => Math.expm1(sign * d)) }));
  const logShare = Math.log(1 / signs.length);
  const out = new Float64Array(intervals.length);
  intervals.forEach((interval, k) => {
    const events = interval.canaryEvents + interval.baselineEvents;
    // An interval with no events, or with one side serving nothing, carries no information.
    if (events > 0 && interval.canaryTotal > 0 && interval.baselineTotal > 0) {
      const p0 = (interval.canaryTotal * theta0) / (interval.canaryTotal * theta0 + interval.baselineTotal);
      for (const half of halves) {
        for (let j = 0; j < OFFSETS.length; j++) {
          half.sums[j] += interval.canaryEvents * half.sign * OFFSETS[j] - events * Math.log1p(p0 * half.expm1[j]);
        }
      }
    }
    if (everyLook || k === intervals.length - 1) out[k] = logSumExp(halves.map((half) => logSumExpWeighted(half.sums) + logShare));
  });
  return out;
}

/** ln E after all the intervals. */
export function logRateRatioEValue(intervals: readonly RateInterval[], theta0: number, alternative: Alternative): number {
  if (intervals.length === 0) return 0;
  const process = eProcess(intervals, theta0, alternative, false);
  return process[process.length - 1];
}

/**
 * The confidence sequence for theta after all the intervals: the lower bound from the
 * one-sided `greater` mixture at alphaLower, the upper from `less` at alphaUpper. No events
 * on the canary: lower 0; none on the baseline: upper Infinity.
 */
export function rateRatioConfidenceSequence(intervals: readonly RateInterval[], alphaLower: number, alphaUpper: number): Bounds {
  const lower = edge(intervals, 'greater', Math.log(1 / alphaLower));
  const upper = edge(intervals, 'less', Math.log(1 / alphaUpper));
  return { lower: lower === -Infinity ? 0 : Math.exp(lower), upper: upper === Infinity ? Infinity : Math.exp(upper) };
}

const LOG_RANGE = 16; // theta in [e^-16, e^16]: beyond it, a bound is taken as 0 or infinite

/** ln theta0 at which the one-sided e-value falls to the threshold, by bisection. */
function edge(intervals: readonly RateInterval[], alternative: 'greater' | 'less', threshold: number): number {
  const rejected = (x: number) => logRateRatioEValue(intervals, Math.exp(x), alternative) >= threshold;
  // `greater` rejects small theta0 (the lower bound), `less` rejects large theta0.
  const [outside, inside0] = alternative === 'greater' ? [-LOG_RANGE, LOG_RANGE] : [LOG_RANGE, -LOG_RANGE];
  if (!rejected(outside)) return alternative === 'greater' ? -Infinity : Infinity;
  if (rejected(inside0)) return inside0; // the data reject every ratio in range: return the far end
  let out = outside;
  let inside = inside0;
  // Bracket near the estimate first (most bounds lie within e^±4 of it), then bisect.
  const estimate = Math.log(mantelHaenszelRateRatio(intervals));
  if (Number.isFinite(estimate)) {
    const direction = alternative === 'greater' ? -1 : 1;
    if (!rejected(estimate)) {
      inside = estimate;
      const far = estimate + direction * 4;
      if (Math.abs(far) < LOG_RANGE && rejected(far)) out = far;
    }
  }
  for (let i = 0; i < 48 && Math.abs(out - inside) > 1e-5; i++) {
    const probe = (out + inside) / 2;
    if (rejected(probe)) out = probe;
    else inside = probe;
  }
  return inside;
}

/**
 * The Mantel-Haenszel rate ratio, sum_i c_i n_bi / N_i over sum_i b_i n_ci / N_i (N_i the
 * interval's requests): the point estimate that, like the test, compares the sides within
 * each interval. NaN when neither side had an event.
 */
export function mantelHaenszelRateRatio(intervals: readonly RateInterval[]): number {
  let top = 0;
  let bottom = 0;
  for (const i of intervals) {
    const n = i.canaryTotal + i.baselineTotal;
    if (n === 0) continue;
    top += (i.canaryEvents * i.baselineTotal) / n;
    bottom += (i.baselineEvents * i.canaryTotal) / n;
  }
  return bottom > 0 ? top / bottom : top > 0 ? Infinity : NaN;
}

function logSumExpWeighted(sums: Float64Array): number {
  let max = -Infinity;
  for (let j = 0; j < sums.length; j++) max = Math.max(max, sums[j] + LOG_WEIGHTS[j]);
  if (max === -Infinity) return max;
  let total = 0;
  for (let j = 0; j < sums.length; j++) total += Math.exp(sums[j] + LOG_WEIGHTS[j] - max);
  return max + Math.log(total);
}

function logSumExp(xs: readonly number[]): number {
  const max = Math.max(...xs);
  if (max === -Infinity) return max;
  return max + Math.log(xs.reduce((sum, x) => sum + Math.exp(x - max), 0));
}

/**
 * The confidence sequence at each of several looks (1-based, ascending), for a plot of the
 * bounds narrowing over a timeline. `rateRatioConfidenceSequence` at every look would cost a
 * 48-step bisection per bound per look; here each bound starts from the previous look's (bounds
 * move little between looks) and is found by the Illinois variant of regula falsi, which
 * converges superlinearly on the smooth, monotone e-value: a handful of evaluations a bound.
 * Agrees with `rateRatioConfidenceSequence` to about 1e-6 in ln theta.
 */
export function rateRatioConfidenceSequences(intervals: readonly RateInterval[], looks: readonly number[], alphasAt: (look: number) => readonly [number, number]): Bounds[] {
  let hints: [number, number] = [NaN, NaN];
  return looks.map((look) => {
    const prefix = intervals.slice(0, look);
    const [alphaLower, alphaUpper] = alphasAt(look);
    const start = Math.log(mantelHaenszelRateRatio(prefix));
    const lower = edgeFrom(prefix, 'greater', Math.log(1 / alphaLower), Number.isNaN(hints[0]) ? start : hints[0], Number.isNaN(hints[0]) ? 0.25 : 0.05);
    const upper = edgeFrom(prefix, 'less', Math.log(1 / alphaUpper), Number.isNaN(hints[1]) ? start : hints[1], Number.isNaN(hints[1]) ? 0.25 : 0.05);
    hints = [lower, upper];
    return { lower: lower === -Infinity ? 0 : Math.exp(lower), upper: upper === Infinity ? Infinity : Math.exp(upper) };
  });
}

/** The edge of `edge` (ln theta0 where the one-sided e-value falls to the threshold), searched from a hint. */
function edgeFrom(intervals: readonly RateInterval[], alternative: 'greater' | 'less', threshold: number, hint: number, firstStep: number): number {
  const f = (x: number) => logRateRatioEValue(intervals, Math.exp(x), alternative) - threshold; // >= 0: rejected
  // `greater` rejects small theta0: the rejected side is below the edge; `less`, above it.
  const outward = alternative === 'greater' ? -1 : 1;
  // No estimate or an unbounded previous look: likely unbounded still, which one evaluation at the range's end tells.
  if (!Number.isFinite(hint) && f(outward * LOG_RANGE) < 0) return outward * Infinity;
  let a = Number.isFinite(hint) ? Math.max(-LOG_RANGE, Math.min(LOG_RANGE, hint)) : 0;
  let fa = f(a);
  // Walk away from the hint with doubling steps until the sign changes or the range ends.
  const away = fa >= 0 ? -outward : outward;
  // A small first step after a previous look's edge (late looks move little), doubling from there.
  let step = firstStep;
  let b: number;
  let fb: number;
  for (;;) {
    b = Math.max(-LOG_RANGE, Math.min(LOG_RANGE, a + away * step));
    fb = f(b);
    if (fa >= 0 !== fb >= 0) break;
    if (Math.abs(b) === LOG_RANGE) {
      // Not rejected anywhere outward: unbounded; rejected everywhere inward: the far end.
      if (fb < 0) return outward * Infinity;
      return b;
    }
    a = b;
    fa = fb;
    step *= 2;
  }
  // Illinois: regula falsi that halves the stale end's value, so both ends keep moving.
  let side = 0;
  let c = (a + b) / 2;
  for (let i = 0; i < 60 && Math.abs(b - a) > 1e-6; i++) {
    c = (a * fb - b * fa) / (fb - fa);
    const fc = f(c);
    // ln E within 1e-6 of the threshold: theta within about 1e-6 / |d ln E / d ln theta|, far below what a plot shows.
    if (Math.abs(fc) < 1e-6) break;
    if (fc >= 0 === fb >= 0) {
      b = c;
      fb = fc;
      if (side === -1) fa /= 2;
      side = -1;
    } else {
      a = c;
      fa = fc;
      if (side === 1) fb /= 2;
      side = 1;
    }
  }
  return c;
}
