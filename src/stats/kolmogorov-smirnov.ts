/**
 * Two-sample Kolmogorov-Smirnov test: are canary and baseline drawn from the same
 * distribution?
 *
 * The statistic is the largest vertical gap between the two empirical CDFs,
 * D = sup_x |F_canary(x) - F_baseline(x)|. Both ECDFs only change at observed points, so
 * one merge over the sorted distinct points finds it; for histograms the ECDFs are read at
 * the bucket bounds, which is all a histogram knows. Ties are fine for D itself, but the
 * p-value assumes continuous data and is conservative when there are many ties.
 *
 * The p-value follows `scipy.stats.ks_2samp(canary, baseline)` (two-sided, method 'auto')
 * to within 1e-3 absolute, choosing the cheapest method that stays that close:
 *
 * | branch (`method`)      | when                                                | cost                   |
 * |------------------------|-----------------------------------------------------|------------------------|
 * | `no-difference`        | D rounds to 0 on the lattice                        | O(1)                   |
 * | `exact-equal-sizes`    | n1 = n2 <= 10000                                    | O(n)                   |
 * | `exact-lattice-paths`  | n1 != n2, both <= 10000, unless the tail rule holds | O(D n1 n2), <= 6.2e6   |
 * | `tail/<kstwo branch>`  | as above, but the walk would take > 2e6 steps and   | as kstwo below         |
 * |                        | D sqrt(n1 n2 / (n1 + n2)) > 2.2, where p < ~2e-4    |                        |
 * | `kstwo-<branch>`       | max(n1, n2) > 10000, or counts are not whole numbers | O(1) .. O(min(n, 1e4)) |
 *
 * The exact branches are scipy's own algorithms: for equal sizes the alternating
 * reflection sum (Hodges 1958) in a Horner form, otherwise the lattice-path count of paths
 * staying strictly inside |x/n1 - y/n2| < D, run as Viehmann's recursion for 1 - p so it
 * never divides huge binomials. Like scipy, D is first snapped onto the lattice h/lcm(n1, n2).
 *
 * For large samples scipy uses kstwo.sf(D, round(n1 n2 / (n1 + n2))), the one-sample
 * Kolmogorov distribution at the "effective" size. This file evaluates it with Simard and
 * L'Ecuyer's decision tree, as scipy does: closed forms near D = 1/(2n) and D = 1
 * (`kstwo-ruben-gambino`), the Durbin matrix in Marsaglia-Tsang-Wang form for n <= 140
 * (`kstwo-durbin-matrix`, O(k^3 log n) with k = ceil(nD) <= 24), twice the one-sided
 * Smirnov tail where the two-sided overlap is negligible (`kstwo-smirnov`, exact
 * Birnbaum-Tingey sum for n <= 10000 else the (6nD+1)^2/18n asymptote), Pelz-Good's
 * 1/n^(3/2) expansion elsewhere for n > 140 (`kstwo-pelz-good`, O(z)), and 0 once
 * n D^2 >= 370 (`kstwo-underflow`). Unlike scipy, Pelz-Good also covers the region where
 * scipy runs the Durbin matrix for n <= 100000 (nD^1.5 <= 1.4): p > 0.9 there and both agree
 * to far better than 1e-3, at a bounded cost.
 *
 * Worst case over all inputs: the lattice walk for sizes like 9999 vs 10000 near the tail
 * cut-off, ~6e6 multiply-adds (10-20 ms); D ~ 1/sqrt(en) takes about half that, small
 * samples microseconds. Every other branch is under a millisecond. The D merge itself is
 * O(distinct points) and allocation-free.
 *
 * References:
 * - https://en.wikipedia.org/wiki/Kolmogorov%E2%80%93Smirnov_test
 * - https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.ks_2samp.html
 * - Hodges, J. L. (1958) "The significance probability of the Smirnov two-sample test".
 * - Viehmann, T. (2021) "Numerically more stable computation of the p-values for the
 *   two-sample Kolmogorov-Smirnov test", arXiv:2102.08037.
 * - Simard, R. and L'Ecuyer, P. (2011) "Computing the Two-Sided Kolmogorov-Smirnov
 *   Distribution", Journal of Statistical Software 39(11).
 * - Marsaglia, G., Tsang, W. W. and Wang, J. (2003) "Evaluating Kolmogorov's
 *   Distribution", Journal of Statistical Software 8(18).
 * - Pelz, W. and Good, I. J. (1976) "Approximating the lower tail-areas of the
 *   Kolmogorov-Smirnov one-sample statistic", JRSS B 38(2).
 *
 * @example
 * kolmogorovSmirnov(fromValues([1, 2, 3]), fromValues([4, 5, 6, 7]))
 * // { statistic: 1, pValue: 0.0571... (= 2/35), method: 'exact-lattice-paths' }
 */
import gammaln from '@stdlib/math-base-special-gammaln';
import type { TestResult } from './test-result';
import type { WeightedSample } from './weighted-sample';
import { checkedSampleTotal } from './input-checks';

/** The ECDF gaps between two samples. */
export interface KsDistance {
  /** sup |F_canary - F_baseline|, the two-sided statistic. */
  readonly d: number;
  /** sup (F_baseline - F_canary): how far the canary is stochastically larger (slower). */
  readonly dPlus: number;
  /** sup (F_canary - F_baseline): how far the canary is stochastically smaller. */
  readonly dMinus: number;
}

/** scipy's 'auto' switches from exact to asymptotic above this sample size. */
const MAX_EXACT_SIZE = 10000;
/** Above this many lattice steps (a few ms) the exact walk is skipped where p is tiny. */
const LATTICE_STEP_BUDGET = 2e6;
/**
 * D sqrt(en) beyond which p < ~2e-4 and kstwo.sf(D, round(en)) stays within 2e-5 of the
 * exact two-sample tail (measured over sizes 50..10000, including small-lcm pairs).
 */
const NEGLIGIBLE_TAIL_LAMBDA = 2.2;

/**
 * The one- and two-sided ECDF distances, by one merge over the distinct points.
 *
 * @example ksDistance(fromValues([1, 2]), fromValues([2, 3])) // { d: 0.5, dPlus: 0, dMinus: 0.5 }
 */
export function ksDistance(canary: WeightedSample, baseline: WeightedSample): KsDistance {
  const { d, dPlus, dMinus } = measure(canary, baseline);
  return { d, dPlus, dMinus };
}

/**
 * Two-sided two-sample Kolmogorov-Smirnov test; see the file comment for the methods.
 *
 * @example kolmogorovSmirnov(fromValues([1, 2, 3]), fromValues([4, 5, 6, 7])).pValue // 0.0571
 */
export function kolmogorovSmirnov(canary: WeightedSample, baseline: WeightedSample): TestResult {
  const { d, canaryTotal, baselineTotal } = measure(canary, baseline);
  const { pValue, method } = kolmogorovSmirnovPValue(d, canaryTotal, baselineTotal);
  return { statistic: d, pValue, method };
}

/**
 * P(D >= d) for two independent samples of sizes n1 and n2 from one continuous distribution,
 * as scipy's ks_2samp computes it. Exposed so callers can price a distance they already have.
 *
 * @example kolmogorovSmirnovPValue(1, 3, 4) // { pValue: 0.0571... (= 2/35), method: 'exact-lattice-paths' }
 */
export function kolmogorovSmirnovPValue(d: number, n1: number, n2: number): { pValue: number; method: string } {
  if (!(n1 > 0 && n2 > 0)) throw new Error('Neither sample can be empty');
  if (!(d > 0)) return { pValue: 1, method: 'no-difference' };
  const larger = Math.max(n1, n2);
  const smaller = Math.min(n1, n2);
  const effectiveSize = (larger * smaller) / (larger + smaller);
  const wholeSizes = Number.isInteger(n1) && Number.isInteger(n2);

  if (wholeSizes && larger <= MAX_EXACT_SIZE) {
    const g = gcd(larger, smaller);
    const lcm = (larger / g) * smaller;
    const h = Math.round(d * lcm);
    if (h === 0) return { pValue: 1, method: 'no-difference' };
    const latticeD = h / lcm;
    if (larger === smaller) {
      return { pValue: clip01(outsideSquareProbability(larger, h)), method: 'exact-equal-sizes' };
    }
    // The walk visits a window of about 2 h / (larger / g) = 2 D smaller cells per column.
    const latticeSteps = larger * (2 * latticeD * smaller + 2);
    if (latticeSteps <= LATTICE_STEP_BUDGET || latticeD * Math.sqrt(effectiveSize) <= NEGLIGIBLE_TAIL_LAMBDA) {
      return { pValue: clip01(latticeOutsideProbability(larger, smaller, g, h)), method: 'exact-lattice-paths' };
    }
    const tail = kolmogorovSurvival(latticeD, Math.max(1, roundHalfToEven(effectiveSize)));
    return { pValue: tail.pValue, method: `tail/${tail.method}` };
  }

  // scipy rounds with numpy (half to even); a fractional-count histogram can make en < 1.
  return kolmogorovSurvival(d, Math.max(1, roundHalfToEven(effectiveSize)));
}

/** Checked totals and the ECDF gaps. */
function measure(
  canary: WeightedSample,
  baseline: WeightedSample,
): KsDistance & { canaryTotal: number; baselineTotal: number } {
  const canaryTotal = checkedSampleTotal(canary);
  const baselineTotal = checkedSampleTotal(baseline);
  if (!(canaryTotal > 0 && baselineTotal > 0)) throw new Error('Neither sample can be empty');
  // A separate function on purpose: when V8 inlined the validation loops into the merge,
  // the merge ran four times slower.
  return { ...ecdfGaps(canary, baseline, canaryTotal, baselineTotal), canaryTotal, baselineTotal };
}

/** One merge over both samples' distinct points, reading both ECDFs after each point. */
function ecdfGaps(
  canary: WeightedSample,
  baseline: WeightedSample,
  canaryTotal: number,
  baselineTotal: number,
): KsDistance {
  const canaryPoints = canary.points;
  const canaryCounts = canary.counts;
  const baselinePoints = baseline.points;
  const baselineCounts = baseline.counts;
  const canaryLength = canaryPoints.length;
  const baselineLength = baselinePoints.length;
  let i = 0;
  let j = 0;
  let canaryCumulative = 0;
  let baselineCumulative = 0;
  let dPlus = 0;
  let dMinus = 0;
  // Both ECDFs step at every distinct point of either sample; a shared point steps both.
  // Once one sample runs out only the other's steps remain, so the loop needs no sentinel
  // (a +Infinity bucket bound is a real point).
  while (i < canaryLength || j < baselineLength) {
    if (i < canaryLength && j < baselineLength) {
      // Steps as 0/1 numbers, not branches: on interleaved samples which side steps is a coin
      // flip, and the mispredicted branches made the merge about 1.4x slower at 1e6 points.
      // A side that does not step adds 0, which leaves its cumulative count exact.
      const c = canaryPoints[i];
      const b = baselinePoints[j];
      const canaryStep = +(c <= b);
      const baselineStep = +(b <= c);
      canaryCumulative += canaryStep * canaryCounts[i];
      baselineCumulative += baselineStep * baselineCounts[j];
      i += canaryStep;
      j += baselineStep;
    } else if (i < canaryLength) {
      canaryCumulative += canaryCounts[i++];
    } else {
      baselineCumulative += baselineCounts[j++];
    }
    // The same expression scipy evaluates, so D matches it bit for bit.
    const gap = canaryCumulative / canaryTotal - baselineCumulative / baselineTotal;
    if (gap > dMinus) dMinus = gap;
    if (-gap > dPlus) dPlus = -gap;
  }
  return { d: dPlus > dMinus ? dPlus : dMinus, dPlus, dMinus };
}


function clip01(p: number): number {
  return Math.min(1, Math.max(0, p));
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function roundHalfToEven(x: number): number {
  const nearest = Math.round(x);
  return nearest - x === 0.5 && nearest % 2 !== 0 ? nearest - 1 : nearest;
}

/**
 * P(D_{n,n} >= h/n): the reflection-principle sum
 * 2 * (C(2n, n-h) - C(2n, n-2h) + ...) / C(2n, n), with each ratio built as a running
 * product and the alternation folded Horner-style, so nothing overflows or cancels badly.
 */
function outsideSquareProbability(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let ratio = 1;
    for (let j = 0; j < h; j++) ratio = ((n - k * h - j) * ratio) / (n + k * h + j + 1);
    p = ratio * (1 - p);
  }
  return 2 * p;
}

/**
 * P(D_{m,n} >= h/lcm) for m >= n: the share of monotone lattice paths from (0,0) to (m,n)
 * that touch |x/m - y/n| >= h/lcm. A(i, j) holds the share of paths to (i, j) that already
 * left the band, so every update is a convex combination and stays in [0, 1]; only a
 * sliding window of one column is kept.
 */
function latticeOutsideProbability(m: number, n: number, g: number, h: number): number {
  const mg = m / g;
  const ng = n / g;
  // Multiplying by a table of 1/(i + j) instead of dividing halves the latency of the
  // loop-carried chain below, which is what bounds this branch's speed.
  const reciprocal = new Float64Array(m + n + 1);
  for (let s = 1; s <= m + n; s++) reciprocal[s] = 1 / s;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let currentLength = maxj - minj;
  const column = new Float64Array(Math.min(2 * maxj + 2, n + 1)).fill(1);
  column.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastMinj = minj;
    const lastLength = currentLength;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    // Every path must leave the band to get past this column.
    if (maxj <= minj) return 1;
    let value = minj === 0 ? 0 : 1;
    const shift = minj - lastMinj;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      const r = reciprocal[i + j];
      value = column[jj + shift] * (i * r) + value * (j * r);
      column[jj] = value;
    }
    currentLength = maxj - minj;
    // Cells that slid out of the window from above count as outside (share 1).
    if (lastLength > currentLength) column.fill(1, currentLength, lastLength);
  }
  return column[maxj - minj - 1];
}

/**
 * kstwo.sf(d, n): P(D_n >= d) for the one-sample two-sided statistic, following Simard and
 * L'Ecuyer's choice of method as scipy's `_kolmogn` does.
 */
function kolmogorovSurvival(d: number, n: number): { pValue: number; method: string } {
  if (d >= 1) return { pValue: 0, method: 'kstwo-ruben-gambino' };
  const t = n * d;
  if (t <= 1) {
    if (t <= 0.5) return { pValue: 1, method: 'kstwo-ruben-gambino' };
    // P(D_n < d) = n!/n^n (2t - 1)^n (Ruben and Gambino 1982)
    const logCdf = gammaln(n + 1) - n * Math.log(n) + n * Math.log(2 * t - 1);
    return { pValue: clip01(-Math.expm1(logCdf)), method: 'kstwo-ruben-gambino' };
  }
  if (t >= n - 1) return { pValue: clip01(2 * Math.pow(1 - d, n)), method: 'kstwo-ruben-gambino' };
  // Above 1/2 the two one-sided excursions cannot both happen, so doubling is exact.
  if (d >= 0.5) return { pValue: clip01(2 * smirnovSurvival(n, d)), method: 'kstwo-smirnov' };
  const nd2 = t * d;
  if (n <= 140) {
    if (nd2 <= 4) return { pValue: clip01(1 - durbinMatrixCdf(n, d)), method: 'kstwo-durbin-matrix' };
    return { pValue: clip01(2 * smirnovSurvival(n, d)), method: 'kstwo-smirnov' };
  }
  if (nd2 >= 370) return { pValue: 0, method: 'kstwo-underflow' };
  if (nd2 >= 2.2) return { pValue: clip01(2 * smirnovSurvival(n, d)), method: 'kstwo-smirnov' };
  return { pValue: clip01(1 - pelzGoodCdf(n, d)), method: 'kstwo-pelz-good' };
}

/** Largest n for which the one-sided tail is summed exactly (at most n terms). */
const SMIRNOV_EXACT_MAX_N = 10000;

/**
 * P(D_n^+ >= x), the one-sided one-sample tail. Exact Birnbaum-Tingey sum
 * x * sum_j C(n,j) (1 - x - j/n)^(n-j) (x + j/n)^(j-1) in logs for n <= 10000, beyond that
 * the asymptote exp(-(6nx + 1)^2 / 18n) that scipy itself uses for huge n.
 */
function smirnovSurvival(n: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  if (n === 1) return 1 - x;
  if (n > SMIRNOV_EXACT_MAX_N) return Math.exp(-((6 * n * x + 1) ** 2) / 18 / n);
  const logX = Math.log(x);
  let logBinomial = 0;
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const below = (n - j) / n - x;
    if (below <= 0) break;
    const logTerm = logBinomial + (n - j) * Math.log(below) + (j === 0 ? -logX : (j - 1) * Math.log(x + j / n));
    sum += Math.exp(logTerm + logX);
    logBinomial += Math.log((n - j) / (j + 1));
  }
  return sum;
}

/**
 * P(D_n < d) by Durbin's matrix formula as Marsaglia, Tsang and Wang compute it: with
 * k = ceil(nd), h = k - nd, the answer is n!/n^n times the middle element of H^n for a
 * (2k-1)-square matrix H, raised by repeated squaring with a decimal exponent kept aside.
 */
function durbinMatrixCdf(n: number, d: number): number {
  const k = Math.ceil(n * d);
  const h = k - n * d;
  const m = 2 * k - 1;
  const H = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) H[i * m + j] = i - j + 1 < 0 ? 0 : 1;
  }
  for (let i = 0; i < m; i++) {
    H[i * m] -= Math.pow(h, i + 1);
    H[(m - 1) * m + i] -= Math.pow(h, m - i);
  }
  H[(m - 1) * m] += 2 * h - 1 > 0 ? Math.pow(2 * h - 1, m) : 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (i - j + 1 > 0) for (let g = 1; g <= i - j + 1; g++) H[i * m + j] /= g;
    }
  }
  const { matrix, exponent } = matrixPower(H, m, n);
  let s = matrix[(k - 1) * m + k - 1];
  let e = exponent;
  for (let i = 1; i <= n; i++) {
    s = (s * i) / n;
    if (s < 1e-140) {
      s *= 1e140;
      e -= 140;
    }
  }
  return s * Math.pow(10, e);
}

function matrixPower(A: Float64Array, m: number, power: number): { matrix: Float64Array; exponent: number } {
  if (power === 1) return { matrix: Float64Array.from(A), exponent: 0 };
  const half = matrixPower(A, m, Math.floor(power / 2));
  let result = multiply(half.matrix, half.matrix, m);
  let exponent = 2 * half.exponent;
  if (power % 2 === 1) result = multiply(A, result, m);
  // Rescale so entries never overflow; the power of ten is restored at the end.
  if (result[Math.floor(m / 2) * m + Math.floor(m / 2)] > 1e140) {
    for (let i = 0; i < m * m; i++) result[i] *= 1e-140;
    exponent += 140;
  }
  return { matrix: result, exponent };
}

function multiply(A: Float64Array, B: Float64Array, m: number): Float64Array {
  const C = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const a = A[i * m + k];
      if (a === 0) continue;
      for (let j = 0; j < m; j++) C[i * m + j] += a * B[k * m + j];
    }
  }
  return C;
}

/**
 * Pelz-Good's approximation of P(D_n <= x): Li-Chien and Korolyuk's expansion
 * K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^1.5 in z = x sqrt(n), rewritten with Jacobi
 * theta identities into rapidly converging sums in exp(-pi^2 (2k-1)^2 / 8z^2).
 * Transcribed from scipy's `_kolmogn_PelzGood`.
 */
function pelzGoodCdf(n: number, x: number): number {
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const pi2 = Math.PI * Math.PI;
  const pi4 = pi2 * pi2;
  const pi6 = pi4 * pi2;
  const qLog = -pi2 / 8 / z2;
  if (qLog < -708) return 0;
  const q = Math.exp(qLog);

  const k1a = -z2;
  const k1b = pi2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * pi2) / 4;
  const k2c = (pi4 * (1 - 2 * z2)) / 16;
  const k3d = (pi6 * (5 - 30 * z2)) / 64;
  const k3c = (pi4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (pi2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z4 * z4;

  let K0 = 0;
  let K1 = 0;
  let K2 = 0;
  let K3 = 0;
  const maxK = Math.ceil((16 * z) / Math.PI);
  // Horner over odd m = 2k - 1, since q^(m^2) = q * (q^8)^(k(k-1)/2).
  for (let k = maxK; k >= 1; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qPower = Math.pow(q, 8 * k);
    K0 = K0 * qPower + 1;
    K1 = K1 * qPower + (k1a + k1b * m2);
    K2 = K2 * qPower + (k2a + k2b * m2 + k2c * m4);
    K3 = K3 * qPower + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  const scale = q * Math.sqrt(2 * Math.PI);
  K0 *= scale / z;
  K1 *= scale / (6 * z4);
  K2 *= scale / (72 * z6 * z);
  K3 *= scale / (6480 * z6 * z4);

  const q2 = Math.exp(-pi2 / 2 / z2);
  const sqrt3z = Math.sqrt(3) * z;
  let k2Extra = 0;
  let k3Extra = 0;
  for (let k = maxK; k >= 1; k--) {
    const k2 = k * k;
    const qPower = Math.pow(q2, k2);
    const kPi = Math.PI * k;
    k2Extra += k2 * qPower;
    k3Extra += (sqrt3z + kPi) * (sqrt3z - kPi) * k2 * qPower;
  }
  K2 += (k2Extra * pi2 * Math.sqrt(2 * Math.PI)) / (-36 * z2 * z);
  K3 += (k3Extra * pi2 * Math.sqrt(2 * Math.PI)) / (216 * z6);
  return K0 + K1 / Math.sqrt(n) + K2 / n + K3 / (n * Math.sqrt(n));
}
