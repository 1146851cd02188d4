/**
 * The rollout's timeline (`intervals` on both sides): sums of intervals, the prefixes a
 * stateless judge re-reads as past looks, and the sticky verdict over them.
 *
 * Sticky verdicts: with a timeline in hand, the judge re-evaluates every past look (every
 * prefix of the intervals). This stays valid for anytime-valid evidence, because its
 * confidence sequences hold at every sample size at once: the running intersection of the
 * sequence over the looks covers the truth with the same probability, so "the bound crossed
 * the margin at some look" errs no more often than "at this look" (Howard et al. 2021, section
 * 3; Ramdas et al. 2023, section 4). With fixed-sample evidence the same scan would be a
 * repeated test, so a timeline is judged at its last look. Verdicts follow the canary (issue
 * 21): a fail at any look stands, whatever passed before it; a pass stands while the canary's
 * weight does, and rests on the traffic at that weight (the gated window,
 * src/judge/interval-settling.ts), so a canary healthy at 1 % and saturating at 50 % cannot
 * pass the 50 % gate on its 1 % evidence.
 *
 * Every kind tests its intervals themselves, matched in time: rates (proportions and the share
 * above a threshold) per interval (src/judge/rate-timeline.ts), where conditioning on each
 * interval's events cancels the split's steps and a shared trend; quantiles
 * (src/judge/quantile-timeline.ts): each interval's canary tail beyond the baseline's
 * predictable quantile moved by the margin, against the baseline's tail beyond it, so a load
 * trend meeting a changing split cancels as a rate trend does (aa-latency-load in `npm run
 * bench:decisions`: its latency metric passed in none of 300 rollouts on cumulative prefixes
 * and in all of them matched); category shares (src/judge/categorical-timeline.ts): each
 * category's count among each interval's observations is a rate, tested per interval by the
 * rate-difference e-process (aa-class-drift: a class mix drifting over the rollout rolled back
 * 93 % of 300 A/As on cumulative counts, none per interval); the mean
 * (src/judge/mean-timeline.ts): each interval's canary observations paired with the baseline's
 * of the same interval and bet on, given the data's range; distributions
 * (src/judge/distribution-timeline.ts): the CDF difference per interval at a predictable grid,
 * the fail at a predictable plug-in point and the pass over every cell's envelope (scores
 * drifting 1 sd on both sides failed the KS distance in every A/A on cumulative prefixes).
 *
 * Before, the mean and distributions were re-judged on cumulative prefixes: each side's
 * cumulative data mix the times that side was served, so a trend meeting a changing split
 * failed canaries that differed from the baseline only in when they were served.
 */
import type { CategoricalInterval, CountInterval, MetricInput, MetricResult, ValuesInterval, Verdict } from './types';

export function sumCountIntervals(intervals: readonly CountInterval[]): CountInterval {
  let events = 0;
  let total = 0;
  for (const i of intervals) (events += i.events), (total += i.total);
  return { events, total };
}

/** Values concatenated, or histograms' counts (and sums, when every interval has one) added; all intervals of one kind and bounds. */
export function sumValuesIntervals(intervals: readonly ValuesInterval[]): ValuesInterval {
  if (intervals.length === 0 || 'values' in intervals[0]) {
    const out = new Float64Array(intervals.reduce((n, i) => n + ('values' in i ? i.values.length : 0), 0));
    let at = 0;
    for (const i of intervals) if ('values' in i) for (let j = 0; j < i.values.length; j++) out[at++] = i.values[j];
    return { values: out };
  }
  const histograms = intervals.map((i) => ('histogram' in i ? i.histogram : { buckets: [] as const, sum: undefined }));
  const buckets = histograms[0].buckets.map((bucket, j) => ({ le: bucket.le, count: histograms.reduce((sum, h) => sum + (h.buckets[j]?.count ?? 0), 0) }));
  const sums = histograms.map((h) => h.sum);
  return { histogram: { buckets, ...(sums.every((x) => x !== undefined) ? { sum: sums.reduce((a, b) => a! + b!, 0) } : {}) } };
}

export function sumCategoricalIntervals(intervals: readonly CategoricalInterval[]): CategoricalInterval {
  const totals = new Map<string, number>();
  for (const interval of intervals) for (const [category, n] of interval.counts) totals.set(category, (totals.get(category) ?? 0) + n);
  return { counts: [...totals.entries()] };
}

/** The number of intervals of a metric's timeline, or 0 without one. */
export function timelineLength(metric: MetricInput): number {
  return Math.min(metric.baseline.intervals?.length ?? 0, metric.canary.intervals?.length ?? 0);
}

/** The metric as it stood after `looks` intervals: cumulative data of the prefix, and the prefix as its timeline. */
export function prefixMetric<M extends MetricInput>(metric: M, looks: number): M {
  const side = (s: M['baseline']) => {
    const intervals = s.intervals!.slice(0, looks);
    switch (metric.kind) {
      case 'proportion':
        return { ...sumCountIntervals(intervals as CountInterval[]), intervals };
      case 'categorical':
        return { ...sumCategoricalIntervals(intervals as CategoricalInterval[]), intervals };
      default:
        return { ...sumValuesIntervals(intervals as ValuesInterval[]), intervals };
    }
  };
  return { ...metric, baseline: side(metric.baseline), canary: side(metric.canary) };
}

/** 1-based looks to list in a series: all of them when few, else `max` evenly spaced, always including the last. */
export function looksToJudge(intervals: number, max: number): number[] {
  if (intervals <= max) return Array.from({ length: intervals }, (_, i) => i + 1);
  const looks = new Set<number>();
  for (let j = 1; j <= max; j++) looks.add(Math.round((j * intervals) / max));
  return [...looks].sort((a, b) => a - b);
}

const PAST: Record<Exclude<Verdict, 'inconclusive'>, string> = { pass: 'passed', fail: 'failed' };
const STILL: Record<Exclude<Verdict, 'inconclusive'>, string> = { pass: 'still passing', fail: 'still failing' };

/** "failed at interval 7 of 12 and still failing" / "passed at interval 12 of 12". */
export function stickyPhrase(verdict: Exclude<Verdict, 'inconclusive'>, decidedAt: number, intervals: number, still: boolean): string {
  if (decidedAt === intervals) return `${PAST[verdict]} at interval ${decidedAt} of ${intervals} (the latest)`;
  return `${PAST[verdict]} at interval ${decidedAt} of ${intervals} and ${still ? STILL[verdict] : 'the latest look alone is not decisive (the earlier look stands: its bounds hold at every look)'}`;
}

/** The observations (requests for rates) one interval holds; undefined for a histogram without buckets. */
export function intervalSize(i: CountInterval | CategoricalInterval | ValuesInterval): number | undefined {
  if ('total' in i) return i.total;
  if ('counts' in i) return i.counts.reduce((sum, [, n]) => sum + n, 0);
  if ('values' in i) return i.values.length;
  return i.histogram.buckets.at(-1)?.count;
}

/** The observations (requests for rates) each side has in each interval of a metric's timeline. */
export function intervalSizes(metric: MetricInput): { canaryTotal: number; baselineTotal: number }[] {
  const size = (i: CountInterval | CategoricalInterval | ValuesInterval): number => intervalSize(i) ?? 0;
  const n = timelineLength(metric);
  const b = metric.baseline.intervals as readonly (CountInterval | CategoricalInterval | ValuesInterval)[];
  const c = metric.canary.intervals as readonly (CountInterval | CategoricalInterval | ValuesInterval)[];
  return Array.from({ length: n }, (_, i) => ({ canaryTotal: size(c[i]), baselineTotal: size(b[i]) }));
}
