/**
 * Two margins are alternatives (a rate may rise to 1.5x or by 0.1 pp): the metric fails when
 * both checks' fail claims have held, and passes on either check's pass. A check whose own
 * fail claim has held carries no pass, though: its evidence shows its margin crossed. Found by
 * the decision benchmark's agreement check (errors-3x-timing, errors in clusters): 5 looks at
 * which the error metric passed on the ratio with the ratio's interval +72 % to +255 % against
 * a +50 % margin; the difference's fail claim had not held yet, so the ratio's sticky pass stood.
 */
import { decideByFirstCrossing, type CrossingCheck } from '../../src/judge/first-crossing';
import { verdictOfClaims } from '../../src/judge/timeline-checks';
import type { Effect } from '../../src/judge/types';

const T = true;
const F = false;
/** The ratio: passed at look 2, its fail claim held from look 4. */
const ratio = { claims: { failing: [F, F, F, T, T], passing: [F, T, T, T, T] } };
/** The difference: neither claim yet. */
const difference = { claims: { failing: [F, F, F, F, F], passing: [F, F, F, F, F] } };

describe('a pass on a margin its own evidence shows crossed', () => {
  it('per-interval timelines: the pass stands until the same check fails, then the metric is inconclusive', () => {
    expect(verdictOfClaims([ratio, difference], 3)).toEqual({ verdict: 'pass', decidedAt: 2 });
    expect(verdictOfClaims([ratio, difference], 4)).toEqual({ verdict: 'inconclusive' });
    expect(verdictOfClaims([ratio, difference], 5)).toEqual({ verdict: 'inconclusive' });
    // The other margin's pass still counts: margins are alternatives.
    const differencePasses = { claims: { failing: [F, F, F, F, F], passing: [F, F, F, T, T] } };
    expect(verdictOfClaims([ratio, differencePasses], 5)).toEqual({ verdict: 'pass', decidedAt: 4 });
    // Both failed: fail, at the later of the two.
    const differenceFails = { claims: { failing: [F, F, F, F, T], passing: [F, F, F, F, F] } };
    expect(verdictOfClaims([ratio, differenceFails], 5)).toEqual({ verdict: 'fail', decidedAt: 5 });
  });

  it('first-crossing runs (the mean, distributions): the same rule', () => {
    const effect: Effect = { measure: 'm', unit: 'relative', estimate: 0, lower: 0, upper: 0, tolerance: 0.5 };
    // The claims as a run of `looks` looks has them.
    const check = (claims: (typeof ratio)['claims'], looks: number): CrossingCheck => ({
      claims: { failing: claims.failing.slice(0, looks), passing: claims.passing.slice(0, looks) },
      effectAt: () => effect,
      seriesLooks: [],
      series: () => [],
    });
    expect(decideByFirstCrossing([check(ratio.claims, 3), check(difference.claims, 3)], 3).verdict).toBe('pass');
    const later = decideByFirstCrossing([check(ratio.claims, 5), check(difference.claims, 5)], 5);
    expect(later.verdict).toBe('inconclusive');
    expect(later.still).toBe(false);
  });
});
