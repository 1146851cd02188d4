/**
 * One measurement of an Argo Rollouts `web` metric, evaluated the way Argo does it (see
 * shared/docs/contracts.md): args substituted into string values of jsonBody and headers,
 * the template's headers sent (webmetric.go: Header.Set per entry, then Content-Type), POST,
 * any non-2xx is an Error, Kubernetes jsonpath picks the FIRST match, the measurement value is
 * that match as JSON, conditions are expressions over `result`, failure wins when both hold,
 * neither -> Inconclusive. The jsonpath and expression support covers what our templates use:
 * dotted fields, [n], [?(@.k=="v")], and `result`, `result[n]` or `result.key` compared with
 * ==, !=, <, <=, >, >= against string or number literals, joined by && and ||.
 */
export type Phase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

export interface WebMetric {
  readonly successCondition?: string;
  readonly failureCondition?: string;
  readonly provider: { readonly web: { readonly url: string; readonly method?: string; readonly headers?: readonly { readonly key: string; readonly value: string }[]; readonly jsonPath?: string; readonly jsonBody?: unknown; readonly timeoutSeconds?: number } };
}

export function substituteArgs<T>(value: T, args: Record<string, string>): T {
  if (typeof value === 'string') {
    return value.replace(/\{\{\s*args\.([\w-]+)\s*\}\}/g, (whole, name: string) => (name in args ? args[name] : whole)) as T;
  }
  if (Array.isArray(value)) return value.map((v) => substituteArgs(v, args)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteArgs(v, args)])) as T;
  return value;
}

/**
 * The args Argo resolves for a run of one of our templates: the template's defaults (Argo
 * applies them to every arg the Rollout does not pass), then what rollout.yaml passes (the
 * hashes come from valueFrom.podTemplateHashValue Latest and Stable), then `given`.
 */
export function rolloutArgs(template: { spec: { args: readonly { name: string; value?: string }[] } }, given: Record<string, string>): Record<string, string> {
  const defaults = Object.fromEntries(template.spec.args.filter((a) => a.value !== undefined).map((a) => [a.name, a.value as string]));
  return {
    ...defaults,
    namespace: 'ml',
    rollout: 'model',
    'canary-hash': '7c9d8f6b4',
    'stable-hash': '6d5f7c9b8',
    'canary-service': 'model-canary',
    'stable-service': 'model-stable',
    ...given,
  };
}

/**
 * `value` is the jsonpath's match; `measurementValue` what Argo stores as Measurement.Value
 * (and kubectl and the UI show): that match as JSON.
 */
export async function measure(metric: WebMetric, args: Record<string, string>): Promise<{ phase: Phase; value?: unknown; measurementValue?: string; status?: number }> {
  const m = substituteArgs(metric, args);
  const web = m.provider.web;
  const headers = new Headers();
  for (const { key, value } of web.headers ?? []) headers.set(key, value);
  if (web.jsonBody !== undefined) headers.set('Content-Type', 'application/json');
  let response: Response;
  try {
    response = await fetch(web.url, {
      method: web.method ?? 'GET',
      headers,
      body: web.jsonBody === undefined ? undefined : JSON.stringify(web.jsonBody),
      signal: AbortSignal.timeout((web.timeoutSeconds && web.timeoutSeconds > 0 ? web.timeoutSeconds : 10) * 1000),
    });
  } catch {
    return { phase: 'Error' };
  }
  const text = await response.text();
  if (response.status < 200 || response.status >= 300) return { phase: 'Error', status: response.status };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // Argo v1.9.1 marks a non-JSON 2xx Successful without checking any condition.
    return { phase: 'Successful', status: response.status };
  }
  const found = jsonPath(body, web.jsonPath ?? '{$}');
  if (!found.ok) return { phase: 'Error', status: response.status };
  return { phase: phaseOf(found.value, m.successCondition, m.failureCondition), value: found.value, measurementValue: JSON.stringify(found.value), status: response.status };
}

export function phaseOf(result: unknown, success?: string, failure?: string): Phase {
  const failed = failure ? evaluate(failure, result) : undefined;
  const succeeded = success ? evaluate(success, result) : undefined;
  if (failed === 'error' || succeeded === 'error') return 'Error';
  if (failed) return 'Failed';
  if (success && !failure) return succeeded ? 'Successful' : 'Failed';
  if (failure && !success) return 'Successful';
  return succeeded ? 'Successful' : 'Inconclusive';
}

/** Kubernetes jsonpath, the subset we ship: {$.a.b[0]}, {.a}, [?(@.name=="x")]. First match. */
export function jsonPath(root: unknown, expression: string): { ok: true; value: unknown } | { ok: false } {
  const inner = expression.trim().replace(/^\{/, '').replace(/\}$/, '').replace(/^\$/, '');
  const tokens = inner.match(/\.[\w-]+|\[\d+\]|\[\?\(@\.[\w-]+\s*==\s*"[^"]*"\)\]/g) ?? [];
  if (tokens.join('') !== inner) return { ok: false };
  let current: unknown = root;
  for (const token of tokens) {
    if (current === null || typeof current !== 'object') return { ok: false };
    if (token.startsWith('.')) current = (current as Record<string, unknown>)[token.slice(1)];
    else if (/^\[\d+\]$/.test(token)) current = (current as unknown[])[Number(token.slice(1, -1))];
    else {
      const [, key, wanted] = /@\.([\w-]+)\s*==\s*"([^"]*)"/.exec(token)!;
      current = Array.isArray(current) ? current.find((item) => item && item[key] === wanted) : undefined;
    }
    if (current === undefined) return { ok: false };
  }
  return { ok: true, value: current };
}

/** expr-lang, the subset we ship. Returns a boolean, or 'error' where expr would not give one. */
export function evaluate(condition: string, whole: unknown): boolean | 'error' {
  const alternatives = condition.split('||').map((part) => part.split('&&'));
  let any = false;
  for (const conjunction of alternatives) {
    let all = true;
    for (const comparison of conjunction) {
      const match = /^\s*result((?:\[\d+\]|\.[A-Za-z_]\w*)?)\s*(==|!=|<=|>=|<|>)\s*(".*"|-?\d+(?:\.\d+)?)\s*$/.exec(comparison);
      if (!match) return 'error';
      const [, accessor, op, literal] = match;
      const result = accessed(whole, accessor);
      if (result === undefined) return 'error';
      const right: unknown = literal.startsWith('"') ? literal.slice(1, -1) : Number(literal);
      if ((op === '==' || op === '!=') && typeof right === 'string' && typeof result !== 'string' && result !== null) return 'error';
      const holds =
        op === '==' ? result === right : op === '!=' ? result !== right
        : typeof result !== 'number' || typeof right !== 'number' ? 'error'
        : op === '<' ? result < right : op === '<=' ? result <= right : op === '>' ? result > right : result >= right;
      if (holds === 'error') return 'error';
      all = all && holds;
    }
    any = any || all;
  }
  return any;
}

/**
 * `result[n]` of an array or `result.key` of an object (expr-lang: an index out of range or a
 * field of a non-object is a runtime error, a missing key of a map is nil); undefined: Error.
 */
function accessed(result: unknown, accessor: string): unknown {
  if (!accessor) return result;
  if (accessor.startsWith('[')) {
    const i = Number(accessor.slice(1, -1));
    return Array.isArray(result) && i < result.length ? result[i] : undefined;
  }
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return undefined;
  const value = (result as Record<string, unknown>)[accessor.slice(1)];
  return value === undefined ? null : value;
}

/** The limits of an Argo Rollouts metric (AnalysisTemplate `spec.metrics[]`). */
export interface MetricLimits {
  readonly count?: number | string;
  readonly failureLimit?: number | string;
  readonly inconclusiveLimit?: number | string;
  readonly consecutiveErrorLimit?: number | string;
  readonly consecutiveSuccessLimit?: number | string;
}

/**
 * The metric's phase after a sequence of measurements, as Argo Rollouts assesses it after
 * each one (analysis/analysis.go, assessMetricStatus and assessMetricFailureInconclusiveOrError,
 * v1.8+): Failed when failures exceed failureLimit, Inconclusive when inconclusive looks exceed
 * inconclusiveLimit, Error when consecutive errors exceed consecutiveErrorLimit (default 4;
 * Error wins over Inconclusive, which wins over Failed), Successful once consecutiveSuccessLimit
 * passes in a row are reached; at `count` (Errors are not counted): Inconclusive with both a
 * consecutiveSuccessLimit and a failureLimit >= 0, Failed with only the former, else
 * Successful. Returns the phase and how many measurements it took; Running if none ended it.
 */
export function assessMetric(metric: MetricLimits, measurements: readonly Phase[]): { phase: Phase | 'Running'; after: number } {
  const int = (x: number | string | undefined, fallback: number) => (x === undefined ? fallback : Number(x));
  const failureLimit = int(metric.failureLimit, 0);
  const inconclusiveLimit = int(metric.inconclusiveLimit, 0);
  const errorLimit = int(metric.consecutiveErrorLimit, 4);
  const successLimit = int(metric.consecutiveSuccessLimit, 0);
  const count = metric.count === undefined ? undefined : Number(metric.count);
  let failed = 0;
  let inconclusive = 0;
  let consecutiveErrors = 0;
  let consecutiveSuccesses = 0;
  let counted = 0;
  for (let i = 0; i < measurements.length; i++) {
    const m = measurements[i];
    if (m === 'Error') {
      consecutiveErrors++;
      consecutiveSuccesses = 0;
    } else {
      consecutiveErrors = 0;
      counted++;
      if (m === 'Failed') failed++;
      if (m === 'Inconclusive') inconclusive++;
      consecutiveSuccesses = m === 'Successful' ? consecutiveSuccesses + 1 : 0;
    }
    let phase: Phase | undefined;
    if (failureLimit >= 0 && failed > failureLimit) phase = 'Failed';
    if (inconclusive > inconclusiveLimit) phase = 'Inconclusive';
    if (consecutiveErrors > errorLimit) phase = 'Error';
    if (phase) return { phase, after: i + 1 };
    if (successLimit > 0 && consecutiveSuccesses >= successLimit) return { phase: 'Successful', after: i + 1 };
    if (count !== undefined && counted >= count) {
      if (successLimit > 0 && failureLimit >= 0) return { phase: 'Inconclusive', after: i + 1 };
      if (successLimit > 0) return { phase: 'Failed', after: i + 1 };
      return { phase: 'Successful', after: i + 1 };
    }
  }
  return { phase: 'Running', after: measurements.length };
}

/**
 * Argo Rollouts' validation of a metric's limits (utils/analysis/factory.go, ValidateMetric):
 * the problems Argo would reject the template with.
 */
export function validateLimits(metric: MetricLimits & { interval?: string }): string[] {
  const n = (x: number | string | undefined) => (x === undefined ? 0 : Number(x));
  const count = n(metric.count);
  const failureLimit = n(metric.failureLimit);
  const successLimit = n(metric.consecutiveSuccessLimit);
  const inconclusiveLimit = n(metric.inconclusiveLimit);
  const problems: string[] = [];
  if (successLimit < 0) problems.push('consecutiveSuccessLimit must be >= 0');
  if (failureLimit < -1) problems.push('failureLimit must be >= 0, or -1 to be disabled');
  if (successLimit === 0 && failureLimit === -1) problems.push('failureLimit and consecutiveSuccessLimit cannot both be disabled');
  if (inconclusiveLimit < 0) problems.push('inconclusiveLimit must be >= 0');
  if (n(metric.consecutiveErrorLimit) < 0) problems.push('consecutiveErrorLimit must be >= 0');
  if (count > 0) {
    if (successLimit >= 0 && failureLimit >= 0 && count < failureLimit + successLimit) problems.push('count must be >= failureLimit + consecutiveSuccessLimit');
    if (failureLimit < 0 && count < successLimit) problems.push('count must be >= consecutiveSuccessLimit');
    if (count < inconclusiveLimit) problems.push('count must be >= inconclusiveLimit');
  }
  if (count > 1 && !metric.interval) problems.push('interval must be specified when count > 1');
  return problems;
}
