#!/usr/bin/env node
/**
 * `canary-judge plan request.json [--steps 1,10,50] [--step-minutes 10] ...`: before a rollout,
 * how long each step must run for this traffic to pass a healthy canary and fail a harmful one
 * (src/planner/plan.ts), from the stable version's history in Prometheus; exits 0 when the
 * Rollout's steps are long enough, 2 when they are not, 3 when no plan could be made.
 *
 * `canary-judge analyze request.json [--url URL] [--token TOKEN] [--json] [--html FILE]`: the same analysis
 * from a CI pipeline or a terminal. It judges in-process (with PROMETHEUS_URL and
 * PROFILES_FILE from the environment, as the service does) or asks a running service with
 * --url, prints the table of `?format=text` (or the JSON with --json), writes the HTML report
 * of `?format=html` with --html, and exits 0 pass,
 * 1 fail, 2 inconclusive, 3 when the request is invalid, the command line is wrong or no
 * verdict could be had. Every failure is one line on stderr, never a stack trace.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { analyzeRequestSchema } from './contracts/analyze-request';
import { closestKey } from './contracts/closest-key';
import { issuesFromZod, parseContract } from './contracts/problems';
import { RequestError, runAnalysisWithInputs } from './contracts/run-analysis';
import { htmlReport } from './report/html-report';
import { planPage } from './report/plan-section';
import { planForRequest, type PlanSettings } from './planner/plan-request';
import { planText } from './planner/plan-text';
import { parseDurationSeconds } from './contracts/time-window';
import { textReport } from './contracts/text-report';
import type { AnalysisResult, MetricInput } from './judge/types';
import { analysisDepsFromConfig } from './service/analysis-deps';
import { loadConfig } from './service/config';

const EXIT = { pass: 0, fail: 1, inconclusive: 2, error: 3 } as const;
const USAGE = `usage: canary-judge analyze <request.json | -> [--url URL] [--token TOKEN] [--json] [--html FILE]
       canary-judge plan <request.json | -> [--steps 1,10,50] [--step-minutes 10] [--history 3h] [--json] [--html FILE]

analyze:
  --url URL      ask a running service (http://host:8080, or host:8080) instead of judging here
  --token TOKEN  bearer token for --url (default: the AUTH_TOKEN environment variable)
  --json         print the JSON answer instead of the table
  --html FILE    also write the HTML report (plots and the table) to FILE
  exit codes: 0 pass, 1 fail, 2 inconclusive, 3 invalid request, wrong usage or no verdict

plan (the request's profile or metrics, margins, alpha and stable labels; PROMETHEUS_URL):
  --steps LIST           the canary's weights in percent, in order (default 1,10,50, as the shipped Rollout)
  --step-minutes N       how long each step runs in the Rollout (default 10: ten one-minute looks)
  --history DURATION     the stable's history to plan from (default 3h)
  --harm-errors X        the harmful canary's error rate, times the stable's (default 2)
  --harm-latency X       the harmful canary's latency, times the stable's (default 1.2)
  --pass-power P         share of healthy rollouts that must pass (default 0.8)
  --fail-power P         share of harmful rollouts that must fail (default 0.9)
  --runs N               simulated rollouts per setting (default 200)
  --json                 print the plan as JSON
  --html FILE            also write the plan as an HTML page to FILE
  exit codes: 0 the steps are long enough, 2 they are not, 3 invalid request, wrong usage or no plan

  -h, --help     print this help`;

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  html: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  steps: { type: 'string' },
  'step-minutes': { type: 'string' },
  history: { type: 'string' },
  'harm-errors': { type: 'string' },
  'harm-latency': { type: 'string' },
  'pass-power': { type: 'string' },
  'fail-power': { type: 'string' },
  runs: { type: 'string' },
} as const;
const PLAN_OPTIONS = ['steps', 'step-minutes', 'history', 'harm-errors', 'harm-latency', 'pass-power', 'fail-power', 'runs'] as const;

type Outcome = { analysis: AnalysisResult; inputs?: ReadonlyMap<string, MetricInput> } | { problem: string };

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError(argumentProblem(argv, error as Error & { code?: string }));
  }
  const { values, positionals } = args;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.pass;
  }
  const [command, file, ...extra] = positionals;
  if (command !== 'analyze' && command !== 'plan') return usageError(command === undefined ? 'no command given' : `unknown command ${JSON.stringify(command)}`);
  if (!file) return usageError('no request file given (a path, or - for stdin)');
  if (extra.length) return usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  if (values.html !== undefined && (values.html === '' || values.html.startsWith('-'))) return usageError(`--html needs a file name, got ${JSON.stringify(values.html)}`);
  if (command === 'plan') return planCommand(file, values);
  const misplaced = PLAN_OPTIONS.find((name) => values[name] !== undefined);
  if (misplaced) return usageError(`--${misplaced} applies only to the plan command`);
  const token = values.token ?? process.env.AUTH_TOKEN;
  if (values.token !== undefined && values.url === undefined) return usageError('--token applies only with --url');

  const body = readRequest(file);
  if ('problem' in body) return fail(body.problem);
  let target: URL | undefined;
  if (values.url !== undefined) {
    const parsed = serviceUrl(values.url);
    if ('problem' in parsed) return usageError(parsed.problem);
    target = parsed.url;
  }
  const result = target ? await askService(target, body.request, token || undefined) : await judgeHere(body.request);
  if ('problem' in result) return fail(result.problem);
  if (values.html !== undefined) {
    // The service's answer has no raw data: plot the inline metrics of the request, if any.
    const inputs = result.inputs ?? inlineInputs(body.request);
    try {
      fs.writeFileSync(values.html, await htmlReport({ result: result.analysis, inputs }));
    } catch (error) {
      return fail(`cannot write the HTML report to ${values.html}: ${oneLine((error as Error).message)}`);
    }
  }
  process.stdout.write(values.json ? `${JSON.stringify(result.analysis, null, 2)}\n` : textReport(result.analysis));
  return EXIT[result.analysis.verdict];
}

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

/** `plan`: the stable's history from Prometheus, the simulated rollouts, the table (or JSON) and the page. */
async function planCommand(file: string, values: Values): Promise<number> {
  if (values.url !== undefined || values.token !== undefined) return usageError('--url and --token apply only to the analyze command: the plan reads Prometheus itself (PROMETHEUS_URL)');
  const settings = planSettings(values);
  if ('problem' in settings) return usageError(settings.problem);
  const body = readRequest(file);
  if ('problem' in body) return fail(body.problem);
  const parsed = parseContract(analyzeRequestSchema, body.request);
  if (!parsed.success) return fail(describeIssues(issuesFromZod(parsed.error)));
  let plan;
  try {
    plan = await planForRequest(parsed.data, analysisDepsFromConfig(loadConfig()), settings.settings);
  } catch (error) {
    if (error instanceof RequestError) return fail(describeIssues(error.issues));
    return fail(`no plan: ${oneLine((error as Error).message)}`);
  }
  if (values.html !== undefined) {
    try {
      fs.writeFileSync(values.html, planPage(plan, { history: plan.history }));
    } catch (error) {
      return fail(`cannot write the HTML page to ${values.html}: ${oneLine((error as Error).message)}`);
    }
  }
  process.stdout.write(values.json ? `${JSON.stringify(plan, null, 2)}\n` : planText(plan));
  return plan.neededMinutesPerStep !== null && plan.neededMinutesPerStep <= plan.minutesPerStep ? EXIT.pass : EXIT.inconclusive;
}

/** The plan's flags, each checked: a typo or a nonsense value is a usage error, never a silent default. */
function planSettings(values: Values): { settings: PlanSettings } | { problem: string } {
  const number = (name: (typeof PLAN_OPTIONS)[number], fallback: number, ok: (x: number) => boolean, expected: string): number | string => {
    const text = values[name];
    if (text === undefined) return fallback;
    const x = Number(text);
    return text.trim() !== '' && Number.isFinite(x) && ok(x) ? x : `--${name} expects ${expected}, got ${JSON.stringify(text)}`;
  };
  const steps = (values.steps ?? '1,10,50').split(',').map((x) => Number(x.trim()));
  if (!steps.length || !steps.every((x) => Number.isFinite(x) && x > 0 && x < 100)) return { problem: `--steps expects weights in percent strictly between 0 and 100, comma-separated (e.g. 1,10,50), got ${JSON.stringify(values.steps)}` };
  const history = values.history === undefined ? 3 * 3600 : parseDurationSeconds(values.history);
  if (history === undefined || history < 600) return { problem: `--history expects a duration of at least 10m (e.g. 3h), got ${JSON.stringify(values.history)}` };
  const fields = {
    minutesPerStep: number('step-minutes', 10, (x) => Number.isInteger(x) && x >= 1 && x <= 240, 'a whole number of minutes from 1 to 240'),
    errorFactor: number('harm-errors', 2, (x) => x > 1, 'a factor above 1'),
    latencyFactor: number('harm-latency', 1.2, (x) => x > 1, 'a factor above 1'),
    pass: number('pass-power', 0.8, (x) => x > 0 && x < 1, 'a share strictly between 0 and 1'),
    fail: number('fail-power', 0.9, (x) => x > 0 && x < 1, 'a share strictly between 0 and 1'),
    runs: number('runs', 200, (x) => Number.isInteger(x) && x >= 10 && x <= 10_000, 'a whole number from 10 to 10000'),
  };
  const problem = Object.values(fields).find((v): v is string => typeof v === 'string');
  if (problem) return { problem };
  const f = fields as Record<keyof typeof fields, number>;
  return {
    settings: {
      steps: steps.map((x) => x / 100),
      minutesPerStep: f.minutesPerStep,
      historySeconds: history,
      harm: { errorFactor: f.errorFactor, latencyFactor: f.latencyFactor },
      power: { pass: f.pass, fail: f.fail },
      runs: f.runs,
    },
  };
}

/** The request file (or stdin) as JSON; an empty one is named as such, not as a parse error. */
function readRequest(file: string): { request: unknown } | { problem: string } {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    return { problem: `cannot read a JSON request from ${file}: ${oneLine((error as Error).message)}` };
  }
  if (text.trim() === '') return { problem: `the body is empty: ${file === '-' ? 'stdin' : file} holds no JSON request (examples/request.json shows one)` };
  try {
    return { request: JSON.parse(text) };
  } catch (error) {
    return { problem: `cannot read a JSON request from ${file}: ${oneLine((error as Error).message)}` };
  }
}

const FLAGS = Object.entries(OPTIONS).flatMap(([name, option]) => ['--' + name, ...('short' in option ? ['-' + option.short] : [])]);

/**
 * The command line's problem in our words: the unknown flag and the known one closest to it
 * ("unknown flag --jsn; did you mean --json?"), or the flag that lacks its value. parseArgs'
 * own sentences are meant for the programmer, not for the person at the terminal.
 */
export function argumentProblem(argv: readonly string[], error: Error & { code?: string }): string {
  const flags = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length).filter((a) => a.startsWith('-') && a !== '-');
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const unknown = flags.map((a) => a.split('=')[0]).find((a) => !FLAGS.includes(a)) ?? '';
    // Only long names are suggested: any one letter is one edit from any other.
    const long = FLAGS.filter((f) => f.startsWith('--'));
    const closest = unknown.startsWith('--') ? closestKey(unknown.slice(2), long.map((f) => f.slice(2))) : undefined;
    const given = JSON.stringify(unknown).slice(1, -1);
    return closest ? `unknown flag ${given}; did you mean --${closest}?` : `unknown flag ${given}; the flags are ${long.join(', ')}, -h`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = flags.find((a) => FLAGS.includes(a.split('=')[0]) && error.message.includes(a.split('=')[0]));
    if (flag) {
      const name = flag.split('=')[0];
      const option = OPTIONS[(name.startsWith('--') ? name.slice(2) : 'help') as keyof typeof OPTIONS];
      return option.type === 'string' ? `${name} needs a value` : `${name} takes no value`;
    }
  }
  return oneLine(error.message);
}

/** "127.0.0.1:8080" and "localhost:8080" mean http://...; the path defaults to /v1/analyze. */
function serviceUrl(given: string): { url: URL } | { problem: string } {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : `http://${given}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { problem: `--url ${JSON.stringify(given)} is not a URL (expected http://host:port or host:port)` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: `--url ${JSON.stringify(given)}: expected an http or https URL, got ${url.protocol.slice(0, -1)}` };
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/analyze';
  return { url };
}

async function judgeHere(body: unknown): Promise<Outcome> {
  const parsed = parseContract(analyzeRequestSchema, body);
  if (!parsed.success) return { problem: describeIssues(issuesFromZod(parsed.error)) };
  try {
    const { outcome, inputs } = await runAnalysisWithInputs(parsed.data, analysisDepsFromConfig(loadConfig()));
    return { analysis: outcome, inputs };
  } catch (error) {
    if (error instanceof RequestError) return { problem: describeIssues(error.issues) };
    return { problem: oneLine((error as Error).message) };
  }
}

async function askService(target: URL, body: unknown, token: string | undefined): Promise<Outcome> {
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message;
    return { problem: `cannot reach ${target.origin}: ${oneLine(cause ?? (error as Error).message)}` };
  }
  const answer = (await response.json().catch(() => null)) as { issues?: { path: string; message: string }[]; message?: string } | null;
  if (response.status !== 200 || !answer) {
    const detail = answer?.issues ? describeIssues(answer.issues) : oneLine(answer?.message ?? '');
    const hint = response.status === 401 ? (token ? ' (the token was refused)' : ' (give --token or set AUTH_TOKEN)') : '';
    return { problem: `the service answered HTTP ${response.status}${hint}${detail ? `: ${detail}` : ''}` };
  }
  return { analysis: withInfiniteBounds(answer as unknown as AnalysisResult) };
}

/** The data of a request's inline metrics, for the plots of a report judged by a service. */
function inlineInputs(body: unknown): ReadonlyMap<string, MetricInput> | undefined {
  const parsed = parseContract(analyzeRequestSchema, body);
  if (!parsed.success) return undefined;
  return new Map(parsed.data.metrics.flatMap((m) => (m.from === 'inline' ? [[m.metric.name, m.metric] as const] : [])));
}

/** JSON carries an unbounded side as null; the table wants it back as infinity. */
function withInfiniteBounds(result: AnalysisResult): AnalysisResult {
  const restore = <T extends { lower: number | null; upper: number | null }>(e: T): T => ({ ...e, lower: e.lower ?? -Infinity, upper: e.upper ?? Infinity });
  return { ...result, metrics: result.metrics.map((m) => ({ ...m, ...(m.effect ? { effect: restore(m.effect) } : {}), ...(m.effects ? { effects: m.effects.map(restore) } : {}) })) };
}

/** Every problem, on one line: "invalid request (2 problems): a: ...; b: ...". */
function describeIssues(issues: readonly { path: string; message: string }[]): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return `invalid request (${count}): ${issues.map((i) => `${i.path || 'body'}: ${oneLine(i.message)}`).join('; ')}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function fail(message: string): number {
  process.stderr.write(`canary-judge: ${message}\n`);
  return EXIT.error;
}

function usageError(message: string): number {
  process.stderr.write(`canary-judge: ${message}\n${USAGE}\n`);
  return EXIT.error;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`canary-judge: unexpected failure: ${oneLine(String((error as Error)?.message ?? error))}\n`);
    process.exit(EXIT.error);
  },
);
