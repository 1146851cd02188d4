/**
 * The response contract of `POST /v1/analyze`, as zod schemas: the source of the OpenAPI
 * document, and checked against real responses in the tests so the two cannot drift apart.
 * Infinite bounds travel as null (JSON has no Infinity): null means "unbounded".
 */
import { z } from 'zod';
import { QUERY_ROLES, SAMPLE_FAULT_CODES } from '../sources/validate/faults';
import { MAX_LINK, MAX_REASON } from './measurement-summary';

const bound = z.number().nullable().meta({ description: 'null: unbounded (no evidence yet on that side)' });
const verdict = z.enum(['pass', 'fail', 'inconclusive']);

const effect = z.object({
  measure: z.string().meta({ examples: ['relative shift of p95'] }),
  unit: z.enum(['relative', 'rate', 'share', 'distance', 'units']),
  estimate: z.number().nullable(),
  lower: bound,
  upper: bound,
  tolerance: z.number(),
});

const sideSummary = z.union([
  z.object({ n: z.number(), mean: z.number().nullable(), p50: z.number().nullable(), p90: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() }),
  z.object({ n: z.number(), events: z.number(), rate: z.number().nullable() }),
  z.object({ n: z.number(), shares: z.record(z.string(), z.number()) }),
]);

const testReport = z.object({
  name: z.enum(['mann-whitney-u', 'kolmogorov-smirnov', 'fisher-exact', 'two-proportion-z', 'chi-squared', 'psi', 'jensen-shannon', 'wasserstein']),
  statistic: z.number().nullable(),
  pValue: z.number().min(0).max(1).optional(),
  threshold: z.number().optional(),
  method: z.string().optional(),
});

const clientSideFailures = z.object({ count: z.number(), flags: z.record(z.string(), z.number()).meta({ description: 'by Envoy response flags: UH no healthy upstream, UF connection failure, URX retries exhausted, UT timeout, ...' }) });

const coverage = z.number().min(0).max(1).nullable().meta({ description: 'labelled predictions / predictions; null: no predictions' });
const labelReport = z.object({
  delaySeconds: z.number(),
  minCoverage: z.number(),
  intervals: z.number().int().meta({ description: 'prediction intervals in the window' }),
  judged: z.number().int().meta({ description: 'how many of them, the oldest, were judged: old enough (delaySeconds) and labelled enough (minCoverage) on both sides' }),
  coverage: z.object({ baseline: coverage, canary: coverage }).meta({ description: 'over the judged intervals' }),
  perInterval: z.object({ baseline: z.array(coverage), canary: z.array(coverage) }).meta({ description: 'per prediction interval, oldest first' }),
  pendingSeconds: z.number().nullable().optional().meta({ description: 'with intervals awaiting labels: seconds until the first of them is due; null when its labels are overdue (later than delaySeconds) or its counts cannot be right' }),
});

const metricResult = z.object({
  name: z.string(),
  kind: z.enum(['continuous', 'proportion', 'distribution', 'categorical']),
  verdict,
  reason: z.string(),
  critical: z.boolean(),
  weight: z.number(),
  direction: z.enum(['increase', 'decrease', 'either']),
  baseline: sideSummary,
  canary: sideSummary,
  effect: effect.optional(),
  effects: z.array(effect).optional(),
  tests: z.array(testReport),
  queries: z.object({ baseline: z.array(z.string()), canary: z.array(z.string()) }).optional(),
  clientSide: z
    .object({ baseline: clientSideFailures, canary: clientSideFailures })
    .optional()
    .meta({ description: 'Istio error templates with the sides\' sourceLabels: requests routed to each side that its callers\' proxies failed before it answered, counted as errors' }),
  intervals: z.number().int().optional().meta({ description: 'with a timeline: how many intervals (looks) the data hold' }),
  projection: z.object({ toward: z.enum(['pass', 'fail']), moreCanary: z.number(), moreIntervals: z.number().int().optional(), moreSeconds: z.number().int().optional() }).optional().meta({ description: 'inconclusive: how much more canary data a decision needs if the effect stays where it is (requests for rates, observations otherwise); moreIntervals at the latest interval\'s canary traffic, and moreSeconds the same in time when the interval\'s length is known (a timeline fetched from Prometheus)' }),
  timeline: z
    .array(z.object({ interval: z.number().int().min(1), estimate: z.number().nullable(), lower: bound, upper: bound }))
    .max(64)
    .optional()
    .meta({ description: "with a timeline and anytime-valid evidence: the effect (measure and units of `effect`) at the looks the judge evaluated, oldest first, each from the data up to that interval; at most 33 looks (evenly spaced, the deciding and the latest among them)" }),
  decidedAt: z.number().int().optional().meta({ description: 'with a timeline: the interval (1-based) of the first look at which the verdict was reached; it stands at later looks' }),
  labels: labelReport.optional().meta({ description: 'labelled metrics (labelDelay; templates labelled-accuracy, labelled-error): label coverage per side and the prediction intervals still awaiting labels (docs/model-quality.md)' }),
});

const trafficCheck = z.object({
  name: z.literal('traffic-split'),
  verdict,
  reason: z.string(),
  expectedCanaryShare: z.number(),
  observedCanaryShare: z.number().nullable(),
  baseline: z.number(),
  canary: z.number(),
  eValue: z.number().nullable(),
});

const revision = z.union([
  z.object({
    method: z.enum(['pod-template-hash', 'newest-replicaset', 'labels']),
    via: z.literal('kube-state-metrics').optional().meta({ description: 'told from kube-state-metrics\' ReplicaSets: no sidecar reports the side\'s pods (ambient mesh)' }),
    replicaSet: z.string().optional(),
    pods: z.string().optional().meta({ description: 'the regex of the revision\'s pods (the `pod` label) every query of this side carries' }),
    since: z.string().nullable().meta({ description: 'where the revision\'s latest run of traffic began; null: it has served no request yet' }),
    excluded: z.array(z.string()).optional().meta({ description: 'other ReplicaSets the side\'s labels select, left out' }),
  }),
  z.object({ unknown: z.string() }),
]);

export const analyzeResponseSchema = z.strictObject({
  verdict,
  score: z.number().min(0).max(100),
  reason: z.string(),
  alpha: z.number(),
  evidence: z.enum(['anytime-valid', 'fixed-sample']),
  metrics: z.array(metricResult),
  checks: z.array(trafficCheck).optional(),
  profile: z.string().optional(),
  window: z.object({ start: z.string(), end: z.string() }).optional(),
  skipped: z.array(z.string()).optional(),
  trafficNotChecked: z.string().optional().meta({ description: 'why the traffic split was not checked although asked ("expectedCanaryShare": "flagger" with no weight to read)' }),
  revisions: z.object({ baseline: revision, canary: revision }).optional().meta({ description: 'Prometheus-backed: which revision each side is (how the judge knows which revision it judges)' }),
  undecidable: z.string().optional().meta({ description: 'the revision under analysis could not be established: the verdict is held at inconclusive, for this reason' }),
  /** The HTML report of a Prometheus-backed analysis, when PUBLIC_URL is set. */
  report: z.string().optional(),
  summary: z
    .union([z.tuple([verdict, z.string()]), z.tuple([verdict, z.string(), z.string()])])
    .meta({
      description: `[verdict, reason on one line (at most ${MAX_REASON} characters), report link (when there is one, up to ${MAX_LINK} characters)]: what Argo Rollouts shows as the measurement value (the templates select it with jsonPath "{$.summary}" and test result[0])`,
      examples: [['pass', 'all 3 metrics within their margins (score 100)', 'https://canary-judge.example.org/v1/report?a=...']],
    }),
});

export const problemSchema = z.object({
  error: z.enum(['invalid_request', 'payload_too_large', 'not_found', 'method_not_allowed', 'not_acceptable', 'unauthorized', 'source_unavailable', 'internal_error']),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  message: z.string().optional(),
  faults: z
    .array(
      z.object({
        code: z.enum(SAMPLE_FAULT_CODES),
        metric: z.string(),
        side: z.enum(['baseline', 'canary']),
        role: z.enum(QUERY_ROLES),
        query: z.string(),
        series: z.record(z.string(), z.string()),
        at: z.string().optional(),
        message: z.string(),
      }),
    )
    .optional(),
});
