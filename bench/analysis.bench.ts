/**
 * `npm run bench`: time of one continuous-metric analysis next to the floor, sorting the same
 * data as Float64Arrays (an analysis cannot avoid one sort per side). Both are measured in
 * the same run, alternating, and compared as a ratio, because these machines are noisy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { analyze } from '../src/judge/analyze';
import { builtInProfiles } from '../src/profiles/profiles';
import { createApp } from '../src/service/app';
import { createSelfMetrics } from '../src/service/self-metrics';
import { latencies } from '../test/support/random';

const SIZES = [1e3, 1e5, 1e6];
const target = { 1e6: 1.5 } as Record<number, number>;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const rows: string[][] = [['n per side', 'analysis ms', 'sort floor ms', 'ratio', 'target']];
for (const n of SIZES) {
  const baseline = latencies(n, 40, 0.5, 1);
  const canary = latencies(n, 42, 0.5, 2);
  const request = {
    metrics: [{ name: 'latency', kind: 'continuous' as const, baseline: { values: baseline }, canary: { values: canary } }],
  };
  const reps = n >= 1e6 ? 7 : n >= 1e5 ? 15 : 200;
  const analysisTimes: number[] = [];
  const sortTimes: number[] = [];
  analyze(request); // warm-up
  for (let r = 0; r < reps; r++) {
    sortTimes.push(time(() => {
      Float64Array.from(baseline).sort();
      Float64Array.from(canary).sort();
    }));
    analysisTimes.push(time(() => analyze(request)));
  }
  const a = median(analysisTimes);
  const s = median(sortTimes);
  rows.push([n.toExponential(0), a.toFixed(2), s.toFixed(2), (a / s).toFixed(2), target[n] ? `<= ${target[n]}: ${a / s <= target[n] ? 'met' : 'NOT met'}` : '']);
}
printTable(rows);
console.log(`\nnode ${process.version}, ${require('node:os').cpus()[0]?.model ?? 'unknown cpu'}, medians of repeated runs`);

function printTable(table: string[][]): void {
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  for (const row of table) console.log(row.map((cell, c) => cell.padStart(widths[c])).join('  '));
}

/**
 * scipy as a peer: the whole HTTP request (JSON parse, validation, every statistic, the
 * response) against Python reading the same JSON and running mannwhitneyu + ks_2samp. Skipped,
 * saying so, where Python with scipy is missing.
 */
async function scipyPeer(): Promise<void> {
  const probe = spawnSync('python3', ['-c', 'import scipy'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    console.log('\nscipy peer: skipped (python3 with scipy is not installed here)');
    return;
  }
  const app = createApp({ config: { BODY_LIMIT: '100mb' }, logger: pino({ level: 'silent' }), metrics: createSelfMetrics(false), lifecycle: { draining: false }, analysis: { profiles: builtInProfiles(), deadlineMs: 8000, defaultLookbackSeconds: 600, now: () => Date.now() / 1000 } });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/analyze`;
  const table = [['n per side', 'HTTP request ms', 'json.loads + scipy ms', 'ratio', 'stats core ms', 'scipy tests ms', 'ratio']];
  try {
    for (const n of [1e5, 1e6]) {
      const toValues = (xs: Float64Array) => Array.from(xs, (x) => Math.round(x * 1000) / 1000);
      const body = JSON.stringify({ metrics: [{ name: 'latency', kind: 'continuous', baseline: { values: toValues(latencies(n, 40, 0.5, 1)) }, canary: { values: toValues(latencies(n, 42, 0.5, 2)) } }] });
      const file = path.join(os.tmpdir(), `canary-judge-bench-${n}.json`);
      fs.writeFileSync(file, body);
      const httpTimes: number[] = [];
      for (let r = 0; r < 3; r++) {
        const start = process.hrtime.bigint();
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await response.json();
        httpTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      const parsed = JSON.parse(body);
      const request = { metrics: [{ ...parsed.metrics[0], baseline: { values: Float64Array.from(parsed.metrics[0].baseline.values) }, canary: { values: Float64Array.from(parsed.metrics[0].canary.values) } }] };
      const coreTimes = [0, 1, 2].map(() => time(() => analyze(request)));
      const peer = JSON.parse(execFileSync('python3', [path.join(__dirname, 'scipy_peer.py'), file, '3'], { encoding: 'utf8' }));
      fs.rmSync(file);
      const http = Math.min(...httpTimes);
      const core = Math.min(...coreTimes);
      table.push([n.toExponential(0), http.toFixed(0), peer.total.toFixed(0), (http / peer.total).toFixed(2), core.toFixed(0), peer.tests.toFixed(0), (core / peer.tests).toFixed(2)]);
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  console.log('\nscipy peer (best of 3; ratio < 1: canary-judge is faster)');
  printTable(table);
}

scipyPeer().catch((error) => {
  console.error(error);
  process.exit(1);
});
