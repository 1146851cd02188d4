/** A MetricSource that answers from canned sides and records what it was asked. */
import type { FetchContext, FetchedMetric, Labels, MetricSource, TemplateMetric, TimeWindow } from '../../src/sources/metric-source';
import { SourceUnavailableError } from '../../src/sources/metric-source';
import type { SideActivity } from '../../src/sources/revision/identify-revision';

export type Health = 'pass' | 'fail' | 'inconclusive' | 'empty';

/**
 * Cumulative buckets on fine bounds (5 ms steps up to 300 ms, 2.5 % apart at the p95 of about
 * 200 ms, so bucket-edge bounds can resolve a 10 % margin), from counts per 50 ms band.
 */
const buckets = (counts: number[], scale = 100) => {
  const le = [...Array.from({ length: 60 }, (_, i) => 5 * (i + 1)), Infinity];
  let cumulative = 0;
  // Each band's count is spread evenly over its ten 5 ms buckets.
  return le.map((bound, i) => ({ le: bound, count: (cumulative += i < 60 ? (counts[Math.floor(i / 10)] * scale) / 10 : counts[6] * scale) }));
};
const healthyLatency = [1000, 4000, 3000, 1500, 400, 100, 0];

const latency: Record<Health, number[]> = {
  pass: [1005, 3995, 3010, 1490, 400, 100, 0],
  fail: [100, 1000, 3000, 4000, 1500, 400, 0],
  inconclusive: [0.01, 0.04, 0.03, 0.02, 0, 0, 0],
  empty: [0, 0, 0, 0, 0, 0, 0],
};
const errors: Record<Health, { events: number; total: number }> = {
  pass: { events: 480, total: 100000 },
  fail: { events: 1500, total: 100000 },
  inconclusive: { events: 1, total: 100 },
  empty: { events: 0, total: 0 },
};

export class FakeSource implements MetricSource {
  readonly calls: { metric: TemplateMetric; ctx: FetchContext }[] = [];
  requests = { baseline: 90000, canary: 10000 };
  /** How long ago each side's traffic began (sideActivity), or null for none. */
  canaryAgeSeconds: number | null = 20 * 60;
  readonly activityCalls: { labels: Labels; age: number; stepSeconds: number; reporter: string }[] = [];
  constructor(public health: { latency: Health; errors: Health }, public failure?: SourceUnavailableError) {}

  /** One running pod per side, named after the side's labels, serving every step since `canaryAgeSeconds` ago. */
  async sideActivity(labels: Labels, window: TimeWindow, stepSeconds: number, _signal: AbortSignal, reporter: string, pods?: string): Promise<SideActivity> {
    this.activityCalls.push({ labels, age: window.end - window.start, stepSeconds, reporter });
    if (this.failure) throw this.failure;
    // A side named by its pod-template hash (`.+-<hash>-[a-z0-9]{5}`) is that ReplicaSet's pod.
    const hash = pods !== undefined ? /^\.\+-([a-z0-9]+)-/.exec(pods)?.[1] : undefined;
    const pod = `fake-${hash ?? labelsHash(labels)}-abcde`;
    if (this.canaryAgeSeconds === null) return { traffic: [], present: new Set([pod]) };
    const first = Math.max(window.start, window.end - this.canaryAgeSeconds);
    const stepEnds: number[] = [];
    for (let end = first + stepSeconds; end <= window.end; end += stepSeconds) stepEnds.push(end);
    return { traffic: [{ pod, stepEnds }], present: new Set([pod]) };
  }

  async fetch(metric: TemplateMetric, ctx: FetchContext): Promise<FetchedMetric> {
    this.calls.push({ metric, ctx });
    if (this.failure) throw this.failure;
    const queries = { baseline: [`fake{${JSON.stringify(ctx.baseline)}}`], canary: [`fake{${JSON.stringify(ctx.canary)}}`] };
    switch (metric.template) {
      case 'istio-latency':
        return { kind: 'continuous', baseline: { histogram: { buckets: buckets(healthyLatency) } }, canary: { histogram: { buckets: buckets(latency[this.health.latency]) } }, queries };
      case 'istio-requests':
        return { kind: 'proportion', baseline: { events: 0, total: this.requests.baseline }, canary: { events: 0, total: this.requests.canary }, queries };
      case 'istio-error-rate':
        return { kind: 'proportion', baseline: { events: 500, total: 100000 }, canary: errors[this.health.errors], queries };
      default:
        return { kind: 'distribution', baseline: { values: [] }, canary: { values: [] }, queries, noSeries: true };
    }
  }
}

/** A short [a-z0-9] name for a label set (a pod-template hash stand-in). */
function labelsHash(labels: Labels): string {
  let h = 2166136261;
  for (const ch of JSON.stringify(Object.entries(labels).sort())) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h.toString(36);
}
