/**
 * Proportions (error rates, timeouts): the verdict rests on the rate ratio (relative margin,
 * exact conditional-binomial bounds that survive a zero-error baseline) and/or the rate
 * difference (absolute margin, exact unconditional bounds). Fisher's exact test and the
 * two-proportion z test are reported for explanation.
 */
import { fisherExact } from '../stats/fisher-exact';
import { twoProportionZ } from '../stats/two-proportion-z';
import { describeCheck } from './describe';
import { insufficientData } from './data-gate';
import { checkAgainstMargins, type Check, type EffectCandidate } from './margin-check';
import { judged, resolve, withoutEvidence, type MetricContext, type Resolved } from './metric-context';
import { judgeRateTimeline } from './rate-timeline';
import { judgedTimeline, type TimelineDecision } from './timeline-checks';
import { countSummary } from './summaries';
import type { CountSide, Direction, Margin, MetricInput, MetricResult, SideSummary, TestReport } from './types';

type ProportionMetric = Extract<MetricInput, { kind: 'proportion' }>;

export function judgeProportion(metric: ProportionMetric, ctx: MetricContext): MetricResult {
  const resolved = resolve(metric);
  const b = metric.baseline;
  const c = metric.canary;
  const summaries = { baseline: countSummary(b), canary: countSummary(c) };
  const tests = b.total > 0 && c.total > 0 ? countTests(c.events, c.total, b.events, b.total) : [];
  const gap = insufficientData(b.total, c.total, resolved.minSamples, 'trials');
  if (gap) return withoutEvidence(metric, resolved, summaries, gap, tests);

  const rates = `the rate is ${percent(c.events / c.total)} on the canary vs ${percent(b.events / b.total)} on the baseline`;
  const timeline = rateTimeline(b, c, resolved, ctx, 'rate');
  if (timeline) return judgedTimeline(metric, resolved, summaries, tests, timeline, ...matchedRates(rates, c, b, resolved.direction));
  const { verdict, checks } = checkAgainstMargins(rateCandidates(c, b, resolved.margin, ctx, 'rate'), resolved.direction, ctx.rates);
  const decisive = checks.find((check) => check.verdict === verdict) ?? checks[0];
  return judged(metric, resolved, summaries, tests, { verdict, checks, decisive, reason: `${rates}; ${describeCheck('it', decisive, resolved.direction)}` });
}

/** The sequential per-interval judgement when both sides carry a timeline and the evidence is anytime-valid; else null. */
export function rateTimeline(b: CountSide, c: CountSide, resolved: Resolved, ctx: MetricContext, what: string): (TimelineDecision & { intervals: number }) | null {
  if (!ctx.evidence.sequential || !b.intervals || !c.intervals || b.intervals.length !== c.intervals.length) return null;
  return { ...judgeRateTimeline(b.intervals, c.intervals, resolved.margin, resolved.direction, ctx, what), intervals: b.intervals.length };
}

/**
 * A rate timeline's subject and sentence: the totals over the timeline (the sides' summaries),
 * then the change matched by interval that the verdict rests on. The two can differ even in
 * sign (a healthy rollout: "0.937 % vs 0.948 %" beside "+5.01 %"): the totals pool intervals
 * whose split differs (1 % -> 50 %) while the rate moves on both sides (Simpson's paradox), and
 * the matched change (Mantel-Haenszel) compares each interval's canary with the same interval's
 * baseline, over the intervals the reason names. When they differ in sign the reason says so.
 */
export function matchedRates(totals: string, c: CountSide, b: CountSide, direction: Direction): [string, (decisive: Check) => string] {
  const subject = `${totals} over the timeline; matched by interval (each interval's canary against the same interval's baseline)`;
  const rawChange = c.events / c.total - b.events / b.total;
  return [
    subject,
    (decisive) => {
      const matched = decisive.effect.estimate;
      const apart =
        rawChange * matched < 0
          ? '; the totals point the other way because they pool intervals whose split differs while the rate moved on both sides (matched, each interval compares like with like)'
          : '';
      // The finding before the explanation: Flagger's events are cut at 300 characters.
      return `${totals} over the timeline; matched by interval, ${describeCheck('it', decisive, direction)} (each interval's canary against the same interval's baseline)${apart}`;
    },
  ];
}

/**
 * The rate ratio (relative margin) and rate difference (absolute margin) of events among
 * trials, canary against baseline; `what` names the rate in the measures ("rate", "share
 * above 250").
 */
export function rateCandidates(c: CountSide, b: CountSide, margin: Margin, ctx: MetricContext, what: string): EffectCandidate[] {
  const rateC = c.events / c.total;
  const rateB = b.events / b.total;
  const candidates: EffectCandidate[] = [];
  if (margin.relative !== undefined) {
    candidates.push({
      measure: `relative change in ${what}`,
      estimate: rateB > 0 ? rateC / rateB - 1 : rateC > 0 ? Infinity : 0,
      tolerance: margin.relative,
      unit: 'relative',
      bounds: (aL, aU) => {
        const ratio = ctx.evidence.rateRatioBounds(c.events, c.total, b.events, b.total, aL, aU);
        return { lower: ratio.lower - 1, upper: ratio.upper - 1 };
      },
    });
  }
  if (margin.absolute !== undefined) {
    candidates.push({
      measure: `change in ${what}`,
      estimate: rateC - rateB,
      tolerance: margin.absolute,
      unit: 'rate',
      bounds: (aL, aU) => ctx.evidence.proportionDifferenceBounds(c.events, c.total, b.events, b.total, aL, aU),
    });
  }
  return candidates;
}

export function percent(rate: number): string {
  return `${Number((rate * 100).toPrecision(3))}%`;
}

export function countTests(ce: number, ct: number, be: number, bt: number): TestReport[] {
  const fisher = fisherExact(ce, ct, be, bt);
  const z = twoProportionZ(ce, ct, be, bt);
  return [
    { name: 'fisher-exact', statistic: fisher.statistic, pValue: fisher.pValue, method: fisher.method },
    { name: 'two-proportion-z', statistic: z.statistic, pValue: z.pValue, method: z.method },
  ];
}
