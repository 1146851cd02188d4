/**
 * The verdict and deciding interval of a rate or quantile timeline, without the reported
 * bounds: the same one-sided e-processes at the margins' boundaries as
 * src/judge/rate-timeline.ts and src/judge/quantile-timeline.ts, and the same sticky decision
 * (src/judge/timeline-checks.ts `decideTimeline`), but none of the root searches their
 * reported bounds and per-look series cost. The planner judges thousands of simulated
 * rollouts, so this is what makes a plan take seconds instead of minutes;
 * test/planner/verdicts.test.ts checks that it answers what the judge answers.
 */
import { logRateRatioEProcess, type RateInterval } from '../stats/conditional-rate-ratio-e-process';
import { logRateDifferenceEProcess } from '../stats/rate-difference-e-process';
import { logShiftEProcess, matchedQuantile, withScale } from '../stats/matched-quantile-shift-e-process';
import type { ErrorRates } from '../judge/margin-check';
import { insufficientData } from '../judge/data-gate';
import { DEFAULT_MIN_SAMPLES } from '../judge/defaults';
import { intervalPair } from '../judge/quantile-timeline';
import { checkRates, decideTimeline, marginClaims, type Claims, type TimelineCheck } from '../judge/timeline-checks';
import type { CountInterval, Direction, Margin, ValuesInterval, Verdict } from '../judge/types';

export interface TimelineVerdict {
  readonly verdict: Verdict;
  /** 1-based interval of the first decisive look. */
  readonly decidedAt?: number;
}

const crossed = (process: Float64Array, alpha: number) => Array.from(process, (x) => x >= Math.log(1 / alpha));

/** A check whose reported effect is not needed: only its claims decide. */
function claimsOnly(claims: Claims): TimelineCheck {
  const effect = { measure: '', unit: 'relative' as const, estimate: 0, lower: -Infinity, upper: Infinity, tolerance: 0 };
  return { claims, seriesLooks: [], series: () => [], effectAt: () => effect };
}

function decided(checks: TimelineCheck[], looks: number): TimelineVerdict {
  const { verdict, decidedAt } = decideTimeline(checks, looks);
  return { verdict, ...(decidedAt !== undefined ? { decidedAt } : {}) };
}

/** A rate's timeline against its margins (ratio and/or difference), as src/judge/rate-timeline.ts decides it. */
export function rateTimelineVerdict(baseline: readonly CountInterval[], canary: readonly CountInterval[], margin: Margin, direction: Direction, rates: ErrorRates): TimelineVerdict {
  const total = (side: readonly CountInterval[]) => side.reduce((sum, i) => sum + i.total, 0);
  // The judge's data gate on the totals (src/judge/data-gate.ts) comes first.
  if (insufficientData(total(baseline), total(canary), DEFAULT_MIN_SAMPLES, 'trials')) return { verdict: 'inconclusive' };
  const intervals: RateInterval[] = canary.map((c, i) => ({ canaryEvents: c.events, canaryTotal: c.total, baselineEvents: baseline[i].events, baselineTotal: baseline[i].total }));
  const shared = checkRates(rates, margin);
  const looks = intervals.length;
  const checks: TimelineCheck[] = [];
  if (margin.relative !== undefined) {
    const tol = margin.relative;
    const crossing = (theta0: number, alternative: 'greater' | 'less', alpha: number) => crossed(logRateRatioEProcess(intervals, theta0, alternative), alpha);
    checks.push(claimsOnly(marginClaims(looks, crossing, 1 + tol, tol < 1 ? 1 - tol : undefined, direction, shared)));
  }
  if (margin.absolute !== undefined) {
    const tol = margin.absolute;
    const within = tol < 1;
    const crossing = (delta: number, alternative: 'greater' | 'less', alpha: number) => crossed(logRateDifferenceEProcess(intervals, delta, alternative), alpha);
    checks.push(claimsOnly(marginClaims(looks, crossing, within ? tol : undefined, within ? -tol : undefined, direction, shared)));
  }
  return decided(checks, looks);
}

/** A quantile's timeline against its margins, as src/judge/quantile-timeline.ts decides it. */
export function quantileTimelineVerdict(baseline: readonly ValuesInterval[], canary: readonly ValuesInterval[], level: number, margin: Margin, direction: Direction, rates: ErrorRates): TimelineVerdict {
  const intervals = baseline.map((b, i) => intervalPair(b, canary[i]));
  const n = (side: 'baseline' | 'canary') => intervals.reduce((sum, i) => sum + i[side].n, 0);
  if (insufficientData(n('baseline'), n('canary'), DEFAULT_MIN_SAMPLES, 'observations')) return { verdict: 'inconclusive' };
  const shared = checkRates(rates, margin);
  const prepared = matchedQuantile(intervals, level, 'relative');
  const looks = intervals.length;
  const checks: TimelineCheck[] = [];
  const check = (m: typeof prepared, tol: number) => {
    const crossing = (shift: number, alternative: 'greater' | 'less', alpha: number) => crossed(logShiftEProcess(m, shift, alternative), alpha);
    const lowerBoundary = m.scale === 'relative' && tol >= 1 ? undefined : -tol;
    return claimsOnly(marginClaims(looks, crossing, tol, lowerBoundary, direction, shared));
  };
  if (margin.relative !== undefined) checks.push(check(prepared, margin.relative));
  if (margin.absolute !== undefined) checks.push(check(withScale(prepared, 'absolute'), margin.absolute));
  return decided(checks, looks);
}
