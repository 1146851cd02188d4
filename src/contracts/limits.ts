/**
 * The most work one analysis may ask for. Every limit is checked on what the judge would be
 * given, inline data and Prometheus' answers alike (a `categorical` template whose `by` label
 * has thousands of values reaches the judge the same way as an inline body), and a request
 * beyond one is a 400 that names the limit and the value, never a slow answer or a crash.
 *
 * Why these numbers (see BENCHMARKS.md, "Bounded work"): six metrics at 1,440 one-minute
 * intervals (a day) take about 1.6 s of judging on the reference machine, and the judge's cost
 * grows linearly with intervals and, for categorical timelines, with categories. The product
 * limit keeps the heaviest request that passes every limit within a few seconds of one worker
 * thread, under the judge's deadline (JUDGE_DEADLINE_MS) and Argo's 10 s timeout.
 */
import type { MetricInput, ValuesInterval } from '../judge/types';
import type { Issue } from './problems';

/** Metrics per analysis (the request schema refuses more). */
export const MAX_METRICS = 100;
/** Intervals of one side's timeline: a day of one-minute intervals. */
export const MAX_INTERVALS = 1440;
/** Buckets of one histogram (Prometheus' classic histograms have tens; Envoy's default 20). */
export const MAX_BUCKETS = 1000;
/** Distinct categories of one categorical metric, both sides and every interval together. */
export const MAX_CATEGORIES = 1000;
/**
 * Segments of one metric judged per segment (`segmentBy`, inline `segments`): each is judged as a
 * metric of its own, and the alpha budget is split over them (alpha / k per segment), so a label
 * with hundreds of values is neither affordable nor able to pass. An error rate of 20 segments
 * over a Prometheus timeline (240 intervals) took 3.7 s of judging, 50 segments 6.5 s, measured on
 * the 2-core machine shared with other work (load 12): 50 is too close to the judge's deadline
 * (JUDGE_DEADLINE_MS, 8 s) and Argo's 10 s timeout.
 */
export const MAX_SEGMENTS = 20;
/**
 * The judge's work for one analysis: the sum over timeline metrics of intervals x categories
 * (categorical) or intervals (every other kind), about 0.1 ms of judging each. 20,000 holds the
 * six metrics of issue 22 over a day of minutes (five at 1,440 intervals and an 8-class mix:
 * 18,720), 13 metrics over a day, 80 metrics over 4 hours (Prometheus timelines have at most
 * 240 intervals), or 1,000 categories over 20 intervals. A segmented metric counts once per
 * segment and once pooled (each is judged): 20 segments of a 4-hour timeline are 5,040 cells.
 */
export const MAX_TIMELINE_CELLS = 20_000;

const number = (n: number) => n.toLocaleString('en-US');

/** Every limit the metrics exceed, each naming the limit and the value; empty when within all. */
export function limitIssues(metrics: readonly MetricInput[]): Issue[] {
  const issues: Issue[] = [];
  if (metrics.length > MAX_METRICS) issues.push({ path: 'metrics', message: `${number(metrics.length)} metrics exceed the limit of ${number(MAX_METRICS)} metrics per analysis` });
  let cells = 0;
  for (const metric of metrics) {
    const path = `metrics.${metric.name}`;
    const intervals = Math.max(metric.baseline.intervals?.length ?? 0, metric.canary.intervals?.length ?? 0);
    // A segmented metric is judged once per segment and once pooled.
    const judgements = metric.segments ? metric.segments.length + 1 : 1;
    if (metric.segments && metric.segments.length > MAX_SEGMENTS) issues.push({ path: `${path}.segments`, message: `${number(metric.segments.length)} segments${metric.segmentBy ? ` (values of ${JSON.stringify(metric.segmentBy)})` : ''} exceed the limit of ${number(MAX_SEGMENTS)} segments per metric: segment by a label with fewer values` });
    if (intervals > MAX_INTERVALS) issues.push({ path: `${path}.intervals`, message: `${number(intervals)} intervals exceed the limit of ${number(MAX_INTERVALS)} intervals per side (a day of one-minute intervals)` });
    if (metric.kind === 'categorical') {
      const categories = categoryCount(metric);
      if (categories > MAX_CATEGORIES) issues.push({ path: `${path}.counts`, message: `${number(categories)} categories exceed the limit of ${number(MAX_CATEGORIES)} categories per metric (both sides together); a "by" label with this many values is not a category mix` });
      cells += judgements * intervals * Math.max(1, Math.min(categories, MAX_CATEGORIES));
    } else {
      cells += judgements * intervals;
    }
    if (metric.kind === 'continuous' || metric.kind === 'distribution') {
      const buckets = largestHistogram(metric);
      if (buckets > MAX_BUCKETS) issues.push({ path: `${path}.histogram.buckets`, message: `a histogram of ${number(buckets)} buckets exceeds the limit of ${number(MAX_BUCKETS)} buckets per histogram` });
    }
  }
  if (cells > MAX_TIMELINE_CELLS) {
    issues.push({ path: 'metrics', message: `the timelines hold ${number(cells)} cells (intervals, times categories for categorical metrics, summed over the metrics), beyond the limit of ${number(MAX_TIMELINE_CELLS)} per analysis: judge fewer metrics, fewer intervals (a longer step) or fewer categories` });
  }
  return issues;
}

function categoryCount(metric: Extract<MetricInput, { kind: 'categorical' }>): number {
  const seen = new Set<string>();
  for (const side of [metric.baseline, metric.canary]) {
    for (const [category] of side.counts) seen.add(category);
    for (const interval of side.intervals ?? []) for (const [category] of interval.counts) seen.add(category);
  }
  return seen.size;
}

function largestHistogram(metric: Extract<MetricInput, { kind: 'continuous' | 'distribution' }>): number {
  const buckets = (data: ValuesInterval) => ('histogram' in data ? data.histogram.buckets.length : 0);
  let largest = 0;
  for (const side of [metric.baseline, metric.canary]) {
    largest = Math.max(largest, buckets(side));
    for (const interval of side.intervals ?? []) largest = Math.max(largest, buckets(interval));
  }
  return largest;
}

/** The longest window (lookback, maxAge, trafficLookback, start to end) an analysis may read. */
export const MAX_WINDOW_SECONDS = 7 * 86400;
