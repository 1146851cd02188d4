/**
 * Half-width of the mixture-SPRT confidence sequence for an asymptotically normal estimator:
 * with estimator variance v and a N(0, tau^2) mixture over the effect,
 *   Z +- sqrt( v (v + tau^2) / tau^2 * ln( (v + tau^2) / (v alpha^2) ) )
 * covers the true effect at every look at once (Ville's inequality applied to the mixture
 * likelihood ratio). Written in the estimator's variance v = sigma_c^2/n_c + sigma_b^2/n_b, it
 * serves unequal and growing sample sizes; with n per arm it is Johari et al.'s formula with
 * v = V/n. tau is the effect size the test is tuned for, in the estimator's units.
 *
 * Reference: Johari, R., Koomen, P., Pekelis, L. & Walsh, D. (2022) "Always valid inference:
 * continuous monitoring of A/B tests", Operations Research 70(3); Robbins (1970).
 *
 * @example mixtureSprtHalfWidth(0.01, 0.05, 0.1) // ~0.36 (the fixed-sample 1.96 * 0.1 is 0.196)
 */
export function mixtureSprtHalfWidth(variance: number, alpha: number, tau: number): number {
  if (!(variance > 0)) return variance === 0 ? 0 : Infinity;
  const tau2 = tau * tau;
  return Math.sqrt(((variance * (variance + tau2)) / tau2) * Math.log((variance + tau2) / (variance * alpha * alpha)));
}
