/**
 * The stable version's recent history, what the planner (src/planner/plan.ts) draws rollouts
 * from: its requests and errors per interval (Istio's `istio-error-rate` template) and its
 * latency histogram (`istio-latency`), fetched through the ordinary `MetricSource` as a
 * timeline, with the stable's labels on both sides (so each query goes out once: the analysis'
 * shared query cache answers the second side).
 */
import type { CountInterval, ValuesInterval } from '../judge/types';
import type { Labels, MetricSource, TimeWindow } from '../sources/metric-source';

export interface StableHistory {
  /** The length of each interval. */
  readonly intervalSeconds: number;
  /** Requests and errors per interval, oldest first. */
  readonly requests: readonly number[];
  readonly errors: readonly number[];
  /** The latency histogram over the window: ascending bounds (the last +Inf) and the count in each bucket; absent without one. */
  readonly latency?: { readonly bounds: readonly number[]; readonly counts: readonly number[] };
}

/** The per-minute step the history is asked at (longer windows get longer steps, as analyses do). */
export const HISTORY_STEP_SECONDS = 60;

export async function fetchStableHistory(source: MetricSource, stable: Labels, window: TimeWindow, signal: AbortSignal, reporter?: string): Promise<StableHistory> {
  const shared = new Map<string, Promise<unknown>>();
  const ctx = { baseline: stable, canary: stable, window, signal, shared, timelineStepSeconds: HISTORY_STEP_SECONDS, ...(reporter ? { reporter } : {}) };
  const [rates, latency] = await Promise.all([
    source.fetch({ name: 'history-error-rate', template: 'istio-error-rate' }, ctx),
    source.fetch({ name: 'history-latency', template: 'istio-latency' }, ctx),
  ]);
  if (rates.kind !== 'proportion') throw new Error('internal: istio-error-rate is a proportion');
  const counts = (rates.baseline.intervals ?? [rates.baseline]) as readonly CountInterval[];
  return {
    intervalSeconds: rates.intervalSeconds ?? HISTORY_STEP_SECONDS,
    requests: counts.map((i) => i.total),
    errors: counts.map((i) => i.events),
    ...(latency.kind === 'continuous' ? latencyOf(latency.baseline) : {}),
  };
}

/** The pooled histogram of a side (its cumulative buckets turned into counts per bucket), if it has one with observations. */
function latencyOf(side: ValuesInterval): { latency?: StableHistory['latency'] } {
  if (!('histogram' in side) || side.histogram.buckets.length === 0) return {};
  const buckets = side.histogram.buckets;
  const counts = buckets.map((b, i) => b.count - (i ? buckets[i - 1].count : 0));
  if (!(buckets[buckets.length - 1].count > 0)) return {};
  return { latency: { bounds: buckets.map((b) => b.le), counts } };
}
