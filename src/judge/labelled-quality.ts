/**
 * Labelled quality with delayed labels (issue 25, item 1): accuracy from correct/labelled
 * counts (a proportion), an error or loss per labelled prediction (continuous), judged against
 * margins by the same machinery as every other metric, on the prediction intervals whose
 * labels are in.
 *
 * The intervals are in PREDICTION time (how the sources represent that:
 * src/sources/prometheus/labelled-templates.ts). The judge reads the run of the oldest
 * intervals that are complete (src/judge/label-coverage.ts: old enough by the declared label
 * delay AND labelled enough on both sides) as an ordinary timeline, so the sequential tests,
 * sticky verdicts, gated windows and projections are those of src/judge/timeline.ts, unchanged.
 * Until the first interval is complete the metric is "labels pending": inconclusive, with the
 * coverage so far and when the labels are due, never a verdict on the early labels. Early
 * labels are a biased sample (the easy cases are settled first, or the complaints about wrong
 * answers come first), so a judge that reads the labels available now passes harm or fails
 * healthy canaries more often than its alpha (`npm run bench:labels`).
 *
 * Data that cannot be right (more labelled than predicted in an interval) are named and never
 * judged. Upstream ML monitoring does the same in batch: Arize, SageMaker Model Monitor and
 * Domino join delayed ground truth to predictions by id and filter by the PREDICTION's time;
 * Superwise's "monitoring delay" holds performance policies until the labels are in.
 */
import { describeDuration } from './projection';
import { labelCompletion, SIDES, type Completion, type Coverage } from './label-coverage';
import { resolve, withoutEvidence } from './metric-context';
import { countSummary, categoricalSummary } from './summaries';
import { prefixMetric } from './timeline';
import { valuesData } from './values-data';
import type { LabelledTimeline, LabelReport, MetricInput, MetricResult, SideSummary } from './types';

type LabelledMetric = MetricInput & { readonly labelled: LabelledTimeline };

/** Judges the complete prefix with `judge` (the ordinary per-kind judge), or answers "labels pending". */
export function judgeLabelled(metric: LabelledMetric, judge: (metric: MetricInput) => MetricResult): MetricResult {
  const completion = labelCompletion(metric);
  const intervals = metric.baseline.intervals?.length ?? 0;
  const labels = labelReport(metric.labelled, completion, intervals);
  if (completion.blocking?.invalid !== undefined || completion.judged === 0) {
    return { ...withoutEvidence(metric, resolve(metric), summariesOf(metric), pendingReason(metric.labelled, completion, intervals)), intervals, labels };
  }
  // Without the interval length the projection speaks in intervals: the ones it needs are
  // mostly predicted already and await labels, so minutes of traffic would mislead.
  const { labelled: _labelled, intervalSeconds: _seconds, ...plain } = metric;
  const result = judge(prefixMetric(plain as MetricInput, completion.judged));
  return { ...result, reason: `${result.reason}; ${judgedClause(metric.labelled, completion, intervals)}`, labels };
}

function labelReport(labelled: LabelledTimeline, completion: Completion, intervals: number): LabelReport {
  const round = (x: Coverage) => (x === null ? null : Number(x.toPrecision(6)));
  // Data that cannot be right decide nothing: no interval counts as judged.
  const invalid = completion.blocking?.invalid !== undefined;
  return {
    delaySeconds: labelled.delaySeconds,
    minCoverage: labelled.minCoverage,
    intervals,
    judged: invalid ? 0 : completion.judged,
    coverage: invalid ? { baseline: null, canary: null } : { baseline: round(completion.coverage.baseline), canary: round(completion.coverage.canary) },
    perInterval: { baseline: completion.perInterval.baseline.map(round), canary: completion.perInterval.canary.map(round) },
    ...(completion.blocking ? { pendingSeconds: completion.pendingSeconds ?? null } : {}),
  };
}

/** "labels: judged on the 38 of 50 prediction intervals whose labels are in (...); the latest 12 await theirs (...)". */
function judgedClause(labelled: LabelledTimeline, completion: Completion, intervals: number): string {
  const coverage = `labelled: ${sidesText(completion.coverage)}`;
  if (!completion.blocking) return `labels: judged on all ${intervals} prediction intervals, every one's labels in (${coverage})`;
  const waiting = intervals - completion.judged;
  return `labels: judged on the oldest ${completion.judged} of ${intervals} prediction intervals, whose labels are in (${coverage}); the latest ${waiting} await theirs (${blockingText(labelled, completion)})`;
}

/** Why nothing is judged yet: pending, late, or data that cannot be right. */
function pendingReason(labelled: LabelledTimeline, completion: Completion, intervals: number): string {
  const blocking = completion.blocking;
  if (!blocking) return `labels pending: there are no prediction intervals to judge`;
  if (blocking.invalid !== undefined) return `labels not judged: ${blocking.invalid}`;
  const why = 'early labels are a biased sample (fast labels are not typical labels), so nothing is judged on them';
  const late = completion.pendingSeconds === null;
  return `${late ? 'labels late' : 'labels pending'}: none of the ${intervals} prediction intervals has its labels in yet (${blockingText(labelled, completion)}); ${why}`;
}

/** What the first waiting interval has and when it is due. */
function blockingText(labelled: LabelledTimeline, completion: Completion): string {
  const b = completion.blocking!;
  const at = `interval ${b.index + 1}${labelled.starts ? ` (predictions from ${clock(labelled.starts[b.index])})` : ''}`;
  const has = `${sidesText(b.coverage)} labelled ${describeDuration(Math.max(0, b.age))} after it ended`;
  const needed = `at least ${percent(labelled.minCoverage)} on each side (minLabelCoverage) from ${describeDuration(labelled.delaySeconds).replace(/^about /, '')} after the predictions (labelDelay)`;
  if (completion.pendingSeconds === null) {
    return `${at} has ${has}, beyond the label delay; it needs ${needed}: its labels are later than declared, or lost`;
  }
  return `${at} has ${has}; it needs ${needed}, so it is due in ${describeDuration(completion.pendingSeconds!)}${b.short.length ? ' if its labels keep coming' : ''}`;
}

function sidesText(coverage: { readonly baseline: Coverage; readonly canary: Coverage }): string {
  return SIDES.map((side) => (coverage[side] === null ? `none of the ${side}'s (it made no predictions then)` : `${percent(coverage[side]!)} of the ${side}'s predictions`)).join(', ');
}

function percent(x: number): string {
  return `${Number((x * 100).toPrecision(3))} %`;
}

function clock(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** What each side has labelled so far, for the record (no statistic of them decides anything). */
function summariesOf(metric: MetricInput): { baseline: SideSummary; canary: SideSummary } {
  switch (metric.kind) {
    case 'proportion':
      return { baseline: countSummary(metric.baseline), canary: countSummary(metric.canary) };
    case 'categorical':
    case 'paired':
      return { baseline: categoricalSummary(metric.baseline), canary: categoricalSummary(metric.canary) };
    default:
      return valuesData(metric, 1, () => []).summaries;
  }
}
