/**
 * Pearson's chi-squared test of homogeneity: do canary and baseline spread over the same
 * categories (status codes, histogram buckets, outcome classes) in the same proportions?
 *
 * The two count vectors form a 2 x k contingency table. Under the null hypothesis each cell's
 * expected count is rowTotal * columnTotal / grandTotal, and
 *
 *   chi^2 = sum over cells of (observed - expected)^2 / expected
 *
 * is approximately chi-squared with k - 1 degrees of freedom. With only two categories
 * (dof = 1) Yates' continuity correction moves each observed count up to 0.5 towards its
 * expectation first, as scipy does by default. Like any asymptotic test it wants expected
 * counts of about 5 or more per cell; use Fisher's exact test for a sparse 2x2 table.
 *
 * The result equals `scipy.stats.chi2_contingency([canary, baseline])` with default arguments.
 * Categories empty in both samples are dropped first (scipy refuses them, their expected count
 * being zero); if fewer than two categories remain there is nothing to compare and the result
 * is statistic 0, p 1, dof 0.
 *
 * Reference: Agresti, A. (2013) "Categorical Data Analysis" section 3.2;
 * https://en.wikipedia.org/wiki/Pearson%27s_chi-squared_test;
 * https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.chi2_contingency.html.
 *
 * @example chiSquaredHomogeneity([90, 8, 2], [950, 40, 10]) // { statistic: ~4.407, pValue: ~0.1104, dof: 2, ... }
 */
import gammainc from '@stdlib/math-base-special-gammainc';
import type { TestResult } from './test-result';

export function chiSquaredHomogeneity(
  canaryCounts: ArrayLike<number>,
  baselineCounts: ArrayLike<number>,
): TestResult & { dof: number } {
  if (canaryCounts.length !== baselineCounts.length) {
    throw new Error('Canary and baseline must have the same number of categories');
  }
  const canary: number[] = [];
  const baseline: number[] = [];
  let canaryTotal = 0;
  let baselineTotal = 0;
  for (let i = 0; i < canaryCounts.length; i++) {
    const c = canaryCounts[i];
    const b = baselineCounts[i];
    if (!(Number.isFinite(c) && Number.isFinite(b))) throw new Error('Counts must be finite numbers');
    if (c < 0 || b < 0) throw new Error('Counts must not be negative');
    if (c === 0 && b === 0) continue;
    canary.push(c);
    baseline.push(b);
    canaryTotal += c;
    baselineTotal += b;
  }
  if (!(canaryTotal > 0 && baselineTotal > 0)) throw new Error('Both totals must be positive');

  const k = canary.length;
  if (k < 2) return { statistic: 0, pValue: 1, dof: 0, method: 'asymptotic' };

  const dof = k - 1;
  const yates = dof === 1;
  const grandTotal = canaryTotal + baselineTotal;
  let statistic = 0;
  for (let j = 0; j < k; j++) {
    const columnTotal = canary[j] + baseline[j];
    statistic += cellTerm(canary[j], (canaryTotal * columnTotal) / grandTotal, yates);
    statistic += cellTerm(baseline[j], (baselineTotal * columnTotal) / grandTotal, yates);
  }
  // The chi-squared survival function is the regularised upper incomplete gamma Q(dof/2, x/2).
  const pValue = gammainc(statistic / 2, dof / 2, true, true);
  return { statistic, pValue, dof, method: yates ? 'asymptotic, Yates-corrected' : 'asymptotic' };
}

function cellTerm(observed: number, expected: number, yates: boolean): number {
  let diff = observed - expected;
  // Yates never overshoots: a cell already within 0.5 of its expectation contributes zero.
  if (yates) diff = Math.sign(diff) * Math.max(0, Math.abs(diff) - 0.5);
  return (diff * diff) / expected;
}
