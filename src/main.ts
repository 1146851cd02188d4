/**
 * Entry point: configuration from the environment, then listen. SIGTERM (and SIGINT) drain:
 * readiness turns 503, the server stops accepting connections, requests in flight finish,
 * and the process exits 0; after SHUTDOWN_TIMEOUT_MS it exits anyway.
 */
import type { AddressInfo } from 'node:net';
import { createApp, type Lifecycle } from './service/app';
import { loadConfig } from './service/config';
import { createLogger } from './service/logger';
import { createSelfMetrics } from './service/self-metrics';
import { parseDurationSeconds } from './contracts/time-window';
import { loadProfiles } from './profiles/profiles';
import { PrometheusClient } from './sources/prometheus/client';
import { PrometheusSource } from './sources/prometheus/prometheus-source';

function main(): void {
  let config;
  let profiles;
  try {
    config = loadConfig();
    profiles = loadProfiles(config.PROFILES_FILE);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);
  const lifecycle: Lifecycle = { draining: false };
  const source = config.PROMETHEUS_URL
    ? new PrometheusSource(new PrometheusClient({ baseUrl: config.PROMETHEUS_URL, headers: config.PROMETHEUS_HEADERS, queryTimeoutMs: config.PROMETHEUS_QUERY_TIMEOUT_MS }))
    : undefined;
  const analysis = {
    source,
    profiles,
    deadlineMs: config.ANALYSIS_DEADLINE_MS,
    defaultLookbackSeconds: parseDurationSeconds(config.DEFAULT_LOOKBACK)!,
    now: () => Date.now() / 1000,
  };
  const app = createApp({ config, logger, metrics: createSelfMetrics(), lifecycle, analysis });
  const server = app.listen(config.PORT, config.HOST, () => {
    const { address, port } = server.address() as AddressInfo;
    logger.info({ address, port, prometheus: config.PROMETHEUS_URL ? new URL(config.PROMETHEUS_URL).origin : null, profiles: [...profiles.keys()] }, 'canary-judge listening');
  });
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'cannot listen');
    process.exit(1);
  });

  const shutdown = (signal: string) => {
    if (lifecycle.draining) return;
    lifecycle.draining = true;
    logger.info({ signal }, 'draining');
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
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main();
