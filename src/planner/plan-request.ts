/**
 * A plan for an analysis request (the same JSON `canary-judge analyze` takes): its profile's (or
 * its own) Istio error-rate and latency metrics with their margins, its alpha and metric count,
 * the stable side's labels, and the stable's history over the last `historySeconds` from the
 * request's metric source.
 */
import type { AnalyzeRequest } from '../contracts/analyze-request';
import { resolveProfile, withChosenSource, withProfile, type AnalysisDeps } from '../contracts/run-analysis';
import { DEFAULT_ALPHA } from '../judge/defaults';
import { linkedAbort } from '../sources/linked-abort';
import type { TemplateMetric } from '../sources/metric-source';
import { metricSides } from '../sources/side-labels';
import { fetchStableHistory } from './history';
import { PlanError, planRollout, type PlanMetric, type PlanOptions, type RolloutPlan } from './plan';

export type PlanSettings = Omit<PlanOptions, 'metrics' | 'alpha' | 'metricCount'> & { readonly historySeconds: number };

export async function planForRequest(request: AnalyzeRequest, given: AnalysisDeps, settings: PlanSettings): Promise<RolloutPlan & { readonly history: { readonly start: string; readonly end: string } }> {
  const profile = resolveProfile(request, given.profiles);
  // The history comes from where the analysis would read: the profile's backend and tenant.
  const deps = withChosenSource(request, profile, given);
  if (!deps.source) throw new PlanError(`${deps.noSourceReason ?? 'no Prometheus is configured (set PROMETHEUS_URL)'}: the plan reads the stable version's history from it`);
  const entries = withProfile(request.metrics, profile, new Map());
  const templates = entries.filter((e) => e.from === 'template').map((e) => e.metric as TemplateMetric);
  const metrics = templates.flatMap((m): PlanMetric[] => {
    if (m.template === 'istio-error-rate') return [{ name: m.name, kind: 'error-rate', margin: m.margin ?? { relative: 0.5, absolute: 0.001 } }];
    if (m.template === 'istio-latency' && m.threshold === undefined && m.quantile !== 'mean') return [{ name: m.name, kind: 'latency', margin: m.margin ?? { relative: 0.1 }, quantile: m.quantile ?? 0.95 }];
    return [];
  });
  if (!metrics.length) throw new PlanError(`the analysis has no istio-error-rate or istio-latency metric to plan for (it has ${entries.map((e) => e.metric.name).join(', ') || 'none'})`);
  const sides = metricSides(templates.find((m) => m.name === metrics[0].name)!, { common: request.labels ?? {}, baseline: request.baseline?.labels ?? {}, canary: request.canary?.labels ?? {} });
  if ('unresolved' in sides) throw new PlanError(sides.unresolved);
  const end = request.end ?? deps.now();
  const window = { start: end - settings.historySeconds, end };
  const deadline = linkedAbort(undefined, deps.deadlineMs);
  let history;
  try {
    history = await fetchStableHistory(deps.source, sides.baseline, window, deadline.signal, request.reporter ?? profile?.reporter);
  } finally {
    deadline.dispose();
  }
  const plan = planRollout(history, { ...settings, metrics, alpha: request.alpha ?? profile?.alpha ?? DEFAULT_ALPHA, metricCount: entries.length });
  return { ...plan, history: { start: new Date(window.start * 1000).toISOString(), end: new Date(window.end * 1000).toISOString() } };
}
