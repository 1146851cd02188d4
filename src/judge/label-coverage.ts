/**
 * Label coverage of a labelled metric's prediction intervals: per interval and side, the share
 * of the predictions made in it that have a label so far, and how many of the oldest intervals
 * are complete enough to be judged.
 *
 * An interval is complete when it is at least the label delay old AND at least `minCoverage`
 * of each side's predictions in it have labels (a side without predictions has nothing to
 * wait for). Both, because each alone misleads:
 * - coverage alone: where only part of the predictions ever get a label (clicks, disputes),
 *   a young interval can reach the threshold with its fast labels only;
 * - age alone: labels that are late (a stalled feedback job) would be judged on the few that
 *   came, and fast labels are not typical labels (easy cases are settled first; complaints
 *   about wrong answers come first): a biased sample of the outcomes.
 * The oldest intervals are judged as a run: the first interval that is not complete ends the
 * run, so the judged intervals are always a prefix of the timeline and its looks stay the looks
 * of a sequence in time (src/judge/timeline.ts).
 *
 * What the unlabelled share can still hide is bounded by it: with coverage c on a side, the
 * side's accuracy over all its predictions is c * a + (1 - c) * m (a the labelled accuracy, m
 * the unlabelled one), so it lies within (1 - c) of a whatever the missing labels are (Manski's
 * worst-case bounds): the default c of 95 % keeps that within 5 pp, and both sides of one
 * interval have had the same time to collect labels, so a label process that treats the
 * versions alike leaves the same share out of both.
 */
import type { CountInterval, LabelledTimeline, MetricInput, ValuesInterval } from './types';

export type Side = 'baseline' | 'canary';
export const SIDES: readonly Side[] = ['baseline', 'canary'];

/** Labelled / predictions of one interval and side; null without predictions. */
export type Coverage = number | null;

/** The labelled observations one interval holds: a proportion's trials, a continuous metric's observations. */
export function labelledCount(interval: CountInterval | ValuesInterval | { readonly counts: ReadonlyArray<readonly [string, number]> }): number {
  if ('total' in interval) return interval.total;
  if ('counts' in interval) return interval.counts.reduce((sum, [, n]) => sum + n, 0);
  if ('values' in interval) return interval.values.length;
  return interval.histogram.buckets.at(-1)?.count ?? 0;
}

/** Why the oldest interval that is not judged is not, with what it has so far. */
export interface Blocking {
  /** 0-based index of the interval. */
  readonly index: number;
  readonly age: number;
  readonly coverage: { readonly baseline: Coverage; readonly canary: Coverage };
  /** The sides whose coverage is below the threshold. */
  readonly short: readonly Side[];
  /** The data cannot be right (more labelled than predicted, a count that is not a count): named, never judged. */
  readonly invalid?: string;
}

export interface Completion {
  /** How many of the oldest intervals are complete: the run the judge reads. */
  readonly judged: number;
  readonly perInterval: { readonly baseline: readonly Coverage[]; readonly canary: readonly Coverage[] };
  /** Coverage over the judged intervals, per side. */
  readonly coverage: { readonly baseline: Coverage; readonly canary: Coverage };
  /** The first interval that is not judged (absent when every interval is). */
  readonly blocking?: Blocking;
  /** Seconds until the blocking interval is due by the delay; null when it is overdue or invalid. */
  readonly pendingSeconds?: number | null;
}

type SideIntervals = readonly (CountInterval | ValuesInterval)[];

export function labelCompletion(metric: MetricInput & { readonly labelled: LabelledTimeline }): Completion {
  const { labelled } = metric;
  const intervals = { baseline: (metric.baseline.intervals ?? []) as SideIntervals, canary: (metric.canary.intervals ?? []) as SideIntervals };
  const n = intervals.baseline.length;
  const perInterval = { baseline: [] as Coverage[], canary: [] as Coverage[] };
  const shape = shapeProblem(metric, labelled);
  let judged = 0;
  let blocking: Blocking | undefined;
  for (let i = 0; i < n; i++) {
    const coverage = { baseline: null as Coverage, canary: null as Coverage };
    let invalid = shape ?? undefined;
    for (const side of SIDES) {
      const predictions = labelled.predictions[side][i];
      const labels = labelledCount(intervals[side][i]);
      if (!(Number.isFinite(predictions) && predictions >= 0 && Number.isFinite(labels) && labels >= 0)) {
        invalid ??= `interval ${i + 1} of the ${side} counts ${labels} labelled of ${predictions} predictions: not counts`;
        continue;
      }
      coverage[side] = predictions > 0 ? labels / predictions : null;
      if (labels > predictions) invalid ??= `interval ${i + 1} of the ${side} has ${labels.toLocaleString('en-US')} labelled outcomes of ${predictions.toLocaleString('en-US')} predictions (coverage above 100 %): the labelled and the predictions counters do not count the same predictions`;
    }
    perInterval.baseline.push(coverage.baseline);
    perInterval.canary.push(coverage.canary);
    if (blocking) continue;
    const age = labelled.ages[i];
    const short = SIDES.filter((side) => coverage[side] !== null && coverage[side]! < labelled.minCoverage);
    if (invalid !== undefined || !(age >= labelled.delaySeconds) || short.length) blocking = { index: i, age, coverage, short, ...(invalid !== undefined ? { invalid } : {}) };
    else judged++;
  }
  const pendingSeconds = blocking === undefined ? undefined : blocking.invalid !== undefined || !(blocking.age < labelled.delaySeconds) ? null : labelled.delaySeconds - blocking.age;
  return {
    judged,
    perInterval,
    coverage: { baseline: pooled(intervals.baseline, labelled.predictions.baseline, judged), canary: pooled(intervals.canary, labelled.predictions.canary, judged) },
    ...(blocking ? { blocking, pendingSeconds: pendingSeconds ?? null } : {}),
  };
}

/** Labelled / predictions over the first `judged` intervals. */
function pooled(intervals: SideIntervals, predictions: readonly number[], judged: number): Coverage {
  let labels = 0;
  let made = 0;
  for (let i = 0; i < judged; i++) (labels += labelledCount(intervals[i])), (made += predictions[i]);
  return made > 0 ? labels / made : null;
}

/** A labelled metric whose arrays do not line up with its intervals (the contracts refuse it; the judge never guesses). */
function shapeProblem(metric: MetricInput, labelled: LabelledTimeline): string | null {
  const n = metric.baseline.intervals?.length;
  if (n === undefined || metric.canary.intervals?.length !== n) return 'labelled quality is judged per prediction interval: both sides need "intervals"';
  const lengths = [labelled.predictions.baseline.length, labelled.predictions.canary.length, labelled.ages.length];
  if (lengths.some((length) => length !== n)) return `the predictions per interval (${lengths.slice(0, 2).join(' and ')}) or the intervals' ages (${lengths[2]}) do not match the ${n} intervals`;
  if (!(labelled.minCoverage > 0 && labelled.minCoverage <= 1) || !(labelled.delaySeconds >= 0)) return `minCoverage ${labelled.minCoverage} and delay ${labelled.delaySeconds} s: the coverage needed lies in (0, 1] and the delay is not negative`;
  return null;
}
