/**
 * An e-process for a contrast of two means (canary mean - k x baseline mean) of BOUNDED data
 * from per-interval observations, by betting on paired contrasts: valid at every look, at every
 * sample size, whatever the data's shape inside their range, the traffic split and a trend
 * shared by both sides do.
 *
 * Why bounded: the mean of unbounded data has no valid finite-sample bound. A far tail too thin
 * to show in any sample can still carry any share of the mean (a lognormal with sigma 1.5 puts
 * a third of its mean above its p95), so normal-theory bounds on 50 skewed values are liberal
 * and no finite sample can rule the tail out. Given the range [min, max] the data can take (a
 * latency cannot exceed the request timeout; a score lies in [0, 1]), betting gives exact,
 * anytime-valid bounds that adapt to the data's actual spread.
 *
 * Pairs, matched in time. In interval i each observation of the side with fewer observations
 * is paired with the mean of its own group of the other side's (groups of floor or ceil of
 * N/m, using every observation), both sides in a fixed pseudo-random order (mulberry32 seeded
 * by the interval's index and the side, independent of the values, so sorted or time-ordered
 * input stays exchangeable). Pair j's contrast is
 *
 *   Z_j = C_j - k B_j - delta,    C_j, B_j in [min, max],  Z_j in [min - k max - delta, max - k min - delta],
 *
 * with E[Z_j | earlier pairs] = mu_c,i - k mu_b,i - delta in its interval i: a load trend or a
 * split step moves both sides of a pair together, so it cancels inside each interval (the
 * per-interval null of src/stats/rate-difference-e-process.ts: the contrast holds in EVERY
 * interval). k = 1 + r for a relative margin r (delta 0), k = 1 for an absolute margin delta.
 *
 * Betting (Waudby-Smith & Ramdas 2024, section 5): to reject H0: E[Z_j | past] <= 0 in every
 * interval (`greater`), the capital K_t = prod_{j<=t} (1 + lambda_j Z_j) with a predictable
 * lambda_j in [0, c / |z_min|] (c = 1/2, so 1 + lambda Z >= 1/2 > 0) is a nonnegative
 * supermartingale under every element of the null, and by Ville's inequality
 * P(exists t: K_t >= 1/alpha) <= alpha. `less` (H0: E[Z] >= 0) bets 1 - lambda Z_j. lambda_j is
 * the aGRAPA plug-in (their appendix B): m / (v + m^2) from the running mean m and variance v of
 * the earlier pairs' contrasts (no bet before MIN_PAIRS of them, nor while m points into the
 * null), which approximately maximises the expected growth E ln(1 + lambda Z); capped by the
 * range, so a wide range (a 15 s timeout on 40 ms latencies) costs evidence linearly in its
 * width: that is what validity without a shape assumption costs.
 *
 * Inverting the test over the contrast's parameter (r, or delta) gives a confidence sequence
 * (the set not rejected, found by a bracketed sign-change search); the running intersection over
 * looks is valid too.
 *
 * References: Waudby-Smith, I. & Ramdas, A. (2024) "Estimating means of bounded random variables
 * by betting", JRSS-B 86(1) (capital processes, predictable plug-ins, aGRAPA, the truncation c);
 * Shekhar, S. & Ramdas, A. (2023) "Nonparametric two-sample testing by betting", IEEE Trans.
 * Inf. Theory 70(2) (two samples reduced to paired payoffs); Ramdas, Grunwald, Vovk & Shafer
 * (2023) "Game-theoretic statistics and safe anytime-valid inference", Statist. Sci. (Ville's
 * inequality, composite nulls, running intersections); Bahadur, R. & Savage, L. (1956) "The
 * nonexistence of certain statistical procedures in nonparametric problems", Ann. Math. Statist.
 * 27(4) (no valid finite-sample bound on the mean of unbounded data).
 *
 * @example
 * const pairs = pairedMeans([{ canary: [41, 39, 44], baseline: [40, 38, 41, 43, 40, 39] }], { min: 0, max: 1000 });
 * logPairedMeanEProcess(pairs, 1.1, 0, 'greater') // ln K after the interval: evidence the canary's mean is above 1.1x
 */
import type { Bounds } from './quantile-bounds';
import { boundary } from './matched-quantile-shift-e-process';
import { seededUniform } from './seeded-uniform';

/** The smallest and largest value an observation can take. */
export interface DataRange {
  readonly min: number;
  readonly max: number;
}

/** One interval's observations of both sides (the same span of time). */
export interface MeanInterval {
  readonly canary: ArrayLike<number>;
  readonly baseline: ArrayLike<number>;
}

/** The paired means of a timeline: pair j's canary and baseline parts, in the order they are bet on. */
export interface PairedMeans {
  readonly canary: Float64Array;
  readonly baseline: Float64Array;
  /** The number of pairs after each interval (cumulative, one per look). */
  readonly ends: Int32Array;
  readonly range: DataRange;
}

export type MeanAlternative = 'greater' | 'less';
/** A relative contrast (canary / baseline - 1) or an absolute one (canary - baseline). */
export type MeanScale = 'relative' | 'absolute';

/** The truncation of the bet: 1 + lambda Z never falls below 1 - TRUNCATION. */
export const TRUNCATION = 0.5;
/** Pairs seen before the first bet (the plug-in's mean and variance need a few). */
export const MIN_PAIRS = 10;

/** The interval's observations of one side in a fixed order independent of their values (Fisher-Yates). */
export function shuffled(values: ArrayLike<number>, interval: number, side: 0 | 1): Float64Array {
  const out = Float64Array.from(values);
  // A fixed stream per interval and side (src/stats/seeded-uniform.ts): the same pairs at every look.
  const next = seededUniform(Math.imul(2 * interval + side + 1, 0x9e3779b1));
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

function checkRange(range: DataRange): void {
  if (!(Number.isFinite(range.min) && Number.isFinite(range.max) && range.max > range.min)) throw new Error('The range must have finite min < max');
}

/**
 * The pairs of every interval: each observation of the smaller side with the mean of a group
 * of the larger side's (every observation used; group sizes differ by at most one). Throws on an
 * observation outside the range: the guarantee rests on it.
 */
export function pairedMeans(intervals: readonly MeanInterval[], range: DataRange): PairedMeans {
  checkRange(range);
  let total = 0;
  for (const i of intervals) total += Math.min(i.canary.length, i.baseline.length);
  const canary = new Float64Array(total);
  const baseline = new Float64Array(total);
  const ends = new Int32Array(intervals.length);
  let at = 0;
  intervals.forEach((interval, i) => {
    const c = shuffled(interval.canary, i, 0);
    const b = shuffled(interval.baseline, i, 1);
    for (const side of [c, b]) {
      for (const x of side) if (!(x >= range.min && x <= range.max)) throw new Error(`An observation (${x}) lies outside the range [${range.min}, ${range.max}]`);
    }
    const pairs = Math.min(c.length, b.length);
    if (pairs > 0) {
      const [few, many, fewOut, manyOut] = c.length <= b.length ? [c, b, canary, baseline] : [b, c, baseline, canary];
      for (let j = 0; j < pairs; j++) {
        // Group j of the larger side: observations floor(j N / m) .. floor((j + 1) N / m) - 1.
        const from = Math.floor((j * many.length) / pairs);
        const to = Math.floor(((j + 1) * many.length) / pairs);
        let sum = 0;
        for (let q = from; q < to; q++) sum += many[q];
        fewOut[at + j] = few[j];
        manyOut[at + j] = sum / (to - from);
      }
    }
    at += pairs;
    ends[i] = at;
  });
  return { canary, baseline, ends, range };
}

/**
 * ln K after each interval (one value per look) against H0: canary mean - k x baseline mean
 * <= delta in every interval (`greater`), or >= delta (`less`). +Infinity from the first pair on
 * when the range makes the null impossible; 0 throughout when it makes the null certain.
 */
export function logPairedMeanEProcess(pairs: PairedMeans, k: number, delta: number, alternative: MeanAlternative, looks = pairs.ends.length): Float64Array {
  if (!(Number.isFinite(k) && k > 0 && Number.isFinite(delta))) throw new Error('k must be positive and delta finite');
  const { min, max } = pairs.range;
  const sign = alternative === 'greater' ? 1 : -1;
  // Y = sign Z: the null says E[Y] <= 0, the bet is 1 + lambda Y.
  const zLow = min - k * max - delta;
  const zHigh = max - k * min - delta;
  const yLow = sign > 0 ? zLow : -zHigh;
  const yHigh = sign > 0 ? zHigh : -zLow;
  const out = new Float64Array(looks);
  if (yHigh <= 0) return out; // no outcome can speak against the null
  const cap = yLow < 0 ? TRUNCATION / -yLow : Infinity;
  const { canary, baseline, ends } = pairs;
  let logK = 0;
  let count = 0;
  let mean = 0;
  let squares = 0; // Welford: the sum of squared deviations from the running mean
  let j = 0;
  for (let look = 0; look < looks; look++) {
    const end = ends[look];
    for (; j < end; j++) {
      const y = sign * (canary[j] - k * baseline[j] - delta);
      if (yLow >= 0 && y > 0) {
        logK = Infinity; // the range alone rules the null out
      } else if (count >= MIN_PAIRS && mean > 0) {
        const variance = squares / count;
        const lambda = Math.min(cap, mean / (variance + mean * mean));
        logK += Math.log1p(lambda * y);
      }
      count++;
      const step = y - mean;
      mean += step / count;
      squares += step * (y - mean);
    }
    out[look] = logK;
  }
  return out;
}

/** ln K after the first `looks` intervals. */
export function logPairedMeanEValue(pairs: PairedMeans, k: number, delta: number, alternative: MeanAlternative, looks = pairs.ends.length): number {
  if (looks === 0) return 0;
  return logPairedMeanEProcess(pairs, k, delta, alternative, looks)[looks - 1];
}

/** The contrast at a parameter: k and delta of a relative shift r (k = 1 + r) or an absolute one (k = 1, delta). */
function contrast(scale: MeanScale, parameter: number): { k: number; delta: number } {
  return scale === 'relative' ? { k: 1 + parameter, delta: 0 } : { k: 1, delta: parameter };
}

/** Relative shifts are searched as u = ln(1 + r), absolute ones as the difference itself; how far each reaches. */
function searchScale(pairs: PairedMeans, scale: MeanScale) {
  const { min, max } = pairs.range;
  if (scale === 'relative') {
    // ln(max / min) when min > 0 bounds any ratio of means; 20 (a factor of 5e8) otherwise.
    const reach = min > 0 ? Math.log(max / min) : 20;
    return { reach, tolerance: 1e-4, toParameter: (u: number) => Math.expm1(u), fromParameter: (r: number) => Math.log1p(r) };
  }
  const reach = max - min;
  return { reach, tolerance: reach * 1e-7, toParameter: (u: number) => u, fromParameter: (d: number) => d };
}

/**
 * The confidence sequence for the contrast's parameter after `looks` intervals: the lower bound
 * from the `greater` test at alphaLower, the upper from `less` at alphaUpper (-1 or -(max -
 * min) and +Infinity or max - min when nothing is rejected). `hint`: a previous look's bounds, to
 * start the searches from. A relative scale needs min >= 0 (ratios of means of positive data).
 */
export function pairedMeanConfidenceSequence(pairs: PairedMeans, scale: MeanScale, alphaLower: number, alphaUpper: number, looks = pairs.ends.length, hint?: Bounds): Bounds {
  if (scale === 'relative' && pairs.range.min < 0) throw new Error('A relative contrast needs a range with min >= 0');
  const s = searchScale(pairs, scale);
  // Bounds lie a few standard errors from the estimate: the bracket starts at one.
  const firstStep = Math.min(s.reach * 0.01, Math.max(s.tolerance * 10, standardError(pairs, scale, looks)));
  const edge = (alternative: MeanAlternative, alpha: number, start: number | undefined): number => {
    const threshold = Math.log(1 / alpha);
    const gap = (u: number) => {
      const { k, delta } = contrast(scale, s.toParameter(u));
      return logPairedMeanEValue(pairs, k, delta, alternative, looks) - threshold;
    };
    const u = boundary(gap, alternative === 'greater' ? -1 : 1, start !== undefined && Number.isFinite(start) ? s.fromParameter(start) : undefined, s.reach, s.tolerance, firstStep);
    if (u === -Infinity) return scale === 'relative' ? -1 : -s.reach;
    if (u === Infinity) return scale === 'relative' ? Infinity : s.reach;
    return s.toParameter(u);
  };
  const start = pairedMeanEstimate(pairs, scale, looks);
  const from = (b: number | undefined) => (b !== undefined && Number.isFinite(b) ? b : Number.isFinite(start) ? start : undefined);
  return { lower: edge('greater', alphaLower, from(hint?.lower)), upper: edge('less', alphaUpper, from(hint?.upper)) };
}

/** The estimate's standard error on the search's scale (ln of the ratio, or the difference), from the pairs' spread: a scale only. */
function standardError(pairs: PairedMeans, scale: MeanScale, looks: number): number {
  const n = looks === 0 ? 0 : pairs.ends[looks - 1];
  if (n < 2) return Infinity;
  let c = 0;
  let b = 0;
  for (let j = 0; j < n; j++) (c += pairs.canary[j]), (b += pairs.baseline[j]);
  c /= n;
  b /= n;
  let squares = 0;
  for (let j = 0; j < n; j++) {
    // The delta method for ln(c / b): the pair's deviation in relative terms.
    const d = scale === 'relative' ? (pairs.canary[j] - c) / c - (pairs.baseline[j] - b) / b : pairs.canary[j] - pairs.baseline[j] - (c - b);
    squares += d * d;
  }
  const se = Math.sqrt(squares / (n - 1) / n);
  return Number.isFinite(se) && se > 0 ? se : Infinity;
}

/** The estimate over the pairs of the first `looks` intervals: the ratio of their means - 1, or the mean difference; NaN without pairs. */
export function pairedMeanEstimate(pairs: PairedMeans, scale: MeanScale, looks = pairs.ends.length): number {
  const n = looks === 0 ? 0 : pairs.ends[looks - 1];
  if (n === 0) return NaN;
  let c = 0;
  let b = 0;
  for (let j = 0; j < n; j++) (c += pairs.canary[j]), (b += pairs.baseline[j]);
  if (scale === 'absolute') return (c - b) / n;
  return b > 0 ? c / b - 1 : NaN;
}
