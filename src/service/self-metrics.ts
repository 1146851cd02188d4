/** The service's own Prometheus metrics, on a registry per app so tests stay independent. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface SelfMetrics {
  readonly registry: Registry;
  readonly analyses: Counter<'verdict'>;
  readonly analysisDuration: Histogram;
  readonly invalidRequests: Counter;
  readonly droppedLogLines: Counter;
}

export function createSelfMetrics(withDefaults = true): SelfMetrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry });
  return {
    registry,
    analyses: new Counter({ name: 'canary_judge_analyses_total', help: 'Analyses answered, by verdict.', labelNames: ['verdict'], registers: [registry] }),
    analysisDuration: new Histogram({
      name: 'canary_judge_analysis_duration_seconds',
      help: 'Time to judge one analysis, from parsed request to verdict.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    invalidRequests: new Counter({ name: 'canary_judge_invalid_requests_total', help: 'Requests rejected as invalid (4xx).', registers: [registry] }),
    droppedLogLines: new Counter({ name: 'canary_judge_log_lines_dropped_total', help: 'Log lines dropped because the log reader lagged and the log buffer was full.', registers: [registry] }),
  };
}
