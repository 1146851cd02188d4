/**
 * Run as a child process by test/service/analysis-pool.test.ts: a pool whose one worker has a
 * 32 MB heap judges a category mix that needs more (1,000 categories over 20 intervals), then a
 * small analysis. Prints what each answered as one JSON line. In a child process, so that a V8
 * abort (the failure this guards against) fails that test instead of ending jest.
 */
import { createAnalysisPool } from '../../src/service/analysis-pool';
import type { AnalysisInput } from '../../src/judge/types';

const interval = (shift: number) => ({ counts: Array.from({ length: 1000 }, (_, k) => [`class-${k}`, 20 + ((k * 7 + shift) % 13)] as [string, number]) });
const side = (shift: number) => ({ counts: interval(shift).counts.map(([c, n]) => [c, n * 20] as [string, number]), intervals: Array.from({ length: 20 }, (_, i) => interval(shift + i)) });
const heavy: AnalysisInput = { metrics: [{ name: 'mix', kind: 'categorical', margin: { absolute: 0.05 }, baseline: side(0), canary: side(3) }] };
const small: AnalysisInput = { metrics: [{ name: 'errors', kind: 'proportion', baseline: { events: 10, total: 10_000 }, canary: { events: 1, total: 1_000 } }] };

async function main() {
  const pool = createAnalysisPool({ workers: 1, deadlineMs: 60_000, heapMb: 32 });
  const answer = (p: Promise<{ verdict: string }>) => p.then((r) => ({ verdict: r.verdict }), (e: Error) => ({ error: e.name, message: e.message }));
  const heavyAnswer = await answer(pool.judge(heavy));
  const next = await answer(pool.judge(small));
  await pool.close();
  process.stdout.write(`${JSON.stringify({ heavy: heavyAnswer, next })}\n`);
}

void main();
