/**
 * `npm run bench:load [-- --duration 60 --warmup 15]`: the service under load, on 127.0.0.1
 * only. Starts the real entry point in its own process, then drives a bare /healthz (the
 * ceiling) and a typical analysis (latency 2 x 2,000 samples plus error counts) with
 * autocannon, one after the other, and reports requests/s, p50/p99 latency, errors (must be 0)
 * and the server's memory before, during and after.
 *
 * Memory: resident memory alone cannot tell a leak from V8 growing its heap limits (it lets
 * the heap grow between major collections as it learns the allocation rate), so the service
 * runs with the inspector on 127.0.0.1 and every sample first forces a full collection over
 * that connection: "heap after full GC" is what the process really retains. The analysis run
 * follows a warm-up (`--warmup`, default 15 s, not counted); it is flat when the retained heap
 * of its second half stays within 10 % (or 2 MB) of its level at mid-run.
 */
import { startServiceProcess } from '../test/support/service-process';
import { latencies } from '../test/support/random';

// autocannon ships no types; this is the part of its API used here.
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<{
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}>;

const durationArg = process.argv.indexOf('--duration');
const duration = durationArg > 0 ? Number(process.argv[durationArg + 1]) : 60;
const warmupArg = process.argv.indexOf('--warmup');
const warmup = warmupArg > 0 ? Number(process.argv[warmupArg + 1]) : 15;
const connections = 10;
const SAMPLE_EVERY_MS = 5000;

const round = (xs: Float64Array) => Array.from(xs, (x) => Math.round(x * 10) / 10);
const typical = JSON.stringify({
  metrics: [
    { name: 'latency', kind: 'continuous', critical: true, baseline: { values: round(latencies(2000, 40, 0.5, 1)) }, canary: { values: round(latencies(2000, 41, 0.5, 2)) } },
    { name: 'errors', kind: 'proportion', critical: true, baseline: { events: 50, total: 10000 }, canary: { events: 11, total: 2000 } },
  ],
});

interface Memory {
  readonly seconds: number;
  readonly rss: number;
  /** V8 heap in use right after a forced full collection (MB). */
  readonly retained: number;
}

/** A minimal Chrome DevTools Protocol client over the service's inspector WebSocket. */
class Inspector {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const pending = message.id === undefined ? undefined : this.#pending.get(message.id);
      if (!pending) return; // an event, not an answer
      this.#pending.delete(message.id!);
      if (message.error) pending.reject(new Error(message.error.message));
      else pending.resolve(message.result);
    });
  }
  static connect(url: string): Promise<Inspector> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(new Inspector(socket)));
      socket.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${url}`)));
    });
  }
  call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }
  close(): void {
    this.socket.close();
  }
}

/** Forces a full collection in the service, then reads its resident memory and heap (MB). */
async function memory(inspector: Inspector, since = Date.now()): Promise<Memory> {
  await inspector.call('HeapProfiler.collectGarbage');
  const answer = await inspector.call<{ result: { value: string } }>('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
  const usage = JSON.parse(answer.result.value) as NodeJS.MemoryUsage;
  return { seconds: (Date.now() - since) / 1000, rss: usage.rss / 2 ** 20, retained: usage.heapUsed / 2 ** 20 };
}

/** Runs autocannon while sampling the server's memory every 5 s. */
async function measured(inspector: Inspector, options: Record<string, unknown>, seconds: number) {
  const started = Date.now();
  const samples: Memory[] = [await memory(inspector, started)];
  const sampler = setInterval(() => {
    memory(inspector, started).then((m) => samples.push(m), () => undefined);
  }, SAMPLE_EVERY_MS);
  let result: Awaited<ReturnType<typeof autocannon>>;
  try {
    result = await autocannon({ ...options, connections, duration: seconds });
  } finally {
    clearInterval(sampler);
  }
  samples.push(await memory(inspector, started));
  return { result, samples };
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
}

async function main(): Promise<void> {
  // The entry point itself, with the inspector on a free local port; its access log goes to
  // /dev/null (a reader that keeps up, as a container runtime does).
  const service = await startServiceProcess({ nodeArgs: ['--inspect=127.0.0.1:0'], keepLogs: false });
  // Node prints the inspector's address on stderr before the service listens: it is in the logs.
  const inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(service.logs.join(''))?.[1];
  if (!inspectorUrl) throw new Error(`no inspector address from the service: ${service.logs.join('')}`);
  const inspector = await Inspector.connect(inspectorUrl);
  const url = service.url;
  try {
    const healthz = { url: `${url}/healthz` };
    const analyze = { url: `${url}/v1/analyze`, method: 'POST', headers: { 'content-type': 'application/json' }, body: typical };
    const rows: string[][] = [['endpoint', 'requests/s', 'p50 ms', 'p99 ms', 'errors', 'RSS before MB', 'RSS after MB']];
    const row = (label: string, { result, samples }: Awaited<ReturnType<typeof measured>>) => {
      const errors = result.errors + result.timeouts + result.non2xx;
      rows.push([label, result.requests.average.toFixed(0), String(result.latency.p50), String(result.latency.p99), String(errors), samples[0].rss.toFixed(1), samples[samples.length - 1].rss.toFixed(1)]);
    };
    // The ceiling needs no soak: a longer --duration lengthens only the analysis run.
    const ceilingSeconds = Math.min(duration, 60);
    row(`GET /healthz (ceiling, ${ceilingSeconds} s)`, await measured(inspector, healthz, ceilingSeconds));
    if (warmup > 0) row(`POST /v1/analyze, warm-up (${warmup} s, not counted)`, await measured(inspector, analyze, warmup));
    const run = await measured(inspector, analyze, duration);
    row(`POST /v1/analyze (2 x 2,000 samples + counts, ${duration} s)`, run);
    printTable(rows);

    console.log(`\nmemory during the analysis run (every ${SAMPLE_EVERY_MS / 1000} s, each after a forced full GC)`);
    printTable([['s', 'RSS MB', 'heap after full GC MB'], ...run.samples.map((m) => [m.seconds.toFixed(0), m.rss.toFixed(1), m.retained.toFixed(1)])]);
    const half = Math.floor(run.samples.length / 2);
    const mid = run.samples[half];
    const peak = Math.max(...run.samples.slice(half).map((m) => m.retained));
    const last = run.samples[run.samples.length - 1];
    const allowed = Math.max(0.1 * mid.retained, 2);
    console.log(
      `retained heap: ${run.samples[0].retained.toFixed(1)} MB at the start, ${mid.retained.toFixed(1)} at ${mid.seconds.toFixed(0)} s, ` +
        `peak ${peak.toFixed(1)} after that, ${last.retained.toFixed(1)} at the end; flat (second half within 10 % or 2 MB of mid-run): ${peak - mid.retained <= allowed ? 'yes' : 'NO'}`,
    );
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const dropped = /^canary_judge_log_lines_dropped_total (\d+)/m.exec(metrics)?.[1] ?? '?';
    console.log(`access-log lines dropped because the log reader lagged: ${dropped}`);
    console.log(`RSS: ${run.samples[0].rss.toFixed(1)} MB at the start, ${last.rss.toFixed(1)} MB at the end (it includes the heap room V8 keeps between collections)`);
    console.log(`\n${connections} connections, 127.0.0.1; node ${process.version}, ${require('node:os').cpus()[0]?.model}`);
  } finally {
    inspector.close();
    await service.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
