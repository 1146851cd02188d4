/**
 * The query limits of Prometheus-compatible backends, recognised in their error texts, with
 * the setting that bounds each: a 422 "the query hit the max number of series limit" says what
 * happened, not what an operator can change. Matched on the stable parts of the messages
 * (Mimir's error ids `err-mimir-...` from its errors catalog, the flag names VictoriaMetrics
 * prints, Prometheus' and Thanos' own texts); the advice is appended to the error, never replaces it.
 */

interface Limit {
  readonly pattern: RegExp;
  readonly advice: string;
}

const FEWER = 'or select fewer series (narrower labels, a "by" label with fewer values) or a shorter window';

const LIMITS: readonly Limit[] = [
  // Mimir (error ids of its errors catalog) and Cortex (same texts without the id).
  { pattern: /err-mimir-max-series-per-query|max number of series limit/i, advice: `a Mimir/Cortex limit: raise max_fetched_series_per_query (-querier.max-fetched-series-per-query) for the tenant, ${FEWER}` },
  { pattern: /err-mimir-max-chunks-bytes-per-query|aggregated chunks size limit/i, advice: `a Mimir/Cortex limit: raise max_fetched_chunk_bytes_per_query (-querier.max-fetched-chunk-bytes-per-query) for the tenant, ${FEWER}` },
  { pattern: /err-mimir-max-estimated-chunks-per-query/i, advice: `a Mimir limit: raise max_estimated_fetched_chunks_per_query_multiplier (-querier.max-estimated-fetched-chunks-per-query-multiplier) for the tenant, ${FEWER}` },
  { pattern: /err-mimir-max-chunks-per-query|max number of chunks limit/i, advice: `a Mimir/Cortex limit: raise max_fetched_chunks_per_query (-querier.max-fetched-chunks-per-query) for the tenant, ${FEWER}` },
  { pattern: /err-mimir-max-estimated-memory-consumption-per-query/i, advice: `a Mimir limit: raise max_estimated_memory_consumption_per_query (-querier.max-estimated-memory-consumption-per-query), ${FEWER}` },
  { pattern: /err-mimir-max-total-query-length|total query time range exceeds the limit/i, advice: 'a Mimir limit: raise max_total_query_length (-query-frontend.max-total-query-length) for the tenant, or ask for a shorter window ("lookback", "maxAge")' },
  { pattern: /err-mimir-max-query-length|query time range exceeds the limit/i, advice: 'a Mimir/Cortex limit: raise max_partial_query_length (-querier.max-partial-query-length; Cortex: max_query_length) for the tenant, or ask for a shorter window ("lookback", "maxAge")' },
  { pattern: /err-mimir-max-query-expression-size-bytes/i, advice: 'a Mimir limit: raise max_query_expression_size_bytes (-query-frontend.max-query-expression-size-bytes) for the tenant, or shorten the custom query' },
  { pattern: /too many outstanding requests/i, advice: 'the Mimir/Cortex query-frontend queue of the tenant is full: raise -query-frontend.max-outstanding-requests-per-tenant or query less often' },
  // Prometheus' --query.max-samples (Mimir's -querier.max-samples).
  { pattern: /would load too many samples into memory|maximum number of samples/i, advice: `the samples limit of a query: raise Prometheus' --query.max-samples (Mimir/Cortex: -querier.max-samples), ${FEWER}` },
  // VictoriaMetrics prints the flag that bounds it.
  { pattern: /-search\.(maxSamplesPerQuery|maxSamplesPerSeries|maxUniqueTimeseries|maxPointsPerTimeseries|maxSeriesPerAggrFunc|maxQueryDuration|maxQueryLen|maxMemoryPerQuery|maxResponseSeries)/i, advice: `a VictoriaMetrics limit: raise the -search.$1 flag of vmselect / victoria-metrics, ${FEWER}` },
  // Thanos Store / Query limits.
  { pattern: /exceeded (series|samples?|chunks?) limit|limit .* violated/i, advice: `a Thanos store limit: raise --store.limits.request-series / --store.limits.request-samples (Thanos Store), ${FEWER}` },
];

/** Advice for a limit recognised in `errorText`, or undefined. */
export function limitAdvice(errorText: string): string | undefined {
  for (const limit of LIMITS) {
    const match = limit.pattern.exec(errorText);
    if (match) return match[1] !== undefined && limit.advice.includes('$1') ? limit.advice.replace('$1', match[1]) : limit.advice;
  }
  return undefined;
}
