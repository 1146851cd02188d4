/** The service's own Prometheus metrics, on a registry per app so tests stay independent. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueryObserver } from '../sources/prometheus/client';
import { VerdictMetrics, type VerdictMetricsOptions } from './verdict-metrics';

export interface SelfMetrics {
  readonly registry: Registry;
  readonly analyses: Counter<'verdict'>;
  readonly analysisDuration: Histogram;
  readonly invalidRequests: Counter;
  readonly droppedLogLines: Counter;
  /** Every query to a metric source, by source and outcome ("ok" or the failure's reason). */
  readonly sourceQueries: Counter<'source' | 'outcome'>;
  readonly sourceQueryDuration: Histogram<'source'>;
  /** The latest verdicts per analysis key, as gauges. */
  readonly verdicts: VerdictMetrics;
}

export const DEFAULT_VERDICT_METRICS: VerdictMetricsOptions = { ttlSeconds: 900, maxKeys: 1000 };

export function createSelfMetrics(withDefaults = true, verdicts: VerdictMetricsOptions = DEFAULT_VERDICT_METRICS): SelfMetrics {
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
    sourceQueries: new Counter({
      name: 'canary_judge_source_queries_total',
      help: 'Queries to a metric source, by source and outcome: ok, or why it failed (unreachable, timeout, status, malformed, partial, query).',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    sourceQueryDuration: new Histogram({
      name: 'canary_judge_source_query_duration_seconds',
      help: 'Duration of one query to a metric source, failed ones included.',
      labelNames: ['source'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    verdicts: new VerdictMetrics(registry, verdicts),
  };
}

/** Feeds a Prometheus client's queries into the per-source metrics. */
export function prometheusQueryObserver(metrics: SelfMetrics): QueryObserver {
  for (const outcome of ['ok', 'timeout', 'unreachable', 'status']) metrics.sourceQueries.inc({ source: 'prometheus', outcome }, 0);
  return (seconds, outcome) => {
    metrics.sourceQueries.inc({ source: 'prometheus', outcome });
    metrics.sourceQueryDuration.observe({ source: 'prometheus' }, seconds);
  };
}
