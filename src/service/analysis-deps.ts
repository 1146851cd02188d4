/** What an analysis needs from the environment: profiles, the Prometheus source, the clock. */
import { parseDurationSeconds } from '../contracts/time-window';
import type { AnalysisDeps } from '../contracts/run-analysis';
import { loadProfiles } from '../profiles/profiles';
import { PrometheusClient, type QueryObserver } from '../sources/prometheus/client';
import { PrometheusSource } from '../sources/prometheus/prometheus-source';
import type { Config } from './config';

/** Throws a readable Error when the profiles file is invalid. */
export function analysisDepsFromConfig(config: Config, observe?: QueryObserver): AnalysisDeps {
  const source = config.PROMETHEUS_URL
    ? new PrometheusSource(new PrometheusClient({ baseUrl: config.PROMETHEUS_URL, headers: config.PROMETHEUS_HEADERS, queryTimeoutMs: config.PROMETHEUS_QUERY_TIMEOUT_MS, maxAnswerBytes: config.PROMETHEUS_MAX_ANSWER_BYTES, observe }))
    : undefined;
  return {
    source,
    profiles: loadProfiles(config.PROFILES_FILE),
    deadlineMs: config.ANALYSIS_DEADLINE_MS,
    defaultLookbackSeconds: parseDurationSeconds(config.DEFAULT_LOOKBACK)!,
    now: () => Date.now() / 1000,
    requestPromql: config.REQUEST_PROMQL,
  };
}
