/**
 * Half-width of a simultaneous confidence band for an empirical CDF (Dvoretzky-Kiefer-
 * Wolfowitz inequality with Massart's tight constant):
 *   P( sup_x |F_n(x) - F(x)| > eps ) <= 2 exp(-2 n eps^2),  so  eps = sqrt(ln(2/alpha) / (2n)).
 *
 * The band holds for every x at once and for any distribution, including binned data read at
 * bucket bounds, which is what lets the judge bound a KS distance between canary and baseline:
 * |D_true - D_observed| <= eps_canary + eps_baseline when both bands hold.
 *
 * Reference: Massart, P. (1990) "The tight constant in the Dvoretzky-Kiefer-Wolfowitz
 * inequality", Annals of Probability 18(3).
 *
 * @example dkwHalfWidth(1000, 0.05) // ~0.0429
 */
export function dkwHalfWidth(n: number, alpha: number): number {
  if (n <= 0) return Infinity;
  return Math.sqrt(Math.log(2 / alpha) / (2 * n));
}
