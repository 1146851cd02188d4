/**
 * Segments (src/judge/segments.ts) over simulated rollouts: how often a healthy canary is failed
 * when its error rate is judged per tenant (k = 2, 5, 20 tenants; the budget alpha / k per
 * tenant), and how often one tenant with 4x the errors and 10 % of the traffic is caught, per
 * segment and, on the same data, unsegmented (the tenants pooled). Per segment twice: a pass
 * needing the segments that hold 90 % of each side's traffic (the default) and 50 %.
 *
 *   npm run bench:segments [-- --rollouts 200 --seed 20261206 --workers 1 --scenario aa-k5,bad-k5]
 *
 * Each rollout is bench/simulate/segments.ts's: 21 one-minute looks at 10,000 requests a minute,
 * the canary's share 1 % -> 10 % -> 50 % (7 minutes each), tenants with Zipf-like shares and
 * error rates from 0.2 % to 2 %. The judge sees the whole timeline once: its verdicts are sticky
 * (a fail at any look stands), so "failed" is "failed at some look of the rollout". One metric,
 * alpha 0.05, anytime-valid evidence, default margins (1.5x or +0.1 pp).
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { analyze } from '../src/judge/analyze';
import { pooledSides } from '../src/judge/segment-pooling';
import type { CountSide, MetricInput, Segment } from '../src/judge/types';
import { segmentedRollout, tenants, withOneBad, type Tenant } from './simulate/segments';

interface Scenario {
  readonly name: string;
  readonly role: 'healthy' | 'harmful';
  readonly what: string;
  readonly tenants: readonly Tenant[];
}

const tilted = (list: readonly Tenant[]): Tenant[] => list.map((t, i) => ({ ...t, canaryTilt: i === 0 ? 1.6 : 0.6 }));

const SCENARIOS: Scenario[] = [
  { name: 'aa-k2', role: 'healthy', what: '2 tenants, none changed', tenants: tenants(2) },
  { name: 'aa-k5', role: 'healthy', what: '5 tenants, none changed', tenants: tenants(5) },
  { name: 'aa-k20', role: 'healthy', what: '20 tenants, none changed', tenants: tenants(20) },
  { name: 'aa-k5-tilted', role: 'healthy', what: '5 tenants, none changed; the cleanest tenant gets 1.6x the canary share, the others 0.6x', tenants: tilted(tenants(5)) },
  { name: 'bad-k2', role: 'harmful', what: '2 tenants; one with 10 % of the traffic has 4x the errors (0.5 % -> 2 %)', tenants: withOneBad(tenants(2), 1, 0.1, 4) },
  { name: 'bad-k5', role: 'harmful', what: '5 tenants; one with 10 % of the traffic has 4x the errors (0.5 % -> 2 %)', tenants: withOneBad(tenants(5), 3, 0.1, 4) },
  { name: 'bad-k20', role: 'harmful', what: '20 tenants; one with 10 % of the traffic has 4x the errors (0.5 % -> 2 %)', tenants: withOneBad(tenants(20), 7, 0.1, 4) },
];

interface Outcome {
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  readonly decidedAt?: number;
  readonly ms: number;
}
interface RolloutResult {
  readonly scenario: string;
  readonly segmented: Outcome;
  /** The same, a pass needing only the segments holding half of each side's traffic. */
  readonly halfCoverage: Outcome;
  readonly unsegmented: Outcome;
}

function judge(metric: MetricInput): Outcome {
  const started = performance.now();
  const result = analyze({ metrics: [metric] }).metrics[0];
  return { verdict: result.verdict, ...(result.decidedAt !== undefined ? { decidedAt: result.decidedAt } : {}), ms: performance.now() - started };
}

function runRollout(scenario: Scenario, seed: number): RolloutResult {
  const segments: Segment<CountSide>[] = segmentedRollout(scenario.tenants, seed);
  const pooled = pooledSides<Extract<MetricInput, { kind: 'proportion' }>>('proportion', segments);
  return {
    scenario: scenario.name,
    segmented: judge({ name: 'errors', kind: 'proportion', segmentBy: 'tenant', segments, ...pooled }),
    halfCoverage: judge({ name: 'errors', kind: 'proportion', segmentBy: 'tenant', segments, segmentCoverage: 0.5, ...pooled }),
    unsegmented: judge({ name: 'errors', kind: 'proportion', ...pooled }),
  };
}

interface Options {
  rollouts: number;
  seed: number;
  workers: number;
  scenarios: Scenario[];
  worker?: number;
}

function parse(argv: string[]): Options {
  const options: Options = { rollouts: 200, seed: 20261206, workers: Math.max(1, Math.min(4, os.cpus().length)), scenarios: SCENARIOS };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    switch (argv[i]) {
      case '--rollouts':
        options.rollouts = Number(value());
        break;
      case '--seed':
        options.seed = Number(value());
        break;
      case '--workers':
        options.workers = Number(value());
        break;
      case '--worker':
        options.worker = Number(value());
        break;
      case '--scenario': {
        const names = value().split(',');
        const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
        if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
        options.scenarios = SCENARIOS.filter((s) => names.includes(s.name));
        break;
      }
      default:
        throw new Error(`unknown flag ${argv[i]}; flags: --rollouts N, --seed S, --workers N, --scenario a,b`);
    }
  }
  for (const [flag, n] of [['--rollouts', options.rollouts], ['--workers', options.workers]] as const) if (!(Number.isInteger(n) && n >= 1)) throw new Error(`${flag} must be a positive integer`);
  return options;
}

/** The rollouts r with r % workers === worker, of every scenario (seeds per scenario and rollout, so figures do not depend on the workers). */
function runShare(options: Options, worker: number, workers: number): RolloutResult[] {
  const out: RolloutResult[] = [];
  options.scenarios.forEach((scenario) => {
    const stream = SCENARIOS.indexOf(scenario);
    for (let r = worker; r < options.rollouts; r += workers) out.push(runRollout(scenario, options.seed + 100_003 * stream + r));
  });
  return out;
}

async function runAll(options: Options): Promise<RolloutResult[]> {
  if (options.workers === 1) return runShare(options, 0, 1);
  const flags = ['--rollouts', String(options.rollouts), '--seed', String(options.seed), '--workers', String(options.workers), '--scenario', options.scenarios.map((s) => s.name).join(',')];
  const shares = await Promise.all(
    Array.from({ length: options.workers }, (_, w) => new Promise<RolloutResult[]>((resolve, reject) => {
      const child = fork(process.argv[1], [...flags, '--worker', String(w)], { execArgv: process.execArgv });
      child.once('message', (results) => resolve(results as RolloutResult[]));
      child.once('error', reject);
      child.once('exit', (code) => code !== 0 && reject(new Error(`worker ${w} exited with ${code}`)));
    })),
  );
  return shares.flat();
}

const pct = (k: number, n: number) => (n ? ((100 * k) / n).toFixed(1) : '-');
const median = (xs: number[]) => {
  if (!xs.length) return '-';
  const s = [...xs].sort((a, b) => a - b);
  return String(s[Math.floor((s.length - 1) / 2)]);
};

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

function report(options: Options, results: RolloutResult[], wallMs: number): string {
  const rows = [['scenario', 'role', 'judged', 'rollouts', 'failed at some look %', 'that is', 'pass at look 21 %', 'median look of the fail', 'ms per analysis (mean)']];
  for (const scenario of options.scenarios) {
    const mine = results.filter((r) => r.scenario === scenario.name);
    for (const how of ['segmented', 'halfCoverage', 'unsegmented'] as const) {
      const outcomes = mine.map((r) => r[how]);
      const fails = outcomes.filter((o) => o.verdict === 'fail');
      rows.push([
        scenario.name,
        scenario.role,
        how === 'unsegmented' ? 'pooled' : `per tenant (alpha / ${scenario.tenants.length} each), coverage ${how === 'segmented' ? '0.9' : '0.5'}`,
        String(outcomes.length),
        pct(fails.length, outcomes.length),
        scenario.role === 'healthy' ? 'false fail' : 'detection',
        pct(outcomes.filter((o) => o.verdict === 'pass').length, outcomes.length),
        median(fails.flatMap((o) => (o.decidedAt !== undefined ? [o.decidedAt] : []))),
        (outcomes.reduce((s, o) => s + o.ms, 0) / Math.max(1, outcomes.length)).toFixed(1),
      ]);
    }
  }
  const scenarios = table([['scenario', 'role', 'the canary'], ...options.scenarios.map((s) => [s.name, s.role, s.what])]);
  return [
    `seed ${options.seed}, ${options.rollouts} rollouts per scenario, 21 looks (7 per step at canary share 1 % -> 10 % -> 50 %), 10,000 requests/minute; one error-rate metric, alpha 0.05, anytime-valid, default margins (1.5x or +0.1 pp)`,
    `node ${process.version}, ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'} x ${os.cpus().length}, ${options.workers} worker${options.workers > 1 ? 's' : ''}; wall time ${(wallMs / 1000).toFixed(1)} s`,
    '',
    scenarios,
    '',
    table(rows),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  if (options.worker !== undefined) {
    const results = runShare(options, options.worker, options.workers);
    process.send!(results, () => process.exit(0));
    return;
  }
  const started = performance.now();
  const results = await runAll(options);
  process.stdout.write(report(options, results, performance.now() - started));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
