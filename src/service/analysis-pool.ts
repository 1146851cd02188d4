/**
 * The judge off the event loop: a pool of worker threads (piscina) runs every CPU-heavy task of
 * an analysis (analysis-tasks.ts), so `/healthz`, `/readyz`, `/metrics` and small analyses keep
 * answering within milliseconds while the heaviest allowed requests are judged.
 *
 * - Each task has a deadline (`JUDGE_DEADLINE_MS`): past it the worker is terminated (the only
 *   way to stop synchronous code) and replaced, and the analysis answers 503, never a verdict.
 * - Each worker's heap is capped (`WORKER_HEAP_MB`): a request that needs more ends its worker,
 *   not the process, and is answered 413. A body whose JSON.parse would not fit is refused before
 *   it is parsed (parse-cost.ts): V8 cannot stop its C++ parser, and aborts the process instead.
 * - Tasks beyond the workers wait in piscina's queue; how many analyses may be in flight at all
 *   is bounded before their bodies are read (admission.ts), so the queue stays short.
 *
 * Without a pool (`ANALYSIS_WORKERS=0`, tests, the CLI) the same tasks run in the calling
 * thread: `inProcessAnalysis`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Piscina } from 'piscina';
import type { AnalysisInput, AnalysisResult } from '../judge/types';
import { bodyTask, judgeTask, renderTask, type AnalysisTask, type BodyAnswer, type BodyTask, type RenderTask, type TooLargeAnswer } from './analysis-tasks';

/** What the routes ask of the pool, or of the calling thread when there is none. */
export interface AnalysisRunner {
  judge(input: AnalysisInput): Promise<AnalysisResult>;
  render(report: RenderTask): Promise<string>;
  body(task: BodyTask): Promise<BodyAnswer>;
  close(): Promise<void>;
  /** Resolves once every worker has loaded the judge (main.ts listens after it). */
  readonly ready?: Promise<void>;
}

/** The judge did not finish within its deadline (503). */
export class JudgeTimeoutError extends Error {
  constructor(readonly deadlineMs: number) {
    super(`the analysis did not finish within ${deadlineMs} ms (JUDGE_DEADLINE_MS): it was stopped; judge fewer metrics or intervals`);
    this.name = 'JudgeTimeoutError';
  }
}

/** The analysis needs more memory than a worker has (413). */
export class JudgeMemoryError extends Error {
  constructor(
    readonly heapMb: number,
    message = `the analysis needs more memory than a judge worker has (${heapMb} MB, WORKER_HEAP_MB): send less data`,
  ) {
    super(message);
    this.name = 'JudgeMemoryError';
  }
}

/** A body refused before its parse (analysis-tasks.ts) is the same 413 as a worker that ran out. */
function refuseTooLarge(answer: BodyAnswer | TooLargeAnswer, heapMb?: number): BodyAnswer {
  if (answer.kind !== 'too-large') return answer;
  const cap = heapMb !== undefined ? ` of its ${heapMb} MB (WORKER_HEAP_MB)` : '';
  throw new JudgeMemoryError(heapMb ?? 0, `parsing this body would take about ${answer.neededMb} MB of heap and the judge has ${answer.freeMb} MB free${cap}: send less data${heapMb !== undefined ? ' or raise WORKER_HEAP_MB' : ''}`);
}

export const inProcessAnalysis: AnalysisRunner = {
  judge: async (input) => judgeTask(input),
  render: (report) => renderTask(report),
  body: async (task) => refuseTooLarge(await bodyTask(task)),
  close: async () => undefined,
};

export interface AnalysisPoolOptions {
  readonly workers: number;
  readonly deadlineMs: number;
  readonly heapMb: number;
}

/** The worker's entry point: the build's .js next to this file, or the .ts source under tsx. */
function workerEntry(): { filename: string; execArgv: string[] } {
  const built = path.join(__dirname, 'analysis-worker.js');
  if (fs.existsSync(built)) return { filename: built, execArgv: [] };
  const source = path.join(__dirname, 'analysis-worker.ts');
  // Workers inherit the parent's flags; a parent without tsx (jest) gets it for them.
  const hasTsx = process.execArgv.some((arg, i) => arg.includes('tsx') && (arg.startsWith('--import') || process.execArgv[i - 1] === '--import' || process.execArgv[i - 1] === '--require'));
  return { filename: source, execArgv: hasTsx ? [...process.execArgv] : [...process.execArgv, '--import', 'tsx'] };
}

/**
 * Observations, buckets and categories a judge input holds, and its timeline cells: what decides
 * whether a task takes the light lane (analysis-pool.ts).
 */
export function inputSize(input: AnalysisInput): { entries: number; cells: number } {
  let entries = 0;
  let cells = 0;
  const count = (data: object) => {
    if ('values' in data) entries += (data.values as ArrayLike<number>).length;
    else if ('histogram' in data) entries += (data.histogram as { buckets: unknown[] }).buckets.length;
    else if ('counts' in data) entries += (data.counts as unknown[]).length;
    else entries += 1;
  };
  for (const metric of input.metrics) {
    for (const side of [metric.baseline, metric.canary]) {
      count(side);
      for (const interval of side.intervals ?? []) count(interval);
    }
    cells += Math.max(metric.baseline.intervals?.length ?? 0, metric.canary.intervals?.length ?? 0);
  }
  return { entries, cells };
}

/** A task this small (about 20 ms of judging at most) takes the light lane: it never waits behind a heavy one. */
export const LIGHT_TASK = { entries: 200_000, cells: 2_500 };
const light = (input: AnalysisInput) => {
  const size = inputSize(input);
  return size.entries <= LIGHT_TASK.entries && size.cells <= LIGHT_TASK.cells;
};

export function createAnalysisPool(options: AnalysisPoolOptions): AnalysisRunner {
  const entry = workerEntry();
  const lane = (threads: number) =>
    new Piscina<AnalysisTask, unknown>({
      filename: entry.filename,
      execArgv: entry.execArgv.filter((arg) => !arg.startsWith('--inspect') && !arg.startsWith('--cpu-prof')),
      minThreads: threads,
      maxThreads: threads,
      // Idle workers stay: starting one costs a module load and the first analysis' warm-up.
      idleTimeout: Number.MAX_SAFE_INTEGER,
      resourceLimits: { maxOldGenerationSizeMb: options.heapMb },
    });
  // Two lanes: the heavy one (large bodies, long timelines) and one thread for small analyses
  // (an Argo or Flagger look, a curl with a few metrics), so that those answer in milliseconds
  // however many heavy ones are being judged.
  const heavy = lane(options.workers);
  const quick = lane(1);
  const run = async <T>(task: AnalysisTask, transferList?: ArrayBuffer[], pool = heavy): Promise<T> => {
    const deadline = AbortSignal.timeout(options.deadlineMs);
    try {
      return (await pool.run(task, { signal: deadline, ...(transferList ? { transferList } : {}) })) as T;
    } catch (error) {
      if (deadline.aborted) throw new JudgeTimeoutError(options.deadlineMs);
      if ((error as { code?: unknown })?.code === 'ERR_WORKER_OUT_OF_MEMORY') throw new JudgeMemoryError(options.heapMb);
      throw error;
    }
  };
  // Every worker loads the judge before the first request: its start is not a request's deadline.
  const ready = Promise.all([...Array.from({ length: options.workers }, () => heavy.run({ task: 'warm' })), quick.run({ task: 'warm' })]).then(() => undefined);
  // A pool closed before its workers started rejects this; whoever awaits it hears of it.
  ready.catch(() => undefined);
  return {
    ready,
    judge: (input) => run<AnalysisResult>({ task: 'judge', input }, undefined, light(input) ? quick : heavy),
    render: (report) => run<string>({ task: 'render', report }, undefined, light({ metrics: (report.inputs ?? []).map(([, m]) => m) }) ? quick : heavy),
    body: (task) => {
      // The body's bytes move to the worker instead of being copied (a whole buffer of its own).
      const own = task.body.byteOffset === 0 && task.body.byteLength === task.body.buffer.byteLength ? task.body : task.body.slice();
      return run<BodyAnswer | TooLargeAnswer>({ task: 'body', body: own, html: task.html }, [own.buffer as ArrayBuffer]).then((answer) => refuseTooLarge(answer, options.heapMb));
    },
    close: async () => {
      await Promise.all([heavy.destroy(), quick.destroy()]);
    },
  };
}
