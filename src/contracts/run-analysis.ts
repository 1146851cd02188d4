/**
 * From a parsed request to a verdict: resolve the profile, fetch every template metric from
 * the source in parallel under one deadline, then hand everything to the judge. Shared by
 * `/v1/analyze` (curl, Argo Rollouts) and the Flagger webhooks.
 */
import { analyze } from '../judge/analyze';
import type { AnalysisInput, AnalysisResult, MetricInput, MetricResult } from '../judge/types';
import { DEFAULT_PROFILE_NAME, type Profile, type Profiles } from '../profiles/profiles';
import { BackendChoiceError, SourceUnavailableError, type FetchContext, type FetchedMetric, type MetricSource, type MetricSources, type TemplateMetric, type TimeWindow } from '../sources/metric-source';
import type { RevisionMethod, SideRevision } from '../sources/revision/identify-revision';
import { resolveRevisions, type Revisions } from '../sources/revision/resolve-revisions';
import { currentWeight, type CurrentWeight } from '../sources/flagger-weight';
import { linkedAbort } from '../sources/linked-abort';
import { metricSides, type MetricSides, type RequestSides } from '../sources/side-labels';
import type { AnalyzeRequest } from './analyze-request';
import type { Issue } from './problems';
import { limitIssues, MAX_WINDOW_SECONDS } from './limits';
import type { RequestPromql } from './promql-policy';

export interface AnalysisDeps {
  /** Absent when no PROMETHEUS_URL is configured. */
  readonly source?: MetricSource;
  /** The configured backends (PROMETHEUS_BACKENDS and PROMETHEUS_URL): when given, the profile's backend and the tenant choose the source. */
  readonly sources?: MetricSources;
  /** Why `source` is absent for this analysis (no default backend), said when a metric needs one. */
  readonly noSourceReason?: string;
  readonly profiles: Profiles;
  readonly deadlineMs: number;
  readonly defaultLookbackSeconds: number;
  /** Unix seconds. */
  readonly now: () => number;
  /** Which PromQL a request's own template metrics may run (promql-policy.ts); default "any". */
  readonly requestPromql?: RequestPromql;
  /** Judges off the event loop (src/service/analysis-pool.ts); default: in this thread. */
  readonly judge?: (input: AnalysisInput) => Promise<AnalysisResult>;
}

/** Per-metric changes to a profile's metrics (Flagger metadata), applied before fetching. */
export type MetricOverrides = ReadonlyMap<string, Partial<TemplateMetric>>;

/** How one side's revision was told (src/sources/revision/identify-revision.ts), or why it was not. */
export type RevisionReport =
  | { readonly method: RevisionMethod; readonly via?: 'kube-state-metrics'; readonly replicaSet?: string; readonly pods?: string; readonly since: string | null; readonly excluded?: readonly string[] }
  | { readonly unknown: string };

export type AnalysisOutcome = AnalysisResult & {
  readonly metrics: readonly (MetricResult & { readonly queries?: FetchedMetric['queries']; readonly clientSide?: FetchedMetric['clientSide'] })[];
  readonly window?: { readonly start: string; readonly end: string };
  /** Prometheus-backed: which revision each side is. */
  readonly revisions?: { readonly baseline: RevisionReport; readonly canary: RevisionReport };
  /** Set when the revisions could not be established: the verdict is held at inconclusive, for this reason. */
  readonly undecidable?: string;
  readonly profile?: string;
  /** Optional metrics left out because neither side had a single series. */
  readonly skipped?: readonly string[];
  /** Why the split was not checked although asked ("expectedCanaryShare": "flagger" without a weight to read). */
  readonly trafficNotChecked?: string;
};

/** A request that can never succeed as sent: answered 400 with the issues. */
export class RequestError extends Error {
  constructor(readonly issues: readonly Issue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
}

type Entry = AnalyzeRequest['metrics'][number];

/** The step of the timeline of a Prometheus-backed analysis, unless "timelineStep" says otherwise. */
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

export async function runAnalysisWithInputs(request: AnalyzeRequest, given: AnalysisDeps, overrides: MetricOverrides = new Map()): Promise<AnalysisWithInputs> {
  const profile = resolveProfile(request, given.profiles);
  const deps = withChosenSource(request, profile, given);
  const entries = withProfile(request.metrics, profile, overrides);
  const reporter = request.reporter ?? profile?.reporter;
  // A metric whose sides cannot be told apart is never fetched: optional ones are skipped
  // (like one without series), any other makes the request one that can never succeed.
  const templateMetrics = entries.filter((e) => e.from === 'template').map((e) => e.metric as TemplateMetric);
  const sides = templateMetrics.length ? resolveSides(templateMetrics, request, reporter) : new Map<string, MetricSides>();
  const unresolved = new Map<string, string>();
  for (const [name, own] of sides) if ('unresolved' in own) unresolved.set(name, own.unresolved);
  const blocking = entries.filter((e) => e.from === 'template' && unresolved.has(e.metric.name) && !(e.metric as TemplateMetric).optional);
  if (blocking.length) throw new RequestError(blocking.map((e) => ({ path: `metrics.${e.metric.name}`, message: unresolved.get(e.metric.name)! })));
  const templates = entries.filter((e) => e.from === 'template' && !unresolved.has(e.metric.name));

  // Request counts for the traffic-split check come inline, or from Istio over their own window.
  let trafficFromPrometheus = request.expectedCanaryShare !== undefined && !request.traffic;
  // The share to check the split against: given, or Flagger's weight read below.
  let expectedShare = typeof request.expectedCanaryShare === 'number' ? request.expectedCanaryShare : undefined;
  let trafficNotChecked: string | undefined;
  let canaryWeight: number | undefined;
  const trafficSides = trafficFromPrometheus ? resolveSides([TRAFFIC_METRIC], request, reporter) : undefined;
  const trafficUnresolved = trafficSides?.get(TRAFFIC_METRIC.name);
  if (trafficUnresolved && 'unresolved' in trafficUnresolved) throw new RequestError([{ path: 'expectedCanaryShare', message: `the traffic split is counted on Istio's requests, and ${trafficUnresolved.unresolved}` }]);
  let window: TimeWindow | undefined;
  let revisions: Revisions | undefined;
  let fetched = new Map<string, FetchedMetric>();
  let requests: { baseline: number; canary: number } | undefined = request.traffic;
  if (templates.length || trafficFromPrometheus) {
    if (!deps.source) throw new SourceUnavailableError(deps.noSourceReason ?? 'no Prometheus is configured (set PROMETHEUS_URL)', 'not-configured');
    // Fetched from Prometheus, every analysis is a timeline: per-interval tests keep a changing
    // split or load from posing as an effect (Flagger's lookback and curl's too).
    const timelineStep = request.timelineStep ?? DEFAULT_TIMELINE_STEP_SECONDS;
    revisions = await windowAndRevisions(request, deps, reporter, timelineStep);
    window = revisions.window;
    const pins = revisions.pins;
    let trafficWindow: TimeWindow = request.trafficLookback !== undefined ? { start: window.end - request.trafficLookback, end: window.end } : window;
    if (request.expectedCanaryShare === 'flagger') {
      const weight = await flaggerWeight(request, deps, window, timelineStep);
      if ('none' in weight) {
        trafficNotChecked = `the traffic split is not checked: ${weight.none}`;
        trafficFromPrometheus = false;
        // Too recent to count, still the weight a pass must rest on (src/judge/current-weight.ts).
        canaryWeight = weight.share;
      } else {
        // Counted over the current weight's own step (or the asked lookback within it).
        expectedShare = weight.share;
        trafficWindow = { start: Math.max(trafficWindow.start, weight.countFrom), end: window.end };
      }
    }
    // One deadline for every query; released when they settle, so a failed metric abandons
    // the others at once and no timer outlives the request.
    const deadline = linkedAbort(undefined, deps.deadlineMs);
    let metricsData: Map<string, FetchedMetric>;
    let trafficData: Map<string, FetchedMetric> | undefined;
    try {
      [metricsData, trafficData] = await Promise.all([
        fetchAll(templates.map((e) => e.metric as TemplateMetric), deps.source, sides, { reporter, exclude: request.exclude, window, pins, signal: deadline.signal, timelineStepSeconds: timelineStep }),
        trafficFromPrometheus ? fetchAll([TRAFFIC_METRIC], deps.source, trafficSides!, { reporter, exclude: request.exclude, window: trafficWindow, pins, signal: deadline.signal }) : undefined,
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

  const beyond = limitIssues(inputs);
  if (beyond.length) throw new RequestError(beyond);
  const judged = await (deps.judge ?? (async (input: AnalysisInput) => analyze(input)))({
    metrics: inputs,
    alpha: request.alpha ?? profile?.alpha,
    thresholds: { ...profile?.thresholds, ...request.thresholds },
    evidence: request.evidence ?? profile?.evidence,
    ...(expectedShare !== undefined && requests ? { traffic: { expectedCanaryShare: expectedShare, ...requests, onMismatch: request.onTrafficMismatch } } : {}),
    canaryWeight: canaryWeight ?? expectedShare,
  });
  // Data that may hold another revision's observations decide nothing (fail closed both ways).
  const result = revisions?.unknown ? undecided(judged, revisions.unknown) : judged;
  const outcome: AnalysisOutcome = {
    ...result,
    metrics: result.metrics.map((m) => {
      const data = fetched.get(m.name);
      if (!data) return m;
      return { ...m, queries: data.queries, ...(data.clientSide ? { clientSide: data.clientSide } : {}) };
    }),
    ...(profile ? { profile: profile.name } : {}),
    ...(window ? { window: { start: new Date(window.start * 1000).toISOString(), end: new Date(window.end * 1000).toISOString() } } : {}),
    ...(revisions ? { revisions: { baseline: revisionReport(revisions.baseline), canary: revisionReport(revisions.canary) } } : {}),
    ...(revisions?.unknown ? { undecidable: revisions.unknown } : {}),
    ...(skipped.length ? { skipped } : {}),
    ...(trafficNotChecked ? { trafficNotChecked } : {}),
  };
  return { outcome, inputs: new Map(inputs.map((i) => [i.name, i])) };
}

/**
 * The window and the revisions of the sides (src/sources/revision/): the asked window (or the
 * default lookback), starting no earlier than the canary's revision, or, with `since: canary`,
 * exactly where it began (at most maxAge back).
 */
async function windowAndRevisions(request: AnalyzeRequest, deps: AnalysisDeps, reporter: string | undefined, stepSeconds: number): Promise<Revisions> {
  const lookup = linkedAbort(undefined, deps.deadlineMs);
  const common = request.labels ?? {};
  const side = (name: 'baseline' | 'canary') => {
    const given = request[name]!;
    return { labels: { ...common, ...given.labels }, ...(given.revision !== undefined ? { hash: given.revision } : {}), ...(given.sourceLabels ? { sourceLabels: given.sourceLabels } : {}) };
  };
  try {
    return await resolveRevisions(
      deps.source!,
      {
        baseline: side('baseline'),
        canary: side('canary'),
        from: request.revisionFrom ?? 'pods',
        reporter: reporter ?? 'destination',
        window: analysisWindow(request, deps),
        followCanary: request.since === 'canary',
        maxAgeSeconds: request.maxAge ?? DEFAULT_MAX_CANARY_AGE_SECONDS,
        stepSeconds,
      },
      lookup.signal,
    );
  } finally {
    lookup.dispose();
  }
}

/**
 * Flagger's current weight for the canary's workload (src/sources/flagger-weight.ts): its
 * `destination_workload` and `destination_workload_namespace` labels name it.
 */
async function flaggerWeight(request: AnalyzeRequest, deps: AnalysisDeps, window: TimeWindow, stepSeconds: number): Promise<CurrentWeight> {
  const labels: Record<string, string> = { ...request.labels, ...request.canary?.labels };
  const workload = labels.destination_workload;
  const namespace = labels.destination_workload_namespace;
  if (workload === undefined || namespace === undefined) {
    throw new RequestError([{ path: 'expectedCanaryShare', message: '"flagger" reads flagger_canary_weight for the canary\'s workload: give its "destination_workload" and "destination_workload_namespace" labels' }]);
  }
  if (!deps.source?.flaggerWeights) return { none: 'the source cannot read Flagger\'s weight' };
  const lookup = linkedAbort(undefined, deps.deadlineMs);
  try {
    const { samples } = await deps.source.flaggerWeights(workload, namespace, window, stepSeconds, lookup.signal);
    return currentWeight(samples, window.end, stepSeconds, `flagger_canary_weight{workload="${workload}",namespace="${namespace}"}`);
  } finally {
    lookup.dispose();
  }
}

/** Every verdict held back to inconclusive, saying why and what the data alone would say. */
function undecided(result: AnalysisResult, why: string): AnalysisResult {
  const metrics = result.metrics.map((m) => (m.verdict === 'inconclusive' ? m : { ...m, verdict: 'inconclusive' as const, reason: `not decided (${m.verdict} on data that may hold another revision's): ${m.reason}` }));
  return { ...result, verdict: 'inconclusive', reason: `${why}; no verdict rests on data that may belong to another revision`, metrics };
}

/** What each Envoy response flag of a client-side failure means. */
const FLAG_MEANINGS: Readonly<Record<string, string>> = {
  UH: 'no healthy upstream',
  UF: 'connection failure',
  UO: 'circuit breaker overflow',
  URX: 'retries exhausted',
  UT: 'upstream timeout',
  UC: 'upstream connection terminated',
  UR: 'upstream reset',
  LR: 'local reset',
};

/** The canary's client-side failures, named in its reason: a crashing canary is harm, not silence. */
function clientSideNote(clientSide: FetchedMetric['clientSide']): string | undefined {
  const canary = clientSide?.canary;
  if (!canary || canary.count === 0) return undefined;
  const flags = Object.entries(canary.flags)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([flag, n]) => `${flag} ${n.toLocaleString('en-US')}${flag.split(',').every((f) => FLAG_MEANINGS[f]) ? ` (${flag.split(',').map((f) => FLAG_MEANINGS[f]).join(', ')})` : ''}`)
    .join(', ');
  return `counted: ${canary.count.toLocaleString('en-US')} requests routed to the canary that its callers' proxies failed before it answered: ${flags}`;
}

/** A side's revision for the response: how it was told, which ReplicaSet, since when. */
function revisionReport(revision: SideRevision): RevisionReport {
  if (!revision.known) return { unknown: revision.reason };
  return {
    method: revision.method,
    ...(revision.via ? { via: revision.via } : {}),
    ...(revision.replicaSet !== undefined ? { replicaSet: revision.replicaSet } : {}),
    ...(revision.pods !== undefined ? { pods: revision.pods } : {}),
    since: revision.start === null ? null : new Date(revision.start * 1000).toISOString(),
    ...(revision.excluded.length ? { excluded: revision.excluded } : {}),
  };
}

/**
 * The deps with the source of this analysis: the profile's backend, and the tenant the request
 * names (only from the backend's allow-list: 400 otherwise), the profile's or the backend's default.
 */
export function withChosenSource(request: AnalyzeRequest, profile: Profile | undefined, deps: AnalysisDeps): AnalysisDeps {
  if (!deps.sources) {
    if (request.tenant !== undefined) throw new RequestError([{ path: 'tenant', message: 'no backend with tenants is configured (PROMETHEUS_BACKENDS)' }]);
    return deps;
  }
  try {
    return { ...deps, source: deps.sources.choose({ backend: profile?.backend, profileTenant: profile?.tenant, requestTenant: request.tenant }) };
  } catch (error) {
    if (error instanceof BackendChoiceError) throw new RequestError([{ path: error.path, message: error.message }]);
    // No default backend: inline data needs none, so only a metric that must be fetched is refused (503, with this reason).
    if (error instanceof SourceUnavailableError && error.reason === 'not-configured') return { ...deps, source: undefined, noSourceReason: error.message };
    throw error;
  }
}

/** The named profile, or the default one when the request lists no metrics of its own. */
export function resolveProfile(request: AnalyzeRequest, profiles: Profiles): Profile | undefined {
  if (request.profile !== undefined) {
    const profile = profiles.get(request.profile);
    if (!profile) throw new RequestError([{ path: 'profile', message: `unknown profile ${JSON.stringify(request.profile)}; known: ${[...profiles.keys()].join(', ')}` }]);
    return profile;
  }
  return request.metrics.length ? undefined : profiles.get(DEFAULT_PROFILE_NAME);
}

/** Profile metrics first (with overrides), then the request's: a same-named one replaces it. */
export function withProfile(requested: readonly Entry[], profile: Profile | undefined, overrides: MetricOverrides): Entry[] {
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
  const start = request.start ?? end - (request.lookback ?? deps.defaultLookbackSeconds);
  if (end - start > MAX_WINDOW_SECONDS) throw new RequestError([{ path: 'start', message: `the window from "start" to ${request.end === undefined ? 'now' : '"end"'} is ${Math.round(end - start).toLocaleString('en-US')} s; at most ${MAX_WINDOW_SECONDS / 86400} days (${MAX_WINDOW_SECONDS.toLocaleString('en-US')} s, a limit of the service)` }]);
  return { start, end };
}

/** Each metric's side selectors (side-labels.ts), or why it has none. */
function resolveSides(metrics: readonly TemplateMetric[], request: AnalyzeRequest, reporter?: string): Map<string, MetricSides> {
  const sides: RequestSides = {
    common: request.labels ?? {},
    baseline: request.baseline!.labels,
    canary: request.canary!.labels,
    revisions: { baseline: request.baseline!.revision, canary: request.canary!.revision },
    ...(reporter !== undefined ? { reporter } : {}),
  };
  return new Map(metrics.map((m) => [m.name, metricSides(m, sides)]));
}

interface FetchOptions {
  readonly reporter: string | undefined;
  readonly exclude?: FetchContext['exclude'];
  readonly window: TimeWindow;
  readonly pins: FetchContext['pins'];
  readonly signal: AbortSignal;
  readonly timelineStepSeconds?: number;
}

async function fetchAll(metrics: TemplateMetric[], source: MetricSource, sides: ReadonlyMap<string, MetricSides>, options: FetchOptions): Promise<Map<string, FetchedMetric>> {
  // One query cache per analysis: p50, p95 and p99 of one histogram read the same series.
  const shared = new Map<string, Promise<unknown>>();
  const { timelineStepSeconds, ...rest } = options;
  const answers = await Promise.all(
    metrics.map((m) => {
      const own = sides.get(m.name);
      if (!own || 'unresolved' in own) throw new Error(`internal: metric ${JSON.stringify(m.name)} has no side selectors`);
      return source.fetch(m, { baseline: own.baseline, canary: own.canary, ...rest, ...(timelineStepSeconds !== undefined ? { timelineStepSeconds } : {}), shared });
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
    ...(clientSideNote(data.clientSide) ? { note: clientSideNote(data.clientSide) } : {}),
    // Judged per segment (src/judge/segments.ts): the sides below are the segments pooled.
    ...(data.segments ? { segments: data.segments as never, segmentBy: metric.segmentBy, segmentCoverage: metric.segmentCoverage } : {}),
    ...(data.labelled ? { labelled: data.labelled } : {}),
  };
  switch (data.kind) {
    case 'continuous':
      return { ...options, kind: 'continuous', quantile: metric.quantile, threshold: metric.threshold, range: metric.range, baseline: data.baseline, canary: data.canary };
    case 'distribution':
      return { ...options, kind: 'distribution', baseline: data.baseline, canary: data.canary };
    case 'proportion':
      return { ...options, kind: 'proportion', baseline: data.baseline, canary: data.canary };
    case 'categorical':
      if (metric.template === 'shadow-pairs') {
        const accuracy = metric.accuracyMargin !== undefined ? { accuracyMargin: metric.accuracyMargin } : {};
        return { ...options, kind: 'paired', noiseFloor: metric.noiseFloor !== false, ...accuracy, baseline: data.baseline, canary: data.canary };
      }
      return { ...options, kind: 'categorical', baseline: data.baseline, canary: data.canary };
  }
}
