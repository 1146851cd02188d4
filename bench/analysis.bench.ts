/**
 * `npm run bench`: time of one continuous-metric analysis next to the floor, sorting the same
 * data as Float64Arrays (an analysis cannot avoid one sort per side). Both are measured in
 * the same run, alternating, and compared as a ratio, because these machines are noisy.
 */
import { analyze } from '../src/judge/analyze';
import { latencies } from '../test/support/random';

const SIZES = [1e3, 1e5, 1e6];
const target = { 1e6: 3 } as Record<number, number>;

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
  rows.push([n.toExponential(0), a.toFixed(2), s.toFixed(2), (a / s).toFixed(2), target[n] ? `<= ${target[n]}` : '']);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const row of rows) console.log(row.map((cell, c) => cell.padStart(widths[c])).join('  '));
console.log(`\nnode ${process.version}, ${require('node:os').cpus()[0]?.model ?? 'unknown cpu'}, medians of repeated runs`);
