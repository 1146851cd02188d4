/**
 * The judge's worker threads (src/service/analysis-pool.ts): the same answers as in the event
 * loop's thread, a deadline that stops a task and leaves the pool working, a heap cap that ends
 * one worker and not the process, and large bodies parsed (and inline ones judged) there.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createAnalysisPool, inProcessAnalysis, JudgeMemoryError, JudgeTimeoutError, type AnalysisRunner } from '../../src/service/analysis-pool';
import type { AnalysisInput } from '../../src/judge/types';
import { analyzeRequestSchema } from '../../src/contracts/analyze-request';
import type { MetricInput } from '../../src/judge/types';
import { latencies } from '../support/random';

jest.setTimeout(60_000);

const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/request.json'), 'utf8'));
const exampleInput = (): AnalysisInput => ({ metrics: analyzeRequestSchema.parse(example).metrics.map((m) => m.metric as MetricInput) });
const bytes = (text: string) => new Uint8Array(Buffer.from(text));

/** A categorical timeline far beyond the limits (the pool does not check them): minutes of judging. */
function heavyInput(): AnalysisInput {
  const interval = { counts: Array.from({ length: 60 }, (_, j) => [`c${j}`, 50 + j] as [string, number]) };
  const intervals = Array.from({ length: 1440 }, () => interval);
  const side = { counts: interval.counts.map(([c, n]) => [c, n * 1440] as [string, number]), intervals };
  return { metrics: [{ name: 'mix', kind: 'categorical', margin: { absolute: 0.05 }, baseline: side, canary: side }] };
}

describe('the analysis pool', () => {
  let pool: AnalysisRunner;
  beforeAll(() => {
    pool = createAnalysisPool({ workers: 1, deadlineMs: 20_000, heapMb: 192 });
  });
  afterAll(() => pool.close());

  it('judges exactly as the event loop thread does', async () => {
    const here = await inProcessAnalysis.judge(exampleInput());
    expect(await pool.judge(exampleInput())).toEqual(here);
  });

  it('parses a body there: malformed JSON, an invalid request, inline data judged, templates handed back', async () => {
    expect(await pool.body({ body: bytes('{"metrics": ['), html: false })).toEqual({ kind: 'malformed', message: expect.stringMatching(/^malformed JSON: /) });
    const invalid = await pool.body({ body: bytes('{"metrics": [{"name": "x", "kind": "magic"}]}'), html: false });
    expect(invalid.kind).toBe('invalid');
    const judged = await pool.body({ body: bytes(JSON.stringify(example)), html: true });
    expect(judged.kind).toBe('judged');
    if (judged.kind !== 'judged') return;
    expect(judged.outcome.verdict).toBe((await inProcessAnalysis.judge(exampleInput())).verdict);
    expect(judged.html).toMatch(/^<!doctype html>/);
    const templates = { baseline: { labels: { v: '1' } }, canary: { labels: { v: '2' } }, metrics: [{ name: 'errors', template: 'istio-error-rate' }] };
    expect(await pool.body({ body: bytes(JSON.stringify(templates)), html: false })).toEqual({ kind: 'parsed', request: expect.objectContaining({ metrics: [expect.objectContaining({ from: 'template' })] }), raw: templates });
  });

  it('answers a request beyond a limit with the limit named, from the worker', async () => {
    // 600 categories a side, 1,200 together: within the schema's per-object count, beyond the judge's limit.
    const counts = (offset: number) => Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`c${i + offset}`, 1]));
    const answer = await pool.body({ body: bytes(JSON.stringify({ metrics: [{ name: 'mix', kind: 'categorical', baseline: { counts: counts(0) }, canary: { counts: counts(600) } }] })), html: false });
    expect(answer).toEqual({ kind: 'invalid', issues: [{ path: 'metrics.mix.counts', message: expect.stringMatching(/^1,200 categories exceed the limit of 1,000/) }] });
  });
});

describe('deadline and heap', () => {
  it('stops a task past its deadline, and the pool judges the next one', async () => {
    const pool = createAnalysisPool({ workers: 1, deadlineMs: 3000, heapMb: 192 });
    try {
      // The workers' start (loading the sources through tsx here) is not the deadline's business:
      // both lanes are warmed, the light one (a small input) and the heavy one (a long timeline).
      const intervals = Array.from({ length: 2600 }, () => ({ events: 1, total: 100 }));
      const long: AnalysisInput = { metrics: [{ name: 'e', kind: 'proportion', baseline: { events: 2600, total: 260000, intervals }, canary: { events: 2600, total: 260000, intervals } }] };
      for (const input of [exampleInput(), long]) for (let attempt = 0; attempt < 8; attempt++) if (await pool.judge(input).then(() => true, () => false)) break;
      const started = Date.now();
      await expect(pool.judge(heavyInput())).rejects.toBeInstanceOf(JudgeTimeoutError);
      expect(Date.now() - started).toBeLessThan(8000);
      // The pool goes on (a few tries: a loaded machine may stretch one past 3 s).
      let judged;
      for (let attempt = 0; attempt < 4 && !judged; attempt++) judged = await pool.judge(exampleInput()).catch(() => undefined);
      expect(judged?.metrics).toHaveLength(3);
    } finally {
      await pool.close();
    }
  });

  it('refuses, unparsed, a body whose parse would not fit in the worker heap (V8 cannot stop JSON.parse: it would abort the process)', async () => {
    const pool = createAnalysisPool({ workers: 1, deadlineMs: 30_000, heapMb: 32 });
    try {
      const values = Array.from(latencies(1_500_000, 40, 0.5, 1), (x) => Math.round(x * 100) / 100);
      const body = bytes(JSON.stringify({ metrics: [{ name: 'latency', kind: 'continuous', baseline: { values }, canary: { values } }] }));
      const refused = pool.body({ body, html: false });
      await expect(refused).rejects.toBeInstanceOf(JudgeMemoryError);
      await expect(refused).rejects.toThrow(/^parsing this body would take about \d+ MB of heap and the judge has \d+ MB free of its 32 MB \(WORKER_HEAP_MB\)/);
      expect((await pool.judge(exampleInput())).metrics).toHaveLength(3);
    } finally {
      await pool.close();
    }
  });

  it('ends a worker whose heap runs out while judging, not the process, and answers the next task', () => {
    // A child process: were V8 to abort instead, this test fails and jest goes on.
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '../support/exhaust-worker-heap.ts')], { encoding: 'utf8', timeout: 90_000 });
    expect({ status: child.status, signal: child.signal, stderr: child.status === 0 ? '' : child.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(JSON.parse(child.stdout)).toEqual({ heavy: { error: 'JudgeMemoryError', message: expect.stringMatching(/32 MB, WORKER_HEAP_MB/) }, next: { verdict: expect.any(String) } });
  });
});
