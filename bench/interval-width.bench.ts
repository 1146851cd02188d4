/**
 * `npm run bench:width`: how much wider anytime-valid intervals are than fixed-sample ones on
 * the same data, per kind, at the sample sizes a rollout sees. docs/statistics.md quotes these ratios.
 *
 * Width = upper - lower of the effect interval the judge decides on (alpha 0.05, one metric,
 * two-sided 'either' bounds at the pass rate), measured on expected counts (no noise), so the
 * ratio reflects the methods only.
 */
import { analyze } from '../src/judge/analyze';
import type { MetricInput } from '../src/judge/types';
import { normalCdf } from '../src/stats/normal';
import { RESOLVING_LATENCY_BUCKETS } from '../demo/latency-buckets';

function width(metric: MetricInput, evidence: 'anytime-valid' | 'fixed-sample'): number {
  const effect = analyze({ metrics: [metric], evidence }).metrics[0].effect;
  return effect ? effect.upper - effect.lower : NaN;
}

function lognormalBuckets(n: number, median: number, sigma: number) {
  return [...RESOLVING_LATENCY_BUCKETS, Infinity].map((le) => ({ le, count: Math.round(n * (le === Infinity ? 1 : normalCdf(Math.log(le / median) / sigma))) }));
}

function normalValues(n: number, mean: number, sd: number): number[] {
  // Expected order statistics (Blom), so the sample is the distribution's shape without noise.
  return Array.from({ length: n }, (_, i) => mean + sd * inverseNormal((i + 1 - 0.375) / (n + 0.25)));
}

function inverseNormal(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let k = 0; k < 80; k++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const rows: string[][] = [['kind', 'effect', 'per side (baseline / canary)', 'fixed-sample width', 'anytime-valid width', 'ratio']];
const add = (kind: string, effect: string, sizes: string, metric: MetricInput) => {
  const fixed = width(metric, 'fixed-sample');
  const anytime = width(metric, 'anytime-valid');
  rows.push([kind, effect, sizes, fixed.toPrecision(3), anytime.toPrecision(3), (anytime / fixed).toFixed(2)]);
};

for (const [nb, nc] of [[20000, 2000], [100000, 20000], [200000, 100000]]) {
  const sizes = `${nb} / ${nc}`;
  const base = { name: 'm', direction: 'either' as const };
  add('continuous', 'p95 relative', sizes, { ...base, kind: 'continuous', margin: { relative: 0.1 }, baseline: { histogram: { buckets: lognormalBuckets(nb, 40, 0.5) } }, canary: { histogram: { buckets: lognormalBuckets(nc, 40, 0.5) } } });
  add('continuous', 'p95 relative, raw values', sizes, { ...base, kind: 'continuous', margin: { relative: 0.1 }, baseline: { values: normalValues(nb, 100, 10) }, canary: { values: normalValues(nc, 100, 10) } });
  add('distribution', 'KS distance', sizes, { ...base, kind: 'distribution', margin: { absolute: 0.1 }, baseline: { values: normalValues(nb, 0.7, 0.12) }, canary: { values: normalValues(nc, 0.7, 0.12) } });
  for (const rate of [0.005, 0.05]) {
    const counts = (n: number) => ({ events: Math.round(n * rate), total: n });
    add('proportion', `rate ratio at ${rate * 100} %`, sizes, { ...base, kind: 'proportion', margin: { relative: 0.5 }, baseline: counts(nb), canary: counts(nc) });
    add('proportion', `rate difference at ${rate * 100} %`, sizes, { ...base, kind: 'proportion', margin: { absolute: 0.001 }, baseline: counts(nb), canary: counts(nc) });
  }
  const shares = (n: number): [string, number][] => [['cat', Math.round(n * 0.5)], ['dog', Math.round(n * 0.4)], ['bird', n - Math.round(n * 0.5) - Math.round(n * 0.4)]];
  add('categorical', 'largest share change', sizes, { ...base, kind: 'categorical', margin: { absolute: 0.05 }, baseline: { counts: shares(nb) }, canary: { counts: shares(nc) } });
}

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
console.log('# Anytime-valid vs fixed-sample interval width (`npm run bench:width`)\n');
console.log([line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n'));
