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
 * Which kinds use the intervals themselves: rates (proportions and the share above a
 * threshold) are tested per interval (src/judge/rate-timeline.ts), where conditioning on each
 * interval's events cancels the split's steps and a shared trend; quantiles are too, matched in
 * time (src/judge/quantile-timeline.ts): each interval's canary tail beyond the baseline's
 * predictable quantile moved by the margin, against the baseline's tail beyond it, so a load
 * trend meeting a changing split cancels as a rate trend does (aa-latency-load in `npm run
 * bench:decisions`: its latency metric passed in none of 300 rollouts on cumulative prefixes
 * and in all of them matched).
 *
 * Category shares are too (src/judge/categorical-timeline.ts): each category's count among
 * each interval's observations is a rate, tested per interval by the rate-difference
 * e-process against the absolute margin (aa-class-drift: a class mix drifting over the
 * rollout rolled back 93 % of 300 A/As on cumulative counts, none per interval).
 *
 * The mean and distribution metrics are re-judged on cumulative prefixes: their per-side
 * anytime-valid bounds stay valid whatever the split does, but each side's cumulative data mix
 * the times that side was served, so a trend meeting a changing split widens what they must
 * exclude (or, past the bounds' width, fails a canary that differs from the baseline only in
 * when it was served). Not matched, for these reasons: a mean has no tail count to condition
 * on (matching it needs a variance-adaptive e-process per interval); a KS or Wasserstein
 * distance is a supremum or integral over the whole range, so matching it needs a matched
 * test at every point of the range at once, combined; and what they watch in the benchmark's
 * scenarios (model scores) does not follow load the way latency does. Not built.
 */
import { gatedWindowStarts } from './interval-settling';
import { seriesOfResults } from './look-series';
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

/** At most this many past looks are re-judged for kinds whose judge reads cumulative data; any subset of looks is valid. */
export const MAX_LOOKS_REJUDGED = 32;

/** 1-based looks to re-judge: all of them when few, else evenly spaced, always including the last. */
export function looksToJudge(intervals: number, max = MAX_LOOKS_REJUDGED): number[] {
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

/** The observations (requests for rates) each side has in each interval of a metric's timeline. */
export function intervalSizes(metric: MetricInput): { canaryTotal: number; baselineTotal: number }[] {
  const size = (i: CountInterval | CategoricalInterval | ValuesInterval): number => {
    if ('total' in i) return i.total;
    if ('counts' in i) return i.counts.reduce((sum, [, n]) => sum + n, 0);
    if ('values' in i) return i.values.length;
    return i.histogram.buckets.at(-1)?.count ?? 0;
  };
  const n = timelineLength(metric);
  const b = metric.baseline.intervals as readonly (CountInterval | CategoricalInterval | ValuesInterval)[];
  const c = metric.canary.intervals as readonly (CountInterval | CategoricalInterval | ValuesInterval)[];
  return Array.from({ length: n }, (_, i) => ({ canaryTotal: size(c[i]), baselineTotal: size(b[i]) }));
}

/** The metric over intervals from..to (0-based, inclusive): their cumulative data and them as its timeline. */
export function windowMetric<M extends MetricInput>(metric: M, from: number, to: number): M {
  const side = (s: M['baseline']) => ({ ...s, intervals: s.intervals!.slice(from, to + 1) });
  return prefixMetric({ ...metric, baseline: side(metric.baseline), canary: side(metric.canary) } as M, to - from + 1);
}

/**
 * The verdict of a judge that reads cumulative data, over a timeline (issue 21): a fail at any
 * past look (a prefix from the start) stands, whatever passed before it; else a pass stands
 * when it was reached on the gated window's data alone (the trailing intervals at the canary's
 * current weight, src/judge/interval-settling.ts: a prefix of that window, re-judged), so a
 * gate's pass rests on the traffic it gates; the result keeps the latest data's summaries
 * and, when decided, the decisive look's effect. Each window's prefixes are judged by the same
 * anytime-valid bounds, valid at every look of that window.
 */
export function stickyOverPrefixes<M extends MetricInput>(metric: M, judge: (m: M) => MetricResult): MetricResult {
  const intervals = timelineLength(metric);
  const latest = judge(metric);
  // Every judged look, kept for the per-look series (src/judge/look-series.ts).
  const judgedLooks: { look: number; result: MetricResult }[] = [];
  for (const look of looksToJudge(intervals)) {
    const result = look === intervals ? latest : judge(prefixMetric(metric, look));
    judgedLooks.push({ look, result });
    if (result.verdict === 'fail') return decided(latest, judgedLooks, { look, result }, intervals, 1);
  }
  const start = gatedWindowStarts(intervalSizes(metric))[intervals - 1];
  if (start === 0) {
    const passed = judgedLooks.find((j) => j.result.verdict === 'pass');
    if (passed) return decided(latest, judgedLooks, passed, intervals, 1);
  } else {
    for (const look of looksToJudge(intervals - start)) {
      const result = judge(windowMetric(metric, start, start + look - 1));
      if (result.verdict === 'pass') return decided(latest, judgedLooks, { look: start + look, result }, intervals, start + 1);
    }
  }
  const timeline = seriesOfResults(judgedLooks, latest.effect);
  return { ...latest, intervals, ...(timeline ? { timeline } : {}) };
}

/** The result of a decisive look: its verdict and effect, the latest summaries, "on intervals a-b". */
function decided(
  latest: MetricResult,
  judgedLooks: { look: number; result: MetricResult }[],
  { look, result }: { look: number; result: MetricResult },
  intervals: number,
  from: number,
): MetricResult {
  const verdict = result.verdict as Exclude<Verdict, 'inconclusive'>;
  // A window's pass is judged on the window alone, so the latest cumulative look does not speak for it.
  const still = latest.verdict === result.verdict || from > 1;
  const decisive = latest.verdict === result.verdict && from === 1 ? latest : result;
  if (!judgedLooks.some((j) => j.look === intervals)) judgedLooks.push({ look: intervals, result: latest });
  const timeline = seriesOfResults(judgedLooks, decisive.effect);
  const on = from === 1 ? '' : ` on intervals ${from}-${look} (the traffic at the canary's current weight)`;
  return {
    ...latest,
    verdict,
    reason: `${stickyPhrase(verdict, look, intervals, still)}${on}: ${decisive.reason}`,
    ...(decisive.effect ? { effect: decisive.effect } : {}),
    ...(decisive.effects ? { effects: decisive.effects } : {}),
    intervals,
    decidedAt: look,
    ...(timeline ? { timeline } : {}),
  };
}
