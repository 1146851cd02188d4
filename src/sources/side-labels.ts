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
 * only labels both sides share, and no pod-template hashes that tell the sides' pods apart) is
 * unresolved rather than compared with itself, which would always pass. So is a mapping whose
 * source label only one side has.
 */
import type { Labels, TemplateMetric } from './metric-source';

export interface RequestSides {
  readonly common: Labels;
  readonly baseline: Labels;
  readonly canary: Labels;
  /** Each side's pod-template hash: two different ones tell the sides apart by their pods. */
  readonly revisions?: { readonly baseline?: string; readonly canary?: string };
  /** The analysis' Istio reporter: only the destination's own sidecar reports carry its pods. */
  readonly reporter?: string;
}

/**
 * Can a metric's series be pinned to a side's pods? The app's own metrics always (their scrape
 * adds `pod`), except labelled outcomes, which a feedback job may export; Istio's only as the pod's own sidecar reports them: a source or waypoint
 * report's `pod` is the caller's or the waypoint's.
 */
function pinnedByPods(metric: TemplateMetric, reporter: string | undefined): boolean {
  // Labelled outcomes usually come from a feedback job's pods, not the model's (labelled-templates.ts).
  if (metric.template.startsWith('labelled-')) return false;
  return !metric.template.startsWith('istio-') || (reporter ?? 'destination') === 'destination';
}

export type MetricSides = { readonly baseline: Labels; readonly canary: Labels } | { readonly unresolved: string };

export function metricSides(metric: TemplateMetric, request: RequestSides): MetricSides {
  const baseline = { ...request.common, ...request.baseline };
  const canary = { ...request.common, ...request.canary };
  const sideReporter = (labels: Labels) => (Object.hasOwn(labels, 'reporter') ? labels.reporter : request.reporter);
  const hashes = request.revisions?.baseline !== undefined && request.revisions.canary !== undefined && request.revisions.baseline !== request.revisions.canary;
  const byPods = hashes && pinnedByPods(metric, sideReporter(baseline)) && pinnedByPods(metric, sideReporter(canary));
  const unpinned = hashes && !byPods ? `; the pod-template hashes pin only series the pods report themselves, and reporter "${sideReporter(canary) ?? sideReporter(baseline)}" reports another pod (the caller's or the waypoint's): give the sides labels that reporter carries, such as destination_workload` : '';
  if (metric.baseline || metric.canary) {
    return distinct(metric, { baseline: metric.baseline?.labels ?? {}, canary: metric.canary?.labels ?? {} }, 'its baseline.labels and canary.labels', byPods, unpinned);
  }
  if (!metric.labelsFrom) return distinct(metric, { baseline, canary }, 'the request\'s labels', byPods, unpinned);

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
  return distinct(metric, mapped, `the request's ${sources} (labelsFrom)`, byPods, unpinned);
}

function distinct(metric: TemplateMetric, sides: { baseline: Labels; canary: Labels }, from: string, byPods: boolean, why = ''): MetricSides {
  const same = !byPods && JSON.stringify(sorted(sides.baseline)) === JSON.stringify(sorted(sides.canary));
  if (same) return { unresolved: `metric ${JSON.stringify(metric.name)} cannot tell the sides apart: ${from} give both sides the same selector${why}` };
  return sides;
}

function sorted(labels: Labels): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Label names are user data ("__proto__" included): keep them off Object.prototype. */
function nullObject(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}
