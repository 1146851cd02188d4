/**
 * Population stability index (PSI): how far the canary's distribution over a set of bins has
 * moved from the baseline's.
 *
 * With b_i and c_i the proportions of baseline and canary observations in bin i,
 *
 *   PSI = sum over bins of (c_i - b_i) * ln(c_i / b_i),
 *
 * which is the symmetrised Kullback-Leibler divergence KL(c || b) + KL(b || c). It is 0 for
 * identical distributions and grows without bound. The customary reading (credit scoring,
 * adopted by Evidently and most drift monitors):
 *   - PSI < 0.1: stable, no meaningful shift;
 *   - 0.1 <= PSI <= 0.25: moderate shift, worth a look;
 *   - PSI > 0.25: significant shift.
 * These are rules of thumb, not significance levels: PSI has no p-value and, with few
 * observations per bin, sampling noise alone can push it past 0.1.
 *
 * An empty bin would make the logarithm infinite, so its proportion is replaced by 1e-4
 * (without renormalising), the value Evidently's `get_binned_data(feel_zeroes=True)` uses. Unlike
 * Evidently we do not switch to (smallest non-zero proportion) / 1e6 when some occupied bin
 * holds less than 1e-4: a fixed epsilon keeps the index comparable between runs. A bin empty on
 * both sides contributes nothing.
 *
 * Reference: Yurdakul, B. (2018) "Statistical Properties of Population Stability Index", Western
 * Michigan University dissertation; Siddiqi, N. (2006) "Credit Risk Scorecards";
 * https://github.com/evidentlyai/evidently (stattests/psi.py and stattests/utils.py).
 *
 * @example populationStabilityIndex([50, 30, 20], [40, 30, 30]) // ~0.0629
 */
import { checkedCountsTotal } from './input-checks';

/** Stand-in proportion for an empty bin, as in Evidently. */
const EMPTY_BIN_PROPORTION = 1e-4;

export function populationStabilityIndex(
  baselineCounts: ArrayLike<number>,
  canaryCounts: ArrayLike<number>,
): number {
  if (baselineCounts.length !== canaryCounts.length) {
    throw new Error('Baseline and canary must have the same number of bins');
  }
  const baselineTotal = checkedCountsTotal(baselineCounts);
  const canaryTotal = checkedCountsTotal(canaryCounts);
  if (!(baselineTotal > 0 && canaryTotal > 0)) throw new Error('Both totals must be positive');

  let psi = 0;
  for (let i = 0; i < baselineCounts.length; i++) {
    const b = proportion(baselineCounts[i], baselineTotal);
    const c = proportion(canaryCounts[i], canaryTotal);
    psi += (c - b) * Math.log(c / b);
  }
  return psi;
}


function proportion(count: number, total: number): number {
  return count === 0 ? EMPTY_BIN_PROPORTION : count / total;
}
