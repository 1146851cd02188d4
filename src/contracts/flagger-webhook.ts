/**
 * Flagger's webhook payload and how a verdict becomes a status Flagger understands.
 *
 * Flagger POSTs `{name, namespace, phase, checksum, metadata}` with no hint of the hook type,
 * so each type has its own URL. Only 200-202 count as success; on failure the response body
 * becomes the text of a Kubernetes event, so a fail is 412 with one short plain sentence.
 * The sides are derived Flagger's way: the canary workload is the Canary's
 * `targetRef.name`, the primary `<targetRef.name>-primary`, both in `<namespace>` (Istio's
 * destination_workload labels). The payload carries only the Canary object's own name, which
 * need not be the target's, so metadata `target` names the target; without it the payload
 * name is used (right only when the Canary is named after its target).
 */
import { INVISIBLE_CONTROLS } from '../judge/describe';
import { z } from 'zod';
import type { Verdict } from '../judge/types';
import type { TemplateMetric } from '../sources/metric-source';
import { LARGEST_PLAIN_RELATIVE_MARGIN } from './analyze-request';
import { closestKey } from './closest-key';
import { readNumber, stringMap } from './lenient-numbers';
import { strictObject } from './strict-object';
import type { Issue } from './problems';
import type { MetricOverrides } from './run-analysis';

export const JUDGING_TYPES = ['pre-rollout', 'rollout', 'confirm-traffic-increase', 'confirm-promotion', 'rollback'] as const;
export const LOGGED_TYPES = ['event', 'post-rollout'] as const;
/** Answers whether a judgement will be possible (confirm-rollout.ts), judges nothing. */
export const CONFIRM_ROLLOUT = 'confirm-rollout';
export type JudgingType = (typeof JUDGING_TYPES)[number];

/**
 * Strict like every other contract: Flagger sends exactly these keys (CanaryWebhookPayload),
 * and a person testing with curl who writes "metdata" must not have the metadata silently
 * dropped. Should a Flagger release add a field, its checks fail with a 400 naming the key
 * (fail closed: no promotion on a payload we do not understand) until it is added here.
 * `metadata` itself is strict key by key (readFlaggerOptions).
 */
export const flaggerPayloadSchema = strictObject({
  name: z.string().min(1).max(253),
  namespace: z.string().min(1).max(253),
  phase: z.string().optional(),
  checksum: z.string().optional(),
  metadata: stringMap(4096).optional(),
});
export type FlaggerPayload = z.output<typeof flaggerPayloadSchema>;

export type OnInconclusive = 'default' | 'fail' | 'pass';

/** What Flagger's metadata (a string map) may set. */
export interface FlaggerOptions {
  readonly request: Record<string, unknown>;
  readonly overrides: MetricOverrides;
  readonly onInconclusive: OnInconclusive;
}

/** A Kubernetes object name (DNS-1123 subdomain); the primary adds "-primary". */
const WORKLOAD_NAME = /^[a-z0-9]([-a-z0-9.]{0,243}[a-z0-9])?$/;

const METRIC_FIELDS = ['margin.relative', 'margin.absolute', 'margin.allowLargeRelative', 'critical', 'weight', 'direction', 'statistic', 'threshold'] as const;
const PER_METRIC = new RegExp(`^metrics\\.([^.]+)\\.(${METRIC_FIELDS.map((f) => f.replace('.', '\\.')).join('|')})$`);
const REQUEST_KEYS = ['reporter', 'profile', 'tenant', 'lookback', 'start', 'end', 'alpha', 'evidence', 'expectedCanaryShare', 'trafficLookback', 'onTrafficMismatch', 'timelineStep', 'since', 'maxAge', 'revisionFrom'] as const;
const LABEL_PREFIXES = ['labels.', 'canary.labels.', 'baseline.labels.', 'canary.sourceLabels.', 'baseline.sourceLabels.', 'exclude.'] as const;

/**
 * "unknown metadata key `lookbak`; did you mean `lookback`?" A per-metric key is matched on its
 * field ("metrics.latency.margin.relativ"), a label key on its prefix ("label.app").
 */
function unknownMetadataKeyMessage(key: string): string {
  const shown = `\`${JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}...` : key).slice(1, -1)}\``;
  const perMetric = /^metrics\.([^.]+)\.(.+)$/.exec(key);
  const lastDot = key.lastIndexOf('.');
  // Only the part that can be misspelt is compared: a metric's or label's own name is free.
  let closest: string | undefined;
  if (perMetric) {
    const field = closestKey(perMetric[2], METRIC_FIELDS);
    closest = field && `metrics.${perMetric[1]}.${field}`;
  } else if (lastDot > 0 && !(REQUEST_KEYS as readonly string[]).some((k) => closestKey(key, [k]))) {
    const prefix = closestKey(key.slice(0, lastDot + 1), LABEL_PREFIXES);
    closest = prefix && `${prefix}${key.slice(lastDot + 1)}`;
  } else closest = closestKey(key, [...REQUEST_KEYS, 'onInconclusive', 'target', 'service']);
  const known =
    'the keys are target, service, reporter, profile, tenant, lookback, start, end, alpha, evidence, expectedCanaryShare, trafficLookback, onTrafficMismatch, timelineStep, since, maxAge, revisionFrom, onInconclusive, labels.<name>, canary.labels.<name>, baseline.labels.<name>, canary.sourceLabels.<name>, baseline.sourceLabels.<name>, exclude.<name> and metrics.<metric>.(margin.relative|margin.absolute|critical|weight|direction|statistic|threshold)';
  return closest !== undefined ? `unknown metadata key ${shown}; did you mean \`${closest}\`?` : `unknown metadata key ${shown}; ${known}`;
}

/**
 * Metadata keys: `target` (the Canary's targetRef.name), `service` (its spec.service.name, by
 * default the target: the callers route to `<service>-canary` and `<service>-primary`),
 * `reporter`, `profile`, `tenant`, `lookback`, `start`, `end`, `alpha`, `evidence`, `expectedCanaryShare`,
 * `trafficLookback`, `onTrafficMismatch`, `timelineStep` (fetch the window per step, e.g. "1m"),
 * `since` ("canary": the window starts where the canary's revision began), `maxAge`,
 * `revisionFrom` (pods|labels), `onInconclusive` (fail|pass), `labels.<name>` (both sides),
 * `canary.labels.<name>`, `baseline.labels.<name>`, `canary.sourceLabels.<name>`,
 * `baseline.sourceLabels.<name>`, `exclude.<name>` (series left out of both sides), and per
 * metric of the profile
 * `metrics.<metric>.margin.relative|margin.absolute|critical|weight|direction|statistic|threshold`.
 * Anything else is a 400: a typo must not silently change a rollout.
 */
export function readFlaggerOptions(payload: FlaggerPayload): FlaggerOptions | { issues: Issue[] } {
  const metadata = payload.metadata ?? {};
  const issues: Issue[] = [];
  // Null-prototype maps: metadata keys are user data, "labels.__proto__" included.
  const labels: Record<string, string> = Object.assign(Object.create(null), { destination_workload_namespace: payload.namespace });
  // Only the metadata is checked: the payload's name is Flagger's (any name selects, escaped).
  const target = metadata.target ?? payload.name;
  if (metadata.target !== undefined && !WORKLOAD_NAME.test(target)) issues.push({ path: 'metadata.target', message: 'expected the name of the Canary\'s targetRef (a Kubernetes object name)' });
  const canary: Record<string, string> = Object.assign(Object.create(null), { destination_workload: target });
  const baseline: Record<string, string> = Object.assign(Object.create(null), { destination_workload: `${target}-primary` });
  // Flagger routes to the Services <service>-canary and <service>-primary (the service name is
  // the Canary's spec.service.name, by default the target's): what the callers' proxies report.
  const service = metadata.service ?? target;
  if (metadata.service !== undefined && !WORKLOAD_NAME.test(service)) issues.push({ path: 'metadata.service', message: "expected the Canary's spec.service.name (a Kubernetes object name)" });
  const routed = (suffix: string): Record<string, string> =>
    Object.assign(Object.create(null), { destination_service_name: `${service}-${suffix}`, destination_service_namespace: payload.namespace });
  const canarySource = routed('canary');
  const baselineSource = routed('primary');
  const overrides = new Map<string, Partial<TemplateMetric> & Record<string, unknown>>();
  const request: Record<string, unknown> = Object.assign(Object.create(null), {
    labels,
    canary: { labels: canary, sourceLabels: canarySource },
    baseline: { labels: baseline, sourceLabels: baselineSource },
  });
  let onInconclusive: OnInconclusive = 'default';

  for (const [key, value] of Object.entries(metadata)) {
    const path = `metadata.${key}`;
    const perMetric = PER_METRIC.exec(key);
    if (key === 'target' || key === 'service') continue;
    if ((REQUEST_KEYS as readonly string[]).includes(key)) request[key] = value;
    else if (key === 'onInconclusive') {
      if (value === 'fail' || value === 'pass') onInconclusive = value;
      else issues.push({ path, message: `expected "fail" or "pass", got ${JSON.stringify(value.slice(0, 40))}` });
    } else if (key.startsWith('labels.')) labels[key.slice(7)] = value;
    else if (key.startsWith('canary.labels.')) canary[key.slice(14)] = value;
    else if (key.startsWith('baseline.labels.')) baseline[key.slice(16)] = value;
    else if (key.startsWith('exclude.')) ((request.exclude ??= Object.create(null)) as Record<string, string>)[key.slice(8)] = value;
    else if (key.startsWith('canary.sourceLabels.')) canarySource[key.slice(20)] = value;
    else if (key.startsWith('baseline.sourceLabels.')) baselineSource[key.slice(22)] = value;
    else if (perMetric) {
      const [, metric, field] = perMetric;
      const override = overrides.get(metric) ?? {};
      const problem = applyOverride(override, field, value);
      if (problem) issues.push({ path, message: problem });
      overrides.set(metric, override);
    } else {
      issues.push({ path, message: unknownMetadataKeyMessage(key) });
    }
  }
  // The same unit-slip guard as a request's margin (0.1 = 10 %), checked once every key is
  // read, so the opt-in may come before or after the margin.
  for (const [metric, override] of overrides) {
    const relative = (override.margin as { relative?: number } | undefined)?.relative;
    if (relative !== undefined && relative > LARGEST_PLAIN_RELATIVE_MARGIN && largeRelativeAllowed.get(override) !== true) {
      issues.push({
        path: `metadata.metrics.${metric}.margin.relative`,
        message: `got ${relative}, a tolerated change of +${Number((relative * 100).toPrecision(6))} %: margins are fractions (0.1 = 10 %); for a margin above 1 (+100 %) on purpose, add "metrics.${metric}.margin.allowLargeRelative": "true"`,
      });
    }
  }
  for (const [metric, override] of overrides as Map<string, Record<string, unknown>>) {
    // A threshold replaces the profile's quantile and a statistic the profile's threshold; both
    // at once contradict each other.
    if (override.threshold !== undefined && override.quantile !== undefined) {
      issues.push({ path: `metadata.metrics.${metric}.threshold`, message: 'give either "statistic" or "threshold" for a metric, not both' });
    } else if (override.threshold !== undefined) override.quantile = undefined;
    else if (override.quantile !== undefined) override.threshold = undefined;
  }
  return issues.length ? { issues } : { request, overrides, onInconclusive };
}

/** The metadata opt-in for a relative margin above 1, kept beside (not in) the override. */
const largeRelativeAllowed = new WeakMap<object, boolean>();

function applyOverride(override: Record<string, unknown>, field: string, value: string): string | null {
  switch (field) {
    case 'margin.relative':
    case 'margin.absolute': {
      const number = readNumber(value);
      if (number === undefined || number < 0) return `expected a non-negative number, got ${JSON.stringify(value.slice(0, 40))}`;
      // An override of one margin replaces the profile's margins, so "relative: 0.2" is exactly that.
      const key = field.slice(7);
      override.margin = { ...(override.margin as object), [key]: number };
      return null;
    }
    case 'margin.allowLargeRelative':
      if (value !== 'true' && value !== 'false') return `expected "true" or "false", got ${JSON.stringify(value.slice(0, 40))}`;
      largeRelativeAllowed.set(override, value === 'true');
      return null;
    case 'critical':
      if (value !== 'true' && value !== 'false') return `expected "true" or "false", got ${JSON.stringify(value.slice(0, 40))}`;
      override.critical = value === 'true';
      return null;
    case 'weight': {
      const number = readNumber(value);
      if (number === undefined || number <= 0) return `expected a positive number, got ${JSON.stringify(value.slice(0, 40))}`;
      override.weight = number;
      return null;
    }
    case 'direction':
      if (!['increase', 'decrease', 'either'].includes(value)) return `got ${JSON.stringify(value.slice(0, 40))}; expected one of "increase", "decrease", "either"`;
      override.direction = value;
      return null;
    case 'threshold': {
      const number = readNumber(value);
      if (number === undefined || !Number.isFinite(number)) return 'expected a number (judge the share of observations above it)';
      override.threshold = number;
      return null;
    }
    case 'statistic': {
      if (value === 'mean') {
        override.quantile = 'mean';
        return null;
      }
      const match = /^p(\d{1,2}(\.\d+)?)$/.exec(value);
      if (!match) return `expected "mean" or a quantile such as "p95", got ${JSON.stringify(value.slice(0, 40))}`;
      override.quantile = Number(match[1]) / 100;
      return null;
    }
  }
  return 'unknown field';
}

export interface FlaggerAnswer {
  readonly status: number;
  /** Plain text, short: it becomes a Kubernetes event. */
  readonly text: string;
}

/**
 * The status for a verdict: pass -> 200; fail -> 412; inconclusive -> 200 while evidence is
 * still building (pre-rollout, rollout, confirm-traffic-increase), 412 at confirm-promotion
 * (never promote without evidence), unless metadata says otherwise. The rollback hook
 * inverts the sense: 200 means "roll back now", given only for a confident failure of a
 * critical metric; anything else is 409. When the revision under analysis cannot be
 * established (`undecidable`), the gates (confirm-traffic-increase, confirm-promotion) answer
 * 412 and the rollback hook 409: nothing advances or rolls back on data that may be another
 * revision's; the rollout hook answers 200 (no failed check).
 */
export function flaggerStatus(type: JudgingType, verdict: Verdict, criticalFailed: boolean, onInconclusive: OnInconclusive, undecidable = false): number {
  if (type === 'rollback') return criticalFailed && !undecidable ? 200 : 409;
  // The revision under analysis is unknown: no gate opens, whatever onInconclusive says.
  if (undecidable) return type === 'rollout' || type === 'pre-rollout' ? 200 : 412;
  if (verdict === 'pass') return 200;
  if (verdict === 'fail') return 412;
  if (onInconclusive !== 'default') return onInconclusive === 'pass' ? 200 : 412;
  return type === 'confirm-promotion' ? 412 : 200;
}

/** One line for a Kubernetes event, at most ~300 characters. */
const KUBERNETES_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;

/**
 * The analysis key of a Flagger check is its canary: the payload's namespace and name (the
 * verdict gauges' labels). A payload whose names are not Kubernetes names gets no key.
 */
export function withAnalysisKey(request: Record<string, unknown>, payload: Pick<FlaggerPayload, 'name' | 'namespace'>): Record<string, unknown> {
  if (!KUBERNETES_NAME.test(payload.name) || !KUBERNETES_NAME.test(payload.namespace)) return request;
  return Object.assign(Object.create(null), request, { rollout: { namespace: payload.namespace, name: payload.name } });
}

export function eventText(verdict: Verdict, reason: string): string {
  // No invisible control reaches the Kubernetes event (a category or label from Prometheus could carry one).
  const line = `canary-judge ${verdict}: ${reason}`.replace(/\s+/g, ' ').replace(INVISIBLE_CONTROLS, '\uFFFD');
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
