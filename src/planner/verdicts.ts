/**
 * The verdict and deciding interval of a rate or quantile timeline, without the reported
 * bounds: the same checks as src/judge/rate-timeline.ts and src/judge/quantile-timeline.ts
 * build (their claims over settled intervals, the e-detector's fail, the gated window's pass)
 * and the same decision over them (src/judge/timeline-checks.ts `verdictOfClaims`), but none
 * of the root searches of the reported bounds and per-look series. The planner judges
 * thousands of simulated rollouts, so this is what makes a plan take seconds instead of
 * minutes; test/planner/verdicts.test.ts checks that it answers what the judge answers.
 */
import type { ErrorRates } from '../judge/margin-check';
import { insufficientData } from '../judge/data-gate';
import { DEFAULT_MIN_SAMPLES } from '../judge/defaults';
import { intervalPair, quantileTimelineChecks } from '../judge/quantile-timeline';
import type { HistogramTest } from '../stats/matched-quantile-shift-e-process';
import { rateTimelineChecks } from '../judge/rate-timeline';
import { verdictOfClaims } from '../judge/timeline-checks';
import type { CountInterval, Direction, Margin, ValuesInterval, Verdict } from '../judge/types';

export interface TimelineVerdict {
  readonly verdict: Verdict;
  /** 1-based interval of the first decisive look. */
  readonly decidedAt?: number;
}

/** A rate's timeline against its margins (ratio and/or difference), as src/judge/rate-timeline.ts decides it. */
export function rateTimelineVerdict(baseline: readonly CountInterval[], canary: readonly CountInterval[], margin: Margin, direction: Direction, rates: ErrorRates): TimelineVerdict {
  const total = (side: readonly CountInterval[]) => side.reduce((sum, i) => sum + i.total, 0);
  // The judge's data gate on the totals (src/judge/data-gate.ts) comes first.
  if (insufficientData(total(baseline), total(canary), DEFAULT_MIN_SAMPLES, 'trials')) return { verdict: 'inconclusive' };
  const { checks, looks } = rateTimelineChecks(baseline, canary, margin, direction, { rates }, 'rate');
  return verdictOfClaims(checks, looks);
}

/** A quantile's timeline against its margins, as src/judge/quantile-timeline.ts decides it. */
export function quantileTimelineVerdict(baseline: readonly ValuesInterval[], canary: readonly ValuesInterval[], level: number, margin: Margin, direction: Direction, rates: ErrorRates, histogramTest: HistogramTest = 'bracket'): TimelineVerdict {
  const intervals = baseline.map((b, i) => intervalPair(b, canary[i]));
  const n = (side: 'baseline' | 'canary') => intervals.reduce((sum, i) => sum + i[side].n, 0);
  if (insufficientData(n('baseline'), n('canary'), DEFAULT_MIN_SAMPLES, 'observations')) return { verdict: 'inconclusive' };
  const { checks, looks } = quantileTimelineChecks(baseline, canary, level, margin, direction, { rates }, 'quantile', histogramTest);
  return verdictOfClaims(checks, looks);
}
