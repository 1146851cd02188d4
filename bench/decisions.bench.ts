/**
 * `npm run bench:decisions`: false rollbacks, detection and time to a decision over simulated
 * rollouts, canary-judge beside Kayenta-style repeated classic tests and Flagger-style
 * absolute thresholds. Seeded and reproducible. Also, for canary-judge (cumulative and
 * timeline): the efficiency ratio (share decided correctly by the last look over that of one
 * fixed-sample test on all the data at look 21) and the error of the time-to-decision
 * projections (projected look against the look where the metric was decided).
 *
 * Flags: --rollouts N (default 1000), --seed S (default 20240601), --scenario NAME (repeatable
 * or comma-separated; default all), --evidence anytime-valid|fixed-sample (canary-judge's
 * bounds; default anytime-valid, what the service uses; `--scenario histograms` runs the
 * histogram set of bench/simulate/histogram-scenarios.ts, `--scenario means` the mean set of
 * bench/simulate/mean-scenarios.ts), --workers N (processes; default the
 * number of CPUs, at most 4). Rollout r of a scenario always draws from the same seed, so the
 * figures do not depend on the number of workers.
 *
 * See bench/simulate/rollout.ts for the traffic, steps and scenarios, methods.ts for the three
 * deciders, binomial.ts for how the data are drawn.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { anytimeValidEvidence } from '../src/judge/anytime-evidence';
import { fixedSampleEvidence, type Evidence } from '../src/judge/evidence';
import { quantile } from '../src/stats/quantile';
import { fromBuckets } from '../src/stats/weighted-sample';
import { normalSampler, seededRandom } from '../test/support/random';
import { analyze } from '../src/judge/analyze';
import { canaryJudge, canaryJudgeMetrics, flaggerStyle, kayentaStyle, METRIC_NAMES, type LookJudge, type LookProjection, type LookResult, type MetricName, type Method } from './simulate/methods';
import {
  BASELINE,
  canaryShareAt,
  FIRST_LOOK_OF_50_PERCENT_STEP,
  LAST_LOOK_OF_50_PERCENT_STEP,
  LATENCY_BOUNDS,
  latencyBoundsOf,
  latencyCdfOf,
  latencyQuantileOf,
  LOOKS,
  LOOKS_PER_STEP,
  modelsAt,
  probabilities,
  REQUESTS_PER_MINUTE,
  RolloutData,
  rolloutSeed,
  SCENARIOS,
  STEP_SHARES,
  type Scenario,
  type SideProbabilities,
} from './simulate/rollout';
import { median, Tally, type TallyData } from './simulate/tally';
import { countAgreement, mergeAgreement, type AgreementCounts } from './simulate/agreement';
import { HISTOGRAM_METHODS, HISTOGRAM_SCENARIOS, runHistogramScenario, thresholdFor, type HistogramMethod, type HistogramOutcome, type HistogramScenario } from './simulate/histogram-scenarios';
import { MEAN_LOOK_METHODS, MEAN_ROLLOUT_METHODS, MEAN_SCENARIOS, mergeMeanResults, runMeanScenario, TIMEOUT_MS, type MeanScenarioResult } from './simulate/mean-scenarios';

// ---------------------------------------------------------------- options

interface Options {
  rollouts: number;
  seed: number;
  scenarios: readonly Scenario[];
  evidence: Evidence;
  workers: number;
  /** Set in a worker process: it runs the rollouts r with r % workers === worker. */
  worker?: number;
  /** `--scenario histograms`: the histogram scenario set (coarse buckets, SLO threshold). */
  histograms: boolean;
  /** `--scenario means`: the mean scenario set (bench/simulate/mean-scenarios.ts). */
  means: boolean;
}

const HISTOGRAM_SET = 'histograms';
const MEAN_SET = 'means';

function parseOptions(argv: readonly string[]): Options {
  let rollouts = 1000;
  let seed = 20240601;
  const names: string[] = [];
  let evidence: Evidence = anytimeValidEvidence;
  let workers = Math.max(1, Math.min(4, os.cpus().length));
  let worker: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--rollouts':
        rollouts = positiveInteger(flag, value());
        break;
      case '--seed':
        seed = Number(value());
        if (!Number.isSafeInteger(seed)) throw new Error('--seed needs an integer');
        break;
      case '--scenario':
        names.push(...value().split(',').filter(Boolean));
        break;
      case '--evidence': {
        const name = value();
        if (name === 'anytime-valid') evidence = anytimeValidEvidence;
        else if (name === 'fixed-sample') evidence = fixedSampleEvidence;
        else throw new Error('--evidence is anytime-valid or fixed-sample');
        break;
      }
      case '--workers':
        workers = positiveInteger(flag, value());
        break;
      case '--worker':
        worker = Number(value());
        break;
      default:
        throw new Error(`unknown flag ${argv[i]}; flags: --rollouts N, --seed S, --scenario NAME, --evidence anytime-valid|fixed-sample, --workers N`);
    }
  }
  const histograms = names.includes(HISTOGRAM_SET);
  const means = names.includes(MEAN_SET);
  const unknown = names.filter((n) => n !== HISTOGRAM_SET && n !== MEAN_SET && !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}, ${HISTOGRAM_SET} (the histogram set), ${MEAN_SET} (the mean set)`);
  const scenarios = names.length ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS;
  return { rollouts, seed, scenarios, evidence, workers: Math.min(workers, rollouts), worker, histograms, means };
}

function positiveInteger(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer`);
  return n;
}

// ---------------------------------------------------------------- simulation

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

interface ScenarioRun {
  readonly scenario: Scenario;
  readonly tallies: ReadonlyMap<string, Tally>;
  dataMs: number;
  /** Time of the one fixed-sample judgement per rollout at the last look. */
  fixedSampleMs: number;
  /** Whether the fixed-sample judgement's numbers agree with its verdicts (./simulate/agreement.ts). */
  readonly fixedSampleAgreement: AgreementCounts;
}

/** One look of a canary-judge rollout, kept to score its projections afterwards. */
interface LookRecord {
  readonly look: number;
  readonly result: LookResult;
  /** The canary's requests in the look's minute: turns `moreCanary` into looks without a timeline. */
  readonly latestCanary: number;
}

/**
 * Scores every projection of a rollout: made at look L toward a decision in `moreIntervals`
 * looks (without a timeline: `moreCanary` over the latest minute's canary traffic, rounded up
 * as src/judge/projection.ts does), against the first later look where the metric was pass or
 * fail; censored when no later look (up to the rollback or look 21) decided it.
 */
function scoreProjections(history: readonly LookRecord[], tally: Tally, requestsPerMinute: number): void {
  for (let i = 0; i < history.length; i++) {
    const { look, result, latestCanary } = history[i];
    for (const [name, p] of Object.entries(result.projections ?? {}) as [MetricName, LookProjection][]) {
      if (result.metrics![name] !== 'inconclusive') continue;
      const more = p.moreIntervals ?? (latestCanary > 0 ? Math.max(1, Math.ceil(p.moreCanary / latestCanary)) : undefined);
      if (more === undefined) continue;
      const decided = history.slice(i + 1).find((h) => h.result.metrics![name] !== 'inconclusive')?.look;
      const scores = tally.projections[name];
      if (decided === undefined) {
        scores.censored++;
        continue;
      }
      const error = look + more - decided;
      scores.signed.push(error);
      scores.relative.push(Math.abs(error) / (decided - look));
      // The same projection read against the steps to come: the first look by which the
      // canary has served moreCanary more requests.
      let served = 0;
      let scheduled = look;
      while (served < p.moreCanary && scheduled < look + 1000) served += Math.round(requestsPerMinute * canaryShareAt(++scheduled));
      scores.scheduledSigned.push(scheduled - decided);
      scores.scheduledRelative.push(Math.abs(scheduled - decided) / (decided - look));
    }
  }
}

function runScenario(scenario: Scenario, methods: readonly Method[], options: Options): ScenarioRun {
  const bounds = latencyBoundsOf(scenario);
  const baseline = probabilities(scenario.baseline ?? BASELINE, bounds);
  const canary = probabilities(scenario.canary, bounds);
  const tallies = new Map(methods.map((m) => [m.name, new Tally()] as const));
  const base = scenario.baseline ?? BASELINE;
  const testers = scenario.testers && {
    perMinute: scenario.testers.perMinute,
    model: probabilities({ ...base, latencyMedianMs: base.latencyMedianMs * scenario.testers.latencyFactor, errorRate: base.errorRate * scenario.testers.errorFactor }, bounds),
  };
  const run: ScenarioRun = { scenario, tallies, dataMs: 0, fixedSampleMs: 0, fixedSampleAgreement: {} };
  const first = options.worker ?? 0;
  const stride = options.worker === undefined ? 1 : options.workers;
  for (let r = first; r < options.rollouts; r += stride) {
    const uniform = seededRandom(rolloutSeed(options.seed, scenario.stream, r));
    const trend = scenario.errorRates || scenario.latencyLoad || scenario.classDrift || scenario.scoreDrift || scenario.lateCanary ? (look: number) => {
      const models = modelsAt(scenario, look);
      return { baseline: probabilities(models.baseline, bounds), canary: probabilities(models.canary, bounds) };
    } : undefined;
    const data = new RolloutData(baseline, canary, uniform, normalSampler(uniform), scenario.requestsPerMinute ?? REQUESTS_PER_MINUTE, trend, bounds, scenario.timing, testers);
    const judges: { method: Method; judge: LookJudge; tally: Tally; firstPass: number; firstFail: number; gatePass: number; last?: ReturnType<LookJudge>; history: LookRecord[] }[] =
      methods.map((method) => ({ method, judge: method.start(scenario), tally: tallies.get(method.name)!, firstPass: 0, firstFail: 0, gatePass: 0, history: [] }));
    for (let look = 1; look <= LOOKS; look++) {
      const t0 = process.hrtime.bigint();
      data.nextMinute();
      run.dataMs += elapsedMs(t0);
      let open = 0;
      for (const j of judges) {
        if (j.firstFail) continue; // rolled back: this method's rollout is over
        const t1 = process.hrtime.bigint();
        const result = j.judge(data);
        j.tally.judgeMs += elapsedMs(t1);
        j.tally.looksJudged++;
        j.last = result;
        if (result.agreement) mergeAgreement(j.tally.agreement, result.agreement);
        if (result.metrics) j.history.push({ look, result, latestCanary: data.lastMinuteCanary.requests });
        if (result.verdict === 'pass' && !j.firstPass) j.firstPass = look;
        if (result.verdict === 'pass' && !j.gatePass && look >= FIRST_LOOK_OF_50_PERCENT_STEP) j.gatePass = look;
        if (result.verdict === 'fail') j.firstFail = look;
        else open++;
      }
      if (!open) break;
    }
    // The yardstick of the efficiency ratio: one fixed-sample test on all the data at the last
    // look (drawn on if every method rolled back earlier; the draws so far are unchanged).
    const t2 = process.hrtime.bigint();
    while (data.look < LOOKS) data.nextMinute();
    run.dataMs += elapsedMs(t2);
    const t3 = process.hrtime.bigint();
    const fixedSampleResult = analyze({ metrics: canaryJudgeMetrics(data, scenario.margins) }, fixedSampleEvidence);
    const fixedSample = fixedSampleResult.verdict;
    run.fixedSampleMs += elapsedMs(t3);
    countAgreement(run.fixedSampleAgreement, fixedSampleResult);
    for (const j of judges) {
      j.tally.outcomes.push({ firstPass: j.firstPass, firstFail: j.firstFail, gatePass: j.gatePass, ...(j.history.length ? { fixedSample } : {}) });
      scoreProjections(j.history, j.tally, scenario.requestsPerMinute ?? REQUESTS_PER_MINUTE);
      const metrics = j.last?.metrics;
      if (!metrics) continue;
      const passedBy50 = j.firstPass > 0 && j.firstPass <= LAST_LOOK_OF_50_PERCENT_STEP && (j.firstFail === 0 || j.firstFail > j.firstPass);
      for (const m of METRIC_NAMES) {
        j.tally.metricVerdicts[m][metrics[m]]++;
        if (j.firstFail && metrics[m] === 'fail') j.tally.failingAtRollback[m]++;
        if (!passedBy50 && !j.firstFail && metrics[m] !== 'pass') j.tally.notPassingWhenUndecided[m]++;
      }
    }
  }
  return run;
}

// ---------------------------------------------------------------- the true effects

/** The population effect each scenario plants, as the judge measures it on these buckets. */
function trueEffect(scenario: Scenario): string {
  if (scenario.lateCanary) return `none before look ${scenario.lateCanary.fromLook}; from look ${scenario.lateCanary.fromLook} (the 50 % step): ${trueEffect({ ...scenario, canary: scenario.lateCanary.canary, lateCanary: undefined })}`;
  const b = probabilities(scenario.baseline ?? BASELINE);
  const c = probabilities(scenario.canary);
  const parts: string[] = [];
  const p95 = (s: SideProbabilities) => quantile(fromBuckets(LATENCY_BOUNDS, s.latency, 0), 0.95);
  const latency = p95(c) / p95(b) - 1;
  if (scenario.latencyBuckets === 'envoy') {
    const trueP95 = latencyQuantileOf(scenario.canary, 0.95) / latencyQuantileOf(scenario.baseline ?? BASELINE, 0.95) - 1;
    const above = (side: typeof scenario.canary) => `${((1 - latencyCdfOf(side, 250)) * 100).toFixed(1)} %`;
    parts.push(`true p95 ${signedPercent(trueP95)} (margin +10%) on Envoy's default buckets; share above 250 ms ${above(scenario.canary)} against ${above(scenario.baseline ?? BASELINE)}`);
  } else if (Math.abs(latency) > 1e-9) parts.push(`binned p95 ${signedPercent(latency)} (margin +10%)`);
  if (c.errorRate !== b.errorRate) {
    parts.push(`error rate ${(c.errorRate / b.errorRate).toFixed(2)}x, +${((c.errorRate - b.errorRate) * 100).toFixed(2)} pp (margin 1.5x or +0.1 pp)`);
  }
  let ks = 0;
  let cb = 0;
  let cc = 0;
  for (let i = 0; i < b.score.length; i++) {
    cb += b.score[i];
    cc += c.score[i];
    ks = Math.max(ks, Math.abs(cc - cb));
  }
  if (ks > 1e-9) parts.push(`KS distance ${ks.toFixed(3)} on the score buckets (margin 0.1)`);
  let share = 0;
  for (let i = 0; i < b.classes.length; i++) share = Math.max(share, Math.abs(c.classes[i] - b.classes[i]));
  if (share > 1e-9) parts.push(`largest class-share change ${(share * 100).toFixed(1)} pp (margin 5 pp)`);
  if (scenario.errorRates) parts.push(`both sides' error rate rises ${scenario.errorRates.map((r) => `${(r * 100).toFixed(1)} %`).join(' -> ')} over the rollout`);
  if (scenario.latencyLoad) parts.push(`both sides' median latency follows load, rising to ${scenario.latencyLoad}x over the rollout`);
  if (scenario.classDrift) parts.push(`both sides' class shares drift from ${scenario.classDrift[0].join('/')} to ${scenario.classDrift[1].join('/')} over the rollout`);
  if (scenario.scoreDrift) parts.push(`both sides' mean score drifts ${scenario.scoreDrift} sd over the rollout`);
  if (scenario.timing) {
    const t = scenario.timing;
    parts.push(
      [
        t.outage ? `a shared dependency outage (both sides' error rate ${t.outage.rate * 100} % for 1-3 minutes ${t.outage.atStep ? 'overlapping a weight step' : 'at a random moment'})` : '',
        t.stepInsideMinute ? 'weight steps at a random moment inside their minute' : '',
        t.canaryLagSeconds ? `the canary's intervals lag the baseline's by ${t.canaryLagSeconds} s` : '',
        t.errorClusterSize ? `errors in clusters of ${t.errorClusterSize}` : '',
      ]
        .filter(Boolean)
        .join(', '),
    );
  }
  if (scenario.weightSent) parts.push("the step's weight stated (canaryWeight), as Flagger's gauge or expectedCanaryShare gives it");
  if (scenario.testers) {
    const t = scenario.testers;
    parts.push(`none in the versions; ${t.perMinute} requests/minute of header-routed testers forced to the canary, ${t.latencyFactor}x slower and with ${t.errorFactor}x the errors whatever the version (the shipped templates' expectedCanaryShare sent, Istio's labels without the header's)`);
  }
  if (scenario.requestsPerMinute) parts.push(`${scenario.requestsPerMinute.toLocaleString('en-US')} requests/minute`);
  if (scenario.margins === 'zero') parts.push('none; judged with zero margins (any judged change fails)');
  return parts.length ? parts.join('; ') : 'none';
}

function signedPercent(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}

// ---------------------------------------------------------------- report

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}`;
}

function lookText(x: number | null): string {
  return x === null ? '-' : Number.isInteger(x) ? String(x) : x.toFixed(1);
}

function markdownTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: readonly string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** The verdict a scenario owes: pass for healthy and within-margin canaries, fail for harmful ones, none at the margin. */
function owedVerdict(scenario: Scenario): 'pass' | 'fail' | null {
  if (scenario.role === 'harmful') return 'fail';
  if (scenario.role === 'healthy' || scenario.role === 'within-margin') return 'pass';
  return null;
}

function ratioText(r: number): string {
  if (Number.isNaN(r)) return 'n/a';
  return Number.isFinite(r) ? r.toFixed(2) : 'inf';
}

function projectionText(p: { signed: number[]; relative: number[]; censored: number }): string {
  const n = p.signed.length + p.censored;
  if (!n) return '-';
  const abs = median(p.signed.map(Math.abs));
  const rel = median(p.relative);
  const late = p.signed.length ? `, ${pct(p.signed.filter((e) => e > 0).length / p.signed.length)} % late` : '';
  return `${abs === null ? '-' : lookText(abs)} / ${rel === null ? '-' : rel.toFixed(2)}${late} (${p.signed.length}, ${pct(p.censored / n)} %)`;
}

/**
 * Per row (a scenario and method) and kind: violations / metrics decided (pass or fail) over
 * every analysed look; "-" where the kind was never decided. Then the first violation of each.
 */
function agreementTable(rows: readonly { row: string; counts: AgreementCounts }[]): string {
  // Kinds never decided (no effect: too little data) have nothing to check.
  const kinds = [...new Set(rows.flatMap((r) => Object.keys(r.counts).filter((k) => r.counts[k].decided > 0)))].sort();
  const table = [['scenario (method)', ...kinds, 'violations']];
  const examples: string[] = [];
  for (const { row, counts } of rows) {
    const cells = kinds.map((k) => {
      const c = counts[k];
      if (c?.example) examples.push(`- ${row}, ${k}: ${c.example}`);
      return c && c.decided ? `${c.violations} / ${c.decided}` : '-';
    });
    table.push([row, ...cells, String(Object.values(counts).reduce((n, c) => n + c.violations, 0))]);
  }
  const total = rows.reduce((n, r) => n + Object.values(r.counts).reduce((m, c) => m + c.violations, 0), 0);
  return `${markdownTable(table)}\n\ntotal violations: ${total}${examples.length ? `\n\nfirst violation per cell:\n${examples.join('\n')}` : ''}`;
}

const AGREEMENT_NOTE =
  '\ncells: metrics whose reported numbers contradict their verdict / metrics decided (pass or fail), over every analysed look (bench/simulate/agreement.ts). ' +
  'Checked: the JSON effect (what the Grafana gauges export), for a fail every alternative margin\'s effect, the HTML forest bar, the timeline\'s deciding look and every later one, and the interval the reason quotes. ' +
  'pass => the interval within the margin on the side(s) it constrains; fail => beyond it.';

function roleMeaning(run: ScenarioRun): string {
  switch (run.scenario.role) {
    case 'healthy':
      return 'false rollback';
    case 'harmful':
      return 'detection';
    default:
      return '-';
  }
}

// ---------------------------------------------------------------- worker processes

interface RunData {
  readonly scenario: string;
  readonly dataMs: number;
  readonly fixedSampleMs: number;
  readonly fixedSampleAgreement: AgreementCounts;
  readonly tallies: [string, TallyData][];
}

function toData(run: ScenarioRun): RunData {
  return { scenario: run.scenario.name, dataMs: run.dataMs, fixedSampleMs: run.fixedSampleMs, fixedSampleAgreement: run.fixedSampleAgreement, tallies: [...run.tallies].map(([name, t]) => [name, { ...t }] as [string, TallyData]) };
}

/** Forks one process per worker (each runs every scenario on its share of the rollouts) and merges their tallies. */
async function runInWorkers(options: Options, methods: readonly Method[]): Promise<ScenarioRun[]> {
  const runs = options.scenarios.map((scenario) => ({ scenario, dataMs: 0, fixedSampleMs: 0, fixedSampleAgreement: {} as AgreementCounts, tallies: new Map(methods.map((m) => [m.name, new Tally()] as const)) }));
  const args = ['--rollouts', String(options.rollouts), '--seed', String(options.seed), '--evidence', options.evidence.name, '--workers', String(options.workers)];
  args.push('--scenario', options.scenarios.map((s) => s.name).join(','));
  await Promise.all(
    Array.from({ length: options.workers }, (_, w) =>
      new Promise<void>((resolve, reject) => {
        const child = fork(process.argv[1], [...args, '--worker', String(w)]);
        child.on('message', (message) => {
          const data = message as RunData;
          const run = runs.find((r) => r.scenario.name === data.scenario)!;
          run.dataMs += data.dataMs;
          run.fixedSampleMs += data.fixedSampleMs;
          mergeAgreement(run.fixedSampleAgreement, data.fixedSampleAgreement);
          for (const [name, t] of data.tallies) run.tallies.get(name)!.merge(t);
          if (w === 0) process.stderr.write(`${data.scenario} done\n`);
        });
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${w} exited with ${code}`))));
      }),
    ),
  );
  return runs;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.histograms && options.worker === undefined) await histogramReport(options);
  if (options.means && options.worker === undefined) await meanReport(options);
  if ((options.histograms || options.means) && !options.scenarios.length) return;
  const methods: Method[] = [canaryJudge(options.evidence), canaryJudge(options.evidence, true), kayentaStyle, flaggerStyle];
  if (options.worker !== undefined) {
    for (const scenario of options.scenarios) {
      const data = toData(runScenario(scenario, methods, options));
      await new Promise<void>((resolve, reject) => process.send!(data, undefined, {}, (error) => (error ? reject(error) : resolve())));
    }
    process.disconnect();
    return;
  }
  const started = process.hrtime.bigint();
  const runs: ScenarioRun[] =
    options.workers > 1
      ? await runInWorkers(options, methods)
      : options.scenarios.map((scenario) => {
          const run = runScenario(scenario, methods, options);
          process.stderr.write(`${scenario.name} done\n`);
          return run;
        });
  const totalMs = elapsedMs(started);

  const cpus = os.cpus();
  console.log('# Decisions over simulated rollouts (`npm run bench:decisions`)\n');
  console.log(
    `seed ${options.seed}, ${options.rollouts} rollouts per scenario, ${LOOKS} looks (${LOOKS_PER_STEP} per step at canary share ${STEP_SHARES.map((s) => `${s * 100} %`).join(' -> ')}), ` +
      `one look per simulated minute at ${REQUESTS_PER_MINUTE.toLocaleString('en-US')} requests/minute, cumulative data from the rollout's start; ` +
      `canary-judge evidence: ${options.evidence.name}`,
  );
  console.log(`node ${process.version}, ${cpus[0]?.model ?? 'unknown cpu'} x ${cpus.length}, ${os.platform()} ${os.arch()}\n`);

  console.log('## Scenarios (the canary changes one thing)\n');
  console.log(markdownTable([['scenario', 'role', 'planted effect'], ...runs.map((r) => [r.scenario.name, r.scenario.role, trueEffect(r.scenario)])]));

  console.log('\n## Results\n');
  const header = ['scenario', 'method', 'rollouts', 'rolled back %', 'that is', `pass by 50 % step (look ${LAST_LOOK_OF_50_PERCENT_STEP}) %`, 'decided %', 'median looks to decision', 'median look of rollback'];
  const rows: string[][] = [header];
  for (const run of runs) {
    for (const [name, t] of run.tallies) {
      rows.push([
        run.scenario.name,
        name,
        String(t.rollouts),
        pct(t.rolledBack()),
        roleMeaning(run),
        pct(t.passedBy50()),
        pct(t.decided()),
        lookText(t.medianLooksToDecision()),
        lookText(t.medianLookOfRollback()),
      ]);
    }
  }
  console.log(markdownTable(rows));
  console.log(
    '\nrolled back: a fail at any of the looks (a rollout goes on after a pass, as Argo background analysis and Flagger do, so a later fail still rolls back). ' +
      'pass by 50 % step: a pass at or before the last look with no fail before it. decided: a pass or a fail at some look. ' +
      'Medians are over the rollouts that reached a decision (or a rollback).',
  );

  console.log('\n## Targets (canary-judge)\n');
  const tallyOf = (scenario: string, method: string) => runs.find((r) => r.scenario.name === scenario)?.tallies.get(method);
  const targets: { text: string; scenario: string; value: (t: Tally) => number; ok: (v: number) => boolean; looks?: boolean }[] = [
    { text: 'A/A false-rollback rate over all looks, zero margin <= 5 %', scenario: 'aa-zero-margin', value: (t) => t.rolledBack(), ok: (v) => v <= 0.05 },
    ...['aa', 'aa-1k', 'aa-rising-errors', 'aa-latency-load', 'aa-class-drift', 'aa-score-drift'].map((scenario) => ({ text: 'A/A false-rollback rate over all looks, default margins <= 5 %', scenario, value: (t: Tally) => t.rolledBack(), ok: (v: number) => v <= 0.05 })),
    { text: 'detection of 3x errors within the rollout >= 95 %', scenario: 'errors-3x', value: (t) => t.rolledBack(), ok: (v) => v >= 0.95 },
    { text: 'median look of the 3x-errors rollback <= 14 (by the 10 % step)', scenario: 'errors-3x', value: (t) => t.medianLookOfRollback() ?? Infinity, ok: (v) => v <= 14, looks: true },
    { text: 'detection of 3x errors within the rollout (low traffic)', scenario: 'errors-3x-1k', value: (t) => t.rolledBack(), ok: (v) => v >= 0.95 },
    { text: 'detection of +30 % latency within the rollout >= 90 %', scenario: 'latency+30%', value: (t) => t.rolledBack(), ok: (v) => v >= 0.9 },
    { text: 'a harmful score shift under drift never passes (<= 5 %)', scenario: 'score-0.3sd-drift', value: (t) => t.passedBy50(), ok: (v) => v <= 0.05 },
    { text: 'healthy canary (A/A) reaches pass by the 50 % step >= 90 %', scenario: 'aa', value: (t) => t.passedBy50(), ok: (v) => v >= 0.9 },
    { text: 'healthy canary at 1,000 requests/minute reaches pass by the 50 % step', scenario: 'aa-1k', value: (t) => t.passedBy50(), ok: (v) => v >= 0.9 },
    { text: 'healthy canary, rising error rate, reaches pass by the 50 % step', scenario: 'aa-rising-errors', value: (t) => t.passedBy50(), ok: (v) => v >= 0.9 },
    // Issue 21, items 1-3.
    ...['aa-envoy', 'aa-outage-step-inside', 'aa-outage-lag30s', 'aa-outage-clusters'].map((scenario) => ({ text: 'A/A false-rollback rate over all looks, default margins <= 5 %', scenario, value: (t: Tally) => t.rolledBack(), ok: (v: number) => v <= 0.05 })),
    ...['envoy-shape+20%', 'envoy-shape+16%'].map((scenario) => ({ text: 'a p95 truly beyond the margin never passes (pass at any look) <= 5 %', scenario, value: (t: Tally) => t.passedBy50(), ok: (v: number) => v <= 0.05 })),
    ...['late-latency+40%', 'late-errors-4x', 'late-latency+40%-step-inside+weight', 'late-errors-4x-step-inside+weight'].flatMap((scenario) => [
      { text: 'late harm: the gate (looks 15-21) passes <= 5 %', scenario, value: (t: Tally) => t.gatePassed(), ok: (v: number) => v <= 0.05 },
      { text: "late harm: rolled back by the gate's fifth look (look 19) >= 90 %", scenario, value: (t: Tally) => t.rolledBackBy(FIRST_LOOK_OF_50_PERCENT_STEP + 4), ok: (v: number) => v >= 0.9 },
    ]),
  ];
  const targetRows = [['target', 'scenario', 'method', 'measured', 'met']];
  for (const target of targets) {
    for (const method of ['canary-judge', 'canary-judge timeline']) {
      const t = tallyOf(target.scenario, method);
      if (!t) continue;
      const v = target.value(t);
      targetRows.push([target.text, target.scenario, method, target.looks ? lookText(Number.isFinite(v) ? v : null) : `${pct(v)} %`, target.ok(v) ? 'yes' : 'NO']);
    }
  }
  console.log(markdownTable(targetRows));

  const gateRuns = runs.filter((r) => r.scenario.lateCanary || r.scenario.timing || r.scenario.latencyBuckets);
  if (gateRuns.length) {
    console.log('\n## Issue 21: the gate, late harm and real timing (canary-judge)\n');
    const gateRows = [['scenario', 'method', 'rolled back before look 15 %', 'rolled back by look 19 %', 'rolled back %', 'pass at any look %', 'gate (looks 15-21) passes %']];
    for (const run of gateRuns) for (const method of ['canary-judge', 'canary-judge timeline']) {
      const t = run.tallies.get(method)!;
      gateRows.push([run.scenario.name, method, pct(t.rolledBackBy(FIRST_LOOK_OF_50_PERCENT_STEP - 1)), pct(t.rolledBackBy(FIRST_LOOK_OF_50_PERCENT_STEP + 4)), pct(t.rolledBack()), pct(t.passedBy50()), pct(t.gatePassed())]);
    }
    console.log(markdownTable(gateRows));
    console.log(
      '\ngate: the shipped Rollout gates the 50 % step (looks 15-21) with `consecutiveSuccessLimit: 1`, so a pass at any of those looks before a rollback promotes. ' +
        'Late harm starts at look 15; a rollback before it rolls back a canary that was identical until then.',
    );
  }

  console.log('\n## canary-judge per metric\n');
  const metricRows = [['scenario', ...METRIC_NAMES.map((m) => `${m} pass/inc/fail % at last look`), 'failing at rollback (count)', 'not passing when undecided (count)']];
  for (const run of runs) for (const method of ['canary-judge', 'canary-judge timeline']) {
    const t = run.tallies.get(method)!;
    metricRows.push([
      `${run.scenario.name} (${method})`,
      ...METRIC_NAMES.map((m) => {
        const v = t.metricVerdicts[m];
        return `${pct(v.pass / t.rollouts)}/${pct(v.inconclusive / t.rollouts)}/${pct(v.fail / t.rollouts)}`;
      }),
      METRIC_NAMES.filter((m) => t.failingAtRollback[m]).map((m) => `${m} ${t.failingAtRollback[m]}`).join(', ') || '-',
      METRIC_NAMES.filter((m) => t.notPassingWhenUndecided[m]).map((m) => `${m} ${t.notPassingWhenUndecided[m]}`).join(', ') || '-',
    ]);
  }
  console.log(markdownTable(metricRows));
  console.log(
    '\n"last look": the look of the rollback, else look 21. "not passing when undecided": rollouts with neither a pass by the 50 % step nor a rollback, by metric still short of pass at look 21.',
  );

  console.log('\n## Efficiency: decided correctly by the last look, against one fixed-sample test at the last look\n');
  const CJ = ['canary-judge', 'canary-judge timeline'];
  const efficiencyRows = [['scenario', 'role', 'correct', 'fixed-sample test at look 21 correct %', ...CJ.flatMap((m) => [`${m} correct %`, `${m} ratio`]), 'ratio >= 0.8']];
  for (const run of runs) {
    const owed = owedVerdict(run.scenario);
    if (!owed) {
      efficiencyRows.push([run.scenario.name, run.scenario.role, '-', '-', ...CJ.flatMap(() => ['-', '-']), '-']);
      continue;
    }
    const fixed = run.tallies.get(CJ[0])!.correct(owed, true)!;
    const cells = CJ.map((m) => run.tallies.get(m)!.correct(owed)!);
    const ratios = cells.map((c) => (fixed > 0 ? c / fixed : c > 0 ? Infinity : NaN));
    efficiencyRows.push([
      run.scenario.name,
      run.scenario.role,
      owed,
      pct(fixed),
      ...cells.flatMap((c, i) => [pct(c), ratioText(ratios[i])]),
      ratios.map((r, i) => `${CJ[i] === 'canary-judge' ? 'cum.' : 'timeline'} ${Number.isNaN(r) ? '-' : r >= 0.8 ? 'yes' : 'NO'}`).join(', '),
    ]);
  }
  console.log(markdownTable(efficiencyRows));
  console.log(
    '\ncorrect: a pass with no rollback (healthy and within-margin scenarios) or a rollback (harmful ones) by the last look; at-margin scenarios owe neither ("-"). ' +
      'The fixed-sample test: canary-judge once on the cumulative totals at look 21 with fixed-sample bounds (valid for that one look only), on the same data. ' +
      'ratio: canary-judge\'s share over the fixed-sample test\'s ("n/a": neither decides correctly; "inf": only canary-judge does).',
  );

  console.log('\n## Time-to-decision projection error (canary-judge)\n');
  const projectionRows = [['scenario', 'method', ...METRIC_NAMES.map((m) => `${m}: abs err looks / rel, late (n, censored)`), 'pooled: abs err / rel, late (n, censored)', 'pooled, steps known: abs err / rel, late (n, censored)']];
  for (const run of runs) for (const method of CJ) {
    const t = run.tallies.get(method)!;
    const all = <K extends 'signed' | 'relative' | 'scheduledSigned' | 'scheduledRelative'>(key: K) => METRIC_NAMES.flatMap((m) => t.projections[m][key]);
    const censored = METRIC_NAMES.reduce((n, m) => n + t.projections[m].censored, 0);
    projectionRows.push([
      run.scenario.name,
      method,
      ...METRIC_NAMES.map((m) => projectionText(t.projections[m])),
      projectionText({ signed: all('signed'), relative: all('relative'), censored }),
      projectionText({ signed: all('scheduledSigned'), relative: all('scheduledRelative'), censored }),
    ]);
  }
  console.log(markdownTable(projectionRows));
  console.log(
    '\nAt every look where a metric is inconclusive with a projection, the projected look is that look + moreIntervals (cumulative: moreCanary over the look\'s canary requests, rounded up); ' +
      'it is compared with the first later look where the metric is pass or fail. Medians over the projections whose metric was decided by the last look (the rollback, else look 21); ' +
      'rel: the error over the looks it actually took; late: the share projected after the look it was decided (too pessimistic); n: projections scored; censored: the share of projections whose metric was never decided afterwards. ' +
      'The projection assumes the latest minute\'s canary traffic, which grows 10x and 5x at the step changes (looks 8 and 15); ' +
      '"steps known" reads the same moreCanary against the traffic to come instead (the first look by which the canary has served that many more requests).',
  );

  console.log('\n## Every number agrees with its verdict (issue 23, item 5)\n');
  const agreementRuns = runs.flatMap((run) => [
    ...CJ.map((method) => ({ row: `${run.scenario.name} (${method === 'canary-judge' ? 'cumulative' : 'timeline'})`, counts: run.tallies.get(method)!.agreement })),
    { row: `${run.scenario.name} (fixed-sample at look 21)`, counts: run.fixedSampleAgreement },
  ]);
  console.log(agreementTable(agreementRuns));
  console.log(AGREEMENT_NOTE);

  console.log('\n## Runtime\n');
  const timeRows = [['scenario', 'data ms', 'fixed-sample test ms', ...methods.map((m) => `${m.name} ms (per look)`)]];
  for (const run of runs) {
    timeRows.push([
      run.scenario.name,
      run.dataMs.toFixed(0),
      run.fixedSampleMs.toFixed(0),
      ...methods.map((m) => {
        const t = run.tallies.get(m.name)!;
        return `${t.judgeMs.toFixed(0)} (${(t.judgeMs / Math.max(1, t.looksJudged)).toFixed(3)})`;
      }),
    ]);
  }
  console.log(markdownTable(timeRows));
  console.log(
    `\nwall time ${(totalMs / 1000).toFixed(1)} s with ${options.workers} worker process${options.workers > 1 ? 'es' : ''} ` +
      `(the ms columns are summed over the workers: time spent, not wall time)`,
  );
}

(process.argv.includes('--histogram-worker') ? histogramWorker(process.argv.slice(2)) : process.argv.includes('--mean-worker') ? meanWorker(process.argv.slice(2)) : main()).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

// ---------------------------------------------------------------- the histogram set

async function histogramReport(options: Options): Promise<void> {
  const started = process.hrtime.bigint();
  const results = await runHistogramSetInWorkers(options);
  console.log('# Histogram scenarios (`npm run bench:decisions -- --scenario histograms`)\n');
  console.log(
    `seed ${options.seed}, ${options.rollouts} rollouts per scenario, ${LOOKS} looks at ${REQUESTS_PER_MINUTE.toLocaleString('en-US')} requests/minute ` +
      `(${STEP_SHARES.map((s) => `${s * 100} %`).join(' -> ')}), cumulative histograms, lognormal latency; evidence ${options.evidence.name}; ` +
      'p95 judged as the default profile does (+10 %, critical); threshold: the share above the Envoy bound nearest the baseline\'s p95, default margins (1.5x or +0.1 pp)\n',
  );
  const rows: string[][] = [['position', 'sigma', 'canary', 'threshold (baseline share above)', ...HISTOGRAM_METHODS.flatMap((m) => [`${m} pass %`, `${m} fail %`])]];
  for (const { scenario, outcomes } of results) {
    const t = thresholdFor(scenario);
    rows.push([
      scenario.position,
      String(scenario.sigma),
      `x${scenario.factor}`,
      `${t.bound} (${(t.share * 100).toPrecision(2)} %)`,
      ...HISTOGRAM_METHODS.flatMap((m) => [pct(outcomes[m].passed / outcomes[m].rollouts), pct(outcomes[m].failed / outcomes[m].rollouts)]),
    ]);
  }
  console.log(markdownTable(rows));
  const checks: [string, (s: HistogramScenario) => boolean, HistogramMethod[], 'passed' | 'failed', (v: number) => boolean][] = [
    ['A/A and x1.05 falsely failed <= 5 %', (s) => s.factor < 1.2, ['p95 envoy', 'p95 resolving'], 'failed', (v) => v <= 0.05],
    ['x1.2 never passes (<= 5 %)', (s) => s.factor === 1.2, ['p95 envoy', 'p95 resolving', 'threshold envoy', 'threshold envoy timeline'], 'passed', (v) => v <= 0.05],
    ['threshold: x1.2 detected >= 90 %', (s) => s.factor === 1.2, ['threshold envoy', 'threshold envoy timeline'], 'failed', (v) => v >= 0.9],
    ['threshold: A/A passes >= 80 %', (s) => s.factor === 1, ['threshold envoy', 'threshold envoy timeline'], 'passed', (v) => v >= 0.8],
  ];
  const targetRows = [['target', 'method', 'worst position', 'measured %', 'met']];
  for (const [text, applies, methods, field, ok] of checks) {
    for (const method of methods) {
      const values = results.filter((r) => applies(r.scenario)).map((r) => ({ r, v: r.outcomes[method][field] / r.outcomes[method].rollouts }));
      // An upper limit (ok at 0) is worst at the largest value, a lower limit at the smallest.
      const worst = values.reduce((a, b) => (ok(0) ? (b.v > a.v ? b : a) : b.v < a.v ? b : a));
      const allMet = values.every((x) => ok(x.v));
      targetRows.push([text, method, `${worst.r.scenario.position}, sigma ${worst.r.scenario.sigma}, x${worst.r.scenario.factor}`, pct(worst.v), allMet ? 'yes' : `NO (${values.filter((x) => !ok(x.v)).length} of ${values.length})`]);
    }
  }
  console.log('\n## Targets\n');
  console.log(markdownTable(targetRows));
  console.log(`\npass: a pass at some look (before any fail); fail: a fail at some look (a rollback). wall time ${(elapsedMs(started) / 1000).toFixed(1)} s\n`);
  console.log('## Every number agrees with its verdict (issue 23, item 5)\n');
  console.log(agreementTable(results.flatMap(({ scenario, outcomes }) => HISTOGRAM_METHODS.map((m) => ({ row: `${scenario.name} (${m})`, counts: outcomes[m].agreement })))));
  console.log(`${AGREEMENT_NOTE}\n`);
}

/** Runs every histogram scenario, split over worker processes by scenario. */
async function runHistogramSetInWorkers(options: Options): Promise<{ scenario: HistogramScenario; outcomes: Record<HistogramMethod, HistogramOutcome> }[]> {
  const workers = Math.max(1, Math.min(options.workers, HISTOGRAM_SCENARIOS.length));
  const results = new Map<string, Record<HistogramMethod, HistogramOutcome>>();
  await Promise.all(
    Array.from({ length: workers }, (_, w) =>
      new Promise<void>((resolve, reject) => {
        const child = fork(process.argv[1], ['--histogram-worker', String(w), '--workers', String(workers), '--rollouts', String(options.rollouts), '--seed', String(options.seed), '--evidence', options.evidence.name]);
        child.on('message', (message) => {
          const { name, outcomes } = message as { name: string; outcomes: Record<HistogramMethod, HistogramOutcome> };
          results.set(name, outcomes);
          process.stderr.write(`${name} done\n`);
        });
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`histogram worker ${w} exited with ${code}`))));
      }),
    ),
  );
  return HISTOGRAM_SCENARIOS.map((scenario) => ({ scenario, outcomes: results.get(scenario.name)! }));
}

async function histogramWorker(argv: readonly string[]): Promise<void> {
  const value = (flag: string) => argv[argv.indexOf(flag) + 1];
  const worker = Number(value('--histogram-worker'));
  const workers = Number(value('--workers'));
  const evidence = value('--evidence') === 'fixed-sample' ? fixedSampleEvidence : anytimeValidEvidence;
  for (let i = worker; i < HISTOGRAM_SCENARIOS.length; i += workers) {
    const scenario = HISTOGRAM_SCENARIOS[i];
    const outcomes = runHistogramScenario(scenario, Number(value('--rollouts')), Number(value('--seed')), evidence, 100 + i);
    await new Promise<void>((resolve, reject) => process.send!({ name: scenario.name, outcomes }, undefined, {}, (error) => (error ? reject(error) : resolve())));
  }
  process.disconnect();
}

// ---------------------------------------------------------------- the mean set

async function meanReport(options: Options): Promise<void> {
  const started = process.hrtime.bigint();
  const results = await runMeanSetInWorkers(options);
  console.log('# Mean scenarios (`npm run bench:decisions -- --scenario means`)\n');
  console.log(
    `seed ${options.seed}, ${options.rollouts} rollouts or single looks per scenario; a latency metric on its mean, raw values, lognormal latency capped at the ${TIMEOUT_MS / 1000} s ` +
      `request timeout, range [0, ${TIMEOUT_MS}] declared; default margin (+10 %), critical. Rollouts: ${LOOKS} looks at 10,000 requests/minute ` +
      `(${STEP_SHARES.map((x) => `${x * 100} %`).join(' -> ')}), every look judged (anytime-valid); single looks: fixed-sample evidence\n`,
  );
  const describe = (name: string) => {
    const s = MEAN_SCENARIOS.find((x) => x.name === name)!;
    const parts = [`median ${s.medianMs} ms, sigma ${s.sigma}`, s.factor === 1 ? 'canary identical' : `canary mean x${s.factor}`];
    if (s.load) parts.push(`both sides' latency follows load 1 -> ${s.load}x`);
    if (s.shape === 'look') parts.push(`${s.canaryN} canary vs ${s.baselineN} baseline values, one look`);
    if (s.margin) parts.push(`margin +${s.margin.relative * 100} %`);
    return parts.join('; ');
  };
  const rows: string[][] = [['scenario', 'role', 'setting', 'method', 'runs', 'passed %', 'failed %', 'median look of pass / rollback', 'fixed-sample at look 21 correct %', 'efficiency']];
  for (const { name, result } of results) {
    const scenario = MEAN_SCENARIOS.find((x) => x.name === name)!;
    const methods = scenario.shape === 'rollout' ? MEAN_ROLLOUT_METHODS : MEAN_LOOK_METHODS;
    for (const method of methods) {
      const o = result.outcomes[method]!;
      const owed = scenario.role === 'healthy' ? o.passed : scenario.role === 'harmful' ? o.failed : NaN;
      const fixed = result.fixedSample && scenario.role !== 'at-margin' ? (scenario.role === 'healthy' ? result.fixedSample.passed : result.fixedSample.failed) / o.runs : NaN;
      rows.push([
        name,
        scenario.role,
        describe(name),
        method,
        String(o.runs),
        pct(o.passed / o.runs),
        pct(o.failed / o.runs),
        scenario.shape === 'rollout' ? `${lookText(median(o.passLooks))} / ${lookText(median(o.failLooks))}` : '-',
        Number.isNaN(fixed) ? '-' : pct(fixed),
        Number.isNaN(fixed) || Number.isNaN(owed) ? '-' : ratioText(fixed > 0 ? owed / o.runs / fixed : owed > 0 ? Infinity : NaN),
      ]);
    }
  }
  console.log(markdownTable(rows));
  const targets = [['target', 'scenario', 'method', 'measured %', 'met']];
  for (const { name, result } of results) {
    const scenario = MEAN_SCENARIOS.find((x) => x.name === name)!;
    for (const [method, o] of Object.entries(result.outcomes)) {
      if (scenario.role === 'healthy') targets.push(['false fail <= 5 %', name, method, pct(o.failed / o.runs), o.failed / o.runs <= 0.05 ? 'yes' : 'NO']);
      if (scenario.role === 'at-margin') targets.push(['pass at the margin <= 5 %', name, method, pct(o.passed / o.runs), o.passed / o.runs <= 0.05 ? 'yes' : 'NO']);
    }
  }
  console.log('\n## Targets\n');
  console.log(markdownTable(targets));
  const ms = results.reduce((sum, r) => sum + r.result.judgeMs, 0);
  const looks = results.reduce((sum, r) => sum + r.result.looks, 0);
  console.log(`\npassed: a pass at some look before any fail; failed: a fail at some look (a rollback). efficiency: the share decided correctly over that of the fixed-sample yardstick. judge ${(ms / Math.max(1, looks)).toFixed(1)} ms per look; wall time ${(elapsedMs(started) / 1000).toFixed(1)} s\n`);
  console.log('## Every number agrees with its verdict (issue 23, item 5)\n');
  console.log(agreementTable(results.map(({ name, result }) => ({ row: name, counts: result.agreement }))));
  console.log(`${AGREEMENT_NOTE}\n`);
}

/** Every mean scenario, each worker taking every workers-th run of each. */
async function runMeanSetInWorkers(options: Options): Promise<{ name: string; result: MeanScenarioResult }[]> {
  const workers = Math.max(1, options.workers);
  const merged = new Map<string, MeanScenarioResult>();
  await Promise.all(
    Array.from({ length: workers }, (_, w) =>
      new Promise<void>((resolve, reject) => {
        const child = fork(process.argv[1], ['--mean-worker', String(w), '--workers', String(workers), '--rollouts', String(options.rollouts), '--seed', String(options.seed)]);
        child.on('message', (message) => {
          const { name, result } = message as { name: string; result: MeanScenarioResult };
          const known = merged.get(name);
          merged.set(name, known ? mergeMeanResults(known, result) : result);
          if (w === 0) process.stderr.write(`${name} done\n`);
        });
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mean worker ${w} exited with ${code}`))));
      }),
    ),
  );
  return MEAN_SCENARIOS.map((s) => ({ name: s.name, result: merged.get(s.name)! }));
}

async function meanWorker(argv: readonly string[]): Promise<void> {
  const value = (flag: string) => argv[argv.indexOf(flag) + 1];
  const worker = Number(value('--mean-worker'));
  const workers = Number(value('--workers'));
  for (const scenario of MEAN_SCENARIOS) {
    const result = runMeanScenario(scenario, Number(value('--rollouts')), Number(value('--seed')), worker, workers);
    await new Promise<void>((resolve, reject) => process.send!({ name: scenario.name, result }, undefined, {}, (error) => (error ? reject(error) : resolve())));
  }
  process.disconnect();
}
