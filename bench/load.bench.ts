/**
 * `npm run bench:load [-- --duration 60]`: the service under load on 127.0.0.1 only. Starts
 * the real entry point in its own process, then drives a bare /healthz (the ceiling) and a
 * typical analysis (latency 2 x 2,000 samples plus error counts) with autocannon, one after the
 * other, and reports requests/s, p50/p99 latency, errors (must be 0) and the server's resident
 * memory before and after (read from its own /metrics).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
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

const root = path.resolve(__dirname, '..');
const durationArg = process.argv.indexOf('--duration');
const duration = durationArg > 0 ? Number(process.argv[durationArg + 1]) : 60;
const connections = 10;

const round = (xs: Float64Array) => Array.from(xs, (x) => Math.round(x * 10) / 10);
const typical = JSON.stringify({
  metrics: [
    { name: 'latency', kind: 'continuous', critical: true, baseline: { values: round(latencies(2000, 40, 0.5, 1)) }, canary: { values: round(latencies(2000, 41, 0.5, 2)) } },
    { name: 'errors', kind: 'proportion', critical: true, baseline: { events: 50, total: 10000 }, canary: { events: 11, total: 2000 } },
  ],
});

async function rssMegabytes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^process_resident_memory_bytes (\d+(\.\d+)?)/m.exec(text);
  return match ? Number(match[1]) / 2 ** 20 : NaN;
}

async function main(): Promise<void> {
  const server = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'src/main.ts')], {
    // Info logs, as in production: each request writes its access-log line.
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    readline.createInterface({ input: server.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line);
      if (entry.msg === 'canary-judge listening') resolve(entry.port);
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    const rows: string[][] = [['endpoint', 'requests/s', 'p50 ms', 'p99 ms', 'errors', 'RSS before MB', 'RSS after MB']];
    for (const [label, options] of [
      ['GET /healthz (ceiling)', { url: `${url}/healthz` }],
      ['POST /v1/analyze (2 x 2,000 samples + counts)', { url: `${url}/v1/analyze`, method: 'POST', headers: { 'content-type': 'application/json' }, body: typical }],
    ] as [string, Record<string, unknown>][]) {
      const before = await rssMegabytes(url);
      const result = await autocannon({ ...options, connections, duration });
      const after = await rssMegabytes(url);
      const errors = result.errors + result.timeouts + result.non2xx;
      rows.push([label, result.requests.average.toFixed(0), String(result.latency.p50), String(result.latency.p99), String(errors), before.toFixed(1), after.toFixed(1)]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
    console.log(`\n${duration} s each, ${connections} connections, 127.0.0.1; node ${process.version}, ${require('node:os').cpus()[0]?.model}`);
  } finally {
    server.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
