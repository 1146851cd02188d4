/**
 * The judge off the event loop: a pool of worker threads (piscina) runs every CPU-heavy task of
 * an analysis (analysis-tasks.ts), so `/healthz`, `/readyz`, `/metrics` and small analyses keep
 * answering within milliseconds while the heaviest allowed requests are judged.
 *
 * - Each task has a deadline (`JUDGE_DEADLINE_MS`): past it the worker is terminated (the only
 *   way to stop synchronous code) and replaced, and the analysis answers 503, never a verdict.
 * - Each worker's heap is capped (`WORKER_HEAP_MB`): a request that needs more ends its worker,
 *   not the process, and is answered 413.
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
import { bodyTask, judgeTask, renderTask, type AnalysisTask, type BodyAnswer, type BodyTask, type RenderTask } from './analysis-tasks';

/** What the routes ask of the pool, or of the calling thread when there is none. */
export interface AnalysisRunner {
  judge(input: AnalysisInput): Promise<AnalysisResult>;
  render(report: RenderTask): Promise<string>;
  body(task: BodyTask): Promise<BodyAnswer>;
  close(): Promise<void>;
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
  constructor(readonly heapMb: number) {
    super(`the analysis needs more memory than a judge worker has (${heapMb} MB, WORKER_HEAP_MB): send less data`);
    this.name = 'JudgeMemoryError';
  }
}

export const inProcessAnalysis: AnalysisRunner = {
  judge: async (input) => judgeTask(input),
  render: (report) => renderTask(report),
  body: (task) => bodyTask(task),
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

export function createAnalysisPool(options: AnalysisPoolOptions): AnalysisRunner {
  const entry = workerEntry();
  const pool = new Piscina<AnalysisTask, unknown>({
    filename: entry.filename,
    execArgv: entry.execArgv.filter((arg) => !arg.startsWith('--inspect') && !arg.startsWith('--cpu-prof')),
    minThreads: options.workers,
    maxThreads: options.workers,
    // Idle workers stay: starting one costs a module load and the first analysis' warm-up.
    idleTimeout: Number.MAX_SAFE_INTEGER,
    resourceLimits: { maxOldGenerationSizeMb: options.heapMb },
  });
  const run = async <T>(task: AnalysisTask, transferList?: ArrayBuffer[]): Promise<T> => {
    const deadline = AbortSignal.timeout(options.deadlineMs);
    try {
      return (await pool.run(task, { signal: deadline, ...(transferList ? { transferList } : {}) })) as T;
    } catch (error) {
      if (deadline.aborted) throw new JudgeTimeoutError(options.deadlineMs);
      if ((error as { code?: unknown })?.code === 'ERR_WORKER_OUT_OF_MEMORY') throw new JudgeMemoryError(options.heapMb);
      throw error;
    }
  };
  return {
    judge: (input) => run<AnalysisResult>({ task: 'judge', input }),
    render: (report) => run<string>({ task: 'render', report }),
    body: (task) => {
      // The body's bytes move to the worker instead of being copied (a whole buffer of its own).
      const own = task.body.byteOffset === 0 && task.body.byteLength === task.body.buffer.byteLength ? task.body : task.body.slice();
      return run<BodyAnswer>({ task: 'body', body: own, html: task.html }, [own.buffer as ArrayBuffer]);
    },
    close: () => pool.destroy(),
  };
}
