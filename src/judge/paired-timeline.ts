/**
 * A paired outcome's timeline (src/judge/paired.ts): sticky verdicts from per-interval counts of
 * an outcome's values, tested by the betting e-process of
 * src/stats/outcome-mean-betting-e-process.ts, one-sided at the margin's boundary, through the
 * claims every timeline shares (src/judge/timeline-checks.ts: fail claims by the e-detector,
 * pass claims by the mixture over the window, the reported interval inverting both).
 *
 * Which intervals the claims read. Both answers of a pair are counted by one exporter (the
 * mirror that compares them) in one counter, so the scrape offsets and weight steps that the
 * two-sided tests set intervals aside for (src/judge/interval-settling.ts) cannot misalign a
 * pair's two answers; what remains:
 * - the latest interval is read once the next is in (its last scrapes may not all be in yet), as
 *   everywhere, so a verdict lags the data by one interval;
 * - outcomes that come in clusters (a burst of odd requests, a retried session) temper each
 *   interval by 1/phi, phi the index of dispersion of the counted outcome (disagreements among
 *   compared pairs, discordant pairs among labelled ones) estimated from the intervals before
 *   it (src/stats/count-dispersion.ts): fixed before the interval's outcomes are seen, so the
 *   product stays an e-process;
 * - there is no traffic split to gate on: a pass rests on every pair so far (the window is the
 *   whole timeline), and a fail's e-detector starts at the first interval only.
 */
import { CountDispersion, type Count } from '../stats/count-dispersion';
import { outcomeMean, outcomeMeanEdge, outcomeMeanLogFactorTable, weightedCounts, type OutcomeCounts } from '../stats/outcome-mean-betting-e-process';
import { intervalRange, setAsideText, type Settling } from './interval-settling';
import { decideTimeline, marginClaims, rangeWeights, type CheckRates, type TimelineCheck, type TimelineDecision } from './timeline-checks';
import type { EffectUnit } from './types';

/**
 * What one outcome's check tests: its values (whose mean is the effect, 0 for no change), the
 * harmful direction and the margin: 'increase' keeps the mean at most +tolerance, 'decrease' at
 * least -tolerance.
 */
export interface OutcomeTest {
  readonly values: readonly number[];
  readonly direction: 'increase' | 'decrease';
  readonly tolerance: number;
  readonly measure: string;
  readonly unit: EffectUnit;
}

/**
 * The settling of a paired outcome's intervals: each interval tempered by the dispersion of the
 * counted outcome before it, the latest not read yet, no interval set aside, one window.
 */
export function pairedSettling(counted: readonly Count[]): Settling {
  const n = counted.length;
  const settled = new Float64Array(n);
  const estimate = new CountDispersion();
  for (let i = 0; i < n; i++) {
    if (i + 1 < n) settled[i] = 1 / estimate.value;
    if (i > 0) estimate.add(counted[i - 1], counted[i]);
  }
  return { settled, windowStart: new Int32Array(n), stepStart: Array(n).fill(false), setAside: Array(n).fill(undefined), dispersion: estimate.value };
}

/** Judges an outcome's timeline against the margin's boundary. */
export function judgeOutcomeTimeline(test: OutcomeTest, intervals: readonly OutcomeCounts[], settling: Settling, rates: CheckRates): TimelineDecision {
  return decideTimeline([outcomeCheck(test, intervals, settling, rates)], intervals.length, settling, test.direction);
}

function outcomeCheck(test: OutcomeTest, intervals: readonly OutcomeCounts[], settling: Settling, rates: CheckRates): TimelineCheck {
  const { values, direction, tolerance } = test;
  const boundary = direction === 'increase' ? tolerance : -tolerance;
  const k = values.length;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const tables = new Map<string, ReturnType<typeof outcomeMeanLogFactorTable>>();
  const table = (mu0: number, alternative: 'greater' | 'less') => {
    const key = `${mu0}:${alternative}`;
    let t = tables.get(key);
    if (!t) tables.set(key, (t = outcomeMeanLogFactorTable(values, intervals, mu0, alternative)));
    return t;
  };
  // A boundary at or beyond the end of the range cannot be crossed: that side never fails and always passes.
  const upper = direction === 'increase' && boundary < hi ? boundary : undefined;
  const lower = direction === 'decrease' && boundary > lo ? boundary : undefined;
  const claims = marginClaims(table, intervals.length, upper, lower, direction, rates, settling);
  const counts = (range: Parameters<TimelineCheck['edge']>[0]) => weightedCounts(intervals, k, rangeWeights(settling, range));
  return {
    claims,
    rates,
    measure: test.measure,
    unit: test.unit,
    tolerance,
    edge: (range, alternative, alpha) => outcomeMeanEdge(values, counts(range), alternative, alpha),
    estimateOver: (range) => {
      const mean = outcomeMean(values, counts(range));
      return Number.isNaN(mean) ? 0 : mean;
    },
  };
}

/**
 * The intervals a paired check's verdict rests on, for its reason: "on intervals 1-29 (interval
 * 30 is read once the next is in); each interval's evidence weighted by 1/2.1 (outcomes come in
 * clusters)", with what was set aside (the floor's two-sided test sets intervals aside).
 */
export function pairedEvidenceText(decision: TimelineDecision): string {
  const { range, settling, verdict } = decision;
  const latest = settling.settled.length;
  if (range.to < range.from) return `nothing settled yet (interval ${latest} is read once the next is in)`;
  const which = verdict === 'fail' ? 'the fail evidence from its likeliest start; ' : '';
  const parts = [`on ${intervalRange(range.from, range.to)} (${which}interval ${latest} is read once the next is in)`];
  const aside = setAsideText(settling, range.from, range.to);
  if (aside) parts.push(`set aside: ${aside}`);
  if (settling.dispersion >= 1.5) parts.push(`each interval's evidence weighted by 1/${Number(settling.dispersion.toPrecision(2))} (outcomes come in clusters)`);
  return parts.join('; ');
}
