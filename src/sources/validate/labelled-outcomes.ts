/**
 * Labelled outcomes by prediction time (src/sources/prometheus/labelled-templates.ts) into a
 * labelled metric: per prediction interval, the outcomes labelled so far (a proportion's
 * correct / labelled, or the labelled errors' histogram) and the predictions made, both sides.
 *
 * Every answer is an instant query's latest counter values by prediction time. Checked here,
 * each a fault (HTTP 503 naming the series), never repaired:
 * - one series per prediction time (and outcome, or bound), counts finite and not negative;
 * - a prediction time that is unix seconds (a series without it, or one after the window's end:
 *   milliseconds, a clock running ahead);
 * - outcomes "true" or "false" only (a typo would count as wrong answers);
 * - no counter reset within the window (the counts before it are lost);
 * - no more labelled outcomes than predictions at any prediction time (coverage above 100 %),
 *   correct within labelled;
 * - histograms: a numeric `le`, a `+Inf` bucket, counts that do not fall with `le` (exact
 *   counters, no slack), every bound at every prediction time of the side.
 * A side without any series comes back empty: the judge then says what is missing.
 */
import type { CountInterval, HistogramBucket, LabelledTimeline, ValuesInterval } from '../../judge/types';
import { sumCountIntervals, sumValuesIntervals } from '../../judge/timeline';
import type { FetchedSides, Labels } from '../metric-source';
import { FaultList, type QueryRole } from './faults';
import type { RawAnswer } from './raw-answer';
import { AskedTimeIndex, checkedCount, oneSeriesPerGroup, placeOf, type AnswerPlace } from './sample-checks';

export type RawLabelledSide = { readonly predictions: RawAnswer; readonly resets: RawAnswer } & (
  | { readonly shape: 'outcomes'; readonly outcome: string; readonly outcomes: RawAnswer }
  | { readonly shape: 'correct-total'; readonly correct: RawAnswer; readonly labelled: RawAnswer }
  | { readonly shape: 'histogram'; readonly kind: 'continuous' | 'distribution'; readonly buckets: RawAnswer }
);

export interface RawLabelled {
  readonly name: string;
  readonly predictedAt: string;
  /** When the queries were evaluated (the window's end). */
  readonly at: number;
  /** The prediction intervals: where each starts, and their length. */
  readonly starts: readonly number[];
  readonly step: number;
  readonly delaySeconds: number;
  readonly minCoverage: number;
  readonly baseline: RawLabelledSide;
  readonly canary: RawLabelledSide;
}

type Side = 'baseline' | 'canary';
type Validated = FetchedSides & { readonly labelled: LabelledTimeline; readonly intervalSeconds: number; readonly noSeries?: true };

export function validateLabelled(raw: RawLabelled): Validated {
  const faults = new FaultList();
  const times = new AskedTimeIndex({ times: [raw.at], intervals: false });
  const sides = { baseline: validateSide(raw, 'baseline', times, faults), canary: validateSide(raw, 'canary', times, faults) };
  faults.throwIfAny();
  const labelled: LabelledTimeline = {
    predictions: { baseline: sides.baseline.predictions, canary: sides.canary.predictions },
    minCoverage: raw.minCoverage,
    delaySeconds: raw.delaySeconds,
    ages: raw.starts.map((start) => raw.at - (start + raw.step)),
    starts: raw.starts,
  };
  const noSeries = sides.baseline.series === 0 && sides.canary.series === 0 ? { noSeries: true as const } : {};
  const common = { labelled, intervalSeconds: raw.step, ...noSeries };
  const b = sides.baseline.side;
  const c = sides.canary.side;
  if (b.kind === 'proportion' && c.kind === 'proportion') return { kind: 'proportion', baseline: b.data, canary: c.data, ...common };
  if (b.kind !== 'proportion' && c.kind !== 'proportion') return { kind: b.kind, baseline: b.data, canary: c.data, ...common };
  throw new Error('internal: the two sides of a labelled metric were planned differently');
}

type SideData =
  | { readonly kind: 'proportion'; readonly data: { events: number; total: number; intervals: CountInterval[] } }
  | { readonly kind: 'continuous' | 'distribution'; readonly data: ValuesInterval & { intervals: ValuesInterval[] } };

function validateSide(raw: RawLabelled, side: Side, times: AskedTimeIndex, faults: FaultList): { side: SideData; predictions: number[]; series: number } {
  const answers = raw[side];
  const where = (role: QueryRole, answer: RawAnswer): AnswerPlace => ({ metric: raw.name, side, role, query: answer.query });
  const reader = new PredictionTimes(raw, faults);
  // Each counter's resets: the query returns only the series that had any.
  const resetsPlace = where('resets', answers.resets);
  for (const series of answers.resets.series) {
    const at = reader.bucketOf(series.metric, resetsPlace);
    if (at === undefined) continue;
    for (const { value } of times.samplesOf(series, resetsPlace, faults)) {
      if (value > 0) faults.add({ ...placeOf(resetsPlace, series.metric), code: 'counter-reset', counter: series.metric.counter ?? '(unknown)', resets: value });
    }
  }
  const predictionsPlace = where('predictions', answers.predictions);
  const predictions = reader.counts(answers.predictions, predictionsPlace, times, () => '');
  const n = raw.starts.length;
  const perInterval = new Array<number>(n).fill(0);
  for (const [bucket, count] of predictions) perInterval[reader.intervalOf(bucket)!] += count.get('')!;

  // Labelled outcomes of each prediction time, never more than its predictions.
  const exceeds = (bucket: number, labelled: number, place: AnswerPlace) => {
    const made = predictions.get(bucket)?.get('') ?? 0;
    if (labelled > made) faults.add({ ...placeOf(place, { [raw.predictedAt]: String(bucket) }), code: 'labels-exceed-predictions', predictedAt: bucket, labelled, predictions: made });
  };
  const seriesCount = answers.predictions.series.length + answers.resets.series.length;
  switch (answers.shape) {
    case 'outcomes':
    case 'correct-total': {
      const correctAndLabelled = outcomeCounts(answers, reader, where, times, faults);
      const intervals: CountInterval[] = Array.from({ length: n }, () => ({ events: 0, total: 0 }));
      for (const [bucket, { correct, labelled, place }] of correctAndLabelled) {
        exceeds(bucket, labelled, place);
        const k = reader.intervalOf(bucket)!;
        intervals[k] = { events: intervals[k].events + correct, total: intervals[k].total + labelled };
      }
      const own = answers.shape === 'outcomes' ? answers.outcomes.series.length : answers.correct.series.length + answers.labelled.series.length;
      return { side: { kind: 'proportion', data: { ...sumCountIntervals(intervals), intervals } }, predictions: perInterval, series: seriesCount + own };
    }
    case 'histogram': {
      const place = where('buckets', answers.buckets);
      const buckets = histogramCounts(answers.buckets, reader, place, times, faults);
      const bounds = [...new Set([...buckets.values()].flatMap((h) => [...h.keys()]))].sort((a, b) => a - b);
      const intervals = Array.from({ length: n }, () => new Map<number, number>(bounds.map((le) => [le, 0])));
      for (const [bucket, histogram] of buckets) {
        checkHistogram(histogram, bounds, { ...placeOf(place, { [raw.predictedAt]: String(bucket) }) }, faults);
        exceeds(bucket, histogram.get(Infinity) ?? 0, place);
        const into = intervals[reader.intervalOf(bucket)!];
        for (const [le, count] of histogram) into.set(le, (into.get(le) ?? 0) + count);
      }
      const withInf = bounds.at(-1) === Infinity ? bounds : [...bounds, Infinity];
      const asIntervals: ValuesInterval[] = intervals.map((counts) => ({ histogram: { buckets: withInf.map((le): HistogramBucket => ({ le, count: counts.get(le) ?? 0 })) } }));
      return { side: { kind: answers.kind, data: { ...sumValuesIntervals(asIntervals), intervals: asIntervals } }, predictions: perInterval, series: seriesCount + answers.buckets.series.length };
    }
  }
}

/** Correct and labelled outcomes per prediction time, from one counter split by outcome or from two counters. */
function outcomeCounts(
  answers: Extract<RawLabelledSide, { shape: 'outcomes' | 'correct-total' }>,
  reader: PredictionTimes,
  where: (role: QueryRole, answer: RawAnswer) => AnswerPlace,
  times: AskedTimeIndex,
  faults: FaultList,
): Map<number, { correct: number; labelled: number; place: AnswerPlace }> {
  const out = new Map<number, { correct: number; labelled: number; place: AnswerPlace }>();
  if (answers.shape === 'outcomes') {
    const place = where('outcomes', answers.outcomes);
    const byOutcome = reader.counts(answers.outcomes, place, times, (labels) => labels[answers.outcome] ?? '', (labels) => {
      const value = labels[answers.outcome] ?? '';
      if (value === 'true' || value === 'false') return true;
      faults.add({ ...placeOf(place, labels), code: 'bad-outcome', label: answers.outcome, value });
      return false;
    });
    for (const [bucket, counts] of byOutcome) {
      const correct = counts.get('true') ?? 0;
      out.set(bucket, { correct, labelled: correct + (counts.get('false') ?? 0), place });
    }
    return out;
  }
  const correctPlace = where('events', answers.correct);
  const labelledPlace = where('total', answers.labelled);
  const correct = reader.counts(answers.correct, correctPlace, times, () => '');
  const labelled = reader.counts(answers.labelled, labelledPlace, times, () => '');
  for (const bucket of new Set([...correct.keys(), ...labelled.keys()])) {
    const c = correct.get(bucket)?.get('') ?? 0;
    const l = labelled.get(bucket)?.get('') ?? 0;
    if (c > l) faults.add({ ...placeOf(correctPlace, { [reader.label]: String(bucket) }), code: 'events-exceed-total', events: c, total: l });
    out.set(bucket, { correct: Math.min(c, l), labelled: l, place: labelledPlace });
  }
  return out;
}

/** Bucket counts per prediction time, by bound. */
function histogramCounts(answer: RawAnswer, reader: PredictionTimes, place: AnswerPlace, times: AskedTimeIndex, faults: FaultList): Map<number, Map<number, number>> {
  const byLe = reader.counts(answer, place, times, (labels) => labels.le ?? '', (labels) => {
    if (labels.le === undefined) faults.add({ ...placeOf(place, labels), code: 'missing-le' });
    else if (boundOf(labels.le) === undefined) faults.add({ ...placeOf(place, labels), code: 'bad-le', le: labels.le });
    else return true;
    return false;
  });
  return new Map([...byLe].map(([bucket, counts]) => [bucket, new Map([...counts].map(([le, count]) => [boundOf(le)!, count]))]));
}

function boundOf(le: string): number | undefined {
  if (le === '+Inf' || le === 'Inf' || le === '+inf') return Infinity;
  const value = Number(le);
  return le.trim() !== '' && Number.isFinite(value) ? value : undefined;
}

/** Every bound of the side present, a +Inf bucket, counts that never fall with le (exact counters). */
function checkHistogram(histogram: Map<number, number>, bounds: readonly number[], place: ReturnType<typeof placeOf>, faults: FaultList): void {
  if (!histogram.has(Infinity)) {
    faults.add({ ...place, code: 'no-inf-bucket' });
    return;
  }
  let lower: [number, number] | undefined;
  for (const le of bounds) {
    const count = histogram.get(le);
    if (count === undefined) {
      faults.add({ ...place, code: 'missing-bound', le });
      continue;
    }
    if (lower && count < lower[1]) {
      faults.add(le === Infinity ? { ...place, code: 'inf-below-finite', count, lowerLe: lower[0], lowerCount: lower[1] } : { ...place, code: 'non-monotone-buckets', le, count, lowerLe: lower[0], lowerCount: lower[1] });
    }
    lower = [le, count];
  }
}

/** Reads and places the prediction time of each series. */
class PredictionTimes {
  readonly label: string;
  readonly #first: number;
  readonly #end: number;
  constructor(
    private readonly raw: RawLabelled,
    private readonly faults: FaultList,
  ) {
    this.label = raw.predictedAt;
    this.#first = raw.starts[0] ?? Infinity;
    this.#end = raw.starts.length ? raw.starts[raw.starts.length - 1] + raw.step : -Infinity;
  }

  /**
   * The prediction time of a series, or undefined: faulty (reported), or outside the prediction
   * intervals (before the window, or in the step still in progress).
   */
  bucketOf(labels: Labels, place: AnswerPlace): number | undefined {
    const value = labels[this.label];
    if (value === undefined) {
      this.faults.add({ ...placeOf(place, labels), code: 'missing-predicted-at', label: this.label });
      return undefined;
    }
    const t = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
    if (!Number.isFinite(t) || t > this.raw.at + this.raw.step) {
      this.faults.add({ ...placeOf(place, labels), code: 'bad-predicted-at', label: this.label, value, future: Number.isFinite(t) });
      return undefined;
    }
    return t >= this.#first && t < this.#end ? t : undefined;
  }

  intervalOf(bucket: number): number | undefined {
    const k = Math.floor((bucket - this.#first) / this.raw.step);
    return k >= 0 && k < this.raw.starts.length ? k : undefined;
  }

  /**
   * The counts of an answer grouped by prediction time and `groupOf` (the outcome, the bound):
   * one series per group, each count checked; `accept` may refuse a series (reported).
   */
  counts(answer: RawAnswer, place: AnswerPlace, times: AskedTimeIndex, groupOf: (labels: Labels) => string, accept?: (labels: Labels) => boolean): Map<number, Map<string, number>> {
    const out = new Map<number, Map<string, number>>();
    const kept = oneSeriesPerGroup(answer, (labels) => `${labels[this.label] ?? ''}\u0000${groupOf(labels)}`, place, this.faults);
    for (const series of kept) {
      const bucket = this.bucketOf(series.metric, place);
      if (bucket === undefined || (accept && !accept(series.metric))) continue;
      for (const { value, at } of times.samplesOf(series, place, this.faults)) {
        const count = checkedCount(value, placeOf(place, series.metric, at), this.faults);
        if (count === undefined) continue;
        const groups = out.get(bucket) ?? new Map<string, number>();
        groups.set(groupOf(series.metric), count);
        out.set(bucket, groups);
      }
    }
    return out;
  }
}
