/**
 * `MetricSource` over Prometheus: the template's PromQL per side (templates.ts), all of one
 * metric's queries in parallel, and the answers turned into the judge's side shapes.
 *
 * Conversion rules:
 * - counts from increase() are rounded (Math.round); negatives that round to 0 become 0, a
 *   larger negative means the metric is not a counter and the answer is unusable;
 * - NaN samples are dropped (Kayenta's default NaN strategy, "remove");
 * - ±Inf in a count or a bucket, a bucket without a numeric `le`, or no `+Inf` bucket makes the
 *   answer unusable (`SourceUnavailableError`, reason `malformed`);
 * - histogram buckets are summed per numeric `le` ("1" and "1.0" are one bucket), sorted, and
 *   kept cumulative with a running maximum (increase() extrapolation can break it slightly);
 * - a side without any series is empty (`values: []`, 0/0, no categories): the judge answers
 *   "no data"; `noSeries` is set when neither side had a series.
 */
import type { CategoricalSide, CountSide, HistogramBucket, ValuesSide } from '../../judge/types';
import { SourceUnavailableError, type ClientSideFailures, type FetchContext, type FetchedMetric, type Labels, type MetricSource, type TemplateMetric, type TimeWindow } from '../metric-source';
import { parseSampleValue, type InstantVector, type PrometheusClient, type RangeMatrix, type VectorSeries } from './client';
import { sumCategoricalIntervals, sumCountIntervals, sumValuesIntervals } from '../../judge/timeline';
import { ISTIO_REQUESTS, planQueries, planSide, type PlanOptions, type SidePlan } from './templates';
import { linkedAbort } from '../linked-abort';
import type { SideActivity } from '../revision/identify-revision';
import { escapeRegex } from '../revision/pod-names';
import { quoteLabelValue, rangeSeconds, selector } from './promql';

type SideName = 'baseline' | 'canary';
type Converted =
  | { readonly shape: 'values'; readonly side: ValuesSide }
  | { readonly shape: 'proportion'; readonly side: CountSide }
  | { readonly shape: 'categorical'; readonly side: CategoricalSide };
interface SideAnswer {
  readonly converted: Converted;
  readonly series: number;
  /** Requests its callers' proxies failed (proportion plans with `clientFailed`), by response flags. */
  readonly clientSide?: ClientSideFailures;
}

export class PrometheusSource implements MetricSource {
  constructor(private readonly client: PrometheusClient) {}

  async fetch(metric: TemplateMetric, ctx: FetchContext): Promise<FetchedMetric> {
    const plans = { baseline: planSide(metric, ctx.baseline, ctx.window, planOptions(ctx, 'baseline')), canary: planSide(metric, ctx.canary, ctx.window, planOptions(ctx, 'canary')) };
    // A timeline asks for increase() over one step at every step (custom queries stay as they are).
    const stepWindow = ctx.timelineStepSeconds !== undefined && plans.baseline.shape !== 'values' ? { start: 0, end: timelineStep(ctx.window, ctx.timelineStepSeconds) } : undefined;
    const sent = stepWindow
      ? { baseline: planSide(metric, ctx.baseline, stepWindow, planOptions(ctx, 'baseline')), canary: planSide(metric, ctx.canary, stepWindow, planOptions(ctx, 'canary')) }
      : plans;
    const queries = { baseline: planQueries(sent.baseline), canary: planQueries(sent.canary) };

    // The first failed query abandons its siblings (Promise.all settles at once, then `finally`)
    // instead of letting them run to their own timeouts.
    const siblings = linkedAbort(ctx.signal);
    let baseline: SideAnswer;
    let canary: SideAnswer;
    try {
      [baseline, canary] = await Promise.all([this.side(metric, 'baseline', plans.baseline, ctx, siblings.signal), this.side(metric, 'canary', plans.canary, ctx, siblings.signal)]);
    } finally {
      siblings.dispose();
    }

    const noSeries = baseline.series === 0 && canary.series === 0 ? { noSeries: true as const } : {};
    // The interval's length lets the projection speak in time ("about 8 minutes").
    const extra = { ...noSeries, ...(stepWindow ? { intervalSeconds: stepWindow.end } : {}) };
    const b = baseline.converted;
    const c = canary.converted;
    if (b.shape === 'values' && c.shape === 'values') {
      const kind = plans.baseline.shape === 'histogram' || plans.baseline.shape === 'values' ? plans.baseline.kind : 'continuous';
      return { kind, baseline: b.side, canary: c.side, queries, ...extra };
    }
    if (b.shape === 'proportion' && c.shape === 'proportion') {
      const clientSide = baseline.clientSide && canary.clientSide ? { clientSide: { baseline: baseline.clientSide, canary: canary.clientSide } } : {};
      return { kind: 'proportion', baseline: b.side, canary: c.side, queries, ...extra, ...clientSide };
    }
    if (b.shape === 'categorical' && c.shape === 'categorical') return { kind: 'categorical', baseline: b.side, canary: c.side, queries, ...extra };
    throw new Error('internal: the two sides of one metric have different shapes');
  }

  /**
   * The side's requests per pod and step, as `reporter` reports them, and the pods whose series
   * are present at the window's end (src/sources/revision/identify-revision.ts). The steps are
   * the asked ones (not lengthened to MAX_TIMELINE_POINTS): where a revision began matters to
   * the step.
   */
  async sideActivity(labels: Labels, window: TimeWindow, stepSeconds: number, signal: AbortSignal, reporter: string, pods?: string): Promise<SideActivity> {
    const grid = timelineGrid(window, stepSeconds);
    const { reporter: _own, ...rest } = labels;
    const requests = selector(ISTIO_REQUESTS, { ...rest, reporter }, { extra: pods !== undefined ? [`pod=~${quoteLabelValue(pods)}`] : [] });
    const [matrix, vector] = await Promise.all([
      this.client.range(`sum by (pod) (increase(${requests}${rangeSeconds(stepSeconds)}))`, grid[0], grid[grid.length - 1], stepSeconds, signal),
      this.client.instant(`count by (pod) (${requests})`, window.end, signal),
    ]);
    return {
      traffic: matrix.map((series) => ({ pod: series.metric.pod ?? '', stepEnds: series.values.filter(([, value]) => value > 0).map(([time]) => time) })),
      present: new Set(vector.map((series) => series.metric.pod ?? '')),
    };
  }

  /**
   * A side's ReplicaSets from kube-state-metrics (its default metrics): per step, the ReplicaSets
   * with ready pods, either the one whose name ends in the pod-template hash or those the
   * workload (Deployment, Rollout) owns. Each ReplicaSet is one entry, marked `replicaSet`.
   */
  async replicaSetActivity(namespace: string, of: { readonly hash: string } | { readonly owner: string }, window: TimeWindow, stepSeconds: number, signal: AbortSignal): Promise<SideActivity> {
    const grid = timelineGrid(window, stepSeconds);
    const ns = `namespace=${quoteLabelValue(namespace)}`;
    const ready =
      'hash' in of
        ? `max by (replicaset) (kube_replicaset_status_ready_replicas{${ns},replicaset=~${quoteLabelValue(`.+-${escapeRegex(of.hash)}`)}})`
        : `max by (replicaset) (kube_replicaset_status_ready_replicas{${ns}} * on (namespace, replicaset) group_left () kube_replicaset_owner{${ns},owner_name=${quoteLabelValue(of.owner)}})`;
    const matrix = await this.client.range(ready, grid[0], grid[grid.length - 1], stepSeconds, signal);
    const end = grid[grid.length - 1];
    const traffic = matrix.flatMap((series) => {
      const name = series.metric.replicaset;
      return name ? [{ pod: name, replicaSet: true as const, stepEnds: series.values.filter(([, value]) => value > 0).map(([time]) => time) }] : [];
    });
    const present = new Set(matrix.flatMap((series) => (series.metric.replicaset && series.values.some(([time, value]) => Math.round(time) === Math.round(end) && value > 0) ? [series.metric.replicaset] : [])));
    return { traffic, present, via: 'kube-state-metrics' };
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

  private async side(metric: TemplateMetric, name: SideName, plan: SidePlan, ctx: FetchContext, signal: AbortSignal): Promise<SideAnswer> {
    const at = ctx.window.end;
    const what = `metric ${JSON.stringify(metric.name)} (${name})`;
    if (ctx.timelineStepSeconds !== undefined && plan.shape !== 'values') return this.timelineSide(metric, name, ctx, signal);
    switch (plan.shape) {
      case 'histogram': {
        const vector = await this.instant(plan.query, at, ctx, signal);
        return { converted: { shape: 'values', side: toHistogram(vector, what) }, series: vector.length };
      }
      case 'proportion': {
        const [events, total, failed] = await Promise.all([
          this.instant(plan.events, at, ctx, signal),
          this.instant(plan.total, at, ctx, signal),
          plan.clientFailed !== undefined ? this.instant(plan.clientFailed, at, ctx, signal) : undefined,
        ]);
        const clientSide = failed && byFlags(failed, `${what} client-side failures`);
        const extra = clientSide?.count ?? 0;
        return {
          converted: { shape: 'proportion', side: toCounts(sumOf(events, `${what} events`) + extra, sumOf(total, `${what} total`) + extra, what) },
          series: events.length + total.length + (failed?.length ?? 0),
          ...(clientSide ? { clientSide } : {}),
        };
      }
      case 'categorical': {
        const vector = await this.instant(plan.query, at, ctx, signal);
        return { converted: { shape: 'categorical', side: toCategories(vector, plan.by, what) }, series: vector.length };
      }
      case 'values': {
        const matrix = await this.range(plan.query, ctx.window.start, ctx.window.end, plan.stepSeconds, ctx, signal);
        return { converted: { shape: 'values', side: toValues(matrix, what) }, series: matrix.length };
      }
    }
  }

  /**
   * One side as a timeline: the template's query with increase() over one step, as a range
   * query whose points are the intervals' counts (each point covers the step before it).
   */
  private async timelineSide(metric: TemplateMetric, name: SideName, ctx: FetchContext, signal: AbortSignal): Promise<SideAnswer> {
    const what = `metric ${JSON.stringify(metric.name)} (${name})`;
    const step = timelineStep(ctx.window, ctx.timelineStepSeconds!);
    const grid = timelineGrid(ctx.window, step);
    const labels = name === 'baseline' ? ctx.baseline : ctx.canary;
    const plan = planSide(metric, labels, { start: 0, end: step }, planOptions(ctx, name));
    const first = grid[0];
    const last = grid[grid.length - 1];
    switch (plan.shape) {
      case 'histogram': {
        const matrix = await this.range(plan.query, first, last, step, ctx, signal);
        const intervals = alignedHistograms(vectorsAt(matrix, grid).map((v) => toHistogram(v, what)));
        return { converted: { shape: 'values', side: { ...sumValuesIntervals(intervals), intervals } as ValuesSide }, series: matrix.length };
      }
      case 'proportion': {
        const [events, total, failed] = await Promise.all([
          this.range(plan.events, first, last, step, ctx, signal),
          this.range(plan.total, first, last, step, ctx, signal),
          plan.clientFailed !== undefined ? this.range(plan.clientFailed, first, last, step, ctx, signal) : undefined,
        ]);
        const e = vectorsAt(events, grid);
        const t = vectorsAt(total, grid);
        const f = failed && vectorsAt(failed, grid).map((v) => byFlags(v, `${what} client-side failures`));
        const intervals = grid.map((_, k) => {
          const extra = f?.[k].count ?? 0;
          return toCounts(sumOf(e[k], `${what} events`) + extra, sumOf(t[k], `${what} total`) + extra, what);
        });
        const clientSide = f && mergeFlags(f);
        return {
          converted: { shape: 'proportion', side: { ...sumCountIntervals(intervals), intervals } },
          series: events.length + total.length + (failed?.length ?? 0),
          ...(clientSide ? { clientSide } : {}),
        };
      }
      case 'categorical': {
        const matrix = await this.range(plan.query, first, last, step, ctx, signal);
        const intervals = vectorsAt(matrix, grid).map((v) => toCategories(v, plan.by, what));
        return { converted: { shape: 'categorical', side: { ...sumCategoricalIntervals(intervals), intervals } }, series: matrix.length };
      }
      case 'values':
        throw new Error('internal: a custom query has no timeline');
    }
  }
}

/** How one side's queries are planned: the analysis' reporter and the side's revision pins. */
function planOptions(ctx: FetchContext, side: SideName): PlanOptions {
  return { reporter: ctx.reporter, ...ctx.pins?.[side], ...(ctx.exclude ? { exclude: ctx.exclude } : {}) };
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

/** Samples of a matrix regrouped per grid time, as instant vectors (a missing sample: the series had no increase there). */
function vectorsAt(matrix: RangeMatrix, grid: readonly number[]): InstantVector[] {
  const index = new Map(grid.map((t, k) => [Math.round(t), k]));
  const out: VectorSeries[][] = grid.map(() => []);
  for (const series of matrix) {
    for (const sample of series.values) {
      const k = index.get(Math.round(sample[0]));
      if (k !== undefined) out[k].push({ metric: series.metric, value: sample });
    }
  }
  return out;
}

/** Every interval on one set of bucket bounds (the union over the side), cumulative counts carried across bounds an interval lacks. */
function alignedHistograms(intervals: readonly ValuesSide[]): ValuesSide[] {
  const bounds = [...new Set(intervals.flatMap((i) => ('histogram' in i ? i.histogram.buckets.map((b) => b.le) : [])))].sort((a, b) => a - b);
  if (!bounds.length) return intervals.map(() => ({ values: [] }));
  return intervals.map((interval) => {
    const raw = new Map('histogram' in interval ? interval.histogram.buckets.map((b) => [b.le, b.count] as const) : []);
    let running = 0;
    return { histogram: { buckets: bounds.map((le) => ({ le, count: (running = Math.max(running, raw.get(le) ?? running)) })) } };
  });
}

function unusable(what: string, why: string): SourceUnavailableError {
  return new SourceUnavailableError(`Prometheus gave an unusable answer for ${what}: ${why}`, 'malformed');
}

/** A count from increase(): undefined for NaN (dropped), rounded, tiny negatives clamped. */
function count(value: number, what: string): number | undefined {
  if (Number.isNaN(value)) return undefined;
  if (!Number.isFinite(value)) throw unusable(what, `a count is ${value > 0 ? '+Inf' : '-Inf'}`);
  const rounded = Math.round(value);
  if (rounded < 0) throw unusable(what, `a count is negative (${value}); is the metric a counter?`);
  return rounded === 0 ? 0 : rounded; // no -0
}

/** Client-side failures by their response flags ("UH", "URX,UF"). */
function byFlags(vector: InstantVector, what: string): ClientSideFailures {
  const flags: Record<string, number> = Object.create(null);
  let total = 0;
  for (const series of vector) {
    const c = count(series.value[1], what) ?? 0;
    if (c === 0) continue;
    const name = series.metric.response_flags ?? '';
    flags[name] = (flags[name] ?? 0) + c;
    total += c;
  }
  return { count: total, flags };
}

function mergeFlags(parts: readonly ClientSideFailures[]): ClientSideFailures {
  const flags: Record<string, number> = Object.create(null);
  let total = 0;
  for (const part of parts) {
    total += part.count;
    for (const [name, c] of Object.entries(part.flags)) flags[name] = (flags[name] ?? 0) + c;
  }
  return { count: total, flags };
}

function sumOf(vector: InstantVector, what: string): number {
  let total = 0;
  for (const series of vector) total += count(series.value[1], what) ?? 0;
  return total;
}

function toCounts(events: number, total: number, what: string): CountSide {
  if (events <= total) return { events, total };
  // Separately extrapolated counters can overshoot a little; a large excess is a wrong setup.
  if (events - total <= Math.max(1, 0.01 * total)) return { events: total, total };
  throw unusable(what, `${events} events exceed the total of ${total}; are "events" and "total" the right counters?`);
}

function toHistogram(vector: InstantVector, what: string): ValuesSide {
  if (vector.length === 0) return { values: [] };
  // Raw sums per numeric bound ("1" and "1.0" from different targets are one bucket).
  const byLe = new Map<number, number>();
  for (const series of vector) {
    const text = series.metric.le;
    const le = text === undefined ? undefined : parseSampleValue(text);
    if (le === undefined || Number.isNaN(le)) throw unusable(what, `a bucket series has ${text === undefined ? 'no "le" label' : `le=${JSON.stringify(text.slice(0, 40))}, not a number`}`);
    const value = series.value[1];
    if (Number.isNaN(value)) continue;
    if (!Number.isFinite(value)) throw unusable(what, `bucket le="${text}" counts ${value > 0 ? '+Inf' : '-Inf'}`);
    byLe.set(le, (byLe.get(le) ?? 0) + value);
  }
  if (byLe.size === 0) return { values: [] };
  const sorted = [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  if (sorted[sorted.length - 1][0] !== Infinity) throw unusable(what, 'the histogram has no le="+Inf" bucket');
  let running = 0;
  const buckets: HistogramBucket[] = sorted.map(([le, raw]) => ({ le, count: (running = Math.max(running, count(raw, `${what} bucket le=${le}`)!)) }));
  return { histogram: { buckets } };
}

function toCategories(vector: InstantVector, by: string, what: string): CategoricalSide {
  const counts = new Map<string, number>();
  for (const series of vector) {
    const c = count(series.value[1], what);
    if (c === undefined) continue;
    const name = series.metric[by] ?? '';
    counts.set(name, (counts.get(name) ?? 0) + c);
  }
  return { counts: [...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
}

function toValues(matrix: RangeMatrix, what: string): ValuesSide {
  const values: number[] = [];
  for (const series of matrix) {
    for (const [time, value] of series.values) {
      if (Number.isNaN(value)) continue;
      if (!Number.isFinite(value)) throw unusable(what, `the query returned ${value > 0 ? '+Inf' : '-Inf'} at ${time} (histogram_quantile gives +Inf when the quantile falls in the +Inf bucket)`);
      values.push(value);
    }
  }
  return { values };
}
