/**
 * Where the numbers of a metric come from. Every backend implements `MetricSource` (Argo
 * Rollouts' metric-provider pattern): given one metric's template and both sides' label
 * selectors over a time window, it returns the two sides in the judge's own shapes.
 *
 * Errors are data: a backend that cannot answer (down, 5xx, timeout, malformed reply) throws
 * `SourceUnavailableError`, which the HTTP layer turns into 503 (Argo: measurement Error,
 * retried; Flagger: failed check); so does one whose samples the validation stage refuses
 * (src/sources/validate/: `SampleFaultError`, naming each fault). A query that works but finds
 * no series or no samples is not an error: the side comes back empty and the judge answers
 * inconclusive with the reason.
 */
import type { CategoricalSide, CountSide, Direction, LabelledTimeline, Margin, MetricKind, Segment, ValuesSide } from '../judge/types';
import type { SideActivity } from './revision/identify-revision';

export type Labels = Readonly<Record<string, string>>;

export const TEMPLATE_NAMES = ['istio-latency', 'istio-error-rate', 'istio-requests', 'histogram', 'categorical', 'proportion', 'query', 'shadow-pairs', 'labelled-accuracy', 'labelled-error'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** One metric of a request that names a template instead of carrying its data. */
export interface TemplateMetric {
  readonly name: string;
  readonly template: TemplateName;
  /** histogram: base name without _bucket; categorical: the counter; shadow-pairs: the pairs' counter (default model_shadow_pairs_total). */
  readonly metric?: string;
  /**
   * histogram: read Prometheus native histograms (series `metric`), with the classic buckets of
   * series that have no native histogram (a migration) merged in (src/sources/validate/native-histograms.ts).
   */
  readonly native?: boolean;
  /** categorical: the label that splits the counter (e.g. "class"); shadow-pairs: the outcome's label (default "outcome"). */
  readonly by?: string;
  /** proportion: the events counter and the total counter (metric names). */
  readonly events?: string;
  readonly total?: string;
  /**
   * Judge per value of this label (src/judge/segments.ts): added to every aggregation of the
   * template's queries (`sum by (tenant)`), and the answers split by it.
   */
  readonly segmentBy?: string;
  /** With segmentBy: the share of each side's traffic the segments a pass needs must hold. */
  readonly segmentCoverage?: number;
  /** query: custom PromQL with {{labels}} where each side's matchers go. */
  readonly query?: string;
  /** query: range step in seconds (default: window / 60, at least 1 s). */
  readonly stepSeconds?: number;
  /** The kind to judge as, where a template allows a choice (histogram: continuous|distribution). */
  readonly kind?: MetricKind;
  /** Leave the metric out (instead of inconclusive) when neither side has any series. */
  readonly optional?: boolean;
  /**
   * This metric's own side selectors, replacing the request's (its common `labels` too) for
   * this metric only: an app's metrics labelled `version` next to Istio's `destination_version`.
   */
  readonly baseline?: { readonly labels: Labels };
  readonly canary?: { readonly labels: Labels };
  /**
   * This metric's selectors taken from the request's, renamed: `{ version: 'destination_version' }`
   * gives each side `version="<that side's destination_version>"`. Only the listed labels are
   * used; one the request does not give on either side is left out (see side-labels.ts).
   */
  readonly labelsFrom?: Readonly<Record<string, string>>;
  // Judge options, passed through.
  readonly direction?: Direction;
  readonly margin?: Margin;
  readonly critical?: boolean;
  readonly weight?: number;
  readonly minSamples?: number;
  readonly quantile?: number | 'mean';
  readonly threshold?: number;
  /** The mean's data range (src/judge/mean-timeline.ts). */
  readonly range?: { readonly min: number; readonly max: number };
  /** shadow-pairs: v2's accuracy may fall at most this far below v1's on the labelled pairs (src/judge/paired.ts). */
  readonly accuracyMargin?: number;
  /** shadow-pairs: false when the baseline side has no noise floor (v1 against itself) to read; default true. */
  readonly noiseFloor?: boolean;
  /**
   * Labelled templates (src/sources/prometheus/labelled-templates.ts): how long after a prediction
   * its label is in, the share of predictions that must have labels, the predictions counter
   * and the label holding each count's prediction time.
   */
  readonly labelDelaySeconds?: number;
  readonly minLabelCoverage?: number;
  readonly predictions?: string;
  readonly predictedAt?: string;
}

export interface TimeWindow {
  /** Unix seconds. */
  readonly start: number;
  readonly end: number;
}

/**
 * What pins one side to the revision under analysis beyond its labels (src/sources/revision/).
 */
export interface SidePins {
  /**
   * A regex of the revision's pods (`pod=~"..."`), added to the series its pods report
   * themselves: Istio's with `reporter="destination"` and the app's own metrics.
   */
  readonly pods?: string;
  /**
   * The side's requests as the callers' proxies report them (`reporter="source"`), e.g.
   * `{destination_service_name: "model-canary"}`: requests routed to the side that failed before
   * it answered (no healthy upstream, connection refused or reset, timeouts) count as errors of
   * the Istio error templates.
   */
  readonly sourceLabels?: Labels;
}

export interface FetchContext {
  /** Labels of each side, already merged with the request's common labels. */
  readonly baseline: Labels;
  readonly canary: Labels;
  /** Series with these label values are left out of both sides (`name!="value"`). */
  readonly exclude?: Labels;
  /** Each side's revision pins; none: the labels alone select the side. */
  readonly pins?: { readonly baseline: SidePins; readonly canary: SidePins };
  readonly window: TimeWindow;
  /** Istio's `reporter` for the istio-* templates (default "destination"; "waypoint" in ambient mesh). */
  readonly reporter?: string;
  /**
   * Fetch the window as a timeline: one interval per step (seconds), so the judge can test
   * per interval and report the first decisive look. Without it, one total per side.
   */
  readonly timelineStepSeconds?: number;
  /** Aborted when the analysis' overall deadline passes. */
  readonly signal: AbortSignal;
  /**
   * Queries of this analysis already sent, shared by its metrics (one map per analysis), so
   * that the same query (several quantiles of one histogram) goes out once. Answers must not be
   * mutated. Without it every metric sends its own.
   */
  readonly shared?: Map<string, Promise<unknown>>;
}

export type FetchedSides =
  | { readonly kind: 'continuous' | 'distribution'; readonly baseline: ValuesSide; readonly canary: ValuesSide }
  | { readonly kind: 'proportion'; readonly baseline: CountSide; readonly canary: CountSide }
  | { readonly kind: 'categorical'; readonly baseline: CategoricalSide; readonly canary: CategoricalSide };

/** Requests routed to a side that its callers' proxies failed before it answered. */
export interface ClientSideFailures {
  readonly count: number;
  /** By Envoy's response flags as reported ("UH", "URX,UF"). */
  readonly flags: Readonly<Record<string, number>>;
}

export type FetchedMetric = FetchedSides & {
  /** Istio error templates with the sides' sourceLabels: the client-side failures counted as errors. */
  readonly clientSide?: { readonly baseline: ClientSideFailures; readonly canary: ClientSideFailures };
  /** The queries sent, per side, for the response (people debug with them). */
  readonly queries: { readonly baseline: readonly string[]; readonly canary: readonly string[] };
  /** Set when neither side had a single series (lets `optional` metrics drop out). */
  readonly noSeries?: boolean;
  /** The length of each interval, in seconds, when fetched as a timeline. */
  readonly intervalSeconds?: number;
  /** With `segmentBy`: each segment's sides (the sides above are them pooled). */
  readonly segments?: readonly Segment<ValuesSide | CountSide | CategoricalSide>[];
  /** Labelled templates: the predictions per prediction interval and the label delay (src/judge/labelled-quality.ts). */
  readonly labelled?: LabelledTimeline;
};

export interface MetricSource {
  fetch(metric: TemplateMetric, ctx: FetchContext): Promise<FetchedMetric>;
  /**
   * The side's requests per pod and step within the window, as `reporter` reports them
   * (`destination`: the side's own pods), and which pods' series are still present at the
   * window's end: what tells one revision from another and where the canary's traffic began
   * (src/sources/revision/identify-revision.ts). Optional: a source without it cannot follow
   * the canary or tell revisions apart. `pods`: only pods matching this regex.
   */
  sideActivity?(labels: Labels, window: TimeWindow, stepSeconds: number, signal: AbortSignal, reporter: string, pods?: string, side?: 'baseline' | 'canary'): Promise<SideActivity>;
  /**
   * The ReplicaSets of a side as kube-state-metrics sees them: per step, which had ready pods
   * (the one with this pod-template hash, or those a workload owns), for sides whose pods no
   * sidecar reports (ambient mesh). Optional.
   */
  replicaSetActivity?(namespace: string, of: { readonly hash: string } | { readonly owner: string }, window: TimeWindow, stepSeconds: number, signal: AbortSignal, side?: 'baseline' | 'canary'): Promise<SideActivity>;
  /**
   * The canary's weight (percent) as Flagger set it, per step of the window, from its own gauge
   * `flagger_canary_weight{workload, namespace}` (src/sources/flagger-weight.ts), and the query
   * sent. Optional: without it a Flagger analysis has no weight to check the split against.
   */
  flaggerWeights?(workload: string, namespace: string, window: TimeWindow, stepSeconds: number, signal: AbortSignal): Promise<{ readonly samples: readonly (readonly [number, number])[]; readonly query: string }>;
}

/** Which backend and tenant an analysis reads (src/sources/prometheus/backends.ts). */
export interface SourceChoice {
  /** The profile's backend (default "default"). */
  readonly backend?: string;
  readonly profileTenant?: string;
  /** Named by the request: only from the backend's allow-list. */
  readonly requestTenant?: string;
}

/** The configured backends: the source of one analysis, by its profile and request. */
export interface MetricSources {
  /** Throws BackendChoiceError for a backend or tenant the analysis may not use. */
  choose(choice: SourceChoice): MetricSource;
  /** Credential values to mask in anything logged (tokens, passwords, secret header values). */
  secrets?(): string[];
}

/** A backend or tenant an analysis may not use: the request is refused (400) with this message. */
export class BackendChoiceError extends Error {
  constructor(
    message: string,
    /** The request key at fault ("tenant", "profile"). */
    readonly path: string,
  ) {
    super(message);
    this.name = 'BackendChoiceError';
  }
}

/** The backend could not answer: the analysis must not produce a verdict (HTTP 503). */
export class SourceUnavailableError extends Error {
  constructor(
    message: string,
    /**
     * 'query': Prometheus refused the query itself (a bad custom query): a client error, not an outage.
     * 'partial': it answered, but warned that part of the data could not be read.
     * 'downsampled': it answered from data coarser than the step asked (Thanos, VictoriaMetrics downsampling).
     * 'invalid-samples': it answered, but samples the validation stage refuses (src/sources/validate/).
     * 'too-large': its answer is beyond the byte cap: a client error (the query selects too much), 400.
     */
    readonly reason: 'unreachable' | 'timeout' | 'status' | 'malformed' | 'partial' | 'downsampled' | 'not-configured' | 'query' | 'invalid-samples' | 'too-large',
  ) {
    super(message);
    this.name = 'SourceUnavailableError';
  }
}
