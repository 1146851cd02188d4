/**
 * What each safeguard of the error rate's timeline costs in power (issue 21, item 6): the
 * error metric's claims on the decision benchmark's simulated rollouts (bench/simulate, the same
 * seed and streams), with one safeguard switched off or one construction swapped at a time.
 * Claims only (no reported bounds), so 300 rollouts of a scenario take seconds.
 *
 *   npx tsx bench/errors-ablation.bench.ts [--rollouts 150] [--scenario errors-3x-1k,aa]
 *
 * Rows: `judge` is src/judge/rate-timeline.ts's own checks decided by
 * src/judge/timeline-checks.ts (`verdictOfClaims`); `shipped` is this file's re-derivation of the
 * same claims (the switches below act on it; it differs from `judge` only where the judge splits
 * the pass rate between the margins in a window without earlier data). Columns: the metric fails
 * at any look (sticky), passes at look 21, passes at any look before a fail, the gate (looks
 * 15-21) passes, fails by look 19. The switched-off rows are NOT valid tests in every scenario:
 * they show what each safeguard costs where it is not needed.
 */
import { OFFSETS, rateRatioLogFactorTable, type RateInterval } from '../src/stats/conditional-rate-ratio-e-process';
import { logMixture, logRestartedEProcesses, restartPrior, type LogFactorTable, type Start } from '../src/stats/e-detector';
import { rateDifferenceLogFactorTable } from '../src/stats/rate-difference-e-process';
import { rateTimelineChecks, settleRates } from '../src/judge/rate-timeline';
import { DEFAULT_ALPHA, DEFAULT_MARGIN } from '../src/judge/defaults';
import { verdictOfClaims } from '../src/judge/timeline-checks';
import { normalSampler, seededRandom } from '../test/support/random';
import { BASELINE, LOOKS, modelsAt, probabilities, REQUESTS_PER_MINUTE, RolloutData, rolloutSeed, SCENARIOS, type Scenario } from './simulate/rollout';

/** Four metrics share the fail rate in the decision benchmark (src/judge/analyze.ts). */
const FAIL = DEFAULT_ALPHA / 4;
const PASS = DEFAULT_ALPHA;
const RELATIVE = DEFAULT_MARGIN.proportion.relative!;
const ABSOLUTE = DEFAULT_MARGIN.proportion.absolute!;

interface Variant {
  /** The maximum over starts, each at its share (the Bonferroni union the sum replaced). */
  readonly maxOverStarts?: boolean;
  /** One e-process from the first interval at the whole fail rate (no restarts). */
  readonly noRestarts?: boolean;
  /** The first interval's share of the fail rate (the steps share the rest as 1/(s (s + 1))). */
  readonly firstWeight?: number;
  /** Claims read the latest interval too (no settled-interval delay). */
  readonly readLatest?: boolean;
  /** Set-aside intervals read as any other. */
  readonly noSetAside?: boolean;
  /** No tempering by the index of dispersion. */
  readonly noTempering?: boolean;
  /** Passes rest on every interval, not the gated window. */
  readonly everyInterval?: boolean;
  /** The fail claim of one margin alone (the metric fails when both have). */
  readonly only?: 'ratio' | 'difference';
  /** The ratio's fail bets on this ln(theta1/theta0) alone (an oracle that knows the harm). */
  readonly oracle?: number;
  /** The ratio's pass mixture centred on no change (theta 1) with this sd of ln theta. */
  readonly passCentredSd?: number;
}

const VARIANTS: Record<string, Variant> = {
  shipped: {},
  'max over starts (before)': { maxOverStarts: true },
  'no restarts': { noRestarts: true },
  'first start 3/4': { firstWeight: 0.75 },
  'read latest': { readLatest: true },
  'no set-aside': { noSetAside: true },
  'no tempering': { noTempering: true },
  'pass on every interval': { everyInterval: true },
  'ratio claim alone': { only: 'ratio' },
  'difference claim alone': { only: 'difference' },
  'oracle ratio bet': { oracle: Math.log(3 / 1.5), noRestarts: true, only: 'ratio' },
  'oracle ratio bet, read latest': { oracle: Math.log(3 / 1.5), noRestarts: true, only: 'ratio', readLatest: true },
  'pass mixture at theta 1, sd 0.2': { passCentredSd: 0.2 },
  'every safeguard off': { noRestarts: true, readLatest: true, noSetAside: true, noTempering: true, everyInterval: true },
};

function intervalsOf(scenario: Scenario, rollout: number, seed: number): RateInterval[] {
  const base = scenario.baseline ?? BASELINE;
  const testers = scenario.testers && {
    perMinute: scenario.testers.perMinute,
    model: probabilities({ ...base, latencyMedianMs: base.latencyMedianMs * scenario.testers.latencyFactor, errorRate: base.errorRate * scenario.testers.errorFactor }),
  };
  const uniform = seededRandom(rolloutSeed(seed, scenario.stream, rollout));
  const trend =
    scenario.errorRates || scenario.latencyLoad || scenario.classDrift || scenario.scoreDrift || scenario.lateCanary
      ? (look: number) => {
          const models = modelsAt(scenario, look);
          return { baseline: probabilities(models.baseline), canary: probabilities(models.canary) };
        }
      : undefined;
  const data = new RolloutData(probabilities(base), probabilities(scenario.canary), uniform, normalSampler(uniform), scenario.requestsPerMinute ?? REQUESTS_PER_MINUTE, trend, undefined, scenario.timing, testers);
  for (let look = 0; look < LOOKS; look++) data.nextMinute();
  return data.minutes.map((m) => ({ canaryEvents: m.canary.errors, canaryTotal: m.canary.requests, baselineEvents: m.baseline.errors, baselineTotal: m.baseline.requests }));
}

function weighted(table: LogFactorTable, w: Float64Array): LogFactorTable {
  const factors = new Float64Array(table.factors.length);
  for (let i = 0; i < table.looks; i++) for (let j = 0; j < table.grid; j++) factors[i * table.grid + j] = w[i] > 0 ? w[i] * table.factors[i * table.grid + j] : 0;
  return { ...table, factors };
}

function mixedOver(table: LogFactorTable, logMix: Float64Array): LogFactorTable {
  return { ...table, logMix };
}

/** ln mixing weights of a normal on |d| (the grid's spacing as the measure). */
function normalMix(centre: number, sd: number, onlyAt?: number): Float64Array {
  const raw = Array.from(OFFSETS, (d, j) => {
    if (onlyAt !== undefined) return j === onlyAt ? 1 : 0;
    const spacing = (OFFSETS[Math.min(j + 1, OFFSETS.length - 1)] - OFFSETS[Math.max(j - 1, 0)]) / 2 || OFFSETS[0];
    return Math.exp(-0.5 * ((d - centre) / sd) ** 2) * spacing;
  });
  const total = raw.reduce((a, b) => a + b, 0);
  return Float64Array.from(raw, (x) => Math.log(x / total));
}

/** failing[k]: the fail claim has held by look k (0-based), reading intervals up to k - lag. */
function failing(table: LogFactorTable, w: Float64Array, starts: Start[], lag: number, maxOverStarts: boolean): boolean[] {
  const t = weighted(table, w);
  const value = maxOverStarts
    ? starts.map((s) => logRestartedEProcesses(t, [s]).value).reduce((a, b) => a.map((x, k) => Math.max(x, b[k])))
    : logRestartedEProcesses(t, starts).value;
  let held = false;
  return Array.from({ length: table.looks }, (_, k) => (held ||= k - lag >= 0 && value[k - lag] >= Math.log(1 / FAIL)));
}

/** passing[k]: the pass claim holds at look k (sticky within the window). */
function passing(table: LogFactorTable, w: Float64Array, windowStart: Int32Array, lag: number): boolean[] {
  let start = -1;
  let crossed = false;
  return Array.from({ length: table.looks }, (_, k) => {
    if (windowStart[k] !== start) (start = windowStart[k]), (crossed = false);
    const sums = new Float64Array(table.grid);
    for (let i = start; i <= k - lag; i++) for (let j = 0; j < table.grid; j++) sums[j] += w[i] * table.factors[i * table.grid + j];
    if (k - lag >= start && logMixture(table.logMix, sums) >= Math.log(1 / PASS)) crossed = true;
    return crossed;
  });
}

function claims(intervals: RateInterval[], v: Variant): { failing: boolean[]; passing: boolean[] } {
  const settling = settleRates(intervals);
  const n = intervals.length;
  const w = Float64Array.from(settling.settled);
  if (v.noSetAside) for (let i = 0; i < n - 1; i++) if (w[i] === 0) w[i] = 1;
  if (v.noTempering) for (let i = 0; i < n; i++) if (w[i] > 0) w[i] = 1;
  const lag = v.readLatest ? 0 : 1;
  if (v.readLatest) w[n - 1] = w[n - 2] > 0 ? w[n - 2] : 1;
  let starts = v.noRestarts ? [{ at: 0, logWeight: 0 }] : restartPrior(settling.stepStart);
  if (v.firstWeight !== undefined) starts = starts.map((s, i) => ({ at: s.at, logWeight: Math.log(i === 0 ? v.firstWeight! : (1 - v.firstWeight!) / (i * (i + 1))) }));
  const windowStart = v.everyInterval ? new Int32Array(n) : settling.windowStart;
  const readable = intervals.map((i, k) => ({ ...i, weight: w[k] > 0 ? 1 : 0 }));
  let ratioTable = rateRatioLogFactorTable(intervals, 1 + RELATIVE, 'greater');
  if (v.oracle !== undefined) {
    let best = 0;
    OFFSETS.forEach((d, j) => {
      if (Math.abs(d - v.oracle!) < Math.abs(OFFSETS[best] - v.oracle!)) best = j;
    });
    ratioTable = mixedOver(ratioTable, normalMix(0, 1, best));
  }
  const ratioFail = failing(ratioTable, w, starts, lag, !!v.maxOverStarts);
  const differenceFail = failing(rateDifferenceLogFactorTable(readable, ABSOLUTE, 'greater'), w, starts, lag, !!v.maxOverStarts);
  // At 0.5 % errors the relative margin is the wider: a window's pass rests on it.
  let passTable = rateRatioLogFactorTable(intervals, 1 + RELATIVE, 'less');
  if (v.passCentredSd !== undefined) passTable = mixedOver(passTable, normalMix(Math.log(1 + RELATIVE), v.passCentredSd));
  return {
    failing: ratioFail.map((r, k) => (v.only === 'ratio' ? r : v.only === 'difference' ? differenceFail[k] : r && differenceFail[k])),
    passing: passing(passTable, w, windowStart, lag),
  };
}

interface Row {
  fail: number;
  passLast: number;
  passAny: number;
  gate: number;
  failBy19: number;
}

function tally(outcomes: { failing: boolean[]; passing: boolean[] }[]): Row {
  const row: Row = { fail: 0, passLast: 0, passAny: 0, gate: 0, failBy19: 0 };
  for (const { failing: f, passing: p } of outcomes) {
    const firstFail = f.indexOf(true);
    const before = (k: number) => firstFail < 0 || k < firstFail;
    if (f[LOOKS - 1]) row.fail++;
    else if (p[LOOKS - 1]) row.passLast++;
    if (p.some((x, k) => x && before(k))) row.passAny++;
    if (p.some((x, k) => x && k >= LOOKS - 7 && before(k))) row.gate++;
    if (f[18]) row.failBy19++;
  }
  return row;
}

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
}

const rollouts = Number(flag('--rollouts', '150'));
const seed = Number(flag('--seed', '20240601'));
const names = flag('--scenario', 'errors-3x-1k,aa').split(',');
const percent = (x: number) => `${((100 * x) / rollouts).toFixed(1)}`.padStart(6);
console.log(`error metric's claims, ${rollouts} rollouts per scenario, seed ${seed} (fail rate ${FAIL}, pass rate ${PASS})`);
console.log(`${'scenario'.padEnd(24)}${'variant'.padEnd(34)}${'fail %'.padStart(8)}${'pass@21 %'.padStart(11)}${'pass any %'.padStart(12)}${'gate %'.padStart(8)}${'fail by 19 %'.padStart(14)}`);
for (const name of names) {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  const data = Array.from({ length: rollouts }, (_, r) => intervalsOf(scenario, r, seed));
  const judged = data.map((intervals) => {
    const baseline = intervals.map((i) => ({ events: i.baselineEvents, total: i.baselineTotal }));
    const canary = intervals.map((i) => ({ events: i.canaryEvents, total: i.canaryTotal }));
    const { checks } = rateTimelineChecks(baseline, canary, DEFAULT_MARGIN.proportion, 'increase', { rates: { fail: FAIL, pass: PASS } }, 'rate');
    const verdicts = Array.from({ length: LOOKS }, (_, k) => verdictOfClaims(checks, k + 1).verdict);
    return { failing: verdicts.map((x) => x === 'fail'), passing: verdicts.map((x) => x === 'pass') };
  });
  const rows: [string, Row][] = [['judge', tally(judged)], ...Object.entries(VARIANTS).map(([label, v]) => [label, tally(data.map((d) => claims(d, v)))] as [string, Row])];
  for (const [label, r] of rows) console.log(`${name.padEnd(24)}${label.padEnd(34)}${percent(r.fail).padStart(8)}${percent(r.passLast).padStart(11)}${percent(r.passAny).padStart(12)}${percent(r.gate).padStart(8)}${percent(r.failBy19).padStart(14)}`);
}
