/**
 * `npm run bench:bounded [-- --duration 40]`: the service under the heaviest requests its limits
 * allow (issue 22), on 127.0.0.1 only. Starts the built entry point (`dist/main.js`, as the image
 * runs it) with the chart's settings (values.yaml: 1 worker and one for small analyses, 1 large
 * body in flight, 32mb bodies)
 * and, for the same duration each, drives
 * - heavy clients, one more than the analyses allowed in flight, each sending in a loop one of
 *   the maximal requests: a 28 MiB body of raw values (2.5 million per side), a day of one-minute
 *   intervals for issue 22's six metrics (two rates, p95 and p99 on 79 fine buckets, an SLO share
 *   and an 8-class mix: 18,720 of the 20,000 timeline cells allowed), 1,000 categories (the
 *   category limit) over 20 intervals (the cell limit), and the last as an HTML report;
 * - a prober: `GET /healthz` every 50 ms and a small analysis (two metrics) every 250 ms, each
 *   timed from send to answer;
 * and reports the prober's p50 / p99 / max, what the heavy clients got (200s, 503 busy), and the
 * process' peak resident memory (VmHWM, worker threads included) against the chart's 512 MiB.
 *
 * Two runs side by side, the same load: `ANALYSIS_WORKERS=0` (judging and parsing on the event
 * loop, as before issue 22) and the chart's 2 workers.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { RESOLVING_LATENCY_BUCKETS } from '../demo/latency-buckets';
import { freePort } from '../test/support/free-port';
import { latencies, normalSampler, seededRandom } from '../test/support/random';
import { binomial, multinomial } from './simulate/binomial';
import { normalCdf } from '../src/stats/normal';

const durationArg = process.argv.indexOf('--duration');
const DURATION_S = durationArg > 0 ? Number(process.argv[durationArg + 1]) : 40;
const CHART_LIMIT_MIB = 512;
const root = path.resolve(__dirname, '..');

// ---------------------------------------------------------------- the maximal requests

function rawValuesBody(): string {
  const values = (seed: number) => Array.from(latencies(2_500_000, 40, 0.5, seed), (x) => Math.round(x * 100) / 100);
  return JSON.stringify({ metrics: [{ name: 'latency', kind: 'continuous', baseline: { values: values(1) }, canary: { values: values(2) } }] });
}

const BOUNDS = [...RESOLVING_LATENCY_BUCKETS, Infinity];
function timelineBody(): string {
  const uniform = seededRandom(7);
  const normal = normalSampler(uniform);
  const n = 1440;
  const probabilities = (median: number) => Float64Array.from(BOUNDS, (le, i) => {
    const cdf = (x: number) => (x === Infinity ? 1 : normalCdf(Math.log(x / median) / 0.5));
    return cdf(le) - (i ? cdf(BOUNDS[i - 1]) : 0);
  });
  const classes = Float64Array.from({ length: 8 }, (_, i) => (i + 1) / 36);
  const draw = new Float64Array(BOUNDS.length);
  const classDraw = new Float64Array(8);
  const side = (median: number, share: (i: number) => number) => {
    const counts: { events: number; total: number }[] = [];
    const histograms: { histogram: { buckets: { le: number | string; count: number }[] } }[] = [];
    const mixes: { counts: Record<string, number> }[] = [];
    for (let i = 0; i < n; i++) {
      const total = Math.round(1000 * share(i));
      counts.push({ events: binomial(total, 0.005, uniform, normal), total });
      multinomial(total, probabilities(median), draw, uniform, normal);
      let running = 0;
      histograms.push({ histogram: { buckets: BOUNDS.map((le, b) => ({ le: le === Infinity ? '+Inf' : le, count: (running += draw[b]) })) } });
      multinomial(total, classes, classDraw, uniform, normal);
      mixes.push({ counts: Object.fromEntries(Array.from(classDraw, (c, k) => [`class-${k}`, c])) });
    }
    return { counts, histograms, mixes };
  };
  const split = (i: number) => [0.01, 0.1, 0.5][Math.min(2, Math.floor((3 * i) / n))];
  const b = side(40, (i) => 1 - split(i));
  const c = side(41, split);
  const metrics: object[] = [
    { name: 'latency-p95', kind: 'continuous', statistic: 'p95', margin: { relative: 0.1 }, baseline: { intervals: b.histograms }, canary: { intervals: c.histograms } },
    { name: 'latency-p99', kind: 'continuous', statistic: 'p99', margin: { relative: 0.1 }, baseline: { intervals: b.histograms }, canary: { intervals: c.histograms } },
    { name: 'slo-share', kind: 'continuous', threshold: 102, margin: { absolute: 0.01 }, baseline: { intervals: b.histograms }, canary: { intervals: c.histograms } },
    { name: 'class-mix', kind: 'categorical', margin: { absolute: 0.05 }, baseline: { intervals: b.mixes }, canary: { intervals: c.mixes } },
  ];
  // Two rates: the six metrics of issue 22, 5 + 8 (categories) = 13 cells an interval, 18,720 of the 20,000 allowed.
  for (let k = 0; metrics.length < 6; k++) metrics.push({ name: `errors-${k}`, kind: 'proportion', margin: { relative: 0.5, absolute: 0.001 }, baseline: { intervals: b.counts }, canary: { intervals: c.counts } });
  return JSON.stringify({ metrics });
}

function categoriesBody(): string {
  const interval = (shift: number) => ({ counts: Object.fromEntries(Array.from({ length: 1000 }, (_, k) => [`class-${k}`, 20 + ((k * 7 + shift) % 13)])) });
  const intervals = (shift: number) => Array.from({ length: 20 }, (_, i) => interval(shift + i));
  return JSON.stringify({ metrics: [{ name: 'class-mix', kind: 'categorical', margin: { absolute: 0.05 }, baseline: { intervals: intervals(0) }, canary: { intervals: intervals(3) } }] });
}

const SMALL = JSON.stringify({
  metrics: [
    { name: 'latency', kind: 'continuous', baseline: { values: Array.from(latencies(500, 40, 0.5, 3), (x) => Math.round(x)) }, canary: { values: Array.from(latencies(200, 41, 0.5, 4), (x) => Math.round(x)) } },
    { name: 'errors', kind: 'proportion', baseline: { events: 50, total: 10000 }, canary: { events: 11, total: 2000 } },
  ],
});

// ---------------------------------------------------------------- the service and clients

interface Service {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

async function startService(env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(root, 'dist/main.js')], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DRAIN_GRACE_MS: '0', BODY_LIMIT: '32mb', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode})`);
    if ((await request(port, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { pid: child.pid!, port, stop: () => new Promise((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))) };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** Bodies are sent as bytes encoded once: encoding 28 MiB of text per send would stall this process' own prober. */
const encoded = new Map<string, Buffer>();
const bytesOf = (body: string) => encoded.get(body) ?? (encoded.set(body, Buffer.from(body)), encoded.get(body)!);

function request(port: number, method: string, pathname: string, text?: string): Promise<{ status: number; ms: number }> {
  const body = text === undefined ? undefined : bytesOf(text);
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathname, agent, headers: body ? { 'content-type': 'application/json', 'content-length': body.length } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A probe, timed from its first send: a kept-alive socket the server closed meanwhile (its
 * keep-alive timeout) is retried once on a new one, as any HTTP client does; a failure counts.
 */
async function probe(port: number, method: string, pathname: string, body?: string): Promise<{ status: number; ms: number }> {
  const started = process.hrtime.bigint();
  for (let attempt = 0; ; attempt++) {
    try {
      const answer = await request(port, method, pathname, body);
      return { status: answer.status, ms: Number(process.hrtime.bigint() - started) / 1e6 };
    } catch (error) {
      if (attempt >= 1) return { status: -1, ms: Number(process.hrtime.bigint() - started) / 1e6 };
    }
  }
}

/** Peak resident memory of the process so far (VmHWM, MiB), worker threads included. */
function peakRssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};

async function run(label: string, env: Record<string, string>, heavy: { name: string; path: string; body: string }[]) {
  const service = await startService(env);
  const until = Date.now() + DURATION_S * 1000;
  const outcomes = new Map<string, { ok: number; busy: number; other: number; ms: number[] }>(heavy.map((h) => [h.name, { ok: 0, busy: 0, other: 0, ms: [] }]));
  const statuses = new Map<number, number>();
  // One more heavy client than the analyses allowed in flight: some wait, some are turned away.
  const clients = Array.from({ length: 3 }, async (_, i) => {
    for (let k = i; Date.now() < until; k++) {
      const h = heavy[k % heavy.length];
      const answer = await request(service.port, 'POST', h.path, h.body).catch(() => ({ status: -1, ms: 0 }));
      const o = outcomes.get(h.name)!;
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status === 200) (o.ok++, o.ms.push(answer.ms));
      else if (answer.status === 503) o.busy++;
      else o.other++;
    }
  });
  const probes = { healthz: [] as number[], small: [] as number[], failed: 0 };
  const prober = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the heavy clients are under way
    let next = Date.now();
    for (let k = 0; Date.now() < until; k++) {
      const health = await probe(service.port, 'GET', '/healthz');
      probes.healthz.push(health.ms);
      if (health.status !== 200) probes.failed++;
      if (k % 5 === 0) {
        const small = await probe(service.port, 'POST', '/v1/analyze', SMALL);
        probes.small.push(small.ms);
        if (small.status !== 200) probes.failed++;
      }
      next += 50;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    }
  })();
  await Promise.all([...clients, prober]);
  const peak = peakRssMiB(service.pid);
  await service.stop();
  return { label, outcomes, probes, peak, statuses };
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(root, 'dist/main.js'))) throw new Error('run `npm run build` first (npm run bench:bounded does)');
  const started = Date.now();
  const bodies = { raw: rawValuesBody(), timeline: timelineBody(), categories: categoriesBody() };
  // --write DIR: the bodies as files, to send by hand (curl -d @DIR/raw.json), and stop.
  const write = process.argv.indexOf('--write');
  if (write > 0) {
    for (const [name, body] of Object.entries(bodies)) fs.writeFileSync(path.join(process.argv[write + 1], `${name}.json`), body);
    return;
  }
  console.log(`bodies: raw values ${(bodies.raw.length / 2 ** 20).toFixed(1)} MiB, timeline ${(bodies.timeline.length / 2 ** 20).toFixed(1)} MiB, categories ${(bodies.categories.length / 2 ** 20).toFixed(1)} MiB (built in ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  for (const body of [...Object.values(bodies), SMALL]) bytesOf(body);
  const heavy = [
    { name: 'raw values, 2 x 2.5M (28 MiB)', path: '/v1/analyze', body: bodies.raw },
    { name: '6 metrics x 1,440 intervals', path: '/v1/analyze', body: bodies.timeline },
    { name: '1,000 categories x 20 intervals', path: '/v1/analyze', body: bodies.categories },
    { name: 'the same, as the HTML report', path: '/v1/analyze?format=html', body: bodies.categories },
  ];
  const runs = [await run('ANALYSIS_WORKERS=0 (event loop)', { ANALYSIS_WORKERS: '0' }, heavy), await run('chart: 1+1 workers, 1 large body in flight', {}, heavy)];

  const table: string[][] = [['run', '/healthz p50 ms', 'p99 ms', 'max ms', 'small analysis p50 ms', 'p99 ms', 'probe failures', 'peak RSS MiB', `under ${CHART_LIMIT_MIB} MiB`]];
  for (const r of runs) {
    table.push([r.label, quantile(r.probes.healthz, 0.5).toFixed(1), quantile(r.probes.healthz, 0.99).toFixed(1), Math.max(...r.probes.healthz).toFixed(0), quantile(r.probes.small, 0.5).toFixed(1), quantile(r.probes.small, 0.99).toFixed(1), String(r.probes.failed), r.peak.toFixed(0), r.peak < CHART_LIMIT_MIB ? 'yes' : 'NO']);
  }
  print(table);
  console.log('');
  const heavyTable: string[][] = [['run', 'heavy request', '200', '503', 'other', 'median s']];
  for (const r of runs) for (const [name, o] of r.outcomes) heavyTable.push([r.label, name, String(o.ok), String(o.busy), String(o.other), (quantile(o.ms, 0.5) / 1000).toFixed(2)]);
  print(heavyTable);
  for (const r of runs) console.log(`${r.label}: heavy answers by status ${JSON.stringify(Object.fromEntries(r.statuses))}`);
  const chart = runs[1];
  console.log(`\nchart settings: /healthz p99 ${quantile(chart.probes.healthz, 0.99).toFixed(1)} ms (target < 100: ${quantile(chart.probes.healthz, 0.99) < 100 ? 'met' : 'NOT met'}), peak RSS ${chart.peak.toFixed(0)} MiB (limit ${CHART_LIMIT_MIB}: ${chart.peak < CHART_LIMIT_MIB ? 'met' : 'NOT met'})`);
  console.log(`${DURATION_S} s per run, 3 heavy clients, probes every 50 ms; node ${process.version}, ${require('node:os').cpus()[0]?.model}`);
  agent.destroy();
}

function print(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
