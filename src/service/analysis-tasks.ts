/**
 * The CPU-heavy work of an analysis, as tasks that run in a worker thread (analysis-pool.ts),
 * or in the calling thread when no pool is configured (tests, the CLI):
 * - `judge`: the statistics of one analysis (src/judge/analyze.ts);
 * - `render`: the HTML report (Vega renders every plot to SVG);
 * - `body`: a large `/v1/analyze` body from bytes to an answer: JSON.parse, the request schema
 *   and, when every metric carries its data inline, the judging and the page too, so that
 *   neither the 30 MB parse nor the data's clone ever runs on the event loop. A request that
 *   needs Prometheus comes back parsed (it is small: label selectors, no data).
 * Tasks and answers cross threads by structured clone: plain data only.
 */
import v8 from 'node:v8';
import { resourceLimits } from 'node:worker_threads';
import type { AnalyzeRequest } from '../contracts/analyze-request';
import { analyzeRequestSchema } from '../contracts/analyze-request';
import { issuesFromZod, parseContract, type Issue } from '../contracts/problems';
import { RequestError, runAnalysisWithInputs, type AnalysisOutcome } from '../contracts/run-analysis';
import { analyze } from '../judge/analyze';
import type { AnalysisInput, AnalysisResult, MetricInput } from '../judge/types';
import type { ReportInput } from '../report/html-report';
import { estimateParseBytes } from './parse-cost';

/** The report's input with its data as pairs (a Map clones, but pairs read the same everywhere). */
export type RenderTask = Omit<ReportInput, 'inputs'> & { readonly inputs?: readonly (readonly [string, MetricInput])[] };

export interface BodyTask {
  readonly body: Uint8Array;
  /** Render the page too, when the analysis is judged here. */
  readonly html: boolean;
}

export type BodyAnswer =
  | { readonly kind: 'malformed'; readonly message: string }
  | { readonly kind: 'invalid'; readonly issues: readonly Issue[] }
  /** Needs Prometheus (templates, a profile, traffic counts): the caller fetches and judges. */
  | { readonly kind: 'parsed'; readonly request: AnalyzeRequest; readonly raw?: unknown }
  | { readonly kind: 'judged'; readonly request: AnalyzeRequest; readonly outcome: AnalysisOutcome; readonly html?: string };

/** A body whose parse would not fit in this thread's free heap: refused before parsing (413). */
export interface TooLargeAnswer {
  readonly kind: 'too-large';
  readonly neededMb: number;
  readonly freeMb: number;
}

export type AnalysisTask = { readonly task: 'warm' } | { readonly task: 'judge'; readonly input: AnalysisInput } | { readonly task: 'render'; readonly report: RenderTask } | ({ readonly task: 'body' } & BodyTask);

export function judgeTask(input: AnalysisInput): AnalysisResult {
  return analyze(input);
}

export async function renderTask(report: RenderTask): Promise<string> {
  // Vega is loaded where a page is first rendered, not by every worker at start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { htmlReport } = require('../report/html-report') as typeof import('../report/html-report');
  return htmlReport({ ...report, inputs: report.inputs ? new Map(report.inputs) : undefined });
}

/** Whether the request reads Prometheus or a profile: then the event loop's side fetches and judges it. */
export function needsSource(request: AnalyzeRequest): boolean {
  return request.metrics.length === 0 || request.profile !== undefined || request.metrics.some((m) => m.from === 'template') || (request.expectedCanaryShare !== undefined && !request.traffic);
}

/**
 * The old-generation heap this thread may still use: a worker's cap (WORKER_HEAP_MB) less what
 * it holds, or V8's own limit on the main thread.
 */
function freeHeapBytes(): number {
  const stats = v8.getHeapStatistics();
  const capMb = resourceLimits.maxOldGenerationSizeMb;
  return (capMb ? capMb * 2 ** 20 : stats.heap_size_limit) - stats.used_heap_size;
}

/** A JSON body as body-parser reads it (an empty body is `{}`), then the request contract. */
export async function bodyTask({ body, html }: BodyTask): Promise<BodyAnswer | TooLargeAnswer> {
  // JSON.parse cannot be stopped once it runs: past the heap cap V8 aborts the whole process,
  // not just this worker (parse-cost.ts). So a body that would not fit is refused unparsed.
  const needed = estimateParseBytes(body);
  const free = freeHeapBytes();
  if (needed > free) return { kind: 'too-large', neededMb: Math.ceil(needed / 2 ** 20), freeMb: Math.floor(free / 2 ** 20) };
  let value: unknown;
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    value = text.length === 0 ? {} : JSON.parse(text);
  } catch (error) {
    return { kind: 'malformed', message: `malformed JSON: ${(error as Error).message}` };
  }
  const parsed = parseContract(analyzeRequestSchema, value);
  if (!parsed.success) return { kind: 'invalid', issues: issuesFromZod(parsed.error) };
  const request = parsed.data;
  // A Prometheus-backed request (no inline data, so small) keeps its JSON for the report link.
  if (needsSource(request)) return { kind: 'parsed', request, ...(request.metrics.every((m) => m.from === 'template') ? { raw: value } : {}) };
  try {
    // Inline data only: nothing here reads a profile, a source or the clock.
    const { outcome, inputs } = await runAnalysisWithInputs(request, { profiles: new Map(), deadlineMs: 0, defaultLookbackSeconds: 0, now: () => Date.now() / 1000 });
    const rollout = request.rollout;
    const page = html ? await renderTask({ result: outcome, inputs: [...inputs], subject: rollout && `${rollout.namespace}/${rollout.name}` }) : undefined;
    return { kind: 'judged', request, outcome, ...(page !== undefined ? { html: page } : {}) };
  } catch (error) {
    if (error instanceof RequestError) return { kind: 'invalid', issues: error.issues };
    throw error;
  }
}

export async function runTask(task: AnalysisTask): Promise<AnalysisResult | string | BodyAnswer | TooLargeAnswer | null> {
  switch (task.task) {
    case 'warm':
      // The modules are loaded with this file; a first small judgement compiles the hot paths.
      judgeTask({ metrics: [{ name: 'warm', kind: 'proportion', baseline: { events: 1, total: 100 }, canary: { events: 1, total: 100 } }] });
      return null;
    case 'judge':
      return judgeTask(task.input);
    case 'render':
      return renderTask(task.report);
    case 'body':
      return bodyTask(task);
  }
}
