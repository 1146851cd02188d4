/**
 * Labelled quality with delayed, biased-early labels (issue 25, item 1): how often the judge
 * fails or passes a canary's accuracy when labels arrive late, side by side with a naive judge
 * that reads the labels available now.
 *
 *   npm run bench:labels -- [--rollouts 300] [--seed S] [--scenario aa-easy-first,...] [--workers N]
 *
 * The rollout: 10,000 predictions per minute split 1 % (10 min) -> 10 % (10 min) -> 50 % (40 min),
 * one look per minute (60 looks), accuracy may drop by at most 0.5 pp (alpha 0.05, one metric).
 * Labels (bench/simulate/delayed-labels.ts): 70 % easy predictions (97 % right, labels in ~1 min
 * on average), 30 % hard (75 % right, ~4 min): 90.4 % accuracy; 97.8 % of a minute's predictions
 * are labelled 10 minutes after it.
 *
 * - `labelled`: src/judge/labelled-quality.ts on prediction intervals (each minute's predictions
 *   and their outcomes labelled by the look), labelDelay 10m, minLabelCoverage 0.95.
 * - `naive`: the same proportion judge on the labels as they arrive (interval i: the labels that
 *   came in minute i, whatever predictions they are for), what counters incremented at label time
 *   give (src/sources/prometheus/labelled-templates.ts, way 1).
 *
 * Columns: fails at any look (sticky: an A/A's false rollback rate, a harmful canary's power),
 * passes at the last look without a fail before, no decision, and the median look of the first
 * decision. The machine was shared with other work: the timings are indicative.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { analyze } from '../src/judge/analyze';
import type { CountInterval, MetricInput, Verdict } from '../src/judge/types';
import { normalSampler, seededRandom } from '../test/support/random';
import { LabelDraws, overallAccuracy, TYPICAL, type LabelModel, type MinuteLabels } from './simulate/delayed-labels';

const PREDICTIONS_PER_MINUTE = 10_000;
const STEPS = [
  { share: 0.01, minutes: 10 },
  { share: 0.1, minutes: 10 },
  { share: 0.5, minutes: 40 },
] as const;
const MINUTES = STEPS.reduce((n, s) => n + s.minutes, 0);
const MARGIN = 0.005;
const LABEL_DELAY_MINUTES = 10;
const MIN_COVERAGE = 0.95;

interface Scenario {
  readonly name: string;
  readonly what: string;
  readonly baseline: LabelModel;
  readonly canary: LabelModel;
  /** What the right verdict is. */
  readonly harmful: boolean;
}

const WRONG_FIRST: LabelModel = { ...TYPICAL, wrongDelayFactor: 0.2 };
/** The canary 1 pp worse, all of it on the hard predictions (whose labels come last). */
const HARD_WORSE: LabelModel = { ...TYPICAL, accuracy: { easy: TYPICAL.accuracy.easy, hard: TYPICAL.accuracy.hard - 0.01 / TYPICAL.hardShare } };
/** The canary 1 pp worse on every prediction. */
const ALL_WORSE: LabelModel = { ...TYPICAL, accuracy: { easy: TYPICAL.accuracy.easy - 0.01, hard: TYPICAL.accuracy.hard - 0.01 } };

const SCENARIOS: readonly Scenario[] = [
  { name: 'aa-easy-first', what: 'A/A; easy predictions are labelled first', baseline: TYPICAL, canary: TYPICAL, harmful: false },
  { name: 'aa-wrong-first', what: 'A/A; wrong predictions are labelled first (complaints: 5x faster)', baseline: WRONG_FIRST, canary: WRONG_FIRST, harmful: false },
  { name: 'drop-1pp-hard', what: 'canary -1 pp, all on the hard predictions; easy ones labelled first', baseline: TYPICAL, canary: HARD_WORSE, harmful: true },
  { name: 'drop-1pp-all', what: 'canary -1 pp on every prediction; easy ones labelled first', baseline: TYPICAL, canary: ALL_WORSE, harmful: true },
];

const JUDGES = ['labelled', 'naive'] as const;
type JudgeName = (typeof JUDGES)[number];

interface Tally {
  rollouts: number;
  failed: number;
  passedAtLast: number;
  undecided: number;
  firstDecisionLooks: number[];
  ms: number;
}

function shareAt(minute: number): number {
  let end = 0;
  for (const step of STEPS) if (minute < (end += step.minutes)) return step.share;
  return STEPS[STEPS.length - 1].share;
}

/** One rollout's predictions and label arrivals, per side and minute. */
function drawRollout(scenario: Scenario, uniform: () => number): { baseline: MinuteLabels[]; canary: MinuteLabels[] } {
  const draws = new LabelDraws(1, MINUTES, uniform, normalSampler(uniform));
  const baseline: MinuteLabels[] = [];
  const canary: MinuteLabels[] = [];
  for (let m = 0; m < MINUTES; m++) {
    const c = Math.round(PREDICTIONS_PER_MINUTE * shareAt(m));
    canary.push(draws.minute(c, scenario.canary));
    baseline.push(draws.minute(PREDICTIONS_PER_MINUTE - c, scenario.baseline));
  }
  return { baseline, canary };
}

/** Labels of minute m's predictions in by the end of minute `look` (slot j: arrived in minute m + j). */
function labelledBy(minute: MinuteLabels, slots: number): CountInterval {
  let events = 0;
  let total = 0;
  for (let j = 0; j < slots && j < minute.correct.length - 1; j++) (events += minute.correct[j]), (total += minute.correct[j] + minute.wrong[j]);
  return { events, total };
}

function side(intervals: CountInterval[]) {
  let events = 0;
  let total = 0;
  for (const i of intervals) (events += i.events), (total += i.total);
  return { events, total, intervals };
}

/** The labelled judge's metric at look `look` (minutes since the canary's start). */
function labelledMetric(data: { baseline: MinuteLabels[]; canary: MinuteLabels[] }, look: number): MetricInput {
  const intervals = (minutes: MinuteLabels[]) => minutes.slice(0, look).map((m, i) => labelledBy(m, look - i));
  return {
    name: 'accuracy',
    kind: 'proportion',
    direction: 'decrease',
    margin: { absolute: MARGIN },
    intervalSeconds: 60,
    labelled: {
      predictions: { baseline: data.baseline.slice(0, look).map((m) => m.predictions), canary: data.canary.slice(0, look).map((m) => m.predictions) },
      minCoverage: MIN_COVERAGE,
      delaySeconds: LABEL_DELAY_MINUTES * 60,
      ages: Array.from({ length: look }, (_, i) => (look - 1 - i) * 60),
    },
    baseline: side(intervals(data.baseline)),
    canary: side(intervals(data.canary)),
  };
}

/** The naive judge's metric: interval a holds the labels that arrived in minute a. */
function naiveMetric(data: { baseline: MinuteLabels[]; canary: MinuteLabels[] }, look: number): MetricInput {
  const arrivals = (minutes: MinuteLabels[]) =>
    Array.from({ length: look }, (_, a) => {
      let events = 0;
      let total = 0;
      for (let m = 0; m <= a; m++) (events += minutes[m].correct[a - m]), (total += minutes[m].correct[a - m] + minutes[m].wrong[a - m]);
      return { events, total };
    });
  return { name: 'accuracy', kind: 'proportion', direction: 'decrease', margin: { absolute: MARGIN }, intervalSeconds: 60, baseline: side(arrivals(data.baseline)), canary: side(arrivals(data.canary)) };
}

function runScenario(scenario: Scenario, rollouts: number, seed: number, worker: number, workers: number): Record<JudgeName, Tally> {
  const tallies = Object.fromEntries(JUDGES.map((j) => [j, { rollouts: 0, failed: 0, passedAtLast: 0, undecided: 0, firstDecisionLooks: [], ms: 0 }])) as unknown as Record<JudgeName, Tally>;
  const stream = SCENARIOS.indexOf(scenario);
  for (let r = worker; r < rollouts; r += workers) {
    const data = drawRollout(scenario, seededRandom((seed * 7919 + stream * 104729 + r * 15485863) >>> 0));
    for (const judge of JUDGES) {
      const tally = tallies[judge];
      const started = process.hrtime.bigint();
      let first: number | undefined;
      let failed = false;
      let last: Verdict = 'inconclusive';
      for (let look = 1; look <= MINUTES; look++) {
        const metric = judge === 'labelled' ? labelledMetric(data, look) : naiveMetric(data, look);
        const verdict = analyze({ metrics: [metric] }).metrics[0].verdict;
        if (verdict !== 'inconclusive' && first === undefined) first = look;
        if (verdict === 'fail') {
          failed = true;
          break;
        }
        last = verdict;
      }
      tally.ms += Number(process.hrtime.bigint() - started) / 1e6;
      tally.rollouts++;
      if (failed) tally.failed++;
      else if (last === 'pass') tally.passedAtLast++;
      else tally.undecided++;
      if (first !== undefined) tally.firstDecisionLooks.push(first);
    }
  }
  return tallies;
}

function merge(into: Record<JudgeName, Tally>, from: Record<JudgeName, Tally>): void {
  for (const judge of JUDGES) {
    const a = into[judge];
    const b = from[judge];
    a.rollouts += b.rollouts;
    a.failed += b.failed;
    a.passedAtLast += b.passedAtLast;
    a.undecided += b.undecided;
    a.firstDecisionLooks.push(...b.firstDecisionLooks);
    a.ms += b.ms;
  }
}

interface Options {
  rollouts: number;
  seed: number;
  scenarios: Scenario[];
  workers: number;
  worker?: number;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { rollouts: 300, seed: 20251207, scenarios: [...SCENARIOS], workers: Math.max(1, Math.min(2, os.cpus().length)) };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    const integer = () => {
      const n = Number(value());
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer`);
      return n;
    };
    switch (flag) {
      case '--rollouts':
        options.rollouts = Math.max(1, integer());
        break;
      case '--seed':
        options.seed = integer();
        break;
      case '--workers':
        options.workers = Math.max(1, integer());
        break;
      case '--worker':
        options.worker = integer();
        break;
      case '--scenario': {
        const names = value().split(',').filter(Boolean);
        const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
        if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
        options.scenarios = SCENARIOS.filter((s) => names.includes(s.name));
        break;
      }
      default:
        throw new Error(`unknown flag ${argv[i]}; flags: --rollouts N, --seed S, --scenario NAME[,NAME], --workers N`);
    }
  }
  options.workers = Math.min(options.workers, options.rollouts);
  return options;
}

async function inWorkers(options: Options, scenario: Scenario): Promise<Record<JudgeName, Tally>> {
  const total = runScenario(scenario, 0, options.seed, 0, 1);
  await Promise.all(
    Array.from({ length: options.workers }, (_, w) =>
      new Promise<void>((resolve, reject) => {
        const child = fork(process.argv[1], ['--rollouts', String(options.rollouts), '--seed', String(options.seed), '--scenario', scenario.name, '--workers', String(options.workers), '--worker', String(w)]);
        child.on('message', (message) => merge(total, message as Record<JudgeName, Tally>));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${w} exited with ${code}`))));
      }),
    ),
  );
  return total;
}

const pct = (k: number, n: number) => `${((100 * k) / Math.max(1, n)).toFixed(1)} %`;
/** 95 % Wilson interval of a share, for the table. */
function wilson(k: number, n: number): string {
  const z = 1.959964;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return `${(100 * Math.max(0, centre - half)).toFixed(1)}-${(100 * Math.min(1, centre + half)).toFixed(1)}`;
}
function median(xs: number[]): string {
  if (!xs.length) return '-';
  const s = [...xs].sort((a, b) => a - b);
  return String(s[Math.floor((s.length - 1) / 2)]);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.worker !== undefined) {
    const tallies = runScenario(options.scenarios[0], options.rollouts, options.seed, options.worker, options.workers);
    await new Promise<void>((resolve, reject) => process.send!(tallies, undefined, {}, (error) => (error ? reject(error) : resolve())));
    process.disconnect();
    return;
  }
  const started = process.hrtime.bigint();
  const cpus = os.cpus();
  console.log('# Labelled quality with delayed labels (`npm run bench:labels`)\n');
  console.log(
    `seed ${options.seed}, ${options.rollouts} rollouts per scenario, ${PREDICTIONS_PER_MINUTE.toLocaleString('en-US')} predictions/minute, canary ${STEPS.map((s) => `${s.share * 100} % for ${s.minutes} min`).join(' -> ')}, ` +
      `one look per minute (${MINUTES} looks); accuracy ${(overallAccuracy(TYPICAL) * 100).toFixed(1)} %, may drop by at most ${MARGIN * 100} pp; labelled: labelDelay ${LABEL_DELAY_MINUTES}m, minLabelCoverage ${MIN_COVERAGE}; ` +
      `${options.workers} worker process${options.workers > 1 ? 'es' : ''}; node ${process.version}, ${cpus[0]?.model ?? 'unknown cpu'} x ${cpus.length}\n`,
  );
  console.log('| scenario | judge | fails at any look | 95 % CI | passes (last look) | no decision | median first decisive look | ms per rollout |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const scenario of options.scenarios) {
    const tallies = options.workers > 1 ? await inWorkers(options, scenario) : runScenario(scenario, options.rollouts, options.seed, 0, 1);
    for (const judge of JUDGES) {
      const t = tallies[judge];
      console.log(`| ${scenario.name} | ${judge} | ${pct(t.failed, t.rollouts)} | ${wilson(t.failed, t.rollouts)} | ${pct(t.passedAtLast, t.rollouts)} | ${pct(t.undecided, t.rollouts)} | ${median(t.firstDecisionLooks)} | ${(t.ms / Math.max(1, t.rollouts)).toFixed(0)} |`);
    }
    process.stderr.write(`${scenario.name} done\n`);
  }
  console.log('\nScenarios:');
  for (const s of options.scenarios) console.log(`- ${s.name}: ${s.what} (${s.harmful ? 'harmful: should fail' : 'healthy: should not fail'}); baseline ${(overallAccuracy(s.baseline) * 100).toFixed(2)} %, canary ${(overallAccuracy(s.canary) * 100).toFixed(2)} %`);
  console.log(`\nwall time ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
