/**
 * The SLO measure of a continuous metric (`threshold`): the share of observations above a
 * value, canary against baseline, judged like a proportion (rate ratio for a relative margin,
 * rate difference for an absolute one; either evidence kind). It is how SRE teams already
 * state latency objectives ("99 % of requests under 250 ms"), and unlike a quantile it is
 * exact on a histogram whose bucket bounds include the threshold: the count above a bound is
 * read from the buckets, not estimated inside one. A threshold between bounds is refused
 * with the reason, since a histogram does not say how many observations lie above it.
 *
 * With a timeline (`intervals`) and anytime-valid evidence, each interval's count above the
 * threshold is judged sequentially like a proportion's (src/judge/rate-timeline.ts): a change
 * of load over time that moves both sides' tails cancels within each interval.
 *
 * The direction carries over: for `increase` (bigger values are worse) a growing share above
 * the threshold is the harm; for `decrease` a shrinking one.
 */
import { countAtOrBelow, type WeightedSample } from '../stats/weighted-sample';
import { describeCheck } from './describe';
import { droppedBoundsNote } from './dropped-bounds';
import { checkAgainstMargins } from './margin-check';
import { judged, withoutEvidence, type MetricContext, type Resolved } from './metric-context';
import { countTests, matchedRates, percent, rateCandidates, rateTimeline } from './proportion';
import { judgedTimeline } from './timeline-checks';
import type { SidePair } from './side-samples';
import type { ValuesData } from './values-data';
import type { CountSide, MetricInput, MetricResult, ValuesInterval } from './types';

type ContinuousMetric = Extract<MetricInput, { kind: 'continuous' }>;

export function judgeThresholdShare(metric: ContinuousMetric, threshold: number, resolved: Resolved, data: ValuesData, ctx: MetricContext): MetricResult {
  const { pair, summaries } = data;
  const problem = thresholdProblem(pair, threshold);
  if (problem) return withoutEvidence(metric, resolved, summaries, `${problem}${droppedBoundsNote(metric, pair.bounds)}`, data.tests);
  const b = exceedances(pair.baseline, threshold);
  const c = exceedances(pair.canary, threshold);
  const tests = [...countTests(c.events, c.total, b.events, b.total), ...data.tests];
  const what = `the share above ${threshold}`;
  const shares = `${what} is ${percent(c.events / c.total)} on the canary vs ${percent(b.events / b.total)} on the baseline`;
  const withTimeline = metric.baseline.intervals && metric.canary.intervals
    ? rateTimeline(
        { ...b, intervals: metric.baseline.intervals.map((i) => intervalExceedances(i, threshold)) },
        { ...c, intervals: metric.canary.intervals.map((i) => intervalExceedances(i, threshold)) },
        resolved,
        ctx,
        what,
      )
    : null;
  if (withTimeline) return judgedTimeline(metric, resolved, summaries, tests, withTimeline, ...matchedRates(shares, c, b, resolved.direction));
  const { verdict, checks } = checkAgainstMargins(rateCandidates(c, b, resolved.margin, ctx, what), resolved.direction, ctx.rates);
  const decisive = checks.find((check) => check.verdict === verdict) ?? checks[0];
  return judged(metric, resolved, summaries, tests, { verdict, checks, decisive, reason: `${shares}; ${describeCheck('it', decisive, resolved.direction)}` });
}

/** How many observations lie above the threshold, among all of the side's. */
export function exceedances(sample: WeightedSample, threshold: number): CountSide {
  return { events: sample.n - countAtOrBelow(sample, threshold), total: sample.n };
}

/** One interval's observations above the threshold (a bucket bound of its histogram, as checked for the cumulative one). */
export function intervalExceedances(interval: ValuesInterval, threshold: number): CountSide {
  if ('values' in interval) {
    let events = 0;
    for (let i = 0; i < interval.values.length; i++) if (interval.values[i] > threshold) events++;
    return { events, total: interval.values.length };
  }
  const buckets = interval.histogram.buckets;
  const total = buckets.at(-1)?.count ?? 0;
  const atOrBelow = buckets.filter((b) => b.le <= threshold).at(-1)?.count ?? 0;
  return { events: Math.max(0, total - atOrBelow), total };
}

/** Why the data cannot count the observations above the threshold exactly, or null. */
export function thresholdProblem(pair: SidePair, threshold: number): string | null {
  if (!pair.bounds || pair.bounds.includes(threshold)) return null;
  const finite = pair.bounds.filter(Number.isFinite);
  if (!finite.length) return `the threshold ${threshold} is not a bucket bound: the histograms share no bound below +Inf`;
  const below = finite.filter((le) => le < threshold).at(-1);
  const above = finite.find((le) => le > threshold);
  const nearest = [below, above].filter((le) => le !== undefined);
  const inside = below !== undefined && above !== undefined ? ` inside the bucket (${below}, ${above}]` : '';
  return (
    `the threshold ${threshold} is not a bucket bound that both sides' histograms share, so the number of observations above it${inside} is unknown: ` +
    `use ${nearest.length > 1 ? `one of the nearest bounds, ${nearest.join(' or ')}` : `the nearest bound, ${nearest[0]}`}`
  );
}
