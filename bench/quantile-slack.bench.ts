/**
 * `npm run bench:quantile`: the matched p95 test on histogram timelines (issue 21), the bracket
 * test (src/stats/quantile-bracket-e-process.ts, now) beside the comparison of tails it replaced
 * on histograms (before), on the same simulated data in one run.
 *
 * 1. How narrow the confidence sequence gets: all at 50 %, the seed's latency (lognormal, median
 *    40 ms, sigma 0.5: p95 91.0 ms) on its resolving buckets (about 4.5 % apart), an A/A and a
 *    p95 x1.2 canary, after 60 and 240 one-minute intervals at 1,000 requests a minute (where
 *    issue 21 measured the old test's +-9 %) and 60 at 10,000 (the bounds the judge reports: the
 *    harmful side at the fail rate 0.0125, the other at 0.05).
 * 2. Decisions over rollouts at 10,000 requests a minute, 1 % -> 10 % -> 50 %: per scenario the
 *    share of rollouts whose p95 metric passes or fails by the last look, judged by the judge's
 *    own claims (src/planner/verdicts.ts, the default profile's +10 % at the fail rate of 4
 *    metrics), the baseline's p95 placed at ten positions across one bucket (rollout r at
 *    position r mod 10): A/A (clean, load rising 1 -> 1.5x, a shared x1.6 latency spike, the
 *    spike with the canary's minutes lagging 30 s), a canary exactly at the margin, x1.2 and
 *    x1.3, on the resolving buckets and on Envoy's defaults; x1.2 also with a 30-minute 50 % step.
 * 3. x1.2 by position with a 40-minute step at 50 %: when each position fails, and which the
 *    buckets cannot decide.
 *
 * Flags: --rollouts N (per scenario, default 200), --seed S (default 20261208), --only
 * width|decisions|positions.
 */
import { ENVOY_DEFAULT_BUCKETS, RESOLVING_LATENCY_BUCKETS } from '../demo/latency-buckets';
import type { HistogramBucket, ValuesInterval } from '../src/judge/types';
import { multinomial, normalFrom, seededUniform, type Normal, type Uniform } from '../src/planner/draws';
import { quantileTimelineVerdict } from '../src/planner/verdicts';
import { matchedQuantile, shiftConfidenceSequence, type HistogramTest, type ShiftInterval } from '../src/stats/matched-quantile-shift-e-process';
import { normalCdf } from '../src/stats/normal';
import { fromBuckets } from '../src/stats/weighted-sample';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const ROLLOUTS = Number(flag('--rollouts', '200'));
const SEED = Number(flag('--seed', '20261208'));
const ONLY = flag('--only', '');
const TESTS: readonly HistogramTest[] = ['tails', 'bracket'];
const LABEL: Record<HistogramTest, string> = { tails: 'before (tails)', bracket: 'now (bracket)' };
const RATES = { fail: 0.05 / 4, pass: 0.05 };
const Z95 = 1.6448536269514722;

const RESOLVING = [...RESOLVING_LATENCY_BUCKETS, Infinity];
const ENVOY = [...ENVOY_DEFAULT_BUCKETS, Infinity];

/** A side's latency at a moment: lognormal body, and a share of slow calls (a second lognormal) if given. */
interface Latency {
  readonly median: number;
  readonly sigma: number;
  readonly slow?: { readonly share: number; readonly median: number; readonly sigma: number };
}

function probabilities(bounds: readonly number[], l: Latency): Float64Array {
  const cdf = (x: number) => {
    const body = normalCdf(Math.log(x / l.median) / l.sigma);
    return l.slow ? (1 - l.slow.share) * body + l.slow.share * normalCdf(Math.log(x / l.slow.median) / l.slow.sigma) : body;
  };
  let previous = 0;
  return Float64Array.from(bounds, (le) => {
    const c = le === Infinity ? 1 : cdf(le);
    const p = c - previous;
    previous = c;
    return p;
  });
}

const scaled = (l: Latency, f: number): Latency => ({ ...l, median: l.median * f });

/** Bucket counts of n draws: half a minute at a time when the minute is split (scrape offsets). */
function draw(bounds: readonly number[], n: number, l: Latency, u: Uniform, z: Normal): Float64Array {
  const out = new Float64Array(bounds.length);
  multinomial(n, probabilities(bounds, l), out, u, z);
  return out;
}

interface Rollout {
  readonly shares: readonly number[];
  /** Per minute: the baseline's latency then (shared drift); the canary's is `canaryOf` of it. */
  readonly latency: (minute: number) => Latency;
  readonly canaryOf: (l: Latency) => Latency;
  /** The canary's minutes lag the baseline's by half a minute (per-pod scrape offsets). */
  readonly canaryLag?: boolean;
}

/** One rollout's one-minute histogram intervals at `perMinute` requests. */
function simulate(r: Rollout, bounds: readonly number[], perMinute: number, u: Uniform, z: Normal): { baseline: ValuesInterval[]; canary: ValuesInterval[] } {
  const cumulative = (counts: Float64Array): ValuesInterval => {
    let total = 0;
    return { histogram: { buckets: bounds.map((le, i): HistogramBucket => ({ le, count: (total += counts[i]) })) } };
  };
  const baseline: ValuesInterval[] = [];
  const canary: ValuesInterval[] = [];
  for (let minute = 0; minute < r.shares.length; minute++) {
    const nc = Math.round(perMinute * r.shares[minute]);
    baseline.push(cumulative(draw(bounds, perMinute - nc, r.latency(minute), u, z)));
    if (!r.canaryLag) canary.push(cumulative(draw(bounds, nc, r.canaryOf(r.latency(minute)), u, z)));
    else {
      // The second half of this minute and the first half of the next.
      const a = draw(bounds, Math.floor(nc / 2), r.canaryOf(r.latency(minute)), u, z);
      const b = draw(bounds, nc - Math.floor(nc / 2), r.canaryOf(r.latency(Math.min(minute + 1, r.shares.length - 1))), u, z);
      canary.push(cumulative(a.map((x, i) => x + b[i])));
    }
  }
  return { baseline, canary };
}

const steps = (minutes: readonly number[]) => [0.01, 0.1, 0.5].flatMap((s, i) => Array(minutes[i]).fill(s) as number[]);
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const quantileOf = (xs: readonly number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN);
const started = Date.now();

// ---------------------------------------------------------------- 1. width

if (!ONLY || ONLY === 'width') {
  console.log(`# The matched p95 test on histogram timelines: the bracket test (now) beside the comparison of tails (before)\n`);
  console.log('## 1. How narrow the confidence sequence gets (all at 50 %, resolving buckets)\n');
  console.log('| canary | requests/minute | intervals | before: interval | now: interval | width now / before |');
  console.log('|---|---|---|---|---|---|');
  const base: Latency = { median: 40, sigma: 0.5 };
  for (const factor of [1, 1.2]) {
    for (const [perMinute, looks] of [[1000, 60], [1000, 240], [10_000, 60]] as const) {
      const u = seededUniform(SEED + perMinute);
      const data = simulate({ shares: Array(looks).fill(0.5), latency: () => base, canaryOf: (l) => scaled(l, factor) }, RESOLVING, perMinute, u, normalFrom(u));
      const intervals: ShiftInterval[] = data.baseline.map((b, i) => ({ baseline: sample(b), canary: sample(data.canary[i]) }));
      const cs = Object.fromEntries(TESTS.map((t) => [t, shiftConfidenceSequence(matchedQuantile(intervals, 0.95, 'relative', t), RATES.fail, RATES.pass)]));
      const show = (b: { lower: number; upper: number }) => `${(100 * b.lower).toFixed(1)} % to ${(100 * b.upper).toFixed(1)} %`;
      const ratio = (cs.bracket.upper - cs.bracket.lower) / (cs.tails.upper - cs.tails.lower);
      console.log(`| p95 x${factor} | ${perMinute.toLocaleString('en-US')} | ${looks} | ${show(cs.tails)} | ${show(cs.bracket)} | ${ratio.toFixed(2)} |`);
    }
  }
  const q = 40 * Math.exp(Z95 * 0.5);
  const bucketOf = (x: number) => [[...RESOLVING].reverse().find((b) => b < x)!, RESOLVING.find((b) => b >= x)!];
  const [bl, bu] = bucketOf(q);
  const [cl, cu] = bucketOf(1.2 * q);
  const signed = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)} %`;
  const limit = (l: number, u: number) => `${signed(l)} to ${signed(u)}`;
  console.log(`\nWhat the buckets allow with unlimited data (the identified set): the A/A, both p95s ${q.toFixed(1)} ms in (${bl}, ${bu}]: ${limit(bl / bu - 1, bu / bl - 1)}; the x1.2 canary's p95 ${(1.2 * q).toFixed(1)} ms in (${cl}, ${cu}]: ${limit(cl / bu - 1, cu / bl - 1)}.\n`);
}

function sample(i: ValuesInterval) {
  const buckets = (i as { histogram: { buckets: HistogramBucket[] } }).histogram.buckets;
  return fromBuckets(
    buckets.map((b) => b.le),
    buckets.map((b, k) => b.count - (k ? buckets[k - 1].count : 0)),
    0,
  );
}

// ---------------------------------------------------------------- 2. decisions

interface Scenario {
  readonly name: string;
  readonly buckets: 'resolving' | 'envoy';
  readonly factor: number;
  readonly minutes?: readonly number[];
  readonly drift?: 'load' | 'spike';
  readonly canaryLag?: boolean;
  /** Envoy: the shape change (body slower, fewer slow calls) instead of a scale. */
  readonly envoyShape?: boolean;
}

/** The baseline at position k of 10 across one bucket of the resolving set around 91 ms (median 40 to 40 x 1.045). */
const resolvingBaseline = (k: number): Latency => ({ median: 40 * 1.045 ** (k / 10), sigma: 0.5 });
/** Envoy's scenario baseline (issue 21): a body (median 70 ms, sigma 0.4) and 3 % slow calls; p95 about 158 ms in (100, 250]; positions move the body. */
const envoyBaseline = (k: number): Latency => ({ median: 70 * 1.02 ** k, sigma: 0.4, slow: { share: 0.03, median: 450, sigma: 0.5 } });

const SCENARIOS: readonly Scenario[] = [
  { name: 'A/A', buckets: 'resolving', factor: 1 },
  { name: 'A/A, load 1 -> 1.5x', buckets: 'resolving', factor: 1, drift: 'load' },
  { name: 'A/A, shared x1.6 spike at minute 17', buckets: 'resolving', factor: 1, drift: 'spike' },
  { name: 'A/A, spike, canary lagging 30 s', buckets: 'resolving', factor: 1, drift: 'spike', canaryLag: true },
  { name: 'at the margin (x1.1)', buckets: 'resolving', factor: 1.1 },
  { name: 'p95 x1.2', buckets: 'resolving', factor: 1.2 },
  { name: 'p95 x1.2, 30 minutes at 50 %', buckets: 'resolving', factor: 1.2, minutes: [7, 7, 30] },
  { name: 'p95 x1.3', buckets: 'resolving', factor: 1.3 },
  { name: 'A/A', buckets: 'envoy', factor: 1 },
  { name: 'A/A, load 1 -> 1.5x', buckets: 'envoy', factor: 1, drift: 'load' },
  { name: 'A/A, spike, canary lagging 30 s', buckets: 'envoy', factor: 1, drift: 'spike', canaryLag: true },
  { name: 'p95 +20 %, lighter far tail', buckets: 'envoy', factor: 1.347, envoyShape: true },
];

function rolloutOf(s: Scenario, position: number): Rollout {
  const base = s.buckets === 'envoy' ? envoyBaseline(position) : resolvingBaseline(position);
  const shares = steps(s.minutes ?? [7, 7, 7]);
  const last = shares.length - 1;
  const latency = (minute: number): Latency => {
    if (s.drift === 'load') return scaled(base, 1 + (0.5 * minute) / last);
    if (s.drift === 'spike' && minute === 16) return scaled(base, 1.6);
    return base;
  };
  const canaryOf = (l: Latency): Latency => (s.envoyShape ? { ...scaled(l, s.factor), slow: { share: 0.01, median: 450, sigma: 0.5 } } : scaled(l, s.factor));
  return { shares, latency, canaryOf, canaryLag: s.canaryLag };
}

if (!ONLY || ONLY === 'decisions') {
  console.log(`## 2. Decisions over rollouts (10,000 requests/minute, 1 % -> 10 % -> 50 %, 7 minutes a step unless stated; ${ROLLOUTS} rollouts each)\n`);
  console.log('| buckets | scenario | before: pass / fail | now: pass / fail | now: fail minute (median, 90th pct) | ms per rollout (before / now) |');
  console.log('|---|---|---|---|---|---|');
  SCENARIOS.forEach((s, index) => {
    const tally = Object.fromEntries(TESTS.map((t) => [t, { pass: 0, fail: 0, failAt: [] as number[], ms: 0 }]));
    for (let r = 0; r < ROLLOUTS; r++) {
      const u = seededUniform(Math.imul(SEED ^ 0x9e3779b9, index + 1) + r);
      const data = simulate(rolloutOf(s, r % 10), s.buckets === 'envoy' ? ENVOY : RESOLVING, 10_000, u, normalFrom(u));
      for (const t of TESTS) {
        const t0 = performance.now();
        const v = quantileTimelineVerdict(data.baseline, data.canary, 0.95, { relative: 0.1 }, 'increase', RATES, t);
        tally[t].ms += performance.now() - t0;
        if (v.verdict === 'pass') tally[t].pass++;
        if (v.verdict === 'fail') (tally[t].fail++, tally[t].failAt.push(v.decidedAt!));
      }
    }
    const cell = (t: HistogramTest) => `${pct(tally[t].pass / ROLLOUTS)} / ${pct(tally[t].fail / ROLLOUTS)}`;
    const minutes = tally.bracket.failAt.length ? `${quantileOf(tally.bracket.failAt, 0.5)}, ${quantileOf(tally.bracket.failAt, 0.9)}` : '-';
    console.log(`| ${s.buckets} | ${s.name} | ${cell('tails')} | ${cell('bracket')} | ${minutes} | ${(tally.tails.ms / ROLLOUTS).toFixed(1)} / ${(tally.bracket.ms / ROLLOUTS).toFixed(1)} |`);
  });
  console.log('');
}

// ---------------------------------------------------------------- 3. positions

if (!ONLY || ONLY === 'positions') {
  const per = Math.max(5, Math.round(ROLLOUTS / 10));
  console.log(`## 3. p95 x1.2 by the baseline's position in its bucket (7 + 7 + 40 minutes, ${per} rollouts a position)\n`);
  console.log("| baseline p95 ms | its bucket | canary p95 ms | the ratio's lower end the buckets allow | the baseline's p95 below its bucket's top | the canary's above its bucket's bottom | now: fail | now: fail minute (median) | before: fail |");
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (let k = 0; k < 10; k++) {
    const base = resolvingBaseline(k);
    const q = base.median * Math.exp(Z95 * base.sigma);
    const bucket = (x: number) => [[...RESOLVING].reverse().find((b) => b < x)!, RESOLVING.find((b) => b >= x)!];
    const [, bu] = bucket(q);
    const [cl] = bucket(1.2 * q);
    const tally = Object.fromEntries(TESTS.map((t) => [t, { fail: 0, failAt: [] as number[] }]));
    for (let r = 0; r < per; r++) {
      const u = seededUniform(Math.imul(SEED ^ 0x85ebca6b, k + 1) + r);
      const data = simulate({ shares: steps([7, 7, 40]), latency: () => base, canaryOf: (l) => scaled(l, 1.2) }, RESOLVING, 10_000, u, normalFrom(u));
      for (const t of TESTS) {
        const v = quantileTimelineVerdict(data.baseline, data.canary, 0.95, { relative: 0.1 }, 'increase', RATES, t);
        if (v.verdict === 'fail') (tally[t].fail++, tally[t].failAt.push(v.decidedAt!));
      }
    }
    const [bl] = bucket(q);
    console.log(
      `| ${q.toFixed(1)} | (${bl}, ${bu}] | ${(1.2 * q).toFixed(1)} | ${cl} / ${bu} = x${(cl / bu).toFixed(3)} | ${pct(bu / q - 1)} | ${pct((1.2 * q) / cl - 1)} | ${pct(tally.bracket.fail / per)} | ${tally.bracket.failAt.length ? quantileOf(tally.bracket.failAt, 0.5) : '-'} | ${pct(tally.tails.fail / per)} |`,
    );
  }
  console.log('');
}

console.log(`wall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
