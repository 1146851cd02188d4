/**
 * Distribution metrics with a timeline (anytime-valid evidence): the Kolmogorov-Smirnov
 * distance matched in time, src/stats/matched-ks-distance-e-process.ts, and the drift tools'
 * effect sizes read against the baseline reweighted to the canary's traffic over time
 * (src/stats/time-matched-baseline.ts).
 *
 * Why: re-judged on cumulative prefixes, each side's pooled data mix the times that side was
 * served, so model scores drifting 1 sd over the rollout on both sides (time of day) failed
 * every one of 150 A/A rollouts on the KS distance (issue 21): the canary's traffic is late, the
 * baseline's early. Per interval, each CDF difference is judged at its own minute.
 *
 * Claims: fail when a side's distance (towards higher canary values, lower, or either, by the
 * metric's direction; `either` splits the fail rate between the two) has been shown beyond the
 * margin; pass when every side's has been shown within it (each at the full pass rate). The
 * reported effect is the distance's: the matched estimate (the largest Mantel-Haenszel CDF
 * difference on the grid) and its bounds, the running intersection over the looks so far.
 * Verdicts follow the canary (src/judge/first-crossing.ts): a fail at any look stands; a pass
 * rests on the intervals at the canary's current weight.
 */
import {
  ksDistanceBoundsAt,
  ksPassClaims,
  logKsFailEProcess,
  matchedKs,
  matchedKsEstimate,
  type KsInterval,
  type KsSide,
  type MatchedKs,
} from '../stats/matched-ks-distance-e-process';
import { lookOf } from './look-series';
import type { MetricContext } from './metric-context';
import { intervalPair } from './quantile-timeline';
import { decideByFirstCrossing, followTheCanary } from './first-crossing';
import type { Claims, TimelineDecision } from './timeline-checks';
import type { Bounds, Direction, ValuesInterval } from './types';
import { looksToJudge } from './timeline';

/** Looks a distribution's series lists: each look's upper bound searches every cell of the grid, so fewer than other kinds' 12. */
export const DISTRIBUTION_SERIES_LOOKS = 6;

export interface DistributionTimeline extends TimelineDecision {
  /** The largest share of the baseline one cell of the grid holds: a pass needs the distance shown below the margin minus it. */
  readonly widestCell: number;
  readonly intervals: readonly KsInterval[];
}

export function judgeDistributionTimeline(baseline: readonly ValuesInterval[], canary: readonly ValuesInterval[], tol: number, direction: Direction, ctx: MetricContext): DistributionTimeline {
  const intervals = baseline.map((b, i) => intervalPair(b, canary[i]));
  const sides: KsSide[] = direction === 'increase' ? ['higher'] : direction === 'decrease' ? ['lower'] : ['higher', 'lower'];
  const failAlpha = ctx.rates.fail / sides.length;
  const whole = matchedKs(intervals);
  // The intervals from `start` on, judged as a run of their own (src/judge/first-crossing.ts).
  const decideFrom = (start: number) => {
    const m = start === 0 ? whole : matchedKs(intervals.slice(start));
    const looks = m.looks;
    // A distance only grows with harm: its lower bound takes the fail rate (split between the
    // sides), its upper the pass rate. Memoised, and computed for all the looks a decision reports
    // at once (src/stats/matched-ks-distance-e-process.ts shares the cells' tests between them).
    const known = new Map<number, Bounds>();
    const boundsAtLooks = (wanted: readonly number[]): Bounds[] => {
      const missing = [...new Set(wanted)].filter((look) => !known.has(look));
      if (missing.length) {
        const each = sides.map((side) => ksDistanceBoundsAt(m, side, failAlpha, ctx.rates.pass, missing.map((look) => look + 1)));
        missing.forEach((look, i) => known.set(look, { lower: Math.max(...each.map((b) => b[i].lower)), upper: Math.max(...each.map((b) => b[i].upper)) }));
      }
      return wanted.map((look) => known.get(look)!);
    };
    const seriesLooks = looksToJudge(looks, DISTRIBUTION_SERIES_LOOKS).map((look) => look - 1);
    const estimateAt = (look: number) => Math.max(...sides.map((side) => matchedKsEstimate(m, side, look + 1)));
    const effectOf = (estimate: number, bounds: Bounds) => ({ measure: 'Kolmogorov-Smirnov distance', unit: 'distance' as const, estimate, ...bounds, tolerance: tol });
    return decideByFirstCrossing(
      [
        {
          claims: claims(m, tol, sides, failAlpha, ctx.rates.pass),
          seriesLooks,
          series: (series) => boundsAtLooks(series).map((bounds, i) => lookOf(series[i] + 1, { estimate: estimateAt(series[i]), ...bounds })),
          // The latest look's bounds are the running intersection over every look, the deciding one's
          // included; the series' looks are bounded in the same pass.
          effectAt: (_verdict, look) => effectOf(estimateAt(looks - 1), boundsAtLooks([looks - 1, look, ...seriesLooks])[0]),
        },
      ],
      looks,
    );
  };
  const sizes = intervals.map((i) => ({ canaryTotal: i.canary.n, baselineTotal: i.baseline.n }));
  const decision = followTheCanary(decideFrom, sizes, ctx.evidence.sequential === true);
  return { ...decision, widestCell: widestCell(whole), intervals };
}

function claims(m: MatchedKs, tol: number, sides: readonly KsSide[], failAlpha: number, passAlpha: number): Claims {
  const looks = m.looks;
  // A distance of a whole CDF (or more) can never be exceeded: fail never, pass at once.
  if (!(tol < 1)) return { failing: Array(looks).fill(false), passing: Array(looks).fill(true) };
  const threshold = Math.log(1 / failAlpha);
  const fails = sides.map((side) => Array.from(logKsFailEProcess(m, tol, side), (x) => x >= threshold));
  const passes = sides.map((side) => ksPassClaims(m, tol, side, passAlpha));
  return {
    failing: Array.from({ length: looks }, (_, k) => fails.some((f) => f[k])),
    passing: Array.from({ length: looks }, (_, k) => passes.every((p) => p[k])),
  };
}

/** The largest baseline share one cell of the grid holds, pooled over the intervals tested. */
function widestCell(m: MatchedKs): number {
  const k = m.levels;
  let total = 0;
  const cells = new Float64Array(k + 1);
  for (let i = 0; i < m.looks; i++) {
    if (!m.gridded[i]) continue;
    total += m.baselineTotal[i];
    let below = 0;
    for (let j = 0; j <= k; j++) {
      const at = j < k ? m.baselineAt[i * k + j] : m.baselineTotal[i];
      cells[j] += at - below;
      below = at;
    }
  }
  return total > 0 ? Math.max(...cells) / total : 1;
}
