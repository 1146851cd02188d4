/**
 * Pooled two-proportion z test: is the canary's event rate different from the baseline's?
 *
 * Under the null hypothesis both groups share one rate, estimated by pooling them:
 * p = (ce + be) / (ct + bt). The difference of the observed rates divided by its standard
 * error under that null,
 *
 *   z = (ce/ct - be/bt) / sqrt(p (1 - p) (1/ct + 1/bt)),
 *
 * is approximately standard normal for large samples; z is positive when the canary's rate is
 * the higher one, and the two-sided p-value is 2 P(Z > |z|). The approximation needs a few
 * events (and non-events) in each group; for rare events prefer Fisher's exact test. The test
 * is the same as the chi-squared test on the 2x2 table without Yates' correction (z^2 = chi^2)
 * and as statsmodels' `proportions_ztest([ce, be], [ct, bt])` with its default pooled variance.
 *
 * When the pooled rate is 0 or 1 (no events at all, or nothing but events) the groups cannot
 * differ and the standard error is zero, so instead of 0/0 the result is statistic 0, p 1: the
 * data carry no evidence of a difference.
 *
 * Reference: Agresti, A. (2013) "Categorical Data Analysis" section 3.1.3;
 * https://en.wikipedia.org/wiki/Two-proportion_Z-test;
 * https://www.statsmodels.org/stable/generated/statsmodels.stats.proportion.proportions_ztest.html.
 *
 * @example twoProportionZ(60, 1000, 40, 1000) // { statistic: ~2.0519, pValue: ~0.0402, method: 'asymptotic' }
 */
import { normalSf } from './normal';
import type { TestResult } from './test-result';
import { checkTwoByTwo } from './input-checks';

export function twoProportionZ(
  canaryEvents: number,
  canaryTotal: number,
  baselineEvents: number,
  baselineTotal: number,
): TestResult {
  for (const count of [canaryEvents, canaryTotal, baselineEvents, baselineTotal]) {
    if (!Number.isFinite(count)) throw new Error('Counts must be finite numbers');
  }
  checkTwoByTwo(canaryEvents, canaryTotal, baselineEvents, baselineTotal);

  const method = 'asymptotic';
  const pooled = (canaryEvents + baselineEvents) / (canaryTotal + baselineTotal);
  if (pooled === 0 || pooled === 1) return { statistic: 0, pValue: 1, method };

  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / canaryTotal + 1 / baselineTotal));
  const statistic = (canaryEvents / canaryTotal - baselineEvents / baselineTotal) / standardError;
  // normalSf rather than 1 - cdf keeps p-values like 1e-40 instead of rounding them to 0.
  return { statistic, pValue: Math.min(1, 2 * normalSf(Math.abs(statistic))), method };
}
