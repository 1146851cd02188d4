/**
 * Confidence bounds for a difference of two proportions (canary - baseline), by Newcombe's
 * hybrid score method: combine each side's Wilson bounds through the square-root rule.
 *
 * Among the closed-form intervals it is the one Newcombe found to keep coverage with zero
 * events on either side, which is the usual state of an error counter at 1 % canary traffic.
 *
 * Reference: Newcombe, R. G. (1998) "Interval estimation for the difference between
 * independent proportions: comparison of eleven methods", Statistics in Medicine 17,
 * method 10.
 *
 * @example newcombeDifferenceBounds(3, 100, 12, 9900, 0.05, 0.05) // { lower: ~0.0108, upper: ~0.0715 }
 */
import type { Bounds } from './quantile-bounds';
import { wilsonBounds } from './wilson-bounds';

export function newcombeDifferenceBounds(
  canaryEvents: number,
  canaryTotal: number,
  baselineEvents: number,
  baselineTotal: number,
  alphaLower: number,
  alphaUpper: number,
): Bounds {
  const pc = canaryEvents / canaryTotal;
  const pb = baselineEvents / baselineTotal;
  // The lower bound of pc - pb pairs the canary's lower with the baseline's upper Wilson bound.
  const canaryForLower = wilsonBounds(canaryEvents, canaryTotal, alphaLower, alphaLower);
  const baselineForLower = wilsonBounds(baselineEvents, baselineTotal, alphaLower, alphaLower);
  const canaryForUpper = wilsonBounds(canaryEvents, canaryTotal, alphaUpper, alphaUpper);
  const baselineForUpper = wilsonBounds(baselineEvents, baselineTotal, alphaUpper, alphaUpper);
  const difference = pc - pb;
  return {
    lower: difference - Math.hypot(pc - canaryForLower.lower, baselineForLower.upper - pb),
    upper: difference + Math.hypot(canaryForUpper.upper - pc, pb - baselineForUpper.lower),
  };
}
