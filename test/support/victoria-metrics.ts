/**
 * Throw-away VictoriaMetrics (single node) and vmauth processes on 127.0.0.1 for integration
 * tests (no jest APIs here): Debian's `victoria-metrics` package ships both binaries.
 *
 * `startVictoriaMetrics(openMetrics)` starts a server on a free port with temp storage and
 * imports the same OpenMetrics history the Prometheus tests backfill with promtool
 * (cluster-history.ts), converted to VictoriaMetrics' native JSON lines (/api/v1/import: one
 * line per series, values with millisecond timestamps), then flushes it so that queries see it.
 * `startVmauth(config)` starts vmauth with an auth config (users with a bearer token or a
 * username and password, each with a url_prefix), optionally serving https.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { freePort } from './free-port';

export const VICTORIA_METRICS_BINARY = process.env.VICTORIA_METRICS_BIN ?? '/usr/bin/victoria-metrics';
export const VMAUTH_BINARY = process.env.VMAUTH_BIN ?? '/usr/bin/vmauth';

export function victoriaMetricsMissingMessage(): string {
  return `VictoriaMetrics is required for this test but ${VICTORIA_METRICS_BINARY} or ${VMAUTH_BINARY} is missing: install it with \`apt-get update && apt-get install -y victoria-metrics\` (Debian/Ubuntu), or set VICTORIA_METRICS_BIN and VMAUTH_BIN.`;
}

export function findVictoriaMetrics(): boolean {
  return [VICTORIA_METRICS_BINARY, VMAUTH_BINARY].every((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface Process {
  /** http(s)://127.0.0.1:port */
  readonly url: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHook = false;

/** Spawns `binary` with `args(port)` on a free port until `ready(url)` holds (retried on a taken port). */
async function startOnFreePort(binary: string, args: (port: number) => string[], scheme: 'http' | 'https', ready: (url: string) => Promise<boolean>, cleanup: () => void): Promise<Process> {
  if (!exitHook) {
    process.on('exit', () => running.forEach((child) => child.kill('SIGKILL')));
    exitHook = true;
  }
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `${scheme}://127.0.0.1:${port}`;
    const child = spawn(binary, args(port), { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(kill);
      }
      child.stderr?.destroy();
      running.delete(child);
    };
    const deadline = Date.now() + 15_000;
    let gone = false;
    void exited.then(() => (gone = true));
    while (!gone && Date.now() < deadline) {
      if (await ready(url).catch(() => false)) return { url, stop: async () => { await stop(); cleanup(); } };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await stop();
    lastError = `${path.basename(binary)} did not start on ${url}: ${stderr.trim().slice(-600)}`;
    if (!/address already in use/i.test(stderr)) break;
  }
  cleanup();
  throw new Error(lastError);
}

/** OpenMetrics text (`name{labels} value seconds` lines) as VictoriaMetrics JSON lines, one per series. */
export function openMetricsToJsonLines(openMetrics: string): string {
  const series = new Map<string, { metric: Record<string, string>; values: number[]; timestamps: number[] }>();
  for (const line of openMetrics.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+) (\S+)$/.exec(line);
    if (!match) throw new Error(`not an OpenMetrics sample with a timestamp: ${line}`);
    const [, name, labelText = '', value, seconds] = match;
    let entry = series.get(`${name}{${labelText}}`);
    if (!entry) {
      const metric: Record<string, string> = { __name__: name };
      for (const [, label, labelValue] of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) metric[label] = labelValue.replace(/\\(.)/g, '$1');
      entry = { metric, values: [], timestamps: [] };
      series.set(`${name}{${labelText}}`, entry);
    }
    entry.values.push(Number(value));
    entry.timestamps.push(Math.round(Number(seconds) * 1000));
  }
  return [...series.values()].map((s) => JSON.stringify(s)).join('\n') + '\n';
}

/** A VictoriaMetrics single node holding `openMetrics`, its series searchable; `stop()` removes its storage. */
export async function startVictoriaMetrics(openMetrics: string): Promise<Process & { readonly series: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canary-judge-vm-'));
  const server = await startOnFreePort(
    VICTORIA_METRICS_BINARY,
    (port) => [`-storageDataPath=${path.join(dir, 'data')}`, `-httpListenAddr=127.0.0.1:${port}`, '-loggerLevel=ERROR', '-retentionPeriod=1y', '-search.latencyOffset=0s'],
    'http',
    async (url) => (await fetch(`${url}/health`)).ok,
    () => fs.rmSync(dir, { recursive: true, force: true }),
  );
  try {
    const lines = openMetricsToJsonLines(openMetrics);
    const imported = await fetch(`${server.url}/api/v1/import`, { method: 'POST', body: lines });
    if (imported.status !== 204) throw new Error(`VictoriaMetrics refused the import: ${imported.status} ${await imported.text()}`);
    await fetch(`${server.url}/internal/force_flush`);
    const series = lines.split('\n').filter(Boolean).length;
    // Searchable once every series is counted (the flush makes recent data visible within a second or so).
    const deadline = Date.now() + 15_000;
    for (;;) {
      const answer = (await (await fetch(`${server.url}/api/v1/series/count`)).json()) as { data?: number[] };
      if ((answer.data?.[0] ?? 0) >= series) break;
      if (Date.now() > deadline) throw new Error(`VictoriaMetrics holds ${answer.data?.[0]} of the ${series} imported series after 15 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { ...server, series };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export interface VmauthUser {
  readonly bearer_token?: string;
  readonly username?: string;
  readonly password?: string;
  readonly url_prefix: string;
}

/** vmauth in front of backends, with these users; https with `tls` (PEM files). */
export async function startVmauth(users: readonly VmauthUser[], tls?: { readonly certFile: string; readonly keyFile: string }): Promise<Process> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canary-judge-vmauth-'));
  const config = path.join(dir, 'auth.yml');
  fs.writeFileSync(config, toYaml({ users }));
  return startOnFreePort(
    VMAUTH_BINARY,
    (port) => [`-auth.config=${config}`, `-httpListenAddr=127.0.0.1:${port}`, '-loggerLevel=ERROR', ...(tls ? ['-tls', `-tlsCertFile=${tls.certFile}`, `-tlsKeyFile=${tls.keyFile}`] : [])],
    tls ? 'https' : 'http',
    // Any answer (401 without credentials) means it listens; a TLS one is probed by a raw connect.
    async (url) => (tls ? tcpOpen(Number(new URL(url).port)) : (await fetch(`${url}/health`)).status > 0),
    () => fs.rmSync(dir, { recursive: true, force: true }),
  );
}

async function tcpOpen(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
