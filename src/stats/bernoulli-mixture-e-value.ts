/**
 * The beta-binomial mixture e-value for a Bernoulli rate: evidence against H0: theta = theta0
 * after k successes in n trials that stays valid however often it is looked at.
 *
 *   E_n = integral prod_i (theta/theta0)^x_i ((1-theta)/(1-theta0))^(1-x_i) dBeta(theta; c*theta0, c*(1-theta0))
 *       = B(c*theta0 + k, c*(1-theta0) + n - k) / B(c*theta0, c*(1-theta0)) / (theta0^k (1-theta0)^(n-k))
 *
 * Under H0, E_n is a nonnegative martingale with mean 1, so by Ville's inequality
 * P(exists n: E_n >= 1/alpha) <= alpha: a test, and by inversion a confidence sequence, that
 * Argo's `count` or Flagger's interval may consult at every look without inflating errors.
 * The mixture is half a prior centred on theta0, with concentration c = v / (theta0 (1 -
 * theta0)), tightest around v units of intrinsic time (n * theta0 * (1 - theta0)) so rare
 * events (0.5 % errors) and common ones (a p50) are equally well served; and half a fixed
 * Jeffreys prior Beta(1/2, 1/2), which keeps evidence against a tiny theta0 when the data
 * sit far from it (3 errors in 100 requests against a 0.1 % baseline), where a centred prior
 * has almost no mass. An average of e-values is an e-value; the price is ln 2 of threshold.
 * v = 5 was chosen by comparing widths at the sample sizes of a 1 % -> 10 % -> 50 % rollout.
 *
 * Reference: Robbins, H. (1970) "Statistical methods related to the law of the iterated
 * logarithm", Ann. Math. Statist. 41; Howard, Ramdas, McAuliffe & Sekhon (2021) "Time-uniform,
 * nonparametric, nonasymptotic confidence sequences", Ann. Statist. 49(2), section 3 (beta-
 * binomial mixture); Lindon & Malek (2022) "Anytime-valid inference for multinomial count data".
 *
 * @example Math.exp(logBernoulliMixtureEValue(30, 1000, 0.01)) // ~9800: strong evidence that the rate is not 1 %
 */
import gammaln from '@stdlib/math-base-special-gammaln';

export const INTRINSIC_TIME = 5;

export function mixtureConcentration(theta0: number, intrinsicTime = INTRINSIC_TIME): number {
  return Math.min(1e9, Math.max(2, intrinsicTime / (theta0 * (1 - theta0))));
}

/** ln E_n for k successes of n against theta0 (0 < theta0 < 1): the half-centred, half-Jeffreys mixture. */
export function logBernoulliMixtureEValue(k: number, n: number, theta0: number): number {
  const centred = logCentredBetaBinomialEValue(k, n, theta0, mixtureConcentration(theta0));
  const jeffreys = logBetaBinomialEValue(k, n, theta0, 0.5, 0.5);
  const larger = Math.max(centred, jeffreys);
  return larger + Math.log(0.5 * (Math.exp(centred - larger) + Math.exp(jeffreys - larger)));
}

/** ln E_n with a single Beta prior centred on theta0 of the given concentration. */
export function logCentredBetaBinomialEValue(k: number, n: number, theta0: number, concentration: number): number {
  return logBetaBinomialEValue(k, n, theta0, concentration * theta0, concentration * (1 - theta0));
}

function logBetaBinomialEValue(k: number, n: number, theta0: number, a: number, b: number): number {
  if (!(theta0 > 0 && theta0 < 1)) throw new Error('theta0 must lie strictly between 0 and 1');
  if (!(k >= 0 && k <= n)) throw new Error('Successes must lie between 0 and the number of trials');
  return logBeta(a + k, b + n - k) - logBeta(a, b) - k * Math.log(theta0) - (n - k) * Math.log1p(-theta0);
}

function logBeta(a: number, b: number): number {
  return gammaln(a) + gammaln(b) - gammaln(a + b);
}
