/**
 * Fisher's exact test on a 2x2 table of event counts: canary vs baseline.
 *
 * Conditioning on both margins of the table [[ce, ct - ce], [be, bt - be]], the top-left cell
 * follows a hypergeometric distribution under the null hypothesis that both groups share one
 * event rate. The two-sided p-value is the total probability of every table no more likely than
 * the observed one. It is exact at any sample size, so it stays valid for rare events (zero
 * errors in the canary) where the normal approximation of the z test does not.
 *
 * The result matches `scipy.stats.fisher_exact(table)` (scipy 1.17): the statistic is the
 * sample odds ratio (ce * (bt - be)) / ((ct - ce) * be), Infinity when a denominator cell is
 * zero, NaN with p = 1 when the table has an empty column (no events at all, or all events).
 *
 * Reference: Fisher, R. A. (1935) "The Design of Experiments"; Agresti, A. (2013) "Categorical
 * Data Analysis" section 3.5; https://en.wikipedia.org/wiki/Fisher%27s_exact_test;
 * https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.fisher_exact.html.
 * The hypergeometric probabilities use Loader's saddle-point form, as R's dhyper and Boost do:
 * Loader, C. (2000) "Fast and Accurate Computation of Binomial Probabilities".
 *
 * @example fisherExact(8, 10, 1, 6) // { statistic: 20, pValue: 0.034965034965035, method: 'exact' }
 */
import gammaln from '@stdlib/math-base-special-gammaln';
import type { TestResult } from './test-result';
import { checkTwoByTwo } from './input-checks';

/**
 * Tables whose probability is within this relative distance of the observed one count as
 * "no more likely". Mirror-image tables of a symmetric distribution are mathematically equal
 * but differ in the last bits once computed; scipy uses 1e-14 on Boost's pmf, R's fisher.test
 * 1e-7. We take R's value because it is safely above the rounding of our pmf at 1e9 totals and
 * distinct integer tables essentially never land that close to each other.
 */
const RELATIVE_TIE_TOLERANCE = 1e-7;

export function fisherExact(
  canaryEvents: number,
  canaryTotal: number,
  baselineEvents: number,
  baselineTotal: number,
): TestResult {
  for (const count of [canaryEvents, canaryTotal, baselineEvents, baselineTotal]) {
    if (!Number.isSafeInteger(count)) throw new Error("Fisher's exact test needs whole-number counts");
  }
  checkTwoByTwo(canaryEvents, canaryTotal, baselineEvents, baselineTotal);

  const a = canaryEvents;
  const b = canaryTotal - canaryEvents;
  const c = baselineEvents;
  const d = baselineTotal - baselineEvents;
  const method = 'exact';
  if (a + c === 0 || b + d === 0) return { statistic: NaN, pValue: 1, method };
  const statistic = b > 0 && c > 0 ? (a * d) / (b * c) : Infinity;

  const h = new Hypergeometric(canaryTotal, baselineTotal, a + c);
  return { statistic, pValue: h.twoSidedPValue(a), method };
}

/**
 * Number of canary events x when `drawn` events are spread over a canary group of `n1` and a
 * baseline group of `n2` (scipy's hypergeom(M = n1 + n2, n = n1, N = drawn)).
 */
class Hypergeometric {
  readonly lo: number;
  readonly hi: number;
  readonly mode: number;
  private readonly p: number;
  private readonly q: number;
  private readonly logNormaliser: number;

  constructor(
    private readonly n1: number,
    private readonly n2: number,
    private readonly drawn: number,
  ) {
    const total = n1 + n2;
    this.lo = Math.max(0, drawn - n2);
    this.hi = Math.min(drawn, n1);
    this.mode = Math.floor(((drawn + 1) * (n1 + 1)) / (total + 2));
    this.p = drawn / total;
    this.q = (total - drawn) / total;
    this.logNormaliser = logBinomialPmf(drawn, total, this.p, this.q);
  }

  /** log P(X = x), accurate to a few ulps relative to the probability itself. */
  logPmf(x: number): number {
    if (x < this.lo || x > this.hi) return -Infinity;
    return (
      logBinomialPmf(x, this.n1, this.p, this.q) +
      logBinomialPmf(this.drawn - x, this.n2, this.p, this.q) -
      this.logNormaliser
    );
  }

  /** P(X = x + 1) / P(X = x): the exact recurrence, so neighbouring terms cost one division. */
  ratioUp(x: number): number {
    return ((this.n1 - x) * (this.drawn - x)) / ((x + 1) * (this.n2 - this.drawn + x + 1));
  }

  /** P(X = x - 1) / P(X = x). */
  ratioDown(x: number): number {
    return (x * (this.n2 - this.drawn + x)) / ((this.n1 - x + 1) * (this.drawn - x + 1));
  }

  twoSidedPValue(x: number): number {
    const logObserved = this.logPmf(x);
    const logThreshold = logObserved + Math.log1p(RELATIVE_TIE_TOLERANCE);
    if (x === this.mode || this.logPmf(this.mode) <= logThreshold) return 1;

    // The pmf is unimodal, so the observed table's own tail holds only less likely tables and
    // the far side contributes a tail starting where the pmf first drops to the observed level.
    // Both sums are taken relative to P(observed), so their terms stay near 1 even when
    // P(observed) is 1e-300 and only the final scaling can underflow.
    const below = x < this.mode;
    let relativeSum = this.sumTail(x, 1, below ? -1 : 1);
    const start = below ? this.firstUpAtOrBelow(logThreshold) : this.firstDownAtOrBelow(logThreshold);
    if (start !== undefined) {
      relativeSum += this.sumTail(start, Math.exp(this.logPmf(start) - logObserved), below ? 1 : -1);
    }
    return Math.min(1, Math.exp(logObserved + Math.log(relativeSum)));
  }

  /**
   * Sums term(from) + term(from + step) + ... away from the mode. The pmf is log-concave, so
   * successive ratios only shrink: with r the latest ratio and t the next term, everything not
   * yet added is at most t / (1 - r), and summing stops once that is below the last bit of the sum.
   */
  private sumTail(from: number, firstTerm: number, step: 1 | -1): number {
    let sum = 0;
    let term = firstTerm;
    for (let x = from; ; x += step) {
      sum += term;
      if (step === 1 ? x >= this.hi : x <= this.lo) return sum;
      const r = step === 1 ? this.ratioUp(x) : this.ratioDown(x);
      term *= r;
      if (r < 1 && term / (1 - r) < sum * 1e-17) return sum + term;
    }
  }

  /** Smallest x >= mode with log P(X = x) <= level, or undefined if the tail never gets there. */
  private firstUpAtOrBelow(level: number): number | undefined {
    if (this.logPmf(this.hi) > level) return undefined;
    let lo = this.mode;
    let hi = this.hi;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (this.logPmf(mid) <= level) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Largest x <= mode with log P(X = x) <= level, or undefined if the tail never gets there. */
  private firstDownAtOrBelow(level: number): number | undefined {
    if (this.logPmf(this.lo) > level) return undefined;
    let lo = this.lo;
    let hi = this.mode;
    while (lo < hi) {
      const mid = hi - Math.floor((hi - lo) / 2);
      if (this.logPmf(mid) <= level) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/**
 * log of the binomial pmf C(n, x) p^x q^(n-x) in Loader's form. Subtracting log-gamma values of
 * size ~n log n loses log10(n log n) digits (1e-8 relative at n = 1e6, 1e-5 at 1e9); writing the
 * pmf as Stirling's leading term times exp(-deviance) keeps full relative precision.
 */
function logBinomialPmf(x: number, n: number, p: number, q: number): number {
  if (x === 0) {
    if (n === 0) return 0;
    return p < 0.1 ? -deviance(n, n * q) - n * p : n * Math.log(q);
  }
  if (x === n) {
    return q < 0.1 ? -deviance(n, n * p) - n * q : n * Math.log(p);
  }
  const lc = stirlingError(n) - stirlingError(x) - stirlingError(n - x) - deviance(x, n * p) - deviance(n - x, n * q);
  const lf = LOG_2PI + Math.log(x) + Math.log1p(-x / n);
  return lc - 0.5 * lf;
}

const LOG_2PI = Math.log(2 * Math.PI);
const LOG_SQRT_2PI = 0.5 * LOG_2PI;

/** log(n!) minus its Stirling approximation, i.e. the error term of Stirling's formula. */
function stirlingError(n: number): number {
  // Below 16 the series converges too slowly; the log-gamma difference there cancels only
  // about two digits, leaving ~1e-15 absolute error.
  if (n <= 15) return gammaln(n + 1) - (n + 0.5) * Math.log(n) + n - LOG_SQRT_2PI;
  const nn = n * n;
  const s0 = 1 / 12;
  const s1 = 1 / 360;
  const s2 = 1 / 1260;
  const s3 = 1 / 1680;
  const s4 = 1 / 1188;
  if (n > 500) return (s0 - s1 / nn) / n;
  if (n > 80) return (s0 - (s1 - s2 / nn) / nn) / n;
  if (n > 35) return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n;
  return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
}

/** x log(x / m) + m - x without the cancellation of the direct form when x is close to m. */
function deviance(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    let v = (x - m) / (x + m);
    let s = (x - m) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const next = s + ej / (2 * j + 1);
      if (next === s) return next;
      s = next;
    }
  }
  return x * Math.log(x / m) + m - x;
}
