/**
 * `npm run bench:intervals [-- --reps N] [--cpu]`: the judge's cost per metric as a timeline grows
 * (issue 22: six metrics at 1,440 one-minute intervals within 2 s, cost linear in intervals).
 *
 * Six metrics of a rollout whose canary share steps 1 % -> 10 % -> 50 % and which serves 1,000
 * requests a minute: two rates (5xx share and non-2xx share), two quantiles (p95, p99) on the
 * seed's fine latency buckets (79 bounds, demo/latency-buckets.ts), the share above an SLO bound
 * on the same histograms, and a category mix of 8 classes. Each is judged alone by `analyze`
 * (anytime-valid, per-interval tests), at 60, 240 and 1,440 intervals; the table prints the
 * median milliseconds per metric (each judged alone), their sum, the six in one analysis (as a
 * rollout asks them: each fail decision at alpha / 6), and its cost per interval (flat = linear).
 *
 * The judge runs twice per size, side by side: from the TypeScript sources (tsx, as the other
 * benches and the tests run it) and from the tsc build (`dist/`, what the service runs; built
 * first by `npm run bench:intervals`). tsx compiles with esbuild's keepNames, which wraps
 * closures and makes some of them measurably slower, so the build is the figure that counts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RESOLVING_LATENCY_BUCKETS } from '../demo/latency-buckets';
import type { AnalysisInput, AnalysisResult, HistogramBucket, MetricInput } from '../src/judge/types';
import { normalSampler, seededRandom } from '../test/support/random';
import { binomial, multinomial } from './simulate/binomial';
import { analyze as analyzeFromSources } from '../src/judge/analyze';

type Analyze = (input: AnalysisInput) => AnalysisResult;

const SIZES = [60, 240, 1440];
const REQUESTS_PER_INTERVAL = 1000;
const BOUNDS = [...RESOLVING_LATENCY_BUCKETS, Infinity];
const CLASSES = ['cat', 'dog', 'bird', 'fish', 'horse', 'cow', 'sheep', 'goat'];
const SLO_BOUND_MS = 102;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const reps = arg('--reps', 3);
/** `--only built` or `--only tsx`: time one of them (for a CPU profile of the build alone). */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

/** A lognormal latency's probability per bucket (median ms, sigma), for the multinomial draw. */
function bucketProbabilities(medianMs: number, sigma: number): Float64Array {
  const { normalCdf } = require('../src/stats/normal') as typeof import('../src/stats/normal');
  const cdf = (x: number) => (x === Infinity ? 1 : normalCdf(Math.log(x / medianMs) / sigma));
  return Float64Array.from(BOUNDS, (le, i) => cdf(le) - (i ? cdf(BOUNDS[i - 1]) : 0));
}

/** The six metrics over `n` intervals, deterministic per seed. */
function metrics(n: number, seed = 20240601): MetricInput[] {
  const uniform = seededRandom(seed);
  const normal = normalSampler(uniform);
  const latency = { baseline: bucketProbabilities(40, 0.5), canary: bucketProbabilities(41, 0.5) };
  const classes = { baseline: Float64Array.from(CLASSES, (_, i) => (i + 1) / 36), canary: Float64Array.from(CLASSES, (_, i) => (i + 1.1) / 36.8) };
  const side = () => ({ errors: [] as { events: number; total: number }[], non2xx: [] as { events: number; total: number }[], histograms: [] as { histogram: { buckets: HistogramBucket[] } }[], counts: [] as { counts: [string, number][] }[] });
  const sides = { baseline: side(), canary: side() };
  const draw = new Float64Array(BOUNDS.length);
  const classDraw = new Float64Array(CLASSES.length);
  for (let i = 0; i < n; i++) {
    const share = [0.01, 0.1, 0.5][Math.min(2, Math.floor((3 * i) / n))];
    for (const name of ['baseline', 'canary'] as const) {
      const total = Math.round(REQUESTS_PER_INTERVAL * (name === 'canary' ? share : 1 - share));
      const out = sides[name];
      out.errors.push({ events: binomial(total, name === 'canary' ? 0.0055 : 0.005, uniform, normal), total });
      out.non2xx.push({ events: binomial(total, 0.01, uniform, normal), total });
      multinomial(total, latency[name], draw, uniform, normal);
      let running = 0;
      out.histograms.push({ histogram: { buckets: BOUNDS.map((le, b) => ({ le, count: (running += draw[b]) })) } });
      multinomial(total, classes[name], classDraw, uniform, normal);
      out.counts.push({ counts: CLASSES.map((c, k) => [c, classDraw[k]] as [string, number]) });
    }
  }
  const counts = (intervals: { events: number; total: number }[]) => ({ events: intervals.reduce((s, x) => s + x.events, 0), total: intervals.reduce((s, x) => s + x.total, 0), intervals });
  const histogram = (intervals: { histogram: { buckets: HistogramBucket[] } }[]) => ({
    histogram: { buckets: BOUNDS.map((le, b) => ({ le, count: intervals.reduce((s, x) => s + x.histogram.buckets[b].count, 0) })) },
    intervals,
  });
  const categories = (intervals: { counts: [string, number][] }[]) => ({ counts: CLASSES.map((c, k) => [c, intervals.reduce((s, x) => s + x.counts[k][1], 0)] as [string, number]), intervals });
  const { baseline: b, canary: c } = sides;
  return [
    { name: 'error-rate', kind: 'proportion', margin: { relative: 0.5, absolute: 0.001 }, baseline: counts(b.errors), canary: counts(c.errors) },
    { name: 'non-2xx-share', kind: 'proportion', margin: { relative: 0.5, absolute: 0.001 }, baseline: counts(b.non2xx), canary: counts(c.non2xx) },
    { name: 'latency-p95', kind: 'continuous', quantile: 0.95, margin: { relative: 0.1 }, baseline: histogram(b.histograms), canary: histogram(c.histograms) },
    { name: 'latency-p99', kind: 'continuous', quantile: 0.99, margin: { relative: 0.1 }, baseline: histogram(b.histograms), canary: histogram(c.histograms) },
    { name: `share-above-${SLO_BOUND_MS}ms`, kind: 'continuous', threshold: SLO_BOUND_MS, margin: { absolute: 0.01 }, baseline: histogram(b.histograms), canary: histogram(c.histograms) },
    { name: 'class-mix', kind: 'categorical', margin: { absolute: 0.05 }, baseline: categories(b.counts), canary: categories(c.counts) },
  ];
}

/**
 * `--cpu`: the process' CPU time (user + system, GC threads included) in place of the wall
 * clock: on a machine shared with other jobs the wall clock times the queue for a core too.
 */
const cpuClock = process.argv.includes('--cpu');

function millis(run: () => void): number {
  if (cpuClock) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1e3;
  }
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function main(): void {
  const built = path.join(__dirname, '../dist/judge/analyze.js');
  let judges: [string, Analyze][] = [['tsx', analyzeFromSources]];
  if (fs.existsSync(built)) judges.push(['built', (require(built) as { analyze: Analyze }).analyze]);
  else console.log('dist/ is missing: run `npm run build` (npm run bench:intervals does) to time the built judge too\n');
  // BENCH_BEFORE=<dir>: another build's dist/ (say, main's) timed in the same run, for a ratio.
  const before = process.env.BENCH_BEFORE && path.join(process.env.BENCH_BEFORE, 'judge/analyze.js');
  if (before) judges.push(['before', (require(before) as { analyze: Analyze }).analyze]);
  if (only) judges = judges.filter(([label]) => only.split(',').includes(label));

  const names = metrics(2).map((m) => m.name);
  const header = ['intervals', 'code', ...names, 'sum ms', 'six in one analysis ms', 'ms per interval'];
  const rows: string[][] = [header];
  for (const n of SIZES) {
    const data = metrics(n);
    for (const [label, analyze] of judges) {
      for (const m of data) analyze({ metrics: [m] }); // warm-up
      const perMetric = data.map((m) => median(Array.from({ length: reps }, () => millis(() => analyze({ metrics: [m] })))));
      const sum = perMetric.reduce((a, b) => a + b, 0);
      // One analysis of all six, as a rollout asks it (each fail decision at alpha / 6).
      const together = median(Array.from({ length: reps }, () => millis(() => analyze({ metrics: data }))));
      rows.push([String(n), label, ...perMetric.map((t) => t.toFixed(0)), sum.toFixed(0), together.toFixed(0), (together / n).toFixed(3)]);
    }
  }
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padStart(widths[c])).join('  '));
  const verdicts = metrics(SIZES[SIZES.length - 1]).map((m) => `${m.name} ${analyzeFromSources({ metrics: [m] }).metrics[0].verdict}`);
  console.log(`\nverdicts at ${SIZES[SIZES.length - 1]} intervals: ${verdicts.join(', ')}`);
  console.log(`${cpuClock ? 'CPU milliseconds (user + system)' : 'milliseconds (wall clock)'}, median of ${reps} runs per metric; node ${process.version}, ${require('node:os').cpus()[0]?.model ?? 'unknown cpu'}`);
}

main();
