/**
 * One measurement of an Argo Rollouts `web` metric, evaluated the way Argo does it (see
 * shared/docs/contracts.md): args substituted into string values of jsonBody, POST, any
 * non-2xx is an Error, Kubernetes jsonpath picks the FIRST match, conditions are expressions
 * over `result`, failure wins when both hold, neither -> Inconclusive. The jsonpath and
 * expression support covers what our templates use: dotted fields, [n], [?(@.k=="v")],
 * and ==, !=, <, <=, >, >= against string or number literals joined by && and ||.
 */
export type Phase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

export interface WebMetric {
  readonly successCondition?: string;
  readonly failureCondition?: string;
  readonly provider: { readonly web: { readonly url: string; readonly method?: string; readonly jsonPath?: string; readonly jsonBody?: unknown; readonly timeoutSeconds?: number } };
}

export function substituteArgs<T>(value: T, args: Record<string, string>): T {
  if (typeof value === 'string') {
    return value.replace(/\{\{\s*args\.([\w-]+)\s*\}\}/g, (whole, name: string) => (name in args ? args[name] : whole)) as T;
  }
  if (Array.isArray(value)) return value.map((v) => substituteArgs(v, args)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteArgs(v, args)])) as T;
  return value;
}

export async function measure(metric: WebMetric, args: Record<string, string>): Promise<{ phase: Phase; value?: unknown; status?: number }> {
  const m = substituteArgs(metric, args);
  const web = m.provider.web;
  let response: Response;
  try {
    response = await fetch(web.url, {
      method: web.method ?? 'GET',
      headers: { 'Content-Type': 'application/json' },
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
  return { phase: phaseOf(found.value, m.successCondition, m.failureCondition), value: found.value, status: response.status };
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
export function evaluate(condition: string, result: unknown): boolean | 'error' {
  const alternatives = condition.split('||').map((part) => part.split('&&'));
  let any = false;
  for (const conjunction of alternatives) {
    let all = true;
    for (const comparison of conjunction) {
      const match = /^\s*result\s*(==|!=|<=|>=|<|>)\s*(".*"|-?\d+(?:\.\d+)?)\s*$/.exec(comparison);
      if (!match) return 'error';
      const [, op, literal] = match;
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
