/**
 * Half-width of a time-uniform confidence band for an empirical CDF: with probability
 * 1 - alpha, sup_x |F_n(x) - F(x)| <= eps_n holds for every n at once, where
 *   eps_n(alpha) = 0.85 * sqrt( (ln ln(e*n) + 0.8 * ln(1612/alpha)) / n ).
 * It replaces the fixed-sample DKW-Massart band when a rollout looks again and again; the
 * judge bounds a Kolmogorov-Smirnov distance with it (a sequential KS test), on raw values or
 * on histograms read at their bucket bounds.
 *
 * Reference: Howard, S. R. & Ramdas, A. (2022) "Sequential estimation of quantiles with
 * applications to A/B-testing and best-arm identification", Bernoulli 28(3), Theorem 5.
 *
 * @example dkwConfidenceSequenceHalfWidth(10000, 0.05) // ~0.0277
 */
export function dkwConfidenceSequenceHalfWidth(n: number, alpha: number): number {
  if (n <= 0) return Infinity;
  return 0.85 * Math.sqrt((Math.log(Math.log(Math.E * n)) + 0.8 * Math.log(1612 / alpha)) / n);
}
