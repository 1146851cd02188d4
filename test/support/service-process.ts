/**
 * The real entry point in a process of its own, for tests and benchmarks that need what only a
 * process has: its own PID, signals, exit codes, its sockets as the kernel sees them.
 * No jest APIs here (benchmarks use it too).
 *
 * By default it runs `node --import tsx src/main.ts` (so the PID is the service's, not a
 * wrapper's) on 127.0.0.1 with an ephemeral port, and resolves once the service logs
 * "canary-judge listening". Rejects, with what it printed, if it exits before that.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { freePort } from './free-port';

const root = path.resolve(__dirname, '../..');

export interface ServiceProcessOptions {
  /**
   * Added to the environment (PORT=0, HOST=127.0.0.1, LOG_LEVEL=info and DRAIN_GRACE_MS=0 are
   * set unless given: stop() should not wait out the drain grace unless a test asks for it).
   */
  readonly env?: Record<string, string>;
  /** Start from an empty environment instead of this process' (PATH is kept). */
  readonly cleanEnv?: boolean;
  /** Node flags before the entry point (e.g. --inspect=127.0.0.1:0). */
  readonly nodeArgs?: readonly string[];
  /** What to run; default the TypeScript entry point through tsx. */
  readonly entry?: readonly string[];
  readonly cwd?: string;
  /**
   * Keep every log line in `logs` (default true). When false the service logs straight to
   * /dev/null, as fast a reader as a container runtime: nothing in this process has to keep
   * up with the access log under load. The port is then chosen here and readiness is a 200
   * from /healthz.
   */
  readonly keepLogs?: boolean;
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** stdout lines (JSON logs) and stderr text, in arrival order. */
  readonly logs: string[];
  /** Sends the signal (default SIGTERM) and resolves with the exit code (null when killed). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServiceProcess(options: ServiceProcessOptions = {}): Promise<ServiceProcess> {
  const keepLogs = options.keepLogs !== false;
  const base = options.cleanEnv ? { PATH: process.env.PATH ?? '' } : process.env;
  const chosenPort = keepLogs ? 0 : await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...(options.entry ?? ['--import', 'tsx', path.join(root, 'src/main.ts')])], {
    cwd: options.cwd ?? root,
    env: { ...base, PORT: String(chosenPort), HOST: '127.0.0.1', LOG_LEVEL: 'info', DRAIN_GRACE_MS: '0', ...options.env },
    stdio: ['ignore', keepLogs ? 'pipe' : 'ignore', 'pipe'],
  });
  const logs: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => logs.push(chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const exitedEarly = new Promise<never>((_, reject) => {
    exit.then((code) => reject(new Error(`the service exited (${code}) before listening:\n${logs.join('\n')}`)));
    child.once('error', reject); // could not be spawned at all
  });
  exitedEarly.catch(() => undefined); // raced below; a later exit is not an error

  const listening = keepLogs
    ? new Promise<number>((resolve) => {
        readline.createInterface({ input: child.stdout! }).on('line', (line) => {
          logs.push(line);
          if (line.includes('"canary-judge listening"')) resolve(JSON.parse(line).port);
        });
      })
    : untilHealthy(chosenPort, child).then(() => chosenPort);
  const port = await Promise.race([listening, exitedEarly]);

  return {
    child,
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    logs,
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
  };
}

/** Polls /healthz until 200; gives up quietly once the process has exited (that is raced apart). */
async function untilHealthy(port: number, child: ChildProcess): Promise<void> {
  while (child.exitCode === null && child.signalCode === null) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { Connection: 'close' } });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
