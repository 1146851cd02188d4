/**
 * `npm run bench:prometheus`: the latency of a Prometheus-backed analysis end to end (issue 12:
 * 6 metrics over a 2-hour window at 1-minute timeline steps, p99 < 300 ms).
 *
 * Two hours of Istio-like data for a baseline (model-primary, 2 pods) and a canary (model,
 * 1 pod) at 1-minute resolution, ending a few minutes ago on a whole minute: the request
 * counter `istio_requests_total` and the histogram `istio_request_duration_milliseconds`
 * (the seed's resolving bucket bounds, demo/latency-buckets.ts), with the label set of the
 * demo fleet (demo/fleet.ts). They are written as OpenMetrics, backfilled with
 * `promtool tsdb create-blocks-from openmetrics` into a temp data dir, and served by a real
 * Prometheus on 127.0.0.1 (test/support/prometheus.ts; no scrape targets, so the head stays
 * empty and cannot overlap the blocks). The service runs in this process (createApp with the
 * Prometheus source, as src/main.ts builds it) and is sent POST /v1/analyze with 6 template
 * metrics over the absolute window with `timelineStep: "1m"`: sequential requests after a
 * warm-up, timed from send to parsed answer, alternating with two references: the same queries
 * sent straight to Prometheus at once (the floor), and the judge alone on the fetched data.
 *
 * The canary is healthy in latency and serves 3x the baseline's 5xx: latency metrics should
 * pass (p99 may stay inconclusive), the two error metrics fail. The verdicts are printed.
 *
 * Flags: --requests N (default 200), --warmup N (default 10), --seed S (default 20240601).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { RESOLVING_LATENCY_BUCKETS } from '../demo/latency-buckets';
import { analyzeRequestSchema } from '../src/contracts/analyze-request';
import { runAnalysisWithInputs } from '../src/contracts/run-analysis';
import { analyze as analyzeInputs } from '../src/judge/analyze';
import { builtInProfiles } from '../src/profiles/profiles';
import { createApp } from '../src/service/app';
import { createSelfMetrics, prometheusQueryObserver } from '../src/service/self-metrics';
import { PrometheusClient } from '../src/sources/prometheus/client';
import { PrometheusSource } from '../src/sources/prometheus/prometheus-source';
import { normalCdf } from '../src/stats/normal';
import { findPrometheus, prometheusMissingMessage, queryVector, startPrometheus, type PrometheusServer } from '../test/support/prometheus';
import { normalSampler, seededRandom } from '../test/support/random';
import { binomial, multinomial } from './simulate/binomial';

const WINDOW_SECONDS = 2 * 3600;
const STEP_SECONDS = 60;
/** The window ends this long before now, on a whole minute: backfilled blocks must lie in the past. */
const END_AGO_SECONDS = 5 * 60;
const BOUNDS = [...RESOLVING_LATENCY_BUCKETS, Infinity];
const SLO_BOUND_MS = 102; // a bucket bound: the threshold metric's share above it

interface Workload {
  readonly workload: string;
  /** The pod-template hash of its ReplicaSet: pods are named `<workload>-<hash>-<5 characters>`, as the ReplicaSet controller names them. */
  readonly hash: string;
  readonly version: string;
  readonly pods: number;
  readonly requestsPerMinutePerPod: number;
  readonly latencyMedianMs: number;
  readonly latencySigma: number;
  /** Share of requests answered with each code; the rest are 200. */
  readonly codes: Readonly<Record<string, number>>;
}

const BASELINE: Workload = { workload: 'model-primary', hash: '6d5f7c9b8', version: 'v1', pods: 2, requestsPerMinutePerPod: 800, latencyMedianMs: 40, latencySigma: 0.5, codes: { '404': 0.005, '503': 0.005 } };
const CANARY: Workload = { ...BASELINE, workload: 'model', hash: '7c9d8f6b4', version: 'v2', pods: 1, requestsPerMinutePerPod: 400, codes: { '404': 0.005, '503': 0.015 } };

/** What each metric should come out as, given the planted data. */
const METRICS = [
  { expected: 'pass', metric: { name: 'latency-p95', template: 'istio-latency', statistic: 'p95', margin: { relative: 0.1 }, critical: true } },
  { expected: 'fail', metric: { name: 'error-rate', template: 'istio-error-rate', margin: { relative: 0.5, absolute: 0.001 }, critical: true } },
  { expected: 'pass', metric: { name: 'latency-p50', template: 'istio-latency', statistic: 'p50', margin: { relative: 0.1 } } },
  { expected: 'pass or inconclusive', metric: { name: 'latency-p99', template: 'istio-latency', statistic: 'p99', margin: { relative: 0.1 } } },
  { expected: 'pass', metric: { name: `share-above-${SLO_BOUND_MS}ms`, template: 'istio-latency', threshold: SLO_BOUND_MS } },
  { expected: 'fail', metric: { name: 'non-2xx-3xx-share', template: 'istio-requests', margin: { relative: 0.5, absolute: 0.001 } } },
] as const;

interface Options {
  requests: number;
  warmup: number;
  seed: number;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { requests: 200, warmup: 10, seed: 20240601 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = Number(inline ?? argv[++i]);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${flag} needs a non-negative integer`);
    if (flag === '--requests') options.requests = Math.max(1, value);
    else if (flag === '--warmup') options.warmup = value;
    else if (flag === '--seed') options.seed = value;
    else throw new Error(`unknown flag ${argv[i]}; flags: --requests N, --warmup N, --seed S`);
  }
  return options;
}

// ---------------------------------------------------------------- the data

function istioLabels(w: Workload, pod: number, code: string): string {
  const labels: Record<string, string> = {
    reporter: 'destination',
    source_workload: 'istio-ingressgateway',
    source_workload_namespace: 'istio-system',
    destination_workload: w.workload,
    destination_workload_namespace: 'ml',
    destination_service: 'model.ml.svc.cluster.local',
    destination_service_name: 'model',
    destination_service_namespace: 'ml',
    destination_version: w.version,
    destination_app: 'model',
    destination_canonical_service: 'model',
    destination_canonical_revision: w.version,
    request_protocol: 'http',
    response_code: code,
    response_flags: '-',
    connection_security_policy: 'mutual_tls',
    // A ReplicaSet's pod name: the judge tells revisions by it (src/sources/revision/pod-names.ts).
    pod: `${w.workload}-${w.hash}-p${String(pod).padStart(4, '0')}`,
  };
  return Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
}

function latencyProbabilities(w: Workload): Float64Array {
  const out = new Float64Array(BOUNDS.length);
  let previous = 0;
  BOUNDS.forEach((b, i) => {
    const c = b === Infinity ? 1 : normalCdf((Math.log(b) - Math.log(w.latencyMedianMs)) / w.latencySigma);
    out[i] = c - previous;
    previous = c;
  });
  return out;
}

/**
 * OpenMetrics text of both workloads, one sample per minute from `start` to `end`: every series
 * starts at 0 at `start` (so increase() over the first minute sees it), counters only grow.
 */
function openMetrics(start: number, end: number, seed: number): { text: string; series: number; samples: number } {
  const uniform = seededRandom(seed);
  const normal = normalSampler(uniform);
  const requests: string[] = [];
  const buckets: string[] = [];
  const sums: string[] = [];
  const counts: string[] = [];
  let series = 0;
  let samples = 0;
  const bucketCounts = new Float64Array(BOUNDS.length);
  for (const w of [BASELINE, CANARY]) {
    const probabilities = latencyProbabilities(w);
    const codes = ['200', ...Object.keys(w.codes)];
    for (let pod = 0; pod < w.pods; pod++) {
      // Cumulative state per code: requests, bucket counts, latency sum.
      const state = codes.map(() => ({ requests: 0, buckets: new Float64Array(BOUNDS.length), sum: 0 }));
      const lines = codes.map(() => ({ requests: [] as string[], buckets: BOUNDS.map(() => [] as string[]), sum: [] as string[], count: [] as string[] }));
      for (let t = start; t <= end; t += STEP_SECONDS) {
        if (t > start) {
          // The other codes first, 200 takes the rest of the minute's requests.
          const n = codes.map((code) => (code === '200' ? 0 : binomial(w.requestsPerMinutePerPod, w.codes[code], uniform, normal)));
          n[0] = w.requestsPerMinutePerPod - n.reduce((a, b) => a + b, 0);
          codes.forEach((_, c) => {
            state[c].requests += n[c];
            multinomial(n[c], probabilities, bucketCounts, uniform, normal);
            for (let i = 0; i < BOUNDS.length; i++) {
              state[c].buckets[i] += bucketCounts[i];
              // The sum takes each bucket's middle (its lower bound for +Inf): the service never reads it.
              const lower = i > 0 ? BOUNDS[i - 1] : 0;
              state[c].sum += bucketCounts[i] * (Number.isFinite(BOUNDS[i]) ? (lower + BOUNDS[i]) / 2 : lower);
            }
          });
        }
        codes.forEach((_, c) => {
          const s = state[c];
          const l = lines[c];
          l.requests.push(`${s.requests} ${t}`);
          let cumulative = 0;
          for (let i = 0; i < BOUNDS.length; i++) {
            cumulative += s.buckets[i];
            l.buckets[i].push(`${cumulative} ${t}`);
          }
          l.sum.push(`${s.sum.toFixed(1)} ${t}`);
          l.count.push(`${cumulative} ${t}`);
        });
      }
      codes.forEach((code, c) => {
        const labels = istioLabels(w, pod, code);
        const l = lines[c];
        requests.push(...l.requests.map((v) => `istio_requests_total{${labels}} ${v}`));
        BOUNDS.forEach((b, i) => buckets.push(...l.buckets[i].map((v) => `istio_request_duration_milliseconds_bucket{${labels},le="${Number.isFinite(b) ? b : '+Inf'}"} ${v}`)));
        sums.push(...l.sum.map((v) => `istio_request_duration_milliseconds_sum{${labels}} ${v}`));
        counts.push(...l.count.map((v) => `istio_request_duration_milliseconds_count{${labels}} ${v}`));
        series += 1 + BOUNDS.length + 2;
        samples += l.requests.length * (1 + BOUNDS.length + 2);
      });
    }
  }
  const text = [...requests, ...buckets, ...sums, ...counts, '# EOF', ''].join('\n');
  return { text, series, samples };
}

// ---------------------------------------------------------------- the run

function percentile(sorted: readonly number[], p: number): number {
  // Nearest rank: with 200 requests p99 is the 198th.
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** A counter or histogram _sum/_count of the service's /metrics, summed over the given label filter. */
function metricValue(text: string, name: string, filter = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name || !(match[2] ?? '').includes(filter)) continue;
    total += Number(match[3]);
  }
  return total;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const loadAtStart = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const prometheusBinary = findPrometheus();
  if (!prometheusBinary) throw new Error(prometheusMissingMessage());
  const promtool = path.join(path.dirname(prometheusBinary), 'promtool');
  if (!fs.existsSync(promtool)) throw new Error(`promtool not found next to ${prometheusBinary}; it backfills the data (apt-get install prometheus ships both)`);

  const end = Math.floor(Date.now() / 1000 / STEP_SECONDS) * STEP_SECONDS - END_AGO_SECONDS;
  const start = end - WINDOW_SECONDS;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canary-judge-bench-prometheus-'));
  let prometheus: PrometheusServer | undefined;
  let server: ReturnType<ReturnType<typeof createApp>['listen']> | undefined;
  let starting: Promise<PrometheusServer> | undefined;
  // Interrupted: stop Prometheus (once started, if it was starting) and remove its data before leaving.
  const interrupted = (signal: NodeJS.Signals) => {
    void (async () => {
      try {
        await (prometheus ?? (await starting?.catch(() => undefined)))?.stop();
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
      } finally {
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
    })();
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const t0 = Date.now();
    const data = openMetrics(start, end, options.seed);
    const file = path.join(dir, 'data.om');
    fs.writeFileSync(file, data.text);
    execFileSync(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', file, path.join(dir, 'data')], { stdio: ['ignore', 'ignore', 'pipe'] });
    fs.rmSync(file);
    const backfillMs = Date.now() - t0;
    starting = startPrometheus({ targets: [], dir, waitForFirstScrape: false, binary: prometheusBinary });
    prometheus = await starting;
    const loaded = await queryVector(prometheus.url, 'count({__name__=~"istio_.*"})', end);
    const version = execFileSync(prometheusBinary, ['--version'], { encoding: 'utf8' }).split('\n')[0];

    const metrics = createSelfMetrics(false);
    const source = new PrometheusSource(new PrometheusClient({ baseUrl: prometheus.url, queryTimeoutMs: 10_000, observe: prometheusQueryObserver(metrics) }));
    const deps = { source, profiles: builtInProfiles(), deadlineMs: 10_000, defaultLookbackSeconds: 600, now: () => Date.now() / 1000 };
    const app = createApp({ config: { BODY_LIMIT: '1mb' }, logger: pino({ level: 'silent' }), metrics, lifecycle: { draining: false }, analysis: deps });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server!.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const body = JSON.stringify({
      start: new Date(start * 1000).toISOString(),
      end: new Date(end * 1000).toISOString(),
      timelineStep: '1m',
      labels: { destination_workload_namespace: 'ml' },
      baseline: { labels: { destination_workload: BASELINE.workload } },
      canary: { labels: { destination_workload: CANARY.workload } },
      metrics: METRICS.map((m) => m.metric),
    });
    const analyze = async () => {
      const response = await fetch(`${base}/v1/analyze`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = (await response.json()) as { verdict: string; score?: number; reason?: string; metrics?: { name: string; verdict: string; reason: string; queries?: { baseline: string[]; canary: string[] } }[] };
      if (response.status !== 200) throw new Error(`POST /v1/analyze answered ${response.status}: ${JSON.stringify(json).slice(0, 2000)}`);
      return json;
    };
    const selfMetrics = async () => (await fetch(`${base}/metrics`)).text();

    const first = await analyze();
    // The floor: the analysis' own distinct range queries (the service sends each once) sent
    // straight to Prometheus, all at once as the service sends them (one interval per step, the
    // same grid).
    const listed = (first.metrics ?? []).flatMap((m) => [...(m.queries?.baseline ?? []), ...(m.queries?.canary ?? [])]);
    const sent = [...new Set(listed)];
    const distinct = sent.length;
    const queryAll = () =>
      Promise.all(
        sent.map(async (query) => {
          const form = new URLSearchParams({ query, start: String(start + STEP_SECONDS), end: String(end), step: String(STEP_SECONDS) });
          const response = await fetch(`${prometheus!.url}/api/v1/query_range`, { method: 'POST', body: form });
          const json = (await response.json()) as { status: string };
          if (json.status !== 'success') throw new Error(`Prometheus refused ${query}`);
        }),
      );
    const timed = async (fn: () => Promise<unknown>) => {
      const t = process.hrtime.bigint();
      await fn();
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    // The judge alone, on the data the service fetched (the analysis minus fetching and HTTP).
    const { inputs } = await runAnalysisWithInputs(analyzeRequestSchema.parse(JSON.parse(body)), deps);
    const judgeAlone = async () => analyzeInputs({ metrics: [...inputs.values()] });
    for (let i = 1; i < options.warmup; i++) (await analyze(), await queryAll(), await judgeAlone());
    const times: number[] = [];
    const floorTimes: number[] = [];
    const judgeTimes: number[] = [];
    let queries = 0;
    let failedQueries = 0;
    let querySeconds = 0;
    // Alternating, so both see the same machine; the floor's queries are left out of the counts.
    for (let i = 0; i < options.requests; i++) {
      const before = await selfMetrics();
      times.push(await timed(analyze));
      const after = await selfMetrics();
      const delta = (name: string, filter = '') => metricValue(after, name, filter) - metricValue(before, name, filter);
      queries += delta('canary_judge_source_queries_total', 'source="prometheus"');
      failedQueries += delta('canary_judge_source_queries_total', 'source="prometheus"') - delta('canary_judge_source_queries_total', 'outcome="ok"');
      querySeconds += delta('canary_judge_source_query_duration_seconds_sum');
      floorTimes.push(await timed(queryAll));
      judgeTimes.push(await timed(judgeAlone));
    }
    const sorted = [...times].sort((a, b) => a - b);
    const cpus = os.cpus();
    console.log('# Prometheus-backed analysis latency (`npm run bench:prometheus`)\n');
    console.log(
      `${version}, data backfilled with promtool (${data.series} series, ${data.samples.toLocaleString('en-US')} samples, ${loaded.length ? loaded[0].value : 0} istio_* series loaded; ${backfillMs} ms); ` +
        `window ${new Date(start * 1000).toISOString()} .. ${new Date(end * 1000).toISOString()} (2 h), timelineStep 1m (120 intervals per side); ` +
        `baseline ${BASELINE.pods} pods x ${BASELINE.requestsPerMinutePerPod}/min, canary ${CANARY.pods} pod x ${CANARY.requestsPerMinutePerPod}/min, ${BOUNDS.length} latency buckets; service in-process, one request at a time`,
    );
    console.log(`node ${process.version}, ${cpus[0]?.model ?? 'unknown cpu'} x ${cpus.length}, ${os.platform()} ${os.arch()}, load average at the start ${loadAtStart}, at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);

    console.log(`## Verdicts (overall: ${first.verdict}${first.score !== undefined ? `, score ${first.score}` : ''})\n`);
    const rows = [['metric', 'expected', 'verdict', 'reason']];
    for (const m of METRICS) {
      const result = first.metrics?.find((r) => r.name === m.metric.name);
      rows.push([m.metric.name, m.expected, result?.verdict ?? '(missing)', (result?.reason ?? '').slice(0, 160)]);
    }
    console.log(markdownTable(rows));
    // Timing an analysis that judged something else (no data, another revision) measures nothing.
    const unexpected = METRICS.filter((m) => !m.expected.split(' or ').includes(first.metrics?.find((r) => r.name === m.metric.name)?.verdict ?? '(missing)'));
    if (unexpected.length) {
      process.exitCode = 1;
      console.log(`\nNOT MEASURED: ${unexpected.map((m) => m.metric.name).join(', ')} did not come out as planted, so the timings below are not of the analysis this benchmark is about.`);
    }

    const floorSorted = [...floorTimes].sort((a, b) => a - b);
    const p99 = percentile(sorted, 0.99);
    const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const row = (what: string, xs: readonly number[], extra: string[]) => [what, ...[0.5, 0.95, 0.99].map((p) => percentile(xs, p).toFixed(1)), xs[xs.length - 1].toFixed(1), mean(xs).toFixed(1), ...extra];
    console.log(`\n## Latency (${options.requests} sequential rounds after ${options.warmup} warm-up, alternating)\n`);
    console.log(
      markdownTable([
        ['', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'mean ms', 'Prometheus queries', 'mean query ms', 'target p99 < 300 ms'],
        row('POST /v1/analyze', sorted, [`${(queries / options.requests).toFixed(1)} per analysis (${distinct} distinct), ${failedQueries} failed`, queries ? ((querySeconds / queries) * 1000).toFixed(1) : '-', unexpected.length ? 'not measured' : p99 < 300 ? 'met' : 'NOT met']),
        row('its queries straight to Prometheus (floor)', floorSorted, [`${sent.length} at once`, '-', '-']),
        row('the judge alone on the fetched data', [...judgeTimes].sort((a, b) => a - b), ['-', '-', '-']),
      ]),
    );
    console.log(
      `\nanalysis / floor at the median: ${(percentile(sorted, 0.5) / percentile(floorSorted, 0.5)).toFixed(2)}. ` +
        'Times from send to parsed JSON answer; client, service and Prometheus share the machine. Query counts and durations from the service\'s /metrics ' +
        '(canary_judge_source_queries_total, canary_judge_source_query_duration_seconds), read around each analysis.',
    );
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
    }
    await prometheus?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function markdownTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: readonly string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
