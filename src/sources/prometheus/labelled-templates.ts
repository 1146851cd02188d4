/**
 * The PromQL of the labelled templates, which read outcomes by PREDICTION time (issue 25,
 * item 1; the judge: src/judge/labelled-quality.ts).
 *
 * | template | queries (one side, instant at the window's end, W its length, P `predictedAt`) | judged as |
 * |---|---|---|
 * | labelled-accuracy | `sum by (P, correct) (last_over_time(M{L}[W]))` (M default `model_labelled_predictions_total`, `correct` = "true"/"false", renamed by `by`), or `sum by (P) (last_over_time(E{L}[W]))` and the same of T (`events` correct, `total` labelled) | proportion |
 * | labelled-error | `sum by (P, le) (last_over_time(M_bucket{L}[W]))` (M default `model_labelled_abs_error`) | continuous or distribution |
 * | both | `sum by (P) (last_over_time(N{L}[W]))` (N `predictions`, default `model_predictions_total`), and each counter's resets: `sum by (counter, P) (label_replace(resets(X{L}[W]) > 0, "counter", "X", "", "") or ...)` | |
 *
 * How prediction time is represented, and why this way. Labels arrive minutes to days after
 * their predictions; an interval must be judged on the outcomes of the predictions MADE in it,
 * and its coverage (labelled / predictions) must compare like with like. Three ways were weighed:
 * 1. Counters incremented when a label arrives, without the prediction's time (what a feedback
 *    endpoint such as Seldon Core's does), and the judge shifts its window back by the delay.
 *    Not honest: labels arriving in a minute belong to predictions of many earlier minutes (the
 *    delay is a distribution, not a constant), so each "interval" mixes the fast labels of recent
 *    predictions with the slow labels of old ones, in proportions that follow the traffic split
 *    at those times: when the canary's share steps up, its arrivals are dominated by fast (easy)
 *    labels of its new traffic while the baseline's are the slow (hard) labels of its old
 *    traffic. No coverage can be computed either: nothing says which predictions a label is
 *    for. This is the naive judge of `npm run bench:labels`.
 * 2. Samples written at the prediction's timestamp (remote write with out-of-order ingestion,
 *    Prometheus >= 2.39). A counter cannot be incremented in the past: every later sample of
 *    the series would have to change, and Prometheus refuses a second value at a timestamp.
 * 3. Counters keyed by prediction time in a label (this): whoever joins labels to predictions
 *    (the model server's feedback path or a feedback job) increments
 *    `model_labelled_predictions_total{version, predicted_at, correct}` when a label arrives,
 *    with `predicted_at` the start of the prediction's minute in unix seconds, and whoever
 *    counts the predictions increments `model_predictions_total{version, predicted_at}` at
 *    prediction time. Each bucket's series is born at 0 and only grows, so its latest value IS
 *    the outcomes labelled so far for the predictions of that minute: no increase(), no
 *    extrapolation, exact integers, and numerator and denominator share the bucket, so the
 *    coverage is exact (a scrape offset cannot move a prediction to the next interval). The
 *    cost is cardinality: one series per bucket, version and outcome while the exporter keeps
 *    it (drop a bucket's series once its labels are in and it is older than the longest window
 *    judged: 6 h of 1-minute buckets is 360 x 2 series per version). `last_over_time` still
 *    finds a dropped series' last value inside the window.
 * A reset loses the counts before it (a restarted exporter starts its buckets from 0 again):
 * any reset inside the window is a fault (HTTP 503 naming the series), never an undercount.
 *
 * The revision's pods are not added to these selectors: the series usually come from the
 * feedback job's pods, not the model's. The sides are told apart by their labels (`version`).
 */
import type { Labels, TemplateMetric, TimeWindow } from '../metric-source';
import { checkLabelName, checkMetricName, PromQLInputError, quoteLabelValue, rangeSeconds, selector } from './promql';

export const DEFAULT_LABELLED_COUNTER = 'model_labelled_predictions_total';
export const DEFAULT_LABELLED_ERROR = 'model_labelled_abs_error';
export const DEFAULT_PREDICTIONS_COUNTER = 'model_predictions_total';
export const DEFAULT_PREDICTED_AT = 'predicted_at';
/** The label of `model_labelled_predictions_total` that says whether a prediction was right. */
export const DEFAULT_OUTCOME_LABEL = 'correct';

/** One side's queries for a labelled template, and how their answers become a side. */
export type LabelledPlan = {
  readonly predictedAt: string;
  readonly predictions: string;
  /** Each counter's resets within the window, by counter and prediction time (only those with any). */
  readonly resets: string;
} & (
  | { readonly shape: 'outcomes'; readonly outcome: string; readonly outcomes: string }
  | { readonly shape: 'correct-total'; readonly correct: string; readonly labelled: string }
  | { readonly shape: 'histogram'; readonly kind: 'continuous' | 'distribution'; readonly buckets: string }
);

export function isLabelledTemplate(metric: TemplateMetric): boolean {
  return metric.template === 'labelled-accuracy' || metric.template === 'labelled-error';
}

export function planLabelledSide(metric: TemplateMetric, labels: Labels, window: TimeWindow, exclude: Labels = {}): LabelledPlan {
  if (!(window.end > window.start)) throw new PromQLInputError(`the time window must end after it starts (start ${window.start}, end ${window.end}).`);
  const range = rangeSeconds(window.end - window.start);
  const at = checkLabelName(metric.predictedAt ?? DEFAULT_PREDICTED_AT);
  const excluded = Object.entries(exclude).map(([name, value]) => `${checkLabelName(name)}!=${quoteLabelValue(value)}`);
  const series = (name: string) => selector(checkMetricName(name), labels, { extra: excluded });
  const latest = (name: string, by: readonly string[]) => `sum by (${by.join(', ')}) (last_over_time(${series(name)}${range}))`;
  const resets = (names: readonly string[]) =>
    `sum by (counter, ${at}) (${names.map((name) => `label_replace(resets(${series(name)}${range}) > 0, "counter", ${quoteLabelValue(name)}, "", "")`).join(' or ')})`;
  const predictionsCounter = metric.predictions ?? DEFAULT_PREDICTIONS_COUNTER;
  const common = { predictedAt: at, predictions: latest(predictionsCounter, [at]) };
  switch (metric.template) {
    case 'labelled-accuracy': {
      if (metric.events !== undefined && metric.total !== undefined) {
        return { ...common, shape: 'correct-total', correct: latest(metric.events, [at]), labelled: latest(metric.total, [at]), resets: resets([metric.events, metric.total, predictionsCounter]) };
      }
      const counter = metric.metric ?? DEFAULT_LABELLED_COUNTER;
      const outcome = checkLabelName(metric.by ?? DEFAULT_OUTCOME_LABEL);
      return { ...common, shape: 'outcomes', outcome, outcomes: latest(counter, [at, outcome]), resets: resets([counter, predictionsCounter]) };
    }
    case 'labelled-error': {
      const base = metric.metric ?? DEFAULT_LABELLED_ERROR;
      const bucket = base.endsWith('_bucket') ? base : `${base}_bucket`;
      const kind = metric.kind ?? 'continuous';
      if (kind !== 'continuous' && kind !== 'distribution') throw new PromQLInputError(`template labelled-error can be judged as continuous or distribution, not ${kind}.`);
      return { ...common, shape: 'histogram', kind, buckets: latest(bucket, [at, 'le']), resets: resets([bucket, predictionsCounter]) };
    }
    default:
      throw new PromQLInputError(`template ${metric.template} does not read labelled outcomes.`);
  }
}

/** The queries of a plan, in the order they are sent. */
export function labelledQueries(plan: LabelledPlan): string[] {
  switch (plan.shape) {
    case 'outcomes':
      return [plan.outcomes, plan.predictions, plan.resets];
    case 'correct-total':
      return [plan.correct, plan.labelled, plan.predictions, plan.resets];
    case 'histogram':
      return [plan.buckets, plan.predictions, plan.resets];
  }
}

/**
 * The prediction intervals of a window: whole steps aligned to multiples of the step (so
 * minute buckets never straddle two intervals), inside the window; the step in progress at its
 * end is left out (its predictions are still being made).
 */
export function predictionGrid(window: TimeWindow, step: number): { starts: number[]; step: number } {
  const first = Math.ceil(window.start / step) * step;
  const starts: number[] = [];
  for (let t = first; t + step <= window.end; t += step) starts.push(t);
  return { starts, step };
}
