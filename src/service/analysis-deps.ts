/** What an analysis needs from the environment: profiles, the Prometheus backends, the clock. */
import { parseDurationSeconds } from '../contracts/time-window';
import type { AnalysisDeps } from '../contracts/run-analysis';
import { loadProfiles, type Profiles } from '../profiles/profiles';
import type { QueryObserver } from '../sources/prometheus/client';
import { DEFAULT_BACKEND, type BackendConfig } from '../sources/prometheus/backend-config';
import { Backends } from '../sources/prometheus/backends';
import type { Config } from './config';

/** Throws a readable Error when the profiles file is invalid, or a profile names a backend or tenant that is not configured. */
export function analysisDepsFromConfig(config: Config, observe?: QueryObserver): AnalysisDeps {
  const backends = backendsFromConfig(config, observe);
  const profiles = loadProfiles(config.PROFILES_FILE);
  if (backends) checkProfileBackends(profiles, backends, config.PROFILES_FILE);
  return {
    // The default backend also serves what picks no profile's backend (the planner, confirm-rollout).
    ...(backends ? { sources: backends, ...(backends.has(DEFAULT_BACKEND) ? { source: backends.choose({}) } : {}) } : {}),
    profiles,
    deadlineMs: config.ANALYSIS_DEADLINE_MS,
    defaultLookbackSeconds: parseDurationSeconds(config.DEFAULT_LOOKBACK)!,
    now: () => Date.now() / 1000,
    requestPromql: config.REQUEST_PROMQL,
  };
}

/** PROMETHEUS_BACKENDS, with PROMETHEUS_URL (and PROMETHEUS_HEADERS) as the one named "default"; undefined when neither is set. */
export function backendsFromConfig(config: Config, observe?: QueryObserver): Backends | undefined {
  const configs: Record<string, BackendConfig> = { ...config.PROMETHEUS_BACKENDS };
  if (config.PROMETHEUS_URL) configs[DEFAULT_BACKEND] = { url: config.PROMETHEUS_URL, headers: config.PROMETHEUS_HEADERS };
  if (!Object.keys(configs).length) return undefined;
  try {
    return new Backends(configs, { queryTimeoutMs: config.PROMETHEUS_QUERY_TIMEOUT_MS, maxAnswerBytes: config.PROMETHEUS_MAX_ANSWER_BYTES, observe });
  } catch (error) {
    throw new Error(`Invalid configuration: PROMETHEUS_BACKENDS: ${(error as Error).message}`);
  }
}

function checkProfileBackends(profiles: Profiles, backends: Backends, file: string | undefined): void {
  for (const profile of profiles.values()) {
    // The built-in profiles name no backend: without a default one they are usable only by naming a profile that does.
    if (profile.backend === undefined && profile.tenant === undefined && !backends.has(DEFAULT_BACKEND)) continue;
    const problem = backends.profileProblem(profile.backend, profile.tenant);
    if (problem) throw new Error(`Invalid profiles file ${file}: profiles.${profile.name}: ${problem}`);
  }
}
