/**
 * McNemar's exact test of equal accuracy on paired outcomes: of the discordant pairs (one model
 * right, the other wrong), each is equally likely to favour either model when the accuracies are
 * equal, so given their number m = b + c, the count c favouring the second model is
 * Binomial(m, 1/2) whatever the concordant pairs do. The two-sided p-value is
 * min(1, 2 P(X <= min(b, c))), X ~ Binomial(m, 1/2): the conditional exact test. With no
 * discordant pair there is no evidence either way: p = 1.
 *
 * A fixed-sample test of "no difference", reported to explain a paired verdict; the verdict
 * itself rests on the margin (src/judge/paired.ts).
 *
 * Reference: McNemar, Q. (1947) "Note on the sampling error of the difference between
 * correlated proportions or percentages", Psychometrika 12(2); Fagerland, M. W., Lydersen, S. &
 * Laake, P. (2013) "The McNemar test for binary matched-pairs data: mid-p and asymptotic are
 * better than exact conditional", BMC Med. Res. Methodol. 13:91 (the exact conditional form);
 * statsmodels' mcnemar(exact=True) and scipy.stats.binomtest(c, b + c, 0.5) compute the same.
 *
 * @example mcnemarExact(130, 58) // { statistic: 58, pValue: ~1.6e-7, method: 'exact conditional (binomial, 188 discordant pairs)' }
 */
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import type { TestResult } from './test-result';

/** b: pairs only the first model got right; c: pairs only the second got right. The statistic is min(b, c), as statsmodels reports it. */
export function mcnemarExact(b: number, c: number): TestResult {
  if (!(Number.isInteger(b) && Number.isInteger(c) && b >= 0 && c >= 0)) throw new Error('Discordant counts must be whole numbers, not negative');
  const m = b + c;
  const smaller = Math.min(b, c);
  const method = `exact conditional (binomial, ${m.toLocaleString('en-US')} discordant pairs)`;
  if (m === 0) return { statistic: 0, pValue: 1, method };
  return { statistic: smaller, pValue: Math.min(1, 2 * binomialCdf(smaller, m, 0.5)), method };
}
