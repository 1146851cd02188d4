/** A fresh app per test file: silent logs, its own metrics registry, optional body limit. */
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { createApp, type Lifecycle } from '../../src/service/app';
import { createSelfMetrics } from '../../src/service/self-metrics';
import type { VerdictMetricsOptions } from '../../src/service/verdict-metrics';
import type { AnalysisDeps } from '../../src/contracts/run-analysis';
import { builtInProfiles } from '../../src/profiles/profiles';
import type { Admission } from '../../src/service/admission';

export function testApp(options: { bodyLimit?: string; analysis?: Partial<AnalysisDeps>; authToken?: string; flaggerPathSecret?: string; publicUrl?: string; logger?: Logger; verdicts?: VerdictMetricsOptions; admission?: Admission } = {}) {
  const lifecycle: Lifecycle = { draining: false };
  const metrics = createSelfMetrics(false, options.verdicts);
  const analysis: AnalysisDeps = {
    profiles: builtInProfiles(),
    deadlineMs: 8000,
    defaultLookbackSeconds: 600,
    now: () => Date.now() / 1000,
    ...options.analysis,
  };
  const app = createApp({
    config: { BODY_LIMIT: options.bodyLimit ?? '32mb', AUTH_TOKEN: options.authToken, FLAGGER_PATH_SECRET: options.flaggerPathSecret, PUBLIC_URL: options.publicUrl },
    logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    metrics,
    lifecycle,
    analysis,
    admission: options.admission,
  });
  return { app, lifecycle, metrics };
}

/** Runs `run` with the app listening on 127.0.0.1 (an ephemeral port), given its base URL. */
export async function withListening<T>(app: ReturnType<typeof testApp>['app'], run: (base: string) => Promise<T>): Promise<T> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    return await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}
