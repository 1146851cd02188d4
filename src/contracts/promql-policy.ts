/**
 * Which PromQL a request may make the service run with its Prometheus credentials
 * (`REQUEST_PROMQL`). Profiles are the operator's own and may use every template; a request's
 * own template metrics are what this bounds:
 * - `templates` (the default): the built-in templates, whose PromQL is fixed and whose inputs are
 *   checked names (`metric`, `by`, `events`, `total`) and escaped label values; no `query`.
 * - `profiles`: no template metric of the request's own: profiles (and inline data) only.
 * - `any`: also `query`, the request's own PromQL with `{{labels}}` filled in.
 * Even the built-in templates read any metric the credentials can read (a `categorical`
 * template's `by` names label values): `profiles` closes that too.
 */
import type { AnalyzeRequest } from './analyze-request';
import type { Issue } from './problems';

export const REQUEST_PROMQL = ['profiles', 'templates', 'any'] as const;
export type RequestPromql = (typeof REQUEST_PROMQL)[number];

/** The request's template metrics the policy does not allow, each named with the way to allow it. */
export function promqlPolicyIssues(request: AnalyzeRequest, policy: RequestPromql): Issue[] {
  if (policy === 'any') return [];
  return request.metrics.flatMap((entry) => {
    if (entry.from !== 'template') return [];
    const metric = entry.metric;
    if (policy === 'profiles') {
      return [{ path: `metrics.${metric.name}.template`, message: `this service runs no PromQL of a request's own (REQUEST_PROMQL=profiles): name a profile ("profile") whose metrics the operator wrote, or send the data inline` }];
    }
    if (metric.template === 'query') {
      return [{ path: `metrics.${metric.name}.template`, message: `"query" runs the request's own PromQL with the service's Prometheus credentials, which this service does not allow from requests (REQUEST_PROMQL=templates): put the query in a profile (PROFILES_FILE), use a built-in template, or ask the operator for REQUEST_PROMQL=any` }];
    }
    return [];
  });
}
