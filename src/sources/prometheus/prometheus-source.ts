/**
 * `MetricSource` over Prometheus, the fetch stage: the template's PromQL per side
 * (templates.ts), all of one metric's queries in parallel, and the answers handed as they came
 * to the validation stage (src/sources/validate/), which checks every sample and turns them
 * into the judge's side shapes, or refuses them naming each fault.
 *
 * A window is fetched either as one total per side (instant queries at its end over the whole
 * window) or, with `timelineStepSeconds`, as a timeline: range queries of increase() over one
 * step, each point one interval. A side without any series is empty (`values: []`, 0/0, no
 * categories): the judge answers "no data"; `noSeries` is set when neither side had a series.
 */
import type { FetchContext, FetchedMetric, Labels, MetricSource, TemplateMetric, TimeWindow } from '../metric-source';
import type { InstantVector, PrometheusClient, RangeMatrix } from './client';
import { ISTIO_REQUESTS, planQueries, planSide, type PlanOptions, type SidePlan } from './templates';
import { linkedAbort } from '../linked-abort';
import type { SideActivity } from '../revision/identify-revision';
import { escapeRegex } from '../revision/pod-names';
import { stepsWithCounts } from '../validate/revision-lookup';
import { quoteLabelValue, rangeSeconds, selector } from './promql';
import type { AskedTimes, RawAnswer, RawSide } from '../validate/raw-answer';
import { validateMetric } from '../validate/validate-metric';
import { validateSegmentedMetric } from '../validate/segments';
import { fetchLabelled } from './labelled-source';
import { isLabelledTemplate } from './labelled-templates';


export class PrometheusSource implements MetricSource {
  constructor(private readonly client: PrometheusClient) {}

  async fetch(metric: TemplateMetric, ctx: FetchContext): Promise<FetchedMetric> {
    // Labelled outcomes are read by prediction time (src/sources/prometheus/labelled-templates.ts).
    if (isLabelledTemplate(metric)) return fetchLabelled(metric, ctx, timelineStep(ctx.window, ctx.timelineStepSeconds ?? 60), (query, signal) => this.instant(query, ctx.window.end, ctx, signal));
    const whole = planSide(metric, ctx.baseline, ctx.window, planOptions(ctx, 'baseline'));
    // A timeline asks for increase() over one step at every step (custom queries stay as they are).
    const step = ctx.timelineStepSeconds !== undefined && whole.shape !== 'values' ? timelineStep(ctx.window, ctx.timelineStepSeconds) : undefined;
    const over = step !== undefined ? { start: 0, end: step } : ctx.window;
    const plans = { baseline: planSide(metric, ctx.baseline, over, planOptions(ctx, 'baseline')), canary: planSide(metric, ctx.canary, over, planOptions(ctx, 'canary')) };
    const ask = askFor(plans.baseline, ctx.window, step);

    // The first failed query abandons its siblings (Promise.all settles at once, then `finally`)
    // instead of letting them run to their own timeouts.
    const siblings = linkedAbort(ctx.signal);
    // Shadow pairs without a noise floor: the baseline side is not asked (an empty side, never read).
    const skipBaseline = metric.template === 'shadow-pairs' && metric.noiseFloor === false && plans.baseline.shape === 'categorical';
    let answers: RawSide[];
    try {
      answers = await Promise.all([plans.baseline, plans.canary].map((plan, i) => (i === 0 && skipBaseline ? Promise.resolve(notAsked(plan)) : this.side(plan, ask, ctx, siblings.signal))));
    } finally {
      siblings.dispose();
    }
    const raw = { name: metric.name, kind: kindOf(plans.baseline), asked: ask.asked, baseline: answers[0], canary: answers[1], ...(metric.threshold !== undefined ? { bounds: [metric.threshold] } : {}) };
    // Segmented: the answers hold every segment's series, split and validated per segment.
    const validated = metric.segmentBy !== undefined ? validateSegmentedMetric(raw, metric.segmentBy) : validateMetric(raw);
    // The interval's length lets the projection speak in time ("about 8 minutes").
    return { ...validated, queries: { baseline: skipBaseline ? [] : planQueries(plans.baseline), canary: planQueries(plans.canary) }, ...(step !== undefined ? { intervalSeconds: step } : {}) };
  }

  /**
   * The side's requests per pod and step, as `reporter` reports them, and the pods whose series
   * are present at the window's end (src/sources/revision/identify-revision.ts). The steps are
   * the asked ones (not lengthened to MAX_TIMELINE_POINTS): where a revision began matters to
   * the step.
   */
  async sideActivity(labels: Labels, window: TimeWindow, stepSeconds: number, signal: AbortSignal, reporter: string, pods?: string, side: 'baseline' | 'canary' = 'canary'): Promise<SideActivity> {
    const grid = timelineGrid(window, stepSeconds);
    const { reporter: _own, ...rest } = labels;
    const requests = selector(ISTIO_REQUESTS, { ...rest, reporter }, { extra: pods !== undefined ? [`pod=~${quoteLabelValue(pods)}`] : [] });
    const perPod = `sum by (pod) (increase(${requests}${rangeSeconds(stepSeconds)}))`;
    const [matrix, vector] = await Promise.all([
      this.client.range(perPod, grid[0], grid[grid.length - 1], stepSeconds, signal),
      this.client.instant(`count by (pod) (${requests})`, window.end, signal),
    ]);
    return {
      traffic: stepsWithCounts(matrix, 'pod', perPod, side).map(({ key, stepEnds }) => ({ pod: key, stepEnds })),
      present: new Set(vector.map((series) => series.metric.pod ?? '')),
    };
  }

  /**
   * A side's ReplicaSets from kube-state-metrics (its default metrics): per step, the ReplicaSets
   * with ready pods, either the one whose name ends in the pod-template hash or those the
   * workload (Deployment, Rollout) owns. Each ReplicaSet is one entry, marked `replicaSet`.
   */
  async replicaSetActivity(namespace: string, of: { readonly hash: string } | { readonly owner: string }, window: TimeWindow, stepSeconds: number, signal: AbortSignal, side: 'baseline' | 'canary' = 'canary'): Promise<SideActivity> {
    const grid = timelineGrid(window, stepSeconds);
    const ns = `namespace=${quoteLabelValue(namespace)}`;
    const ready =
      'hash' in of
        ? `max by (replicaset) (kube_replicaset_status_ready_replicas{${ns},replicaset=~${quoteLabelValue(`.+-${escapeRegex(of.hash)}`)}})`
        : `max by (replicaset) (kube_replicaset_status_ready_replicas{${ns}} * on (namespace, replicaset) group_left () kube_replicaset_owner{${ns},owner_name=${quoteLabelValue(of.owner)}})`;
    const matrix = await this.client.range(ready, grid[0], grid[grid.length - 1], stepSeconds, signal);
    const end = grid[grid.length - 1];
    const traffic = stepsWithCounts(matrix, 'replicaset', ready, side).flatMap(({ key, stepEnds }) => (key ? [{ pod: key, replicaSet: true as const, stepEnds }] : []));
    const present = new Set(matrix.flatMap((series) => (series.metric.replicaset && series.values.some(([time, value]) => Math.round(time) === Math.round(end) && value > 0) ? [series.metric.replicaset] : [])));
    return { traffic, present, via: 'kube-state-metrics' };
  }

  /** Flagger's `flagger_canary_weight` gauge of a workload, per step of the window (one series: the largest, should there be several). */
  async flaggerWeights(workload: string, namespace: string, window: TimeWindow, stepSeconds: number, signal: AbortSignal): Promise<{ samples: readonly (readonly [number, number])[]; query: string }> {
    const grid = timelineGrid(window, stepSeconds);
    const query = `max(flagger_canary_weight{workload=${quoteLabelValue(workload)},namespace=${quoteLabelValue(namespace)}})`;
    const matrix = await this.client.range(query, grid[0], grid[grid.length - 1], stepSeconds, signal);
    return { samples: matrix[0]?.values ?? [], query };
  }

  /**
   * One query of an analysis, sent once: metrics reading the same series (p50, p95 and p99 of
   * one histogram) share the answer through `ctx.shared`. A shared query runs under the
   * analysis' own signal, so one metric's abandoned siblings cannot cancel it for the others.
   */
  private once<T>(ctx: FetchContext, key: string, run: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    if (!ctx.shared) return run(signal);
    let answer = ctx.shared.get(key) as Promise<T> | undefined;
    if (!answer) {
      answer = run(ctx.signal);
      ctx.shared.set(key, answer);
    }
    return answer;
  }

  private instant(query: string, at: number, ctx: FetchContext, signal: AbortSignal): Promise<InstantVector> {
    return this.once(ctx, `instant ${at} ${query}`, (s) => this.client.instant(query, at, s), signal);
  }

  private range(query: string, start: number, end: number, step: number, ctx: FetchContext, signal: AbortSignal): Promise<RangeMatrix> {
    return this.once(ctx, `range ${start} ${end} ${step} ${query}`, (s) => this.client.range(query, start, end, step, s), signal);
  }

  /** One side's queries, sent in parallel, their answers as they came. */
  private async side(plan: SidePlan, ask: Ask, ctx: FetchContext, signal: AbortSignal): Promise<RawSide> {
    const answer = (query: string) => this.answer(query, ask, ctx, signal);
    switch (plan.shape) {
      case 'histogram': {
        const [buckets, bucketSeries] = await Promise.all([answer(plan.query), answer(plan.series)]);
        return { shape: 'histogram', buckets, bucketSeries };
      }
      case 'native-histogram': {
        const [native, classic, classicSeries] = await Promise.all([this.answer(plan.native, ask, ctx, signal, true), answer(plan.classic), answer(plan.classicSeries)]);
        return { shape: 'native-histogram', native, classic, classicSeries };
      }
      case 'proportion': {
        const [events, total, clientFailed] = await Promise.all([answer(plan.events), answer(plan.total), plan.clientFailed !== undefined ? answer(plan.clientFailed) : undefined]);
        return { shape: 'proportion', events, total, ...(clientFailed ? { clientFailed } : {}) };
      }
      case 'categorical':
        return { shape: 'categorical', by: plan.by, categories: await answer(plan.query) };
      case 'values':
        return { shape: 'values', values: await answer(plan.query) };
    }
  }

  /** One query's answer; `histograms`: one that may hold native histograms (their samples kept beside the numbers). */
  private async answer(query: string, ask: Ask, ctx: FetchContext, signal: AbortSignal, histograms = false): Promise<RawAnswer> {
    if (histograms) {
      const { instant, range } = ask;
      const series = await this.once(
        ctx,
        instant !== undefined ? `instant-mixed ${instant} ${query}` : `range-mixed ${range.start} ${range.end} ${range.step} ${query}`,
        (s) => (instant !== undefined ? this.client.instantMixed(query, instant, s) : this.client.rangeMixed(query, range.start, range.end, range.step, s)),
        signal,
      );
      return { query, series: series.map((s) => ({ metric: s.metric, samples: s.values, histograms: s.histograms })) };
    }
    if (ask.instant !== undefined) {
      const vector = await this.instant(query, ask.instant, ctx, signal);
      return { query, series: vector.map((s) => ({ metric: s.metric, samples: [s.value] })) };
    }
    const { start, end, step } = ask.range;
    const matrix = await this.range(query, start, end, step, ctx, signal);
    return { query, series: matrix.map((s) => ({ metric: s.metric, samples: s.values })) };
  }
}

/** A side that is not asked: a categorical answer without series. */
function notAsked(plan: SidePlan): RawSide {
  if (plan.shape !== 'categorical') throw new Error(`internal: only a categorical side can go unasked, not ${plan.shape}`);
  return { shape: 'categorical', by: plan.by, categories: { query: '', series: [] } };
}

/** How a metric's queries are sent, and the times their samples must be at. */
type Ask = { readonly asked: AskedTimes } & ({ readonly instant: number; readonly range?: undefined } | { readonly instant?: undefined; readonly range: { start: number; end: number; step: number } });

/**
 * Instant queries at the window's end (one total per side); a timeline's range query, one
 * point per interval end; or a custom query's range over the window, every point a value.
 */
function askFor(plan: SidePlan, window: TimeWindow, timelineStepSeconds: number | undefined): Ask {
  if (timelineStepSeconds !== undefined) {
    const grid = timelineGrid(window, timelineStepSeconds);
    return { range: { start: grid[0], end: grid[grid.length - 1], step: timelineStepSeconds }, asked: { times: grid, intervals: true } };
  }
  if (plan.shape !== 'values') return { instant: window.end, asked: { times: [window.end], intervals: false } };
  // Counted as Prometheus counts them, in whole milliseconds from the start to the end.
  const [start, end, step] = [window.start, window.end, plan.stepSeconds].map((t) => Math.round(t * 1000));
  const times: number[] = [];
  for (let t = start; t <= end; t += step) times.push(t / 1000);
  return { range: { start: window.start, end: window.end, step: plan.stepSeconds }, asked: { times, intervals: false } };
}

/** How one side's queries are planned: the analysis' reporter, the side's revision pins, the series left out of both. */
function planOptions(ctx: FetchContext, side: 'baseline' | 'canary'): PlanOptions {
  return { reporter: ctx.reporter, ...ctx.pins?.[side], ...(ctx.exclude ? { exclude: ctx.exclude } : {}) };
}

function kindOf(plan: SidePlan): 'continuous' | 'distribution' | 'proportion' | 'categorical' {
  return plan.shape === 'histogram' || plan.shape === 'native-histogram' || plan.shape === 'values' ? plan.kind : plan.shape;
}

/** At most this many intervals per side: a longer window gets a longer step. */
export const MAX_TIMELINE_POINTS = 240;

/**
 * The step actually used for a window: the asked step, lengthened so the window has at most
 * MAX_TIMELINE_POINTS intervals; a window shorter than one step is one interval of its own length.
 */
export function timelineStep(window: { start: number; end: number }, askedSeconds: number): number {
  const span = window.end - window.start;
  if (span < askedSeconds) return Math.max(1, Math.floor(span));
  return Math.max(askedSeconds, Math.ceil(span / MAX_TIMELINE_POINTS / askedSeconds) * askedSeconds);
}

/**
 * The end of each interval of the window, the last at the window's end and each one step before
 * the next: a window that is not a whole number of steps loses its oldest part, never its latest.
 */
export function timelineGrid(window: { start: number; end: number }, step: number): number[] {
  const count = Math.max(1, Math.floor((window.end - window.start) / step));
  return Array.from({ length: count }, (_, k) => window.end - (count - 1 - k) * step);
}
