/**
 * Entry point: configuration from the environment, then listen. SIGTERM (and SIGINT) drain:
 * readiness turns 503 at once while the listener stays open for DRAIN_GRACE_MS (a load
 * balancer polling /readyz sees the 503 and stops sending; requests that still arrive are
 * served), then the server stops accepting connections, requests in flight finish, and the
 * process exits 0; SHUTDOWN_TIMEOUT_MS after the close it exits anyway.
 */
import type { AddressInfo } from 'node:net';
import { createApp, type Lifecycle } from './service/app';
import { loadConfig, type Config } from './service/config';
import { createLogger } from './service/logger';
import { createSelfMetrics, prometheusQueryObserver, type SelfMetrics } from './service/self-metrics';
import { parseDurationSeconds } from './contracts/time-window';
import type { AnalysisDeps } from './contracts/run-analysis';
import { analysisDepsFromConfig } from './service/analysis-deps';
import { createAnalysisPool } from './service/analysis-pool';
import { Admission } from './service/admission';

function main(): void {
  let config: Config;
  let analysis: AnalysisDeps;
  let metrics: SelfMetrics;
  try {
    config = loadConfig();
    metrics = createSelfMetrics(true, { ttlSeconds: parseDurationSeconds(config.VERDICT_SERIES_TTL)!, maxKeys: config.VERDICT_SERIES_MAX, maxKeysPerNamespace: config.VERDICT_SERIES_MAX_PER_NAMESPACE, fromInline: config.VERDICT_GAUGES_FROM_INLINE });
    analysis = analysisDepsFromConfig(config, prometheusQueryObserver(metrics));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL, { onDrop: () => metrics.droppedLogLines.inc() });
  const lifecycle: Lifecycle = { draining: false };
  const runner = config.ANALYSIS_WORKERS > 0 ? createAnalysisPool({ workers: config.ANALYSIS_WORKERS, deadlineMs: config.JUDGE_DEADLINE_MS, heapMb: config.WORKER_HEAP_MB }) : undefined;
  const admission = new Admission({ concurrency: config.ANALYSIS_CONCURRENCY, queue: config.ANALYSIS_QUEUE, waitMs: config.ANALYSIS_QUEUE_WAIT_MS });
  const app = createApp({ config, logger, metrics, lifecycle, analysis, runner, admission });
  void listenWhenReady();
  async function listenWhenReady(): Promise<void> {
    // The judge's workers load first, so the first analysis does not pay their start.
    await runner?.ready?.catch((error: Error) => logger.warn({ err: { message: error.message } }, 'a judge worker did not start'));
  // Express 5 hands a listen error (EADDRINUSE, EACCES) to this callback: it used to read the
  // address of a server that never listened ("Cannot destructure property 'address'").
  const server = app.listen(config.PORT, config.HOST, (error?: Error) => {
    if (error) {
      logger.fatal({ err: { message: error.message, code: (error as NodeJS.ErrnoException).code } }, 'cannot listen');
      process.exit(1);
    }
    const { address, port } = server.address() as AddressInfo;
    logger.info({ address, port, prometheus: config.PROMETHEUS_URL ? new URL(config.PROMETHEUS_URL).origin : null, backends: Object.keys(config.PROMETHEUS_BACKENDS ?? {}), profiles: [...analysis.profiles.keys()] }, 'canary-judge listening');
  });
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'cannot listen');
    process.exit(1);
  });

  const close = () => {
    logger.info('closing the listener');
    server.close(() => {
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      logger.warn('shutdown timeout: exiting with requests still open');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
  };
  const shutdown = (signal: string) => {
    if (lifecycle.draining) return;
    lifecycle.draining = true;
    logger.info({ signal, graceMs: config.DRAIN_GRACE_MS }, 'draining');
    // Not unref'd: the grace period is the point, even with no connection open.
    setTimeout(close, config.DRAIN_GRACE_MS);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  }
}

main();
