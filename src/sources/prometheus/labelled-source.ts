/**
 * The fetch stage of the labelled templates (src/sources/prometheus/labelled-templates.ts): each
 * side's queries, instant at the window's end, all in parallel, handed as they came to the
 * validation stage (src/sources/validate/labelled-outcomes.ts), which places every count in
 * its prediction interval.
 */
import { DEFAULT_MIN_LABEL_COVERAGE } from '../../contracts/labelled-request';
import { linkedAbort } from '../linked-abort';
import type { FetchContext, FetchedMetric, TemplateMetric } from '../metric-source';
import type { InstantVector } from './client';
import { labelledQueries, planLabelledSide, predictionGrid, type LabelledPlan } from './labelled-templates';
import type { RawAnswer } from '../validate/raw-answer';
import { validateLabelled, type RawLabelledSide } from '../validate/labelled-outcomes';

/** An instant query at the window's end, shared by the analysis' metrics. */
export type InstantAtEnd = (query: string, signal: AbortSignal) => Promise<InstantVector>;

export async function fetchLabelled(metric: TemplateMetric, ctx: FetchContext, stepSeconds: number, instant: InstantAtEnd): Promise<FetchedMetric> {
  const plans = { baseline: planLabelledSide(metric, ctx.baseline, ctx.window, ctx.exclude), canary: planLabelledSide(metric, ctx.canary, ctx.window, ctx.exclude) };
  const grid = predictionGrid(ctx.window, stepSeconds);
  const siblings = linkedAbort(ctx.signal);
  let answers: RawLabelledSide[];
  try {
    answers = await Promise.all([plans.baseline, plans.canary].map((plan) => side(plan, (query) => answer(query, instant, siblings.signal))));
  } finally {
    siblings.dispose();
  }
  const validated = validateLabelled({
    name: metric.name,
    predictedAt: plans.baseline.predictedAt,
    at: ctx.window.end,
    starts: grid.starts,
    step: grid.step,
    delaySeconds: metric.labelDelaySeconds ?? 0,
    minCoverage: metric.minLabelCoverage ?? DEFAULT_MIN_LABEL_COVERAGE,
    baseline: answers[0],
    canary: answers[1],
  });
  return { ...validated, queries: { baseline: labelledQueries(plans.baseline), canary: labelledQueries(plans.canary) } };
}

async function answer(query: string, instant: InstantAtEnd, signal: AbortSignal): Promise<RawAnswer> {
  const vector = await instant(query, signal);
  return { query, series: vector.map((s) => ({ metric: s.metric, samples: [s.value] })) };
}

/** One side's queries, sent in parallel. */
async function side(plan: LabelledPlan, ask: (query: string) => Promise<RawAnswer>): Promise<RawLabelledSide> {
  switch (plan.shape) {
    case 'outcomes': {
      const [outcomes, predictions, resets] = await Promise.all([ask(plan.outcomes), ask(plan.predictions), ask(plan.resets)]);
      return { shape: 'outcomes', outcome: plan.outcome, outcomes, predictions, resets };
    }
    case 'correct-total': {
      const [correct, labelled, predictions, resets] = await Promise.all([ask(plan.correct), ask(plan.labelled), ask(plan.predictions), ask(plan.resets)]);
      return { shape: 'correct-total', correct, labelled, predictions, resets };
    }
    case 'histogram': {
      const [buckets, predictions, resets] = await Promise.all([ask(plan.buckets), ask(plan.predictions), ask(plan.resets)]);
      return { shape: 'histogram', kind: plan.kind, buckets, predictions, resets };
    }
  }
}
