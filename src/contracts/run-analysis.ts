/**
 * From a parsed request to a verdict: resolve the profile, fetch every template metric from
 * the source in parallel under one deadline, then hand everything to the judge. Shared by
 * `/v1/analyze` (curl, Argo Rollouts) and the Flagger webhooks.
 */
import { analyze } from '../judge/analyze';
import type { AnalysisResult, MetricInput, MetricResult } from '../judge/types';
import { DEFAULT_PROFILE_NAME, type Profile, type Profiles } from '../profiles/profiles';
import { SourceUnavailableError, type FetchedMetric, type MetricSource, type TemplateMetric, type TimeWindow } from '../sources/metric-source';
import { linkedAbort } from '../sources/linked-abort';
import { metricSides, type MetricSides, type RequestSides } from '../sources/side-labels';
import type { AnalyzeRequest } from './analyze-request';
import type { Issue } from './problems';

export interface AnalysisDeps {
  /** Absent when no PROMETHEUS_URL is configured. */
  readonly source?: MetricSource;
  readonly profiles: Profiles;
  readonly deadlineMs: number;
  readonly defaultLookbackSeconds: number;
  /** Unix seconds. */
  readonly now: () => number;
}

/** Per-metric changes to a profile's metrics (Flagger metadata), applied before fetching. */
export type MetricOverrides = ReadonlyMap<string, Partial<TemplateMetric>>;

export type AnalysisOutcome = AnalysisResult & {
  readonly metrics: readonly (MetricResult & { readonly queries?: FetchedMetric['queries'] })[];
  readonly window?: { readonly start: string; readonly end: string };
  readonly profile?: string;
  /** Optional metrics left out because neither side had a single series. */
  readonly skipped?: readonly string[];
};

/** A request that can never succeed as sent: answered 400 with the issues. */
export class RequestError extends Error {
  constructor(readonly issues: readonly Issue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
}

type Entry = AnalyzeRequest['metrics'][number];

/** The step of a timeline that follows the canary, unless "timelineStep" says otherwise. */
export const DEFAULT_TIMELINE_STEP_SECONDS = 60;
/** How far back "since": "canary" looks for the canary's first traffic, unless "maxAge" says otherwise. */
export const DEFAULT_MAX_CANARY_AGE_SECONDS = 6 * 3600;

export async function runAnalysis(request: AnalyzeRequest, deps: AnalysisDeps, overrides: MetricOverrides = new Map()): Promise<AnalysisOutcome> {
  return (await runAnalysisWithInputs(request, deps, overrides)).outcome;
}

/** The analysis and the data each metric was judged on (the HTML report plots it). */
export interface AnalysisWithInputs {
  readonly outcome: AnalysisOutcome;
  readonly inputs: ReadonlyMap<string, MetricInput>;
}

export async function runAnalysisWithInputs(request: AnalyzeRequest, deps: AnalysisDeps, overrides: MetricOverrides = new Map()): Promise<AnalysisWithInputs> {
  const profile = resolveProfile(request, deps.profiles);
  const entries = withProfile(request.metrics, profile, overrides);
  const reporter = request.reporter ?? profile?.reporter;
  // A metric whose sides cannot be told apart is never fetched: optional ones are skipped
  // (like one without series), any other makes the request one that can never succeed.
  const templateMetrics = entries.filter((e) => e.from === 'template').map((e) => e.metric as TemplateMetric);
  const sides = templateMetrics.length ? resolveSides(templateMetrics, request) : new Map<string, MetricSides>();
  const unresolved = new Map<string, string>();
  for (const [name, own] of sides) if ('unresolved' in own) unresolved.set(name, own.unresolved);
  const blocking = entries.filter((e) => e.from === 'template' && unresolved.has(e.metric.name) && !(e.metric as TemplateMetric).optional);
  if (blocking.length) throw new RequestError(blocking.map((e) => ({ path: `metrics.${e.metric.name}`, message: unresolved.get(e.metric.name)! })));
  const templates = entries.filter((e) => e.from === 'template' && !unresolved.has(e.metric.name));

  // Request counts for the traffic-split check come inline, or from Istio over their own window.
  const trafficFromPrometheus = request.expectedCanaryShare !== undefined && !request.traffic;
  let window: TimeWindow | undefined;
  let fetched = new Map<string, FetchedMetric>();
  let requests: { baseline: number; canary: number } | undefined = request.traffic;
  if (templates.length || trafficFromPrometheus) {
    if (!deps.source) throw new SourceUnavailableError('no Prometheus is configured (set PROMETHEUS_URL)', 'not-configured');
    window = analysisWindow(request, deps);
    const end = window.end;
    // A window that follows the canary: from the start of its latest run of traffic, at most
    // maxAge back (Flagger reuses the workload across revisions; Argo's later steps outlive a
    // fixed lookback).
    const timelineStep = request.timelineStep ?? (request.since === 'canary' ? DEFAULT_TIMELINE_STEP_SECONDS : undefined);
    if (request.since === 'canary') {
      if (!deps.source.trafficStart) throw new SourceUnavailableError('the metric source cannot tell when the canary started', 'not-configured');
      const maxAge = request.maxAge ?? DEFAULT_MAX_CANARY_AGE_SECONDS;
      const canaryLabels = { ...(request.labels ?? {}), ...request.canary!.labels };
      const lookup = linkedAbort(undefined, deps.deadlineMs);
      let started: number | null;
      try {
        started = await deps.source.trafficStart(canaryLabels, { start: end - maxAge, end }, timelineStep!, lookup.signal, reporter);
      } finally {
        lookup.dispose();
      }
      // No canary traffic yet: the usual lookback (the judge will say there is no data).
      if (started !== null && started < end) window = { start: started, end };
    }
    const trafficWindow = request.trafficLookback !== undefined ? { start: end - request.trafficLookback, end } : window;
    // One deadline for every query; released when they settle, so a failed metric abandons
    // the others at once and no timer outlives the request.
    const deadline = linkedAbort(undefined, deps.deadlineMs);
    let metricsData: Map<string, FetchedMetric>;
    let trafficData: Map<string, FetchedMetric> | undefined;
    try {
      [metricsData, trafficData] = await Promise.all([
        fetchAll(templates.map((e) => e.metric as TemplateMetric), deps.source, sides, reporter, window, deadline.signal, timelineStep),
        trafficFromPrometheus ? fetchAll([TRAFFIC_METRIC], deps.source, resolveSides([TRAFFIC_METRIC], request), reporter, trafficWindow, deadline.signal) : undefined,
      ]);
    } finally {
      deadline.dispose();
    }
    fetched = metricsData;
    const counted = trafficData?.get(TRAFFIC_METRIC.name);
    if (counted?.kind === 'proportion') requests = { baseline: counted.baseline.total, canary: counted.canary.total };
  }

  const skipped: string[] = [];
  const inputs: MetricInput[] = [];
  for (const entry of entries) {
    if (entry.from === 'inline') {
      inputs.push(entry.metric);
      continue;
    }
    if (unresolved.has(entry.metric.name)) {
      skipped.push(entry.metric.name);
      continue;
    }
    const data = fetched.get(entry.metric.name)!;
    if (entry.metric.optional && data.noSeries) skipped.push(entry.metric.name);
    else inputs.push(toMetricInput(entry.metric, data));
  }
  if (!inputs.length) {
    const why = skipped.map((name) => unresolved.get(name) ?? `${name} had no series on either side`).join('; ');
    throw new RequestError([{ path: 'metrics', message: `no metric left to judge: every metric is optional and was left out (${why})` }]);
  }

  const result = analyze({
    metrics: inputs,
    alpha: request.alpha ?? profile?.alpha,
    thresholds: { ...profile?.thresholds, ...request.thresholds },
    evidence: request.evidence ?? profile?.evidence,
    ...(request.expectedCanaryShare !== undefined && requests
      ? { traffic: { expectedCanaryShare: request.expectedCanaryShare, ...requests, onMismatch: request.onTrafficMismatch } }
      : {}),
  });
  const outcome: AnalysisOutcome = {
    ...result,
    metrics: result.metrics.map((m) => (fetched.has(m.name) ? { ...m, queries: fetched.get(m.name)!.queries } : m)),
    ...(profile ? { profile: profile.name } : {}),
    ...(window ? { window: { start: new Date(window.start * 1000).toISOString(), end: new Date(window.end * 1000).toISOString() } } : {}),
    ...(skipped.length ? { skipped } : {}),
  };
  return { outcome, inputs: new Map(inputs.map((i) => [i.name, i])) };
}

/** The named profile, or the default one when the request lists no metrics of its own. */
function resolveProfile(request: AnalyzeRequest, profiles: Profiles): Profile | undefined {
  if (request.profile !== undefined) {
    const profile = profiles.get(request.profile);
    if (!profile) throw new RequestError([{ path: 'profile', message: `unknown profile ${JSON.stringify(request.profile)}; known: ${[...profiles.keys()].join(', ')}` }]);
    return profile;
  }
  return request.metrics.length ? undefined : profiles.get(DEFAULT_PROFILE_NAME);
}

/** Profile metrics first (with overrides), then the request's: a same-named one replaces it. */
function withProfile(requested: readonly Entry[], profile: Profile | undefined, overrides: MetricOverrides): Entry[] {
  const byName = new Map<string, Entry>();
  for (const metric of profile?.metrics ?? []) byName.set(metric.name, { from: 'template', metric: { ...metric, ...overrides.get(metric.name) } });
  for (const entry of requested) byName.set(entry.metric.name, entry);
  const unknown = [...overrides.keys()].filter((name) => !byName.has(name));
  if (unknown.length) throw new RequestError(unknown.map((name) => ({ path: `metadata`, message: `override for unknown metric ${JSON.stringify(name)}; the profile has ${[...byName.keys()].join(', ')}` })));
  return [...byName.values()];
}

/** Requests per side, for the traffic-split check (and Flagger's confirm-rollout). */
export const TRAFFIC_METRIC: TemplateMetric = { name: 'traffic-split', template: 'istio-requests' };

/** The window a request asks about: start/end, or lookback (default: the service's) up to now. */
export function analysisWindow(request: AnalyzeRequest, deps: Pick<AnalysisDeps, 'now' | 'defaultLookbackSeconds'>): TimeWindow {
  const end = request.end ?? deps.now();
  return { start: request.start ?? end - (request.lookback ?? deps.defaultLookbackSeconds), end };
}

/** Each metric's side selectors (side-labels.ts), or why it has none. */
function resolveSides(metrics: readonly TemplateMetric[], request: AnalyzeRequest): Map<string, MetricSides> {
  const sides: RequestSides = { common: request.labels ?? {}, baseline: request.baseline!.labels, canary: request.canary!.labels };
  return new Map(metrics.map((m) => [m.name, metricSides(m, sides)]));
}

async function fetchAll(
  metrics: TemplateMetric[],
  source: MetricSource,
  sides: ReadonlyMap<string, MetricSides>,
  reporter: string | undefined,
  window: TimeWindow,
  deadline: AbortSignal,
  timelineStepSeconds?: number,
): Promise<Map<string, FetchedMetric>> {
  // One query cache per analysis: p50, p95 and p99 of one histogram read the same series.
  const shared = new Map<string, Promise<unknown>>();
  const answers = await Promise.all(
    metrics.map((m) => {
      const own = sides.get(m.name);
      if (!own || 'unresolved' in own) throw new Error(`internal: metric ${JSON.stringify(m.name)} has no side selectors`);
      return source.fetch(m, { baseline: own.baseline, canary: own.canary, reporter, window, ...(timelineStepSeconds !== undefined ? { timelineStepSeconds } : {}), signal: deadline, shared });
    }),
  );
  return new Map(metrics.map((m, i) => [m.name, answers[i]]));
}

function toMetricInput(metric: TemplateMetric, data: FetchedMetric): MetricInput {
  const options = {
    name: metric.name,
    direction: metric.direction,
    margin: metric.margin,
    critical: metric.critical,
    weight: metric.weight,
    minSamples: metric.minSamples,
    ...(data.intervalSeconds !== undefined ? { intervalSeconds: data.intervalSeconds } : {}),
  };
  switch (data.kind) {
    case 'continuous':
      return { ...options, kind: 'continuous', quantile: metric.quantile, threshold: metric.threshold, baseline: data.baseline, canary: data.canary };
    case 'distribution':
      return { ...options, kind: 'distribution', baseline: data.baseline, canary: data.canary };
    case 'proportion':
      return { ...options, kind: 'proportion', baseline: data.baseline, canary: data.canary };
    case 'categorical':
      return { ...options, kind: 'categorical', baseline: data.baseline, canary: data.canary };
  }
}
