/**
 * The request keys of labelled quality with delayed labels (src/judge/labelled-quality.ts), kept
 * apart from analyze-request.ts, which spreads them into its shapes:
 *
 * Inline (kinds proportion, continuous, distribution): `labelDelay` (how long after a prediction
 * its label is in), `intervalLength` (how long each interval lasts; the latest ends now),
 * `minLabelCoverage` (default 0.95), and per interval `predictions` (the predictions made in it;
 * the interval's labelled outcomes are a share of them). A proportion's `total` is then the
 * labelled predictions and `events` the correct ones (or the wrong ones, with direction
 * "increase"): its `direction` must be said, since neither reading is a safe default.
 *
 * Templates `labelled-accuracy` and `labelled-error`: `labelDelay`, `minLabelCoverage`,
 * `predictions` (the counter of predictions per prediction time) and `predictedAt` (the label
 * holding that time): src/sources/prometheus/labelled-templates.ts.
 */
import { z } from 'zod';
import type { LabelledTimeline, Margin } from '../judge/types';
import { labelledCount } from '../judge/label-coverage';
import { lenientNumber, expectedGot } from './lenient-numbers';
import { parseDurationSeconds } from './time-window';
import { MAX_WINDOW_SECONDS } from './limits';

/** Judge an interval once 95 % of each side's predictions in it have labels, unless told otherwise. */
export const DEFAULT_MIN_LABEL_COVERAGE = 0.95;
/** Accuracy may drop by at most 1 percentage point, unless told otherwise. */
export const DEFAULT_LABELLED_MARGIN: Margin = { absolute: 0.01 };
/** The templates that read labelled outcomes by prediction time. */
export const LABELLED_TEMPLATES = ['labelled-accuracy', 'labelled-error'] as const;

const duration = (what: string) =>
  z
    .string()
    .meta({ description: `${what}: a Prometheus duration such as "30s", "10m" or "1h30m"` })
    .transform((text, ctx) => {
      const seconds = parseDurationSeconds(text);
      if (seconds === undefined) {
        ctx.addIssue({ code: 'custom', message: expectedGot('a duration such as "30s", "10m" or "1h30m"', text) });
        return z.NEVER;
      }
      if (seconds > MAX_WINDOW_SECONDS) {
        ctx.addIssue({ code: 'custom', message: `got ${seconds.toLocaleString('en-US')} s; at most ${MAX_WINDOW_SECONDS / 86400} days (a limit of the service: labels later than the longest window can never be judged)` });
        return z.NEVER;
      }
      return seconds;
    });

const coverage = lenientNumber
  .refine((x) => x > 0 && x <= 1, 'must lie in (0, 1]: the share of each side\'s predictions in an interval that must have labels before it is judged (0.95 = 95 %)')
  .meta({ description: 'judge a prediction interval once this share of each side\'s predictions in it have labels (default 0.95)' });

/** The keys every labelled metric may have, inline or by template. */
export const labelledKeys = {
  labelDelay: duration('how long after a prediction its label is expected in (labelled quality): a prediction interval is judged no earlier').optional(),
  minLabelCoverage: coverage.optional(),
};

/** Inline only: how long each interval lasts (the latest ends now), which says how old each is. */
export const inlineLabelledKeys = {
  ...labelledKeys,
  intervalLength: duration('how long each interval lasts, the latest ending now (labelled quality: how old each interval is)').optional(),
};

type InlineSide = { readonly intervals?: readonly object[] };
type InlineLabelled = {
  readonly kind: string;
  readonly direction?: string;
  readonly labelDelay?: number;
  readonly minLabelCoverage?: number;
  readonly intervalLength?: number;
  readonly baseline: InlineSide;
  readonly canary: InlineSide;
};

const predictionsOf = (interval: object): number | undefined => (interval as { predictions?: number }).predictions;

/** The 400s of an inline labelled metric: every missing or inconsistent option, by its path. */
export function checkInlineLabelled(m: InlineLabelled, ctx: z.RefinementCtx): void {
  const labelled = m.labelDelay !== undefined;
  if (!labelled) {
    for (const key of ['minLabelCoverage', 'intervalLength'] as const) {
      if (m[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" applies to labelled metrics: give "labelDelay" (how long after a prediction its label is in) too` });
    }
    for (const side of ['baseline', 'canary'] as const) {
      const at = m[side].intervals?.findIndex((i) => predictionsOf(i) !== undefined) ?? -1;
      if (at >= 0) ctx.addIssue({ code: 'custom', path: [side, 'intervals', at, 'predictions'], message: '"predictions" apply to labelled metrics, whose labelled outcomes are a share of them: give "labelDelay" (how long after a prediction its label is in) too' });
    }
    return;
  }
  if (m.intervalLength === undefined) ctx.addIssue({ code: 'custom', path: ['intervalLength'], message: 'missing: a labelled metric needs how long each interval lasts (the latest ending now), e.g. "1m", to tell which intervals are "labelDelay" old' });
  if (m.kind === 'proportion' && m.direction === undefined) {
    ctx.addIssue({ code: 'custom', path: ['direction'], message: 'missing: say which way is worse for a labelled proportion: "decrease" when "events" count the correct predictions (accuracy), "increase" when they count the wrong ones' });
  }
  for (const side of ['baseline', 'canary'] as const) {
    const intervals = m[side].intervals;
    if (!intervals) {
      ctx.addIssue({ code: 'custom', path: [side, 'intervals'], message: 'missing: labelled quality is judged per prediction interval: give "intervals", each with its "predictions" (the predictions made in it) and its labelled outcomes so far' });
      continue;
    }
    let named = 0;
    intervals.forEach((interval, i) => {
      if (named >= 3) return;
      const predictions = predictionsOf(interval);
      if (predictions === undefined) {
        ctx.addIssue({ code: 'custom', path: [side, 'intervals', i, 'predictions'], message: 'missing: with "labelDelay" every interval needs its "predictions" (how many predictions were made in it), what its labelled outcomes are a share of' });
        named++;
        return;
      }
      const labels = labelledCount(interval as Parameters<typeof labelledCount>[0]);
      if (labels > predictions) {
        ctx.addIssue({ code: 'custom', path: [side, 'intervals', i, 'predictions'], message: `got ${predictions.toLocaleString('en-US')} predictions but ${labels.toLocaleString('en-US')} labelled outcomes (label coverage above 100 %): the labelled counts must be of the interval's own predictions` });
        named++;
      }
    });
  }
}

/**
 * The judge's labelled timeline of an inline metric (its intervals oldest first, the latest
 * ending now), or undefined when the metric is not labelled; `predictions` are read off the
 * intervals, which keep only their outcomes.
 */
export function inlineLabelledTimeline(m: InlineLabelled): LabelledTimeline | undefined {
  if (m.labelDelay === undefined || m.intervalLength === undefined || !m.baseline.intervals || !m.canary.intervals) return undefined;
  const n = m.baseline.intervals.length;
  const step = m.intervalLength;
  return {
    predictions: { baseline: m.baseline.intervals.map((i) => predictionsOf(i) ?? 0), canary: m.canary.intervals.map((i) => predictionsOf(i) ?? 0) },
    minCoverage: m.minLabelCoverage ?? DEFAULT_MIN_LABEL_COVERAGE,
    delaySeconds: m.labelDelay,
    ages: Array.from({ length: n }, (_, i) => (n - 1 - i) * step),
  };
}

/** An interval without its `predictions` (they move to the metric's labelled timeline). */
export function withoutPredictions<I extends object>(interval: I): I {
  if (!('predictions' in interval)) return interval;
  const { predictions: _predictions, ...rest } = interval as I & { predictions?: number };
  return rest as I;
}

type TemplateLabelled = {
  readonly template: string;
  readonly labelDelay?: number;
  readonly minLabelCoverage?: number;
  readonly predictions?: string;
  readonly predictedAt?: string;
  readonly metric?: string;
  readonly events?: string;
  readonly total?: string;
  readonly by?: string;
};

/** The 400s of a template metric's labelled options. */
export function checkTemplateLabelled(m: TemplateLabelled, ctx: z.RefinementCtx): void {
  const isLabelled = (LABELLED_TEMPLATES as readonly string[]).includes(m.template);
  if (!isLabelled) {
    for (const key of ['labelDelay', 'minLabelCoverage', 'predictions', 'predictedAt'] as const) {
      if (m[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" applies to the labelled templates (${LABELLED_TEMPLATES.join(', ')}), whose outcomes are counted by prediction time; template ${m.template} is not one` });
    }
    return;
  }
  if (m.labelDelay === undefined) ctx.addIssue({ code: 'custom', path: ['labelDelay'], message: `missing: template ${m.template} needs how long after a prediction its label is expected in, e.g. "10m": a prediction interval is judged no earlier` });
  if (m.template === 'labelled-accuracy') {
    if ((m.events === undefined) !== (m.total === undefined)) ctx.addIssue({ code: 'custom', path: [m.events === undefined ? 'events' : 'total'], message: 'give both "events" (the counter of correct labelled predictions) and "total" (of all labelled predictions), or neither (one counter split by "correct")' });
    if (m.events !== undefined && m.metric !== undefined) ctx.addIssue({ code: 'custom', path: ['metric'], message: 'give either "metric" (one counter split by its "correct" label) or "events" and "total" (correct and labelled counters), not both' });
    if (m.events !== undefined && m.by !== undefined) ctx.addIssue({ code: 'custom', path: ['by'], message: '"by" names the label that says whether a prediction was right on the one "metric" counter; with "events" and "total" there is none' });
  } else {
    for (const key of ['events', 'total', 'by'] as const) {
      if (m[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" applies to template labelled-accuracy; labelled-error reads one histogram ("metric", its _bucket series by "le")` });
    }
  }
}

/** Template defaults: accuracy is worse when it drops, by at most 1 pp unless told otherwise. */
export function labelledTemplateDefaults(m: { readonly template: string; readonly margin?: Margin; readonly direction?: string }): { margin?: Margin; direction?: 'decrease' } {
  if (m.template !== 'labelled-accuracy') return {};
  return { ...(m.margin === undefined ? { margin: DEFAULT_LABELLED_MARGIN } : {}), ...(m.direction === undefined ? { direction: 'decrease' as const } : {}) };
}
