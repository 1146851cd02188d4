/**
 * Named metric sets with their margins, directions, criticality and weights, like Kayenta's
 * canary configs: a request or Flagger's metadata says `profile: name` instead of listing
 * metrics. Built in: `istio-model-serving` (also the `default`): Istio latency and error rate
 * as critical guardrails, and the model's prediction-score histogram when it is exported;
 * `ml-quality`: the same serving guardrails plus labelled accuracy by prediction time
 * (docs/model-quality.md, "The ml-quality profile").
 * `PROFILES_FILE` adds or replaces profiles; an invalid file stops the service at start.
 */
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { issuesFromZod, parseContract } from '../contracts/problems';
import { strictObject } from '../contracts/strict-object';
import { REPORTERS, templateMetricSchema } from '../contracts/analyze-request';
import { lenientNumber } from '../contracts/lenient-numbers';
import type { EvidenceName, ScoreThresholds } from '../judge/types';
import type { TemplateMetric } from '../sources/metric-source';
import { BACKEND_NAME, tenantId } from '../sources/prometheus/backend-config';

export interface Profile {
  readonly name: string;
  readonly description?: string;
  readonly alpha?: number;
  readonly thresholds?: Partial<ScoreThresholds>;
  readonly evidence?: EvidenceName;
  /** Istio's reporter for the istio-* templates ("waypoint" in ambient mesh); a request's wins. */
  readonly reporter?: (typeof REPORTERS)[number];
  /** The backend its metrics are read from (PROMETHEUS_BACKENDS; default "default", PROMETHEUS_URL). */
  readonly backend?: string;
  /** The tenant read on that backend (its tenant header); a request may name another only from the backend's tenant.allowed. */
  readonly tenant?: string;
  readonly metrics: readonly TemplateMetric[];
}

export type Profiles = ReadonlyMap<string, Profile>;

export const DEFAULT_PROFILE_NAME = 'default';
const PROFILE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** The labels of the model's own series (its scrape config's), mapped from the request's Istio names. */
const MODEL_LABELS_FROM = { version: 'destination_version', app: 'destination_workload', namespace: 'destination_workload_namespace' } as const;

export const ISTIO_MODEL_SERVING: Profile = {
  name: 'istio-model-serving',
  description: 'Istio request latency (p95 may rise 10 %) and error rate (5xx and failed gRPC calls; may rise to 1.5x or by 0.1 pp) as critical guardrails, plus the prediction-score distribution (labels version/app/namespace) when exported.',
  metrics: [
    { name: 'latency', template: 'istio-latency', quantile: 0.95, margin: { relative: 0.1 }, critical: true },
    { name: 'error-rate', template: 'istio-error-rate', margin: { relative: 0.5, absolute: 0.001 }, critical: true },
    {
      name: 'prediction-score',
      template: 'histogram',
      metric: 'model_prediction_score',
      kind: 'distribution',
      margin: { absolute: 0.1 },
      optional: true,
      // The model server's own metric carries its scrape config's pod labels, not Istio's:
      // `version` (Argo sends destination_version), `app` (Flagger's canary is app=<target>,
      // its primary app=<target>-primary, as destination_workload), `namespace`.
      labelsFrom: MODEL_LABELS_FROM,
    },
  ],
};

/**
 * Serving guardrails plus what the model gets right once labels arrive (issue 25, item 4).
 * No metric is segmented: the labelled templates refuse `segmentBy` (their judge does not run
 * per segment), and Istio's standard metrics carry no tenant or region label, so any
 * `segmentBy` here would name a label most meshes do not have. A team whose telemetry adds one
 * copies this profile into PROFILES_FILE with `segmentBy` on the error rate.
 */
export const ML_QUALITY: Profile = {
  name: 'ml-quality',
  description:
    'The serving guardrails of istio-model-serving (Istio p95 latency may rise 10 %, error rate to 1.5x or by 0.1 pp; critical) plus labelled accuracy (model_labelled_predictions_total{version, predicted_at, correct} and model_predictions_total{version, predicted_at}, labels due 5 minutes after prediction, 95 % coverage) that may drop at most 1 pp, critical; no segments (labelled metrics are not judged per segment, and Istio metrics have no tenant label by default).',
  metrics: [
    ISTIO_MODEL_SERVING.metrics[0],
    ISTIO_MODEL_SERVING.metrics[1],
    {
      name: 'accuracy',
      template: 'labelled-accuracy',
      labelDelaySeconds: 300,
      minLabelCoverage: 0.95,
      direction: 'decrease',
      margin: { absolute: 0.01 },
      critical: true,
      // Fed by the model server's feedback path or a feedback job: the same version/app/namespace labels as the model's own series.
      labelsFrom: MODEL_LABELS_FROM,
    },
  ],
};

/** One profile as a PROFILES_FILE (and the chart's `profiles` value) may write it; strict as requests are. */
export const profileSchema = strictObject({
  description: z.string().optional(),
  alpha: lenientNumber.refine((a) => a > 0 && a <= 0.5, 'must lie in (0, 0.5]').optional(),
  thresholds: strictObject({ pass: lenientNumber.optional(), marginal: lenientNumber.optional() }).optional(),
  evidence: z.enum(['anytime-valid', 'fixed-sample']).optional(),
  reporter: z.enum(REPORTERS).optional(),
  backend: z.string().regex(BACKEND_NAME, 'backend names are lower-case letters, digits, ".", "_" and "-"').optional(),
  tenant: tenantId.optional(),
  metrics: z.array(templateMetricSchema).min(1, 'a profile needs at least one metric'),
});

/** The profile map; the chart's values.schema.json is generated from it (npm run schema:chart). */
export const profileMapSchema = z.record(z.string().regex(PROFILE_NAME, 'profile names are lower-case letters, digits, ".", "_" and "-"'), profileSchema);

/** A whole profiles file: a misspelt key at any level stops the service at start. */
export const profilesFileSchema = strictObject({ profiles: profileMapSchema });

export function builtInProfiles(): Map<string, Profile> {
  return new Map([
    [ISTIO_MODEL_SERVING.name, ISTIO_MODEL_SERVING],
    [ML_QUALITY.name, ML_QUALITY],
    [DEFAULT_PROFILE_NAME, { ...ISTIO_MODEL_SERVING, name: DEFAULT_PROFILE_NAME }],
  ]);
}

/** The built-in profiles plus those of the file, if any; throws a readable Error when invalid. */
export function loadProfiles(file?: string): Profiles {
  const profiles = builtInProfiles();
  if (!file) return profiles;
  let document: unknown;
  try {
    document = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Invalid profiles file ${file}: ${(error as Error).message}`);
  }
  const parsed = parseContract(profilesFileSchema, document);
  if (!parsed.success) {
    const problems = issuesFromZod(parsed.error).map((i) => `${i.path === 'body' ? '(top level)' : i.path}: ${i.message}`).join('; ');
    throw new Error(`Invalid profiles file ${file}: ${problems}`);
  }
  for (const [name, profile] of Object.entries(parsed.data.profiles)) {
    if (!PROFILE_NAME.test(name)) throw new Error(`Invalid profiles file ${file}: profiles.${name}: profile names are lower-case letters, digits, ".", "_" and "-"`);
    const names = new Set<string>();
    for (const metric of profile.metrics) {
      if (names.has(metric.name)) throw new Error(`Invalid profiles file ${file}: profiles.${name}: duplicate metric name ${JSON.stringify(metric.name)}`);
      names.add(metric.name);
    }
    profiles.set(name, { name, ...profile });
  }
  return profiles;
}
