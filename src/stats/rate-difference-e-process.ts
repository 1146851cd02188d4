/**
 * An e-process for the difference of two event rates (canary errors per request minus
 * baseline errors per request) from per-interval counts, valid whatever the traffic split and
 * the rates' trend over time do.
 *
 * In interval i the canary has c_i events in n_ci requests and the baseline b_i in n_bi,
 * c_i ~ Binomial(n_ci, p_ci), b_i ~ Binomial(n_bi, p_bi), independent across intervals. The
 * null of a fail claim (`greater`) is the product set H0: p_ci - p_bi <= delta in EVERY
 * interval, each interval with its own baseline rate p_bi (the nuisance: the rate may rise
 * and fall, the split may step). For a pass claim (`less`) it is p_ci - p_bi >= delta.
 *
 * Interval i's factor bets on a plug-in alternative Q_i = (q_ci, q_bi) computed from intervals
 * < i only: q_bi the pooled baseline rate of the last BASELINE_WINDOW intervals, q_ci = q_bi +
 * d, d the Mantel-Haenszel risk difference of the earlier intervals (no bet, factor 1, while d
 * points into the null or before any data). The factor is the numeraire e-value of Q_i
 * against the null (Larsson, Ramdas & Ruf 2024; Grunwald, de Heide & Koolen 2024): the
 * likelihood ratio of Q_i over its reverse information projection P*_i, the boundary element
 * (p* + delta, p*) nearest Q_i in KL. It is an exponential tilt,
 *
 *   X_i = exp( t_c c_i + t_b b_i - max_{p on the boundary} [ n_ci ln(1 + (p + delta)(e^t_c - 1)) + n_bi ln(1 + p (e^t_b - 1)) ] ),
 *   t_c = logit(q_ci) - logit(p* + delta),  t_b = logit(q_bi) - logit(p*),
 *
 * and the maximum (a concave function of p: each term is ln(1 + linear)) is taken over the
 * whole null, so E_P[X_i | past] <= 1 for every null element P whatever the tilts (for `greater`
 * t_c >= 0 >= t_b, so the null's interior is never worse than its boundary). The running
 * product is a nonnegative supermartingale under every element of the product null, and by
 * Ville's inequality P(exists k: E_k >= 1/alpha) <= alpha: a verdict may be taken at any look
 * and kept (sticky). The maximum sits at p* (the derivative of the null's moment vanishes
 * there, by the projection's first-order condition), so X_i = Q_i/P*_i, the growth-optimal
 * e-value for Q_i. Tilts are clipped to +-MAX_TILT (a plug-in far off, say from the 1 % step's
 * handful of requests, costs at most that many nats per event); the maximum is then recomputed.
 *
 * Why this and not the suggested universal-inference ratio L_i(Q_i) / sup_{H0_i} L_i
 * (Wasserman, Ramdas & Balakrishnan 2020, PNAS): that denominator refits the baseline's rate
 * in every interval, which costs about half a nat per interval (the fitted nuisance) on top of
 * any misfit of the plug-in. At 1,000 requests/minute the 50 % step's minute carries about one
 * nat of evidence against +0.1 pp for a +1 pp canary, so half of it went to the nuisance (and
 * all of it in the 1 % and 10 % steps): on 400 simulated errors-3x-1k rollouts the
 * universal-inference e-process (even skipping intervals predicted to carry less than a nat)
 * crossed 1/alpha (alpha 1.25 %) in 22 %, the per-side anytime-valid bounds on cumulative
 * totals in 65 %, this e-process in 84 %. Its tilt is orthogonal to the nuisance at the
 * plug-in (the derivative of the null's moment in p vanishes at p*), so a baseline rate near
 * the plug-in costs only second-order evidence, and no refit is paid for. A rate trend moves
 * q_bi off the truth by the trend over BASELINE_WINDOW intervals: a loss of power only.
 *
 * Inverting the test at each delta gives a confidence sequence for the difference (the set of
 * delta not rejected, found by a bracketed root search); the running intersection over looks
 * is valid too.
 *
 * References: Larsson, M., Ramdas, A. & Ruf, J. (2024) "The numeraire e-variable and reverse
 * information projection", arXiv 2402.18810; Grunwald, P., de Heide, R. & Koolen, W. (2024)
 * "Safe testing", JRSS-B 86(5); Wasserman, L., Ramdas, A. & Balakrishnan, S. (2020) "Universal
 * inference", PNAS 117(29) (the plug-in sequential construction this refines); Ramdas,
 * Grunwald, Vovk & Shafer (2023) "Game-theoretic statistics and safe anytime-valid inference",
 * Statist. Sci. (e-processes, predictable bets, running intersections); Greenland & Robins
 * (1985) for the Mantel-Haenszel risk difference used as the estimate.
 *
 * @example
 * const minute = { canaryEvents: 8, canaryTotal: 500, baselineEvents: 2, baselineTotal: 500 };
 * logRateDifferenceEProcess([minute, minute, minute], 0.001, 'greater') // ln E after each minute
 */
import { weightOf, type RateInterval } from './conditional-rate-ratio-e-process';
import type { LogFactorTable } from './e-detector';
import type { Bounds } from './quantile-bounds';

export type { RateInterval };
export type DifferenceAlternative = 'greater' | 'less';

/** The plug-in baseline rate pools this many of the latest earlier intervals. */
export const BASELINE_WINDOW = 3;

function checkIntervals(intervals: readonly RateInterval[]): void {
  for (const i of intervals) {
    if (!(i.canaryEvents >= 0 && i.baselineEvents >= 0 && i.canaryTotal >= 0 && i.baselineTotal >= 0)) throw new Error('Counts must not be negative');
    if (i.canaryEvents > i.canaryTotal || i.baselineEvents > i.baselineTotal) throw new Error('Events must not exceed the total of their side');
    if (i.weight !== undefined && !(i.weight >= 0 && i.weight <= 1)) throw new Error('A weight must lie in [0, 1]');
  }
}

const clampRate = (p: number) => Math.min(1 - 1e-9, Math.max(1e-9, p));
const logit = (p: number) => Math.log(p) - Math.log1p(-p);
/** Largest |ln-odds ratio| a bet takes per event. */
export const MAX_TILT = 3;
const clampTilt = (x: number) => Math.min(MAX_TILT, Math.max(-MAX_TILT, x));

/**
 * The boundary point p_b (p_c = p_b + delta) maximising c ln p_c + (n_c - c) ln(1 - p_c) +
 * b ln p_b + (n_b - b) ln(1 - p_b), for real (possibly fractional) counts: the constrained MLE,
 * and, fed the plug-in's expected counts, the null element nearest the plug-in in KL.
 */
export function boundaryMaximiser(c: number, nc: number, b: number, nb: number, delta: number): number {
  // Start from the pooled rate moved onto the boundary.
  return maximiseConcave(new BoundaryLikelihood(c, nc, b, nb, delta), Math.max(0, -delta), Math.min(1, 1 - delta), (c + b - nc * delta) / (nc + nb));
}

/** A concave function of p through its derivative (decreasing) and second derivative. */
interface Concave {
  derivative(p: number): number;
  second(p: number): number;
}

/**
 * The two sides' binomial log-likelihood on the boundary p_c = p_b + delta, as a function of
 * p = p_b. (Classes rather than closures: these are built once per interval and look, and a
 * class costs nothing per instance to define.)
 */
class BoundaryLikelihood implements Concave {
  constructor(
    private readonly c: number,
    private readonly nc: number,
    private readonly b: number,
    private readonly nb: number,
    private readonly delta: number,
  ) {}

  derivative(p: number): number {
    const { c, nc, b, nb, delta } = this;
    return (c > 0 ? c / Math.max(0, p + delta) : 0) - (nc - c > 0 ? (nc - c) / Math.max(0, 1 - p - delta) : 0) + (b > 0 ? b / p : 0) - (nb - b > 0 ? (nb - b) / (1 - p) : 0);
  }

  second(p: number): number {
    const { c, nc, b, nb, delta } = this;
    return -(c / (p + delta) ** 2) - (nc - c) / (1 - p - delta) ** 2 - b / p ** 2 - (nb - b) / (1 - p) ** 2;
  }
}

/**
 * The argmax on [lo, hi] of a concave function from its (decreasing) derivative and its
 * second derivative: Newton's method from `start`, kept inside a bracket that bisection
 * shrinks whenever a Newton step leaves it.
 */
function maximiseConcave(f: Concave, lo: number, hi: number, start: number): number {
  if (!(f.derivative(lo) > 0)) return lo;
  if (!(f.derivative(hi) < 0)) return hi;
  let a = lo;
  let z = hi;
  let p = start > lo && start < hi ? start : (lo + hi) / 2;
  for (let k = 0; k < 100; k++) {
    const g = f.derivative(p);
    if (g === 0) return p;
    if (g > 0) a = p;
    else z = p;
    const step = g / f.second(p);
    let next = p - step;
    if (!(next > a && next < z)) next = (a + z) / 2;
    if (Math.abs(next - p) <= 1e-13 * Math.max(1e-3, Math.abs(p)) || z - a <= 1e-16) return next;
    p = next;
  }
  return p;
}

/** One interval's tilts (ln-odds ratios of the plug-in over its nearest null element). */
export interface Tilt {
  readonly canary: number;
  readonly baseline: number;
  /** The baseline rate of the nearest null element (where the null's moment peaks, unless clipped). */
  readonly nullRate?: number;
}

/**
 * The tilts of the plug-in alternative (q_c, q_b) against the boundary p_c = p_b + delta:
 * logit(q_c) - logit(p_c*), logit(q_b) - logit(p_b*), P* the boundary's nearest element.
 */
export function plugInTilt(qc: number, qb: number, nc: number, nb: number, delta: number): Tilt {
  const p = boundaryMaximiser(nc * qc, nc, nb * qb, nb, delta);
  return { canary: clampTilt(logit(qc) - logit(clampRate(p + delta))), baseline: clampTilt(logit(qb) - logit(clampRate(p))), nullRate: p };
}

/**
 * ln of the largest mean exp(t_c c + t_b b) takes over the null: on the boundary, a concave
 * function of p_b (each side's log moment generating function is ln(1 + p (e^t - 1)) per
 * request). With t_c >= 0 >= t_b (`greater`) or t_c <= 0 <= t_b (`less`) the interior of the
 * null is never worse than the boundary.
 */
export function logNullMoment(tilt: Tilt, nc: number, nb: number, delta: number): number {
  const moment = new BoundaryMoment(Math.expm1(tilt.canary), Math.expm1(tilt.baseline), nc, nb, delta);
  const lo = Math.max(0, -delta);
  const hi = Math.min(1, 1 - delta);
  return moment.value(maximiseConcave(moment, lo, hi, tilt.nullRate ?? (lo + hi) / 2));
}

/** ln E exp(t_c c + t_b b) on the boundary as a function of p = p_b; a = e^t_c - 1, bm = e^t_b - 1. */
class BoundaryMoment implements Concave {
  constructor(
    private readonly a: number,
    private readonly bm: number,
    private readonly nc: number,
    private readonly nb: number,
    private readonly delta: number,
  ) {}

  value(p: number): number {
    return this.nc * Math.log1p(Math.max(0, p + this.delta) * this.a) + this.nb * Math.log1p(p * this.bm);
  }

  derivative(p: number): number {
    const { a, bm, nc, nb, delta } = this;
    return (nc * a) / (1 + Math.max(0, p + delta) * a) + (nb * bm) / (1 + p * bm);
  }

  second(p: number): number {
    const { a, bm, nc, nb, delta } = this;
    return -((nc * a * a) / (1 + Math.max(0, p + delta) * a) ** 2) - (nb * bm * bm) / (1 + p * bm) ** 2;
  }
}

/**
 * ln E_k after each interval k (the e-process, one value per look) against the null
 * p_c - p_b <= delta (`greater`) or >= delta (`less`) in every interval.
 */
export function logRateDifferenceEProcess(intervals: readonly RateInterval[], delta: number, alternative: DifferenceAlternative): Float64Array {
  checkIntervals(intervals);
  return eProcess(intervals, plugIns(intervals), delta, alternative);
}

/**
 * Each interval's ln-factor (one grid point: the plug-in bets are already chosen), untempered
 * (the weights are the caller's to apply): the input of src/stats/e-detector.ts.
 */
export function rateDifferenceLogFactorTable(intervals: readonly RateInterval[], delta: number, alternative: DifferenceAlternative): LogFactorTable {
  checkIntervals(intervals);
  // Intervals left out (weight 0) stay out of the plug-ins and have no factor; the others' factors are untempered.
  const unweighted = intervals.map((i) => ({ ...i, weight: weightOf(i) > 0 ? 1 : 0 }));
  const process = eProcess(unweighted, plugIns(unweighted), delta, alternative);
  const factors = Float64Array.from(process, (x, k) => x - (k > 0 ? process[k - 1] : 0));
  return { looks: intervals.length, grid: 1, logMix: Float64Array.of(0), factors };
}

/** Each interval's plug-in from the earlier intervals only (NaN before any data): it does not depend on delta. */
interface PlugIns {
  /** The Mantel-Haenszel difference of the earlier intervals. */
  readonly difference: Float64Array;
  /** The smoothed pooled baseline rate of the last BASELINE_WINDOW intervals. */
  readonly baselineRate: Float64Array;
}

function plugIns(intervals: readonly RateInterval[]): PlugIns {
  const difference = new Float64Array(intervals.length).fill(NaN);
  const baselineRate = new Float64Array(intervals.length).fill(NaN);
  let top = 0;
  let weights = 0;
  intervals.forEach((interval, k) => {
    if (weights > 0) {
      difference[k] = top / weights;
      let events = 0;
      let total = 0;
      // The latest BASELINE_WINDOW intervals not left out (weight 0: set aside as misaligned).
      for (let j = k - 1, used = 0; j >= 0 && used < BASELINE_WINDOW; j--) {
        if (weightOf(intervals[j]) === 0) continue;
        events += intervals[j].baselineEvents;
        total += intervals[j].baselineTotal;
        used++;
      }
      baselineRate[k] = clampRate((events + 0.5) / (total + 1));
    }
    const { canaryEvents: c, canaryTotal: nc, baselineEvents: b, baselineTotal: nb } = interval;
    if (nc > 0 && nb > 0 && weightOf(interval) > 0) {
      const w = (nc * nb) / (nc + nb);
      top += w * (c / nc - b / nb);
      weights += w;
    }
  });
  return { difference, baselineRate };
}

function eProcess(intervals: readonly RateInterval[], plugIn: PlugIns, delta: number, alternative: DifferenceAlternative, factorFrom = 0): Float64Array {
  checkDelta(delta);
  const sign = alternative === 'greater' ? 1 : -1;
  const out = new Float64Array(intervals.length);
  let logE = 0;
  // The intervals before factorFrom inform the plug-ins only.
  for (let k = factorFrom; k < intervals.length; k++) {
    logE += logFactorAt(intervals[k], plugIn.difference[k], plugIn.baselineRate[k], delta, sign);
    out[k] = logE;
  }
  return out;
}

/** ln E over intervals from..to alone (the e-process's value after `to`, started at `from`): a root search's one evaluation, with nothing allocated. */
function logEValueOver(intervals: readonly RateInterval[], plugIn: PlugIns, delta: number, alternative: DifferenceAlternative, from: number, to: number): number {
  checkDelta(delta);
  const sign = alternative === 'greater' ? 1 : -1;
  let logE = 0;
  for (let k = from; k <= to; k++) logE += logFactorAt(intervals[k], plugIn.difference[k], plugIn.baselineRate[k], delta, sign);
  return logE;
}

function checkDelta(delta: number): void {
  if (!(Number.isFinite(delta) && delta > -1 && delta < 1)) throw new Error('delta must be a difference of rates between -1 and 1');
}

/**
 * One interval's tempered ln-factor at delta from its plug-in (d the earlier intervals'
 * difference, qb their baseline rate); 0 where it places no bet. `sign` 1 for `greater`, -1 for `less`.
 */
function logFactorAt(interval: RateInterval, d: number, qb: number, delta: number, sign: number): number {
  const { canaryEvents: c, canaryTotal: nc, baselineEvents: b, baselineTotal: nb } = interval;
  const w = weightOf(interval);
  // No bet (factor 1) without traffic on both sides, before any data, or while the plug-in
  // points into the null; a tempered factor (weight w) is the factor to the power w.
  if (nc > 0 && nb > 0 && w > 0 && sign * (d - delta) > 0) {
    const qc = clampRate(qb + d);
    if (sign * (qc - qb - delta) > 0) {
      const tilt = plugInTilt(qc, qb, nc, nb, delta);
      // The null's worst case is on its boundary only for tilts of these signs.
      if (sign * tilt.canary > 0 && sign * tilt.baseline <= 0) return w * (tilt.canary * c + tilt.baseline * b - logNullMoment(tilt, nc, nb, delta));
    }
  }
  return 0;
}

/** ln E after all the intervals. */
export function logRateDifferenceEValue(intervals: readonly RateInterval[], delta: number, alternative: DifferenceAlternative): number {
  if (intervals.length === 0) return 0;
  const process = logRateDifferenceEProcess(intervals, delta, alternative);
  return process[process.length - 1];
}

/**
 * The confidence sequence for the difference after all the intervals: the lower bound from
 * the `greater` test at alphaLower, the upper from `less` at alphaUpper; -1 and 1 when
 * nothing is rejected.
 */
export function rateDifferenceConfidenceSequence(intervals: readonly RateInterval[], alphaLower: number, alphaUpper: number): Bounds {
  const edges = new RateDifferenceEdges(intervals);
  return { lower: edges.edge('greater', alphaLower), upper: edges.edge('less', alphaUpper) };
}

/**
 * One edge of the confidence sequence: the lower bound (`greater`) or the upper one (`less`) of
 * the difference at `alpha`; -1 or 1 when nothing on that side is rejected. `factorFrom`: the
 * e-process starts there (a window's or a restart's first interval), the intervals before it
 * informing the plug-ins only, as they do for the same start's claim.
 */
export function rateDifferenceEdge(intervals: readonly RateInterval[], alternative: DifferenceAlternative, alpha: number, factorFrom = 0): number {
  if (intervals.length <= factorFrom) return alternative === 'greater' ? -1 : 1;
  return new RateDifferenceEdges(intervals).edge(alternative, alpha, factorFrom);
}

/**
 * The edges of many ranges of one series of intervals (a timeline's starts and looks): the
 * intervals checked and the plug-ins computed once (interval k's plug-in reads intervals < k
 * only, so a range ending at `to` gets the same ones as the series cut after `to`), each root
 * search's evaluation a walk over the range alone. `edge(alternative, alpha, from, to)` is
 * `rateDifferenceEdge(intervals.slice(0, to + 1), alternative, alpha, from)`, value for value.
 */
export class RateDifferenceEdges {
  private readonly plugIn: PlugIns;

  constructor(private readonly intervals: readonly RateInterval[]) {
    checkIntervals(intervals);
    this.plugIn = plugIns(intervals);
  }

  /** The latest range's estimate: a range's edges (and their order) read it several times. */
  private latest = { from: -1, to: -1, estimate: NaN };

  /** The Mantel-Haenszel difference of intervals from..to (NaN without traffic on both sides). */
  estimate(from = 0, to = this.intervals.length - 1): number {
    if (this.latest.from !== from || this.latest.to !== to) this.latest = { from, to, estimate: mantelHaenszelOver(this.intervals, from, to) };
    return this.latest.estimate;
  }

  /**
   * The edge at `alpha` of the e-process over intervals from..to (the earlier ones informing
   * the plug-ins only). `moot`: values of the edge the caller cannot tell apart (say, a largest
   * bound that an edge raises only from outside them); when the search proves the edge lies
   * within them, it stops and returns a value within them (searchEdge).
   */
  edge(alternative: DifferenceAlternative, alpha: number, from = 0, to = this.intervals.length - 1, moot?: Bounds): number {
    const far = alternative === 'greater' ? -1 : 1;
    if (to < from) return far;
    const estimate = this.estimate(from, to);
    // No interval with traffic on both sides: no bet anywhere, nothing rejected.
    if (!Number.isFinite(estimate)) return far;
    const threshold = Math.log(1 / alpha);
    const excess = (delta: number) => logEValueOver(this.intervals, this.plugIn, delta, alternative, from, to) - threshold;
    return searchEdge(excess, estimate, () => standardErrorOver(this.intervals, from, to), alternative, moot);
  }
}

/**
 * The delta at which the one-sided test stops rejecting, within (-1, 1): bracketed outwards
 * from the estimate, then secant steps on ln E - threshold nudged past the root, with a
 * bisection whenever the bracket has not halved in two steps (ln E need not be smooth in delta).
 * `scale`: the estimate's standard error, for the first bracketing step.
 *
 * The value returned is the last non-rejected point, `inside`, which only ever moves towards
 * the far end (each probe lies between it and the far end, or strictly inside the bracket), and
 * never past a rejected point found (`out`, once the bracket is closed). So at every step the
 * result lies between `inside` and `out`, or between `inside` and the far end before a rejected
 * point is found: once that span lies within `moot`, the search stops and returns `inside`,
 * which is then moot too (a caller reading the edge only outside `moot` reads the same).
 */
function searchEdge(excess: (delta: number) => number, estimate: number, scale: () => number, alternative: DifferenceAlternative, moot?: Bounds): number {
  // `greater` rejects small deltas (the lower bound), `less` rejects large ones.
  const [far, near] = alternative === 'greater' ? [-1, 1] : [1, -1];
  const farEnd = far + (near - far) * 1e-9;
  const nearEnd = near - (near - far) * 1e-9;
  const within = (a: number, b: number) => moot !== undefined && Math.min(a, b) >= moot.lower && Math.max(a, b) <= moot.upper;
  let inside = Math.min(Math.max(estimate, -1 + 1e-9), 1 - 1e-9);
  let fInside = excess(inside);
  let out: number;
  let fOut: number;
  if (fInside >= 0) {
    // The estimate itself is rejected: the edge lies towards the near end, if anywhere.
    [out, fOut] = [inside, fInside];
    inside = nearEnd;
    fInside = excess(inside);
    if (fInside >= 0) return inside; // every difference in range is rejected: the end of the range
  } else {
    // Bracket outwards from the estimate in growing steps, from three standard errors
    // (anytime-valid bounds lie a few standard errors out), so that few steps remain for the
    // root; nothing rejected up to the end of the range: no bound.
    const towardsFar = Math.sign(far - near);
    for (let step = 3 * scale(); ; step *= 2) {
      if (within(inside, far)) return inside;
      let probe = estimate + towardsFar * step;
      if (!((probe - farEnd) * (inside - probe) > 0)) probe = farEnd;
      const fProbe = excess(probe);
      if (fProbe >= 0) {
        [out, fOut] = [probe, fProbe];
        break;
      }
      if (probe === farEnd) return far;
      [inside, fInside] = [probe, fProbe];
    }
  }
  const tolerance = 1e-7;
  let slow = 0;
  for (let i = 0; i < 100 && Math.abs(out - inside) > tolerance; i++) {
    if (within(inside, out)) return inside;
    // The secant's root, nudged half the tolerance past it so that the bracket can close from
    // both sides; a bisection when the bracket has not halved in two steps.
    const width = Math.abs(out - inside);
    let probe = inside - (fInside * (out - inside)) / (fOut - fInside) + (Math.sign(out - inside) * tolerance) / 2;
    if (slow >= 2 || !((probe - out) * (inside - probe) > 0)) {
      probe = (out + inside) / 2;
      slow = 0;
    }
    const f = excess(probe);
    if (f >= 0) [out, fOut] = [probe, f];
    else [inside, fInside] = [probe, f];
    slow = Math.abs(out - inside) > width / 2 ? slow + 1 : 0;
  }
  return inside;
}

/** The Mantel-Haenszel difference's standard error over intervals from..to with the pooled rate on both sides (a scale only; at least 1e-6). */
function standardErrorOver(intervals: readonly RateInterval[], from: number, to: number): number {
  let events = 0;
  let total = 0;
  let weights = 0;
  for (let k = from; k <= to; k++) {
    const i = intervals[k];
    events += i.canaryEvents + i.baselineEvents;
    total += i.canaryTotal + i.baselineTotal;
    if (i.canaryTotal > 0 && i.baselineTotal > 0) weights += (i.canaryTotal * i.baselineTotal) / (i.canaryTotal + i.baselineTotal);
  }
  const rate = (events + 1) / (total + 2);
  return weights > 0 ? Math.max(1e-6, Math.sqrt((rate * (1 - rate)) / weights)) : 1;
}

/**
 * The Mantel-Haenszel risk difference, sum_i w_i (c_i/n_ci - b_i/n_bi) / sum_i w_i with
 * w_i = n_ci n_bi / (n_ci + n_bi): the two sides compared within each interval. NaN when no
 * interval has traffic on both sides.
 */
export function mantelHaenszelRateDifference(intervals: readonly RateInterval[]): number {
  return mantelHaenszelOver(intervals, 0, intervals.length - 1);
}

function mantelHaenszelOver(intervals: readonly RateInterval[], from: number, to: number): number {
  let top = 0;
  let weights = 0;
  for (let k = from; k <= to; k++) {
    const i = intervals[k];
    if (i.canaryTotal === 0 || i.baselineTotal === 0 || weightOf(i) === 0) continue;
    const w = (i.canaryTotal * i.baselineTotal) / (i.canaryTotal + i.baselineTotal);
    top += w * (i.canaryEvents / i.canaryTotal - i.baselineEvents / i.baselineTotal);
    weights += w;
  }
  return weights > 0 ? top / weights : NaN;
}
