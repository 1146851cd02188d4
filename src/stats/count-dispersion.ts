/**
 * How much more variable per-interval event counts are than Poisson counts (the index of
 * dispersion phi), estimated from consecutive intervals, and the tempering that keeps the
 * conditional e-processes valid when events come in clusters.
 *
 * Why: with sticky routing one user's retries, or one bad session, put many errors on one
 * side at once. Counts are then compound: K events per cluster, clusters arriving as Poisson,
 * so Var = phi x mean with phi = E[K^2] / E[K] (K for clusters of a fixed size). The
 * conditional binomial of the rate tests then sees c_i = K Y_i, Y_i ~ Binomial(E_i / K, p): its
 * likelihood ratio, built for single events, overstates the evidence about K-fold, and one
 * cluster of 20 errors on a canary at 1 % reads as decisive.
 *
 * The tempering: raise each interval's factor to the power 1/phi. For a factor exp(t c -
 * n psi(t)) with psi convex and psi(0) = 0 (the binomial's ln(1 + p (e^t - 1)), per event or
 * per request), and c = K Y with Y drawn per cluster, E exp((t K Y - n psi(t)) / phi) =
 * exp((n / K) psi(t K / phi) - (n / phi) psi(t)) <= 1 whenever phi >= K, because psi(l t) <=
 * l psi(t) for l in [0, 1]. So a tempered factor keeps mean at most 1 under the null, for the
 * conditional rate-ratio mixture (src/stats/conditional-rate-ratio-e-process.ts) and the
 * numeraire difference factor (src/stats/rate-difference-e-process.ts, each side's moment
 * tempered the same way): the product stays an e-process, with about 1/phi of the evidence of
 * single events, which is what clustered events carry.
 *
 * The estimate: for consecutive intervals (x1, n1), (x2, n2) of one count (events, exposure),
 * x2 given x1 + x2 is Binomial(x1 + x2, n2 / (n1 + n2)) under a steady rate, and its Pearson
 * statistic P = (x2 - (x1 + x2) q)^2 / ((x1 + x2) q (1 - q)) has mean about phi (McCullagh &
 * Nelder 1989, the Pearson estimate of dispersion), sum P / phi about chi-squared(k) after k
 * pairs. Each P is winsorized at WINSOR phi (a Huber-type estimate, the smallest fixed point;
 * the mean of chi-squared(1) so winsorized, WINSOR_MEAN, rescales it): a pair that spans the
 * start or end of an outage is a change of rate, not noise, and must not temper the rest of
 * the rollout (it moves the estimate by its share of the pairs, whatever its size), while for
 * clusters' pairs (phi times a chi-squared-like variable) the rescaling keeps it consistent. The counts are taken as Poisson
 * (phi = 1) until the rescaled sum lies beyond the chi-squared quantile at 1 - SIGNIFICANCE
 * (Cochran's dispersion test): on Poisson counts the estimate wanders around 1, and tempering by
 * that noise would throw evidence away for nothing. Then phi is its upper confidence bound at
 * CONFIDENCE, the rescaled sum over the chi-squared(k) quantile at 1 - CONFIDENCE (Wilson-
 * Hilferty): tempering by less than the clusters' size leaves evidence overstated, so while few
 * pairs pin it down the bound errs towards more tempering. Consecutive pairs make a slow trend
 * (the rate rising with the time of day) cost nothing; which pairs and counts it may read is the
 * caller's to decide (src/judge/interval-settling.ts feeds it counts the tests condition on,
 * not across a weight step).
 *
 * References: McCullagh, P. & Nelder, J. A. (1989) "Generalized Linear Models", 2nd ed.,
 * section 4.5 (overdispersion, the Pearson estimate); Cox, D. R. (1983) "Some remarks on
 * overdispersion", Biometrika 70(1); Grunwald, P. & van Ommen, T. (2017) "Inconsistency of
 * Bayesian inference for misspecified linear models, and a proposal for repairing it",
 * Bayesian Analysis 12(4) (tempered likelihoods, learning rate 1/phi); Cochran, W. G. (1954)
 * "Some methods for strengthening the common chi-squared tests", Biometrics 10(4) (the
 * index-of-dispersion test); Huber, P. J. (1964) "Robust estimation of a location parameter",
 * Ann. Math. Statist. 35(1) (winsorized M-estimation); Wilson, E. B. & Hilferty, M. M. (1931)
 * "The distribution of chi-square", PNAS 17(12).
 *
 * @example
 * const d = new CountDispersion();
 * d.add({ events: 40, exposure: 9900 }, { events: 0, exposure: 9900 }); // a cluster of 40, then none
 * d.value // > 1
 */

import gammainc from '@stdlib/math-base-special-gammainc';
import { normalQuantileOf } from './normal';

/** One interval's count and its exposure (requests, or observations). */
export interface Count {
  readonly events: number;
  readonly exposure: number;
}

/** The Pearson statistic of two consecutive counts under a steady rate; null without events. */
export function pairStatistic(first: Count, second: Count): number | null {
  const events = first.events + second.events;
  if (!(events > 0 && first.exposure > 0 && second.exposure > 0)) return null;
  const q = second.exposure / (first.exposure + second.exposure);
  return (second.events - events * q) ** 2 / (events * q * (1 - q));
}

/** The dispersion test's level: below it the counts are taken as Poisson (phi = 1). */
export const SIGNIFICANCE = 0.001;
/** Each pair's statistic is winsorized at this many times the dispersion (chi-squared(1)'s 92nd percentile). */
export const WINSOR = 3;
/** E[min(X, WINSOR)] for X chi-squared(1): F_3(c) + c (1 - F_1(c)), since x f_1(x) = f_3(x). */
const WINSOR_MEAN = gammainc(WINSOR / 2, 1.5) + WINSOR * gammainc(WINSOR / 2, 0.5, true, true);

/** The running estimate of phi over consecutive pairs, fed in order. */
export class CountDispersion {
  private readonly statistics: number[] = [];
  /** The value for the current pairs (an iteration: computed once per change). */
  private cached = 1;
  private cachedAt = 0;

  /** Adds the pair (first, second); returns whether it counted (false: no events). */
  add(first: Count, second: Count): boolean {
    const p = pairStatistic(first, second);
    if (p === null) return false;
    this.statistics.push(p);
    return true;
  }

  get pairs(): number {
    return this.statistics.length;
  }

  /**
   * The index of dispersion: 1 until the counts are shown overdispersed, then its upper
   * confidence bound at CONFIDENCE (the winsorized sum over phi is about chi-squared with
   * `pairs` degrees of freedom): tempering by less than the clusters' size leaves evidence
   * overstated, so the bound errs towards more tempering while few pairs pin it down.
   */
  get value(): number {
    const k = this.statistics.length;
    if (this.cachedAt === k) return this.cached;
    this.cachedAt = k;
    this.cached = 1;
    if (k === 0) return this.cached;
    // The smallest fixed point of phi = mean(min(P, WINSOR phi)) / WINSOR_MEAN at or above 1, from 1 up:
    // a few pairs far out (an outage's edges) move it by their share, not their size.
    let phi = 1;
    let sum = 0;
    for (let i = 0; i < 50; i++) {
      sum = this.statistics.reduce((a, p) => a + Math.min(p, WINSOR * phi), 0);
      const next = Math.max(1, sum / k / WINSOR_MEAN);
      if (Math.abs(next - phi) <= 1e-9 * phi) break;
      phi = next;
    }
    // Overdispersed when the winsorized sum, scaled to Poisson counts, is beyond chi-squared(k).
    if (gammainc(sum / WINSOR_MEAN / 2, k / 2, true, true) < SIGNIFICANCE) this.cached = Math.max(1, sum / WINSOR_MEAN / chiSquaredLowerQuantile(1 - CONFIDENCE, k));
    return this.cached;
  }
}

/** The confidence of the dispersion's upper bound. */
export const CONFIDENCE = 0.75;

/**
 * The q-quantile of chi-squared with k degrees of freedom by the Wilson-Hilferty cube-root
 * approximation (within 5 % of it at k = 1 and 2 % from k = 2 at the quartiles, which is all a
 * confidence bound on a dispersion needs; Johnson, Kotz & Balakrishnan 1994, 18.5).
 */
export function chiSquaredLowerQuantile(q: number, k: number): number {
  const v = 2 / (9 * k);
  return k * Math.max(0, 1 - v + normalQuantileOf(q) * Math.sqrt(v)) ** 3;
}
