#!/usr/bin/env node
/**
 * `canary-judge analyze request.json [--url URL] [--json]`: the same analysis from a CI
 * pipeline or a terminal. It judges in-process (with PROMETHEUS_URL and PROFILES_FILE from the
 * environment, as the service does) or asks a running service with --url, prints the table
 * of `?format=text` (or the JSON with --json), and exits 0 pass, 1 fail, 2 inconclusive,
 * 3 when the request is invalid or no verdict could be had.
 */
import fs from 'node:fs';
import { analyzeRequestSchema } from './contracts/analyze-request';
import { issuesFromZod, parseContract } from './contracts/problems';
import { RequestError, runAnalysis } from './contracts/run-analysis';
import { textReport } from './contracts/text-report';
import type { AnalysisResult } from './judge/types';
import { analysisDepsFromConfig } from './service/analysis-deps';
import { loadConfig } from './service/config';

const EXIT = { pass: 0, fail: 1, inconclusive: 2, error: 3 } as const;
const USAGE = 'usage: canary-judge analyze <request.json | -> [--url http://host:8080] [--json]';

async function main(argv: string[]): Promise<number> {
  const [command, file, ...rest] = argv;
  const url = optionValue(rest, '--url');
  const asJson = rest.includes('--json');
  if (command !== 'analyze' || !file || (rest.includes('--url') && !url)) return fail(USAGE);
  let body: unknown;
  try {
    body = JSON.parse(fs.readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (error) {
    return fail(`cannot read a JSON request from ${file}: ${(error as Error).message}`);
  }
  const result = url ? await askService(url, body) : await judgeHere(body);
  if ('problem' in result) return fail(result.problem);
  process.stdout.write(asJson ? `${JSON.stringify(result.analysis, null, 2)}\n` : textReport(result.analysis));
  return EXIT[result.analysis.verdict];
}

async function judgeHere(body: unknown): Promise<{ analysis: AnalysisResult } | { problem: string }> {
  const parsed = parseContract(analyzeRequestSchema, body);
  if (!parsed.success) return { problem: describeIssues(issuesFromZod(parsed.error)) };
  try {
    return { analysis: await runAnalysis(parsed.data, analysisDepsFromConfig(loadConfig())) };
  } catch (error) {
    if (error instanceof RequestError) return { problem: describeIssues(error.issues) };
    return { problem: (error as Error).message };
  }
}

async function askService(url: string, body: unknown): Promise<{ analysis: AnalysisResult } | { problem: string }> {
  const target = new URL(url);
  if (target.pathname === '/' || target.pathname === '') target.pathname = '/v1/analyze';
  let response: Response;
  try {
    response = await fetch(target, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    return { problem: `cannot reach ${target.origin}: ${(error as Error).message}` };
  }
  const answer = (await response.json().catch(() => null)) as { issues?: { path: string; message: string }[]; message?: string } | null;
  if (response.status !== 200 || !answer) {
    const issues = answer?.issues ? describeIssues(answer.issues) : (answer?.message ?? '');
    return { problem: `the service answered HTTP ${response.status}${issues ? `: ${issues}` : ''}` };
  }
  return { analysis: withInfiniteBounds(answer as unknown as AnalysisResult) };
}

/** JSON carries an unbounded side as null; the table wants it back as infinity. */
function withInfiniteBounds(result: AnalysisResult): AnalysisResult {
  const restore = <T extends { lower: number | null; upper: number | null }>(e: T): T => ({ ...e, lower: e.lower ?? -Infinity, upper: e.upper ?? Infinity });
  return { ...result, metrics: result.metrics.map((m) => ({ ...m, ...(m.effect ? { effect: restore(m.effect) } : {}), ...(m.effects ? { effects: m.effects.map(restore) } : {}) })) };
}

function describeIssues(issues: readonly { path: string; message: string }[]): string {
  return `invalid request:\n${issues.map((i) => `  ${i.path || '(body)'}: ${i.message}`).join('\n')}`;
}

function optionValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return EXIT.error;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(EXIT.error);
  },
);
