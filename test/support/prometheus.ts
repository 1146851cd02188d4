/**
 * A real, throw-away Prometheus server for integration tests and the demo (no jest APIs here).
 *
 * `startPrometheus` writes a prometheus.yml into a fresh temp dir, or a given one (one job `fleet`, static
 * targets, `honor_labels: true` so exported Istio labels such as `destination_workload` are
 * kept as exported), starts the binary on 127.0.0.1 with a free port, waits for `/-/ready` and
 * (by default) for the first scrape of every target, and returns its URL and a `stop()` that
 * SIGTERMs it, waits for the exit and removes the temp dir.
 * A process that exits (even by a crash) kills any server it started and did not stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { freePort } from './free-port';

const DEFAULT_BINARY = '/usr/bin/prometheus';

export interface PrometheusOptions {
  /** Scrape targets as host:port (served at /metrics). */
  readonly targets: readonly string[];
  /** Global scrape and evaluation interval (default 1 s). */
  readonly scrapeIntervalSeconds?: number;
  /** Binary to run (default: `findPrometheus()`). */
  readonly binary?: string;
  /** How long to wait for /-/ready (default 20 s). */
  readonly readyTimeoutMs?: number;
  /**
   * Also wait until every target has been scraped once (default true). Prometheus 2.x applies
   * new targets on a fixed 5 s tick (discovery and scrape managers), so the first scrape comes
   * ~5.5 s after start: samples sent before it would never be seen as an increase.
   */
  readonly waitForFirstScrape?: boolean;
  /**
   * Listen on this port (default: a free one). A restart on the same port and `dir` is the same
   * server to its clients, with the data it had (the TSDB replays its WAL, even after SIGKILL).
   */
  readonly port?: number;
  /** Keep config and data here instead of a fresh temp dir; `stop()` then leaves it in place. */
  readonly dir?: string;
  /** More top-level prometheus.yml sections (e.g. `remote_read`). */
  readonly extraConfig?: Readonly<Record<string, unknown>>;
  /** Feature flags (`--enable-feature=`), e.g. `native-histograms` (2.x: native histograms are scraped, over protobuf, only with it). */
  readonly features?: readonly string[];
}

export interface PrometheusServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  /** Temp dir holding prometheus.yml and data/ (removed by stop). */
  readonly dir: string;
  /** SIGTERM, wait for the exit (SIGKILL after 5 s), remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Sends a signal: SIGSTOP freezes it (connections are accepted, nothing answers), SIGCONT thaws, SIGKILL kills. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves once the process has exited (by stop(), a signal or a crash). */
  readonly exited: Promise<void>;
}

/** One element of an instant-query vector. */
export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

/** The Prometheus binary to use: $PROMETHEUS_BIN, /usr/bin/prometheus or `prometheus` on PATH; null if none. */
export function findPrometheus(): string | null {
  const fromEnv = process.env.PROMETHEUS_BIN;
  if (fromEnv) return isExecutable(fromEnv) ? path.resolve(fromEnv) : null;
  if (isExecutable(DEFAULT_BINARY)) return DEFAULT_BINARY;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'prometheus');
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/** Why Prometheus was not found and exactly how to get it. */
export function prometheusMissingMessage(): string {
  const fromEnv = process.env.PROMETHEUS_BIN;
  const looked = fromEnv
    ? `PROMETHEUS_BIN=${fromEnv} is not an executable file`
    : `no executable at ${DEFAULT_BINARY} and no \`prometheus\` on PATH`;
  return (
    `Prometheus (2.x) is required for this test but was not found: ${looked}. ` +
    'Install it with `apt-get update && apt-get install -y prometheus` (Debian/Ubuntu), ' +
    'or set PROMETHEUS_BIN to the path of a prometheus binary.'
  );
}

/** The generated prometheus.yml text (exported for the demo, which prints it). */
export function prometheusConfig(targets: readonly string[], scrapeIntervalSeconds: number, extra: Readonly<Record<string, unknown>> = {}): string {
  // Whole seconds as "1s"; a fraction in milliseconds ("0.2" -> "200ms": Prometheus' durations take no decimals).
  const duration = (seconds: number) => (Number.isInteger(seconds) ? `${seconds}s` : `${Math.round(seconds * 1000)}ms`);
  const interval = duration(scrapeIntervalSeconds);
  const timeout = duration(Math.min(scrapeIntervalSeconds, 10));
  return toYaml({
    global: { scrape_interval: interval, scrape_timeout: timeout, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: 'fleet',
        honor_labels: true,
        metrics_path: '/metrics',
        static_configs: [{ targets: [...targets] }],
      },
    ],
    ...extra,
  });
}

// Servers still running, killed synchronously if this process exits without stopping them.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function killRunningOnExit(): void {
  for (const child of running) child.kill('SIGKILL');
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = options.binary ?? findPrometheus();
  if (!binary) throw new Error(prometheusMissingMessage());
  const interval = options.scrapeIntervalSeconds ?? 1;
  if (!(interval > 0)) throw new Error(`scrapeIntervalSeconds must be > 0, got ${interval}`);
  for (const target of options.targets) {
    if (!/^[^\s/:]+:\d+$/.test(target)) throw new Error(`target must be host:port, got ${JSON.stringify(target)}`);
  }
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'canary-judge-prometheus-'));
  const removeDir = () => {
    if (ownsDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, prometheusConfig(options.targets, interval, options.extraConfig));

  // The free port is found by binding port 0 and closing it: another process could take it in
  // between, so a start that dies early is retried with a new port.
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < (options.port === undefined ? 3 : 1); attempt++) {
    const port = options.port ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
        ...(options.features?.length ? [`--enable-feature=${options.features.join(',')}`] : []),
        // A fresh, empty TSDB needs no tuning to start fast (~0.1 s to ready); keep defaults
        // otherwise, so queries behave as on a stock server.
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    if (!exitHookInstalled) {
      process.on('exit', killRunningOnExit);
      exitHookInstalled = true;
    }
    running.add(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.once('exit', () => running.delete(child));
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopped ??= (async () => {
        // No pid: the spawn itself failed (ENOENT, EACCES) and there is nothing to wait for.
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
          child.kill('SIGCONT'); // a frozen server could not act on SIGTERM
          child.kill('SIGTERM');
          const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killTimer);
        }
        child.stderr?.destroy();
        running.delete(child);
        removeDir();
      })());
    const signal = (name: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(name);
    };

    const outcome = await Promise.race([
      waitUntilReady(url, options.readyTimeoutMs ?? 20_000).then(
        () => 'ready' as const,
        (error: Error) => error,
      ),
      exited.then(() => 'exited' as const),
      spawnError,
    ]);
    if (outcome === 'ready') {
      if (options.waitForFirstScrape !== false && options.targets.length > 0) {
        try {
          await waitForSamples(url, 'count(up{job="fleet"})', options.targets.length, 20_000);
        } catch (error) {
          await stop();
          throw new Error(`prometheus never scraped its targets: ${(error as Error).message}`);
        }
      }
      return { url, dir, stop, signal, exited };
    }
    if (outcome === 'exited') {
      lastError = new Error(`prometheus exited before it was ready (code ${child.exitCode}, signal ${child.signalCode}): ${stderr.trim()}`);
      if (/address already in use/i.test(stderr) && options.port === undefined) continue;
      await stop();
      throw lastError;
    }
    await stop();
    throw new Error(`prometheus did not start: ${outcome.message}${stderr ? `; stderr: ${stderr.trim()}` : ''}`);
  }
  removeDir();
  throw lastError ?? new Error('prometheus did not start');
}

/** Instant query; resolves to the raw `data` of the API answer. Throws on a non-success answer. */
export async function queryPrometheus(url: string, query: string, time?: number): Promise<{ resultType: string; result: unknown }> {
  const params = new URLSearchParams({ query });
  if (time !== undefined) params.set('time', String(time));
  const { status, body } = await httpGet(`${url}/api/v1/query?${params}`, 10_000);
  let parsed: { status?: string; data?: { resultType: string; result: unknown }; error?: string };
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`Prometheus answered ${status} with a non-JSON body to ${query}: ${body.slice(0, 200)}`);
  }
  if (status !== 200 || parsed.status !== 'success' || !parsed.data) {
    throw new Error(`Prometheus query failed (${status}) for ${query}: ${parsed.error ?? body.slice(0, 200)}`);
  }
  return parsed.data;
}

/** Instant query as a list of {metric, value}; a scalar becomes one sample with no labels. */
export async function queryVector(url: string, query: string, time?: number): Promise<PromSample[]> {
  const data = await queryPrometheus(url, query, time);
  if (data.resultType === 'scalar') {
    const [, value] = data.result as [number, string];
    return [{ metric: {}, value: Number(value) }];
  }
  if (data.resultType === 'vector') {
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({
      metric: s.metric,
      value: Number(s.value[1]),
    }));
  }
  throw new Error(`expected a vector or scalar from ${query}, got ${data.resultType}`);
}

/**
 * Polls the instant query until its value (a scalar, or the sum of a vector) reaches
 * `minValue`; resolves to that value. Rejects after `timeoutMs` with the last value seen.
 */
export async function waitForSamples(url: string, query: string, minValue: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const samples = await queryVector(url, query);
      const value = samples.reduce((sum, s) => sum + s.value, 0);
      if (samples.length > 0 && value >= minValue) return value;
      last = samples.length ? `value ${value}` : 'empty result';
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${query} >= ${minValue} (last: ${last})`);
    }
    await delay(Math.min(250, Math.max(0, deadline - Date.now())));
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const { status, body } = await httpGet(`${url}/-/ready`, 1000);
      if (status === 200) return;
      last = `${status} ${body.trim()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await delay(50);
  }
  throw new Error(`${url}/-/ready not 200 after ${timeoutMs} ms (last: ${last})`);
}

/** GET without keep-alive, so no socket outlives the call (jest must exit on its own). */
function httpGet(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.setEncoding('utf8');
      let body = '';
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
