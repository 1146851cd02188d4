/**
 * Fixed-sample bounds for the difference of two correlated proportions on the same pairs (v2's
 * accuracy minus v1's, pi_c - pi_b in McNemar's table of n labelled pairs: b pairs only v1 got
 * right, c only v2), exact at one look.
 *
 * The difference factors into the discordance rate and the discordant pairs' split:
 * pi_c - pi_b = (2 theta - 1) pi_d, with pi_d = pi_b + pi_c (the share of pairs where exactly
 * one model is right) and theta = pi_c / pi_d (the share of those that favour v2). Given the
 * m = b + c discordant pairs, c ~ Binomial(m, theta) whatever the concordant pairs do (McNemar's
 * conditioning), and m ~ Binomial(n, pi_d). So an exact Clopper-Pearson bound for theta (on c of
 * m) and one for pi_d (on m of n), each at half the one-sided alpha, bound the difference: the
 * lower bound is (2 theta_lower - 1) times pi_d's lower bound when that factor is positive and
 * its upper bound otherwise (the upper bound mirrors it). Both can err at most alpha / 2 (the
 * conditional one for every m, so also unconditionally), and by the union bound the difference's
 * bound at most alpha. The interval is exact in this sense and conservative; near a zero
 * difference its width is about that of the Wald interval sqrt(pi_d / n).
 *
 * References: McNemar, Q. (1947) Psychometrika 12(2) (the conditional split of discordant
 * pairs); Clopper, C. J. & Pearson, E. S. (1934) Biometrika 26(4); Fagerland, M. W., Lydersen,
 * S. & Laake, P. (2014) "Recommended tests and confidence intervals for paired binomial
 * proportions", Statist. Med. 33(16) (the intervals for pi_c - pi_b and their coverage).
 *
 * @example pairedDifferenceBounds(130, 58, 4000, 0.025, 0.025) // { lower: ~-0.0292, upper: ~-0.0088 }
 */
import { clopperPearsonBounds } from './clopper-pearson-bounds';
import type { Bounds } from './quantile-bounds';

/** b: pairs only the first model got right; c: only the second; n: all pairs (concordant too). Bounds on (c - b) / n's expectation. */
export function pairedDifferenceBounds(b: number, c: number, n: number, alphaLower: number, alphaUpper: number): Bounds {
  if (!(Number.isInteger(b) && Number.isInteger(c) && Number.isInteger(n) && b >= 0 && c >= 0 && b + c <= n)) throw new Error('Discordant counts must be whole numbers within the pairs');
  if (n === 0) return { lower: -1, upper: 1 };
  const m = b + c;
  const split = clopperPearsonBounds(c, m, alphaLower / 2, alphaUpper / 2);
  // pi_d's bounds at the halves of the sides they serve: the lower bound of the difference uses
  // pi_d's upper (when the split's factor is negative) or lower bound, each at alphaLower / 2.
  const forLower = clopperPearsonBounds(m, n, alphaLower / 2, alphaLower / 2);
  const forUpper = clopperPearsonBounds(m, n, alphaUpper / 2, alphaUpper / 2);
  const low = 2 * split.lower - 1;
  const high = 2 * split.upper - 1;
  return {
    lower: low >= 0 ? low * forLower.lower : low * forLower.upper,
    upper: high >= 0 ? high * forUpper.upper : high * forUpper.lower,
  };
}
