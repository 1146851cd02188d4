/**
 * Flagger's `confirm-rollout` hook: called before the canary is scaled up, and polled every
 * interval until it answers 2xx (the rollout waits meanwhile). It cannot judge the canary (it
 * has no pods yet, so no series), so it confirms that a judgement will be possible:
 * Prometheus answers, and the primary (the baseline side, `<target>-primary`) has requests in
 * the window. No requests there means the labels (metadata `target`, `reporter`, ...) select
 * nothing, and every later check would be inconclusive: better to wait here, with the reason
 * in the event, than to start a rollout that cannot be judged.
 *
 * Prometheus down or not configured: SourceUnavailableError (503), a failed check: wait.
 */
import { linkedAbort } from '../sources/linked-abort';
import { SourceUnavailableError } from '../sources/metric-source';
import type { AnalyzeRequest } from './analyze-request';
import { analysisWindow, resolveProfile, TRAFFIC_METRIC, withChosenSource, type AnalysisDeps } from './run-analysis';
import type { FlaggerAnswer } from './flagger-webhook';

export async function confirmRollout(request: AnalyzeRequest, given: AnalysisDeps): Promise<FlaggerAnswer> {
  // The readiness of the backend (and tenant) the later checks will read, not of the default one.
  const deps = withChosenSource(request, resolveProfile(request, given.profiles), given);
  if (!deps.source) throw new SourceUnavailableError(deps.noSourceReason ?? 'no Prometheus is configured (set PROMETHEUS_URL)', 'not-configured');
  const window = analysisWindow(request, deps);
  const baseline = { ...request.labels, ...request.baseline!.labels };
  const canary = { ...request.labels, ...request.canary!.labels };
  const deadline = linkedAbort(undefined, deps.deadlineMs);
  let total: number;
  try {
    const fetched = await deps.source.fetch(TRAFFIC_METRIC, { baseline, canary, reporter: request.reporter, window, signal: deadline.signal });
    if (fetched.kind !== 'proportion') throw new Error('internal: request counts are not a proportion');
    total = fetched.baseline.total;
  } finally {
    deadline.dispose();
  }
  const minutes = Math.round((window.end - window.start) / 60);
  const selector = Object.entries(baseline)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  if (total > 0) return { status: 200, text: `canary-judge ready: Prometheus answers and the primary (${selector}) served ${total} requests in the last ${minutes}m` };
  return {
    status: 412,
    text: `canary-judge not ready: no requests of the primary (${selector}) in the last ${minutes}m, so no check could be judged; check metadata target (the Canary's targetRef.name) and reporter`,
  };
}
