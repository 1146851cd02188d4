/**
 * Which label selectors each side of one template metric uses.
 *
 * A request names its two sides once (`labels`, `baseline.labels`, `canary.labels`), usually in
 * Istio's names (`destination_version`, `destination_workload`). An app's own metrics carry
 * the labels of its scrape config instead (`version`, `app`, `namespace`), so a metric may
 * - give its own `baseline.labels` / `canary.labels` (literal, replacing the request's), or
 * - map them from the request's: `labelsFrom: { version: destination_version }` means "this
 *   metric's `version` is the side's `destination_version`". Profiles use this form, so one
 *   profile serves every rollout: Argo sends only `destination_version: v2`.
 *
 * Fail closed: a metric whose two sides would select the same series (nothing mapped, or
 * only labels both sides share) is unresolved rather than compared with itself, which would
 * always pass. So is a mapping whose source label only one side has.
 */
import type { Labels, TemplateMetric } from './metric-source';

export interface RequestSides {
  readonly common: Labels;
  readonly baseline: Labels;
  readonly canary: Labels;
}

export type MetricSides = { readonly baseline: Labels; readonly canary: Labels } | { readonly unresolved: string };

export function metricSides(metric: TemplateMetric, request: RequestSides): MetricSides {
  const baseline = { ...request.common, ...request.baseline };
  const canary = { ...request.common, ...request.canary };
  if (metric.baseline || metric.canary) {
    return distinct(metric, { baseline: metric.baseline?.labels ?? {}, canary: metric.canary?.labels ?? {} }, 'its baseline.labels and canary.labels');
  }
  if (!metric.labelsFrom) return { baseline, canary };

  const mapped = { baseline: nullObject(), canary: nullObject() };
  for (const [target, source] of Object.entries(metric.labelsFrom)) {
    const b = Object.hasOwn(baseline, source) ? baseline[source] : undefined;
    const c = Object.hasOwn(canary, source) ? canary[source] : undefined;
    if (b === undefined && c === undefined) continue;
    if (b === undefined || c === undefined) {
      return { unresolved: `metric ${JSON.stringify(metric.name)} maps ${target} from ${source}, which only the ${b === undefined ? 'canary' : 'baseline'} side gives` };
    }
    mapped.baseline[target] = b;
    mapped.canary[target] = c;
  }
  const sources = Object.values(metric.labelsFrom).join(', ');
  return distinct(metric, mapped, `the request's ${sources} (labelsFrom)`);
}

function distinct(metric: TemplateMetric, sides: { baseline: Labels; canary: Labels }, from: string): MetricSides {
  const same = JSON.stringify(sorted(sides.baseline)) === JSON.stringify(sorted(sides.canary));
  if (same) return { unresolved: `metric ${JSON.stringify(metric.name)} cannot tell the sides apart: ${from} give both sides the same selector` };
  return sides;
}

function sorted(labels: Labels): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Label names are user data ("__proto__" included): keep them off Object.prototype. */
function nullObject(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}
