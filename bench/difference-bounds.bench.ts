/**
 * `npx tsx bench/difference-bounds.bench.ts`: milliseconds per exact difference bound (one
 * side) at the sizes the service sees, median of 9 timed runs after 3 warm-up runs, next to
 * the interval's width. These machines are shared and noisy: compare medians, not maxima.
 */
import { exactDifferenceBounds, exactLowerBound } from '../src/stats/exact-difference-bounds';

const CASES: ReadonlyArray<[label: string, ce: number, ct: number, be: number, bt: number, alpha: number]> = [
  ['10 vs 10 trials, no events', 0, 10, 0, 10, 0.05],
  ['200 vs 2000, 2.5 % vs 1 %', 5, 200, 20, 2000, 0.05],
  ['2e4 vs 2e5, 0.15 % vs 0.05 %', 30, 20000, 100, 200000, 0.05],
  ['2e4 vs 2e5, 0.15 % vs 0.05 %, alpha 0.0025', 30, 20000, 100, 200000, 0.0025],
  ['2e4 vs 2e5, no events', 0, 20000, 0, 200000, 0.05],
  ['1e5 vs 1e6, rate 0.3', 30000, 100000, 300000, 1000000, 0.05],
  ['1e6 vs 1e6, rate 0.3', 300000, 1000000, 300000, 1000000, 0.05],
  ['1e6 vs 1e6, rate 0.5, alpha 0.0005', 500000, 1000000, 500000, 1000000, 0.0005],
  ['2e6 vs 2e6, rate 0.5 (largest exact search)', 1000000, 2000000, 1000000, 2000000, 0.05],
];

function msPerBound(ce: number, ct: number, be: number, bt: number, alpha: number): number {
  const once = () => {
    exactLowerBound(ce, ct, be, bt, alpha);
    exactLowerBound(be, bt, ce, ct, alpha);
  };
  for (let i = 0; i < 3; i++) once();
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const start = process.hrtime.bigint();
    once();
    times.push(Number(process.hrtime.bigint() - start) / 2e6);
  }
  return times.sort((a, b) => a - b)[4];
}

for (const [label, ce, ct, be, bt, alpha] of CASES) {
  const ms = msPerBound(ce, ct, be, bt, alpha);
  const b = exactDifferenceBounds(ce, ct, be, bt, alpha, alpha);
  console.log(`${label.padEnd(46)} ${ms.toFixed(2).padStart(7)} ms/bound   [${b.lower.toPrecision(4)}, ${b.upper.toPrecision(4)}]`);
}
