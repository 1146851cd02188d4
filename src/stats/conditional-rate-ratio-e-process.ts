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
import { logMixture, type LogFactorTable } from './e-detector';
import type { Bounds } from './quantile-bounds';

/** One interval's counts of both sides (the same span of time). */
export interface RateInterval {
  readonly canaryEvents: number;
  readonly canaryTotal: number;
  readonly baselineEvents: number;
  readonly baselineTotal: number;
  /**
   * The interval's factor is raised to this power (default 1): 1/phi for events clustered
   * phi-fold (src/stats/count-dispersion.ts), 0 to leave the interval out. Fixed before the
   * interval's labels are seen, so the product stays an e-process.
   */
  readonly weight?: number;
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
    if (i.weight !== undefined && !(i.weight >= 0 && i.weight <= 1)) throw new Error('A weight must lie in [0, 1]');
  }
}

/** An interval's tempering weight (src/stats/count-dispersion.ts); 0 leaves it out. */
export const weightOf = (i: Pick<RateInterval, 'weight'>): number => i.weight ?? 1;

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
    const w = weightOf(interval);
    // An interval with no events, or with one side serving nothing, carries no information.
    if (events > 0 && w > 0 && interval.canaryTotal > 0 && interval.baselineTotal > 0) {
      const p0 = (interval.canaryTotal * theta0) / (interval.canaryTotal * theta0 + interval.baselineTotal);
      for (const half of halves) {
        for (let j = 0; j < OFFSETS.length; j++) {
          half.sums[j] += w * (interval.canaryEvents * half.sign * OFFSETS[j] - events * Math.log1p(p0 * half.expm1[j]));
        }
      }
    }
    if (everyLook || k === intervals.length - 1) out[k] = logSumExp(halves.map((half) => logSumExpWeighted(half.sums) + logShare));
  });
  return out;
}

/**
 * The one-sided mixture at theta0 over fixed interval totals, evaluated for many sets of event
 * counts: the same e-process as `logRateRatioEProcess`, for a caller that re-counts the same
 * intervals many times (the matched quantile test counts them at every shift it tries). Each
 * interval's ln(1 + p_i(theta0) (e^{+-d} - 1)) over the grid is tabulated once, so an
 * evaluation is a weighted sum per grid point instead of a logarithm per interval and point.
 */
export class RateRatioMixture {
  private readonly table: Float64Array;
  /** 1 where both sides served requests: elsewhere the interval carries no information. */
  private readonly served: Uint8Array;
  /** Each interval's tempering weight (RateInterval.weight; 0 leaves it out). */
  private readonly weights: Float64Array;
  private readonly signedOffsets: Float64Array;
  private readonly looks: number;

  /** `totals` may carry weights (RateInterval.weight): each interval's factor is tempered by its own. */
  constructor(totals: readonly Pick<RateInterval, 'canaryTotal' | 'baselineTotal' | 'weight'>[], theta0: number, alternative: 'greater' | 'less') {
    if (!(theta0 > 0 && Number.isFinite(theta0))) throw new Error('theta0 must be a positive finite ratio');
    const sign = alternative === 'greater' ? 1 : -1;
    const m = EXPM1[alternative];
    this.looks = totals.length;
    this.signedOffsets = Float64Array.from(OFFSETS, (d) => sign * d);
    this.table = new Float64Array(totals.length * OFFSETS.length);
    this.served = new Uint8Array(totals.length);
    this.weights = Float64Array.from(totals, weightOf);
    totals.forEach((t, i) => {
      // An interval where one side serves nothing carries no information (as in eProcess); one
      // weighted 0 is tabulated anyway (a reading with other weights may count it).
      if (!(t.canaryTotal > 0 && t.baselineTotal > 0)) return;
      this.served[i] = 1;
      const p0 = (t.canaryTotal * theta0) / (t.canaryTotal * theta0 + t.baselineTotal);
      for (let j = 0; j < OFFSETS.length; j++) this.table[j * totals.length + i] = Math.log1p(p0 * m[j]);
    });
  }

  /**
   * Each interval's ln-factors at the grid's points for these counts (src/stats/e-detector.ts),
   * untempered: the caller weights rows by what it may read.
   */
  logFactorTable(canaryEvents: ArrayLike<number>, baselineEvents: ArrayLike<number>): LogFactorTable {
    const grid = OFFSETS.length;
    const looks = this.looks;
    const factors = new Float64Array(looks * grid);
    for (let i = 0; i < looks; i++) {
      if (this.served[i] === 0) continue;
      const events = canaryEvents[i] + baselineEvents[i];
      for (let j = 0; j < grid; j++) factors[i * grid + j] = canaryEvents[i] * this.signedOffsets[j] - events * this.table[j * looks + i];
    }
    return { looks, grid, logMix: LOG_WEIGHTS, factors };
  }

  /** ln E after each interval, for these per-interval event counts (checked against the totals by the caller). */
  logEProcess(canaryEvents: ArrayLike<number>, baselineEvents: ArrayLike<number>, looks = this.looks, weights?: ArrayLike<number>): Float64Array {
    const out = new Float64Array(looks);
    this.accumulate(canaryEvents, baselineEvents, looks, weights, out);
    return out;
  }

  /**
   * ln E after the first `looks` intervals; `weights`: each interval's tempering weight in place
   * of the constructor's (0 where it served nothing on a side stays 0), so one tabulation serves
   * every reading of the intervals.
   */
  logEValue(canaryEvents: ArrayLike<number>, baselineEvents: ArrayLike<number>, looks = this.looks, weights?: ArrayLike<number>): number {
    if (looks === 0) return 0;
    return this.accumulate(canaryEvents, baselineEvents, looks, weights);
  }

  private accumulate(canaryEvents: ArrayLike<number>, baselineEvents: ArrayLike<number>, looks: number, weights?: ArrayLike<number>, everyLook?: Float64Array): number {
    const grid = OFFSETS.length;
    const { table, served } = this;
    const width = this.looks;
    // Each interval's weighted events where it carries information (else 0), and the canary's running total.
    const events = new Float64Array(looks);
    const canary = new Float64Array(looks);
    let canarySoFar = 0;
    // The first and last intervals with events (a range read from a later start leaves the ones before it out).
    let lo = looks;
    let hi = -1;
    for (let i = 0; i < looks; i++) {
      const w = served[i] === 1 ? (weights ?? this.weights)[i] : 0;
      if (w > 0) {
        events[i] = w * (canaryEvents[i] + baselineEvents[i]);
        canarySoFar += w * canaryEvents[i];
        if (events[i] > 0) (lo = Math.min(lo, i)), (hi = i);
      }
      canary[i] = canarySoFar;
    }
    const sums = SCRATCH.fill(0);
    if (!everyLook) {
      // One grid point at a time over the intervals (the table is stored that way): a dot product.
      for (let j = 0; j < grid; j++) {
        let acc = 0;
        for (let i = lo, at = j * width + lo; i <= hi; i++, at++) acc += events[i] * table[at];
        sums[j] = canarySoFar * this.signedOffsets[j] - acc;
      }
      return logSumExpWeighted(sums);
    }
    const running = new Float64Array(grid);
    for (let i = 0; i < looks; i++) {
      if (events[i] > 0) for (let j = 0; j < grid; j++) running[j] -= events[i] * table[j * width + i];
      for (let j = 0; j < grid; j++) sums[j] = running[j] + canary[i] * this.signedOffsets[j];
      everyLook[i] = logSumExpWeighted(sums);
    }
    return looks > 0 ? everyLook[looks - 1] : 0;
  }
}

/**
 * Each interval's ln-factors of the one-sided test at theta0 on the mixture's grid, untempered
 * (the weights are the caller's to apply): the input of src/stats/e-detector.ts.
 */
export function rateRatioLogFactorTable(intervals: readonly RateInterval[], theta0: number, alternative: 'greater' | 'less'): LogFactorTable {
  checkIntervals(intervals);
  const mixture = new RateRatioMixture(intervals.map((i) => ({ canaryTotal: i.canaryTotal, baselineTotal: i.baselineTotal })), theta0, alternative);
  return mixture.logFactorTable(
    intervals.map((i) => i.canaryEvents),
    intervals.map((i) => i.baselineEvents),
  );
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
    if (n === 0 || weightOf(i) === 0) continue;
    top += (i.canaryEvents * i.baselineTotal) / n;
    bottom += (i.baselineEvents * i.canaryTotal) / n;
  }
  return bottom > 0 ? top / bottom : top > 0 ? Infinity : NaN;
}

function logSumExpWeighted(sums: Float64Array): number {
  return logMixture(LOG_WEIGHTS, sums);
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
 * move little between looks) and is found by Newton's method on ln E as a function of
 * ln theta0, whose slope comes out of the same pass over the intervals (safeguarded by
 * bisection once the edge is bracketed): two to four passes a bound. Agrees with
 * `rateRatioConfidenceSequence` to about 1e-5 in ln theta (that function's own tolerance).
 */
export function rateRatioConfidenceSequences(intervals: readonly RateInterval[], looks: readonly number[], alphasAt: (look: number) => readonly [number, number]): Bounds[] {
  checkIntervals(intervals);
  let hints: [number, number] = [NaN, NaN];
  return looks.map((look) => {
    const prefix = intervals.slice(0, look);
    const [alphaLower, alphaUpper] = alphasAt(look);
    const start = Math.log(mantelHaenszelRateRatio(prefix));
    const lower = edgeFrom(prefix, 'greater', Math.log(1 / alphaLower), Number.isNaN(hints[0]) ? start : hints[0]);
    const upper = edgeFrom(prefix, 'less', Math.log(1 / alphaUpper), Number.isNaN(hints[1]) ? start : hints[1]);
    hints = [lower, upper];
    return { lower: lower === -Infinity ? 0 : Math.exp(lower), upper: upper === Infinity ? Infinity : Math.exp(upper) };
  });
}

const EXPM1 = { greater: Float64Array.from(OFFSETS, (d) => Math.expm1(d)), less: Float64Array.from(OFFSETS, (d) => Math.expm1(-d)) };

/** Scratch space of RateRatioMixture's evaluations. */
const SCRATCH = new Float64Array(OFFSETS.length);

/** Scratch space of logEAndSlope (called thousands of times per analysis by the root searches). */
const SUMS = new Float64Array(OFFSETS.length);
const SLOPES = new Float64Array(OFFSETS.length);

/** ln E of the one-sided mixture at theta0 = e^x, and its derivative in x, in one pass. */
function logEAndSlope(intervals: readonly RateInterval[], x: number, alternative: 'greater' | 'less'): [number, number] {
  const theta0 = Math.exp(x);
  const sign = alternative === 'greater' ? 1 : -1;
  const m = EXPM1[alternative];
  const sums = SUMS.fill(0);
  const slopes = SLOPES.fill(0);
  for (const interval of intervals) {
    const w = weightOf(interval);
    const events = w * (interval.canaryEvents + interval.baselineEvents);
    if (!(events > 0 && interval.canaryTotal > 0 && interval.baselineTotal > 0)) continue;
    const p0 = (interval.canaryTotal * theta0) / (interval.canaryTotal * theta0 + interval.baselineTotal);
    // d p0 / d ln theta0 = p0 (1 - p0).
    const dp0 = p0 * (1 - p0);
    for (let j = 0; j < OFFSETS.length; j++) {
      sums[j] += w * interval.canaryEvents * sign * OFFSETS[j] - events * Math.log1p(p0 * m[j]);
      slopes[j] -= (events * m[j] * dp0) / (1 + p0 * m[j]);
    }
  }
  let max = -Infinity;
  for (let j = 0; j < sums.length; j++) max = Math.max(max, sums[j] + LOG_WEIGHTS[j]);
  let total = 0;
  let slope = 0;
  for (let j = 0; j < sums.length; j++) {
    const w = Math.exp(sums[j] + LOG_WEIGHTS[j] - max);
    total += w;
    slope += w * slopes[j];
  }
  return [max + Math.log(total), slope / total];
}

/**
 * One edge of the confidence sequence after all the intervals: the lower bound of theta
 * (`greater`) or the upper one (`less`) at `alpha`, searched from `hint` (a nearby theta, say
 * the same edge of a neighbouring range); 0 or Infinity when no theta on that side is rejected.
 */
export function rateRatioEdge(intervals: readonly RateInterval[], alternative: 'greater' | 'less', alpha: number, hint?: number): number {
  checkIntervals(intervals);
  const start = hint !== undefined && hint > 0 && Number.isFinite(hint) ? Math.log(hint) : Math.log(mantelHaenszelRateRatio(intervals));
  const x = edgeFrom(intervals, alternative, Math.log(1 / alpha), start);
  if (alternative === 'greater') return x === -Infinity ? 0 : Math.exp(x);
  return x === Infinity ? Infinity : Math.exp(x);
}

/** The edge of `edge` (ln theta0 where the one-sided e-value falls to the threshold), searched from a hint. */
function edgeFrom(intervals: readonly RateInterval[], alternative: 'greater' | 'less', threshold: number, hint: number): number {
  // `greater` rejects small theta0: the rejected side lies outward (below the edge); `less`, above it.
  const outward = alternative === 'greater' ? -1 : 1;
  const at = (x: number) => {
    const [value, slope] = logEAndSlope(intervals, x, alternative);
    return { f: value - threshold, slope };
  };
  // No estimate or an unbounded previous look: likely unbounded still, which one pass at the range's end tells.
  if (!Number.isFinite(hint) && at(outward * LOG_RANGE).f < 0) return outward * Infinity;
  let rejected = NaN; // a point known rejected (f >= 0), outward of the edge
  let kept = NaN; // a point known not rejected (f < 0), inward of it
  let x = Number.isFinite(hint) ? Math.max(-LOG_RANGE, Math.min(LOG_RANGE, hint)) : 0;
  let step = 0.25;
  for (let i = 0; i < 100; i++) {
    const { f, slope } = at(x);
    if (Math.abs(f) < 1e-7) return x;
    if (f >= 0) rejected = x;
    else kept = x;
    const bracketed = !Number.isNaN(rejected) && !Number.isNaN(kept);
    if (bracketed && Math.abs(rejected - kept) < 1e-7) return kept;
    // Newton's step, taken when it stays inside what is known; else halve the bracket, or walk
    // (doubling) toward the other side until there is one.
    let next = x - f / slope;
    const inside = bracketed ? (next - rejected) * (next - kept) < 0 : Number.isFinite(next) && slope * outward > 0 && Math.abs(next) <= LOG_RANGE;
    if (!inside) {
      if (bracketed) next = (rejected + kept) / 2;
      else {
        next = Math.max(-LOG_RANGE, Math.min(LOG_RANGE, x + (f >= 0 ? -outward : outward) * step));
        step *= 2;
        if (next === x) return f >= 0 ? x : outward * Infinity; // the range's end: rejected everywhere inward, or nowhere outward
      }
    }
    x = next;
  }
  return Number.isNaN(kept) ? x : kept;
}
