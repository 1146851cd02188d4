/**
 * Direct standardisation: a group's figure (a rate, a mean, a category's share) computed per
 * stratum and averaged with the weights of a standard population instead of the group's own.
 *
 *   standardised = sum_s w_s x_s / sum_s w_s
 *
 * With the baseline's mix of strata as the standard (w_s = the baseline's observations in
 * stratum s), the canary's standardised figure is what the canary would show on the baseline's
 * traffic; the baseline's own crude figure is its standardised one. Comparing the two removes
 * the part of the crude difference that only reflects a different mix, which is what makes
 * pooled comparisons reverse under Simpson's paradox (the canary gets more of the easy
 * tenants). Strata with zero weight do not count; with no weight at all the result is NaN.
 *
 * Reference: Fleiss, J. L., Levin, B. & Paik, M. C. (2003) "Statistical Methods for Rates and
 * Proportions", 3rd ed., chapter 19 ("The standardization of rates"); Rothman, K. J., Greenland,
 * S. & Lash, T. L. (2008) "Modern Epidemiology", 3rd ed., chapter 4 (standardized measures);
 * Simpson, E. H. (1951) J. R. Stat. Soc. B 13(2).
 *
 * @example directlyStandardised([0.02, 0.15], [1000, 9000]) // 0.137
 */
export function directlyStandardised(values: ArrayLike<number>, weights: ArrayLike<number>): number {
  if (values.length !== weights.length) throw new Error('Every stratum needs a value and a weight');
  let weighted = 0;
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const w = weights[i];
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`Weights must be finite and non-negative, got ${w}`);
    if (w === 0) continue;
    weighted += w * values[i];
    total += w;
  }
  return total > 0 ? weighted / total : NaN;
}
