/**
 * Total variation distance between two discrete distributions given as counts over the same
 * categories: half the sum of the absolute differences of their shares, the largest difference
 * in probability the two give any set of categories (0: the same mix, 1: disjoint).
 *
 *   TV(p, q) = 1/2 sum_i |p_i / sum p - q_i / sum q|
 *
 * Reference: Levin, D. A., Peres, Y. & Wilmer, E. L. (2017) "Markov Chains and Mixing Times",
 * 2nd ed., section 4.1; https://en.wikipedia.org/wiki/Total_variation_distance_of_probability_measures.
 *
 * @example totalVariationDistance([1, 1], [3, 1]) // 0.25
 */
export function totalVariationDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new Error('Both distributions need the same categories');
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) (sp += p[i]), (sq += q[i]);
  if (!(sp > 0 && sq > 0)) throw new Error('Neither distribution can be empty');
  let distance = 0;
  for (let i = 0; i < p.length; i++) distance += Math.abs(p[i] / sp - q[i] / sq);
  return distance / 2;
}
