/** A fresh app per test file: silent logs, its own metrics registry, optional body limit. */
import pino from 'pino';
import { createApp, type Lifecycle } from '../../src/service/app';
import { createSelfMetrics } from '../../src/service/self-metrics';

export function testApp(options: { bodyLimit?: string } = {}) {
  const lifecycle: Lifecycle = { draining: false };
  const metrics = createSelfMetrics(false);
  const app = createApp({ config: { BODY_LIMIT: options.bodyLimit ?? '32mb' }, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), metrics, lifecycle });
  return { app, lifecycle, metrics };
}
