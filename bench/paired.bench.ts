/**
 * `npm run bench:paired`: the paired shadow comparison (issue 25, item 2) over simulated shadow
 * steps (bench/simulate/shadow-pairs.ts), judged by the service's own analyze() once at the last
 * look of each step (every verdict is sticky, so a fail at any look counts).
 *
 * What it shows:
 * - A/A false fails with a NON-DETERMINISTIC v1 (v1 disagrees with itself): the disagreement
 *   judged against the noise floor keeps them at or below alpha, with the floor on the same
 *   requests (its disagreements go with v2's) or on others, also with a margin of 0, where an
 *   A/A sits on the boundary; judged without a floor the same margin fails nearly every A/A
 *   (v1's own noise is blamed on v2);
 * - power for a 1 pp accuracy drop: McNemar-style paired judging of the labelled pairs beside
 *   the SAME data judged UNPAIRED (two independent proportions, kind "proportion"), each
 *   anytime-valid over the timeline and, as a ceiling, fixed-sample at the last look only.
 *
 * Flags: --rollouts N (default 300 per scenario), --seed S, --workers N (processes, default 1:
 * the figures do not depend on it, rollout r always draws from its own seed), --requests N (per
 * interval, default 1000), --intervals N (default 30).
 */
import { fork } from 'node:child_process';
import { analyze } from '../src/judge/analyze';
import type { AnalysisInput, MetricInput, Verdict } from '../src/judge/types';
import { seededRandom } from '../test/support/random';
import { disagreements } from './simulate/agreement';
import { accuracyChange, pairedSides, simulateShadow, unpairedErrorSides, type ShadowModel, type ShadowWorld } from './simulate/shadow-pairs';

const ALPHA = 0.05;
/** The disagreement v1 and v2 may show beyond the floor, and the accuracy v2 may lose. */
const DISAGREEMENT_MARGIN = 0.01;
const ACCURACY_MARGIN = 0.0025;

/** v1: 90 % right on 5 classes, every answer another class 1 % of the time (so ~2 % disagreement with itself). */
const V1: ShadowModel = { accuracy: 0.9, classes: 5, noise: 0.01, breaks: 0, fixes: 0 };

interface Scenario {
  readonly name: string;
  readonly what: string;
  readonly model: ShadowModel;
  readonly floor: ShadowWorld['floor'];
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'aa-nondeterministic', what: 'v2 = v1 (A/A), both non-deterministic; the floor on the same requests (three-way mirror)', model: V1, floor: 'same' },
  { name: 'aa-separate-floor', what: 'the same A/A, the floor measured on other requests', model: V1, floor: 'separate' },
  // v2 changes 4.4 % of v1's latent answers: breaks 3 % of its right ones, fixes 17 % of its wrong ones: -1 pp net.
  { name: 'accuracy-minus-1pp', what: 'v2 loses 1 pp of accuracy (changes 4.4 % of answers: -2.7 pp, +1.7 pp)', model: { ...V1, breaks: 0.03, fixes: 0.17 }, floor: 'same' },
];

interface Method {
  readonly name: string;
  /** Counted as harm found in the harmful scenario, as a false rollback in an A/A. */
  readonly metric: (sides: ReturnType<typeof pairedSides>, unpaired: ReturnType<typeof unpairedErrorSides>) => MetricInput;
  readonly evidence: 'anytime-valid' | 'fixed-sample';
}

const METHODS: readonly Method[] = [
  {
    name: 'disagreement, noise floor (paired)',
    evidence: 'anytime-valid',
    metric: (s) => ({ name: 'm', kind: 'paired', noiseFloor: true, margin: { absolute: DISAGREEMENT_MARGIN }, ...s }),
  },
  {
    // An A/A sits exactly on this boundary: the hardest test of the false-fail rate.
    name: 'disagreement, noise floor, margin 0 (the boundary)',
    evidence: 'anytime-valid',
    metric: (s) => ({ name: 'm', kind: 'paired', noiseFloor: true, margin: { absolute: 0 }, ...s }),
  },
  {
    name: 'disagreement, no floor (paired)',
    evidence: 'anytime-valid',
    metric: (s) => ({ name: 'm', kind: 'paired', noiseFloor: false, margin: { absolute: DISAGREEMENT_MARGIN }, canary: s.canary, baseline: { counts: [], intervals: s.canary.intervals!.map(() => ({ counts: [] })) } }),
  },
  {
    name: 'accuracy, McNemar (paired)',
    evidence: 'anytime-valid',
    metric: (s) => ({ name: 'm', kind: 'paired', noiseFloor: true, accuracyMargin: ACCURACY_MARGIN, ...s }),
  },
  {
    name: 'accuracy, McNemar, margin 0 (the boundary)',
    evidence: 'anytime-valid',
    metric: (s) => ({ name: 'm', kind: 'paired', noiseFloor: true, accuracyMargin: 0, ...s }),
  },
  {
    name: 'accuracy, two proportions (unpaired)',
    evidence: 'anytime-valid',
    metric: (_s, u) => ({ name: 'm', kind: 'proportion', direction: 'increase', margin: { absolute: ACCURACY_MARGIN }, ...u }),
  },
  {
    name: 'accuracy, McNemar, last look fixed-sample',
    evidence: 'fixed-sample',
    metric: (s) => ({ name: 'm', kind: 'paired', noiseFloor: true, accuracyMargin: ACCURACY_MARGIN, ...s }),
  },
  {
    name: 'accuracy, two proportions, last look fixed-sample',
    evidence: 'fixed-sample',
    metric: (_s, u) => ({ name: 'm', kind: 'proportion', direction: 'increase', margin: { absolute: ACCURACY_MARGIN }, ...u }),
  },
];

interface Tally {
  fail: number;
  pass: number;
  inconclusive: number;
  /** Sum of the deciding interval over decided rollouts. */
  decidedAt: number;
  decided: number;
  disagreements: number;
  ms: number;
}

interface Options {
  readonly rollouts: number;
  readonly seed: number;
  readonly workers: number;
  readonly worker?: number;
  readonly requests: number;
  readonly intervals: number;
}

function parse(argv: readonly string[]): Options {
  const options = { rollouts: 300, seed: 20250125, workers: 1, worker: undefined as number | undefined, requests: 1000, intervals: 30 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} needs a whole number`);
    switch (flag) {
      case '--rollouts':
        options.rollouts = value;
        break;
      case '--seed':
        options.seed = value;
        break;
      case '--workers':
        options.workers = Math.max(1, value);
        break;
      case '--worker':
        options.worker = value;
        break;
      case '--requests':
        options.requests = value;
        break;
      case '--intervals':
        options.intervals = value;
        break;
      default:
        throw new Error(`unknown flag ${flag}; flags: --rollouts N, --seed S, --workers N, --requests N, --intervals N`);
    }
  }
  return options;
}

const empty = (): Tally => ({ fail: 0, pass: 0, inconclusive: 0, decidedAt: 0, decided: 0, disagreements: 0, ms: 0 });

/** The rollouts r of every scenario with r % workers === worker: tallies by scenario and method. */
function run(options: Options): Record<string, Record<string, Tally>> {
  const out: Record<string, Record<string, Tally>> = {};
  SCENARIOS.forEach((scenario, s) => {
    const tallies: Record<string, Tally> = Object.fromEntries(METHODS.map((m) => [m.name, empty()]));
    for (let r = options.worker ?? 0; r < options.rollouts; r += options.workers) {
      const world: ShadowWorld = { model: scenario.model, requestsPerInterval: options.requests, intervals: options.intervals, labelRate: 0.5, floor: scenario.floor };
      const intervals = simulateShadow(world, seededRandom(options.seed + 7919 * s + 104729 * r));
      const sides = pairedSides(intervals);
      const unpaired = unpairedErrorSides(intervals);
      for (const method of METHODS) {
        const input: AnalysisInput = { alpha: ALPHA, evidence: method.evidence, metrics: [method.metric(sides, unpaired)] };
        const started = performance.now();
        const result = analyze(input);
        const t = tallies[method.name];
        t.ms += performance.now() - started;
        const metric = result.metrics[0];
        t[metric.verdict as Verdict]++;
        if (metric.verdict !== 'inconclusive' && metric.decidedAt !== undefined) (t.decidedAt += metric.decidedAt), t.decided++;
        if (disagreements(result).length) t.disagreements++;
      }
    }
    out[scenario.name] = tallies;
  });
  return out;
}

function merge(into: Record<string, Record<string, Tally>>, from: Record<string, Record<string, Tally>>): void {
  for (const [scenario, methods] of Object.entries(from)) {
    for (const [method, t] of Object.entries(methods)) {
      const x = ((into[scenario] ??= {})[method] ??= empty());
      for (const key of Object.keys(t) as (keyof Tally)[]) x[key] += t[key];
    }
  }
}

async function inWorkers(options: Options): Promise<Record<string, Record<string, Tally>>> {
  const args = ['--rollouts', String(options.rollouts), '--seed', String(options.seed), '--workers', String(options.workers), '--requests', String(options.requests), '--intervals', String(options.intervals)];
  const parts = await Promise.all(
    Array.from({ length: options.workers }, (_, w) =>
      new Promise<Record<string, Record<string, Tally>>>((resolve, reject) => {
        const child = fork(__filename, [...args, '--worker', String(w)], { execArgv: process.execArgv, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
        let text = '';
        child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`worker ${w} exited with ${code}`))));
      }),
    ),
  );
  const out: Record<string, Record<string, Tally>> = {};
  for (const part of parts) merge(out, part);
  return out;
}

const pct = (x: number, n: number) => (n > 0 ? `${((100 * x) / n).toFixed(1)} %` : '-');

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  if (options.worker !== undefined) {
    process.stdout.write(JSON.stringify(run(options)));
    return;
  }
  const started = performance.now();
  const results = options.workers > 1 ? await inWorkers(options) : run(options);
  console.log(`Paired shadow comparison: ${options.rollouts} rollouts per scenario, ${options.intervals} intervals of ${options.requests} requests, half of them labelled; alpha ${ALPHA}`);
  console.log(`margins: disagreement +${DISAGREEMENT_MARGIN * 100} pp beyond the floor, accuracy -${ACCURACY_MARGIN * 100} pp; v1 ${V1.accuracy * 100} % right on ${V1.classes} classes, ${V1.noise * 100} % of answers non-deterministic\n`);
  for (const scenario of SCENARIOS) {
    console.log(`### ${scenario.name}: ${scenario.what} (v2 - v1 accuracy ${(accuracyChange(scenario.model) * 100).toFixed(2)} pp)`);
    console.log('| method | fail | pass | inconclusive | mean deciding interval | numbers disagreeing with the verdict | ms per analysis |');
    console.log('|---|---|---|---|---|---|---|');
    for (const method of METHODS) {
      const t = results[scenario.name][method.name];
      const n = t.fail + t.pass + t.inconclusive;
      console.log(`| ${method.name} | ${pct(t.fail, n)} | ${pct(t.pass, n)} | ${pct(t.inconclusive, n)} | ${t.decided ? (t.decidedAt / t.decided).toFixed(1) : '-'} | ${t.disagreements} | ${(t.ms / Math.max(1, n)).toFixed(1)} |`);
    }
    console.log('');
  }
  console.log(`wall time ${((performance.now() - started) / 1000).toFixed(1)} s with ${options.workers} worker process${options.workers > 1 ? 'es' : ''}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
