/**
 * The rollout planner: from the stable version's history (src/planner/history.ts), how long each
 * step of a rollout must run for a healthy canary to pass and a harmful one (2x errors, +20 %
 * p95 by default) to fail at the user's margins, and which margins the traffic can decide in the
 * time the Rollout gives.
 *
 * By simulation with the judge itself, so the plan is what the service will answer: each
 * simulated rollout draws one-minute intervals at the stable's own traffic (its minutes
 * resampled), split by the steps' canary shares, errors binomial at the stable's error rate (the
 * healthy canary) or a multiple of it (the harmful one), latencies multinomial over the stable's
 * own histogram (the harmful canary's scaled by the factor, log-linearly inside each bucket); the
 * metric's timeline is judged as the service judges it (anytime-valid, per interval, the fail
 * rate the profile's Bonferroni share), and the first decisive interval says when. The share of
 * healthy rollouts that pass and of harmful ones that fail by the rollout's end, over `runs`
 * rollouts (common random numbers across settings, so comparisons between step lengths and
 * margins are not noise), gives the plan; a simulation, not a promise: traffic and error rates
 * move, and a share over 200 rollouts is known to about +-4 points. Only the verdicts are
 * computed (src/planner/verdicts.ts: the judge's claims and decision without its reported
 * bounds), which keeps a plan to seconds.
 *
 * Why a plan at all: anytime-valid evidence costs time, and at low traffic no valid test can
 * decide in a short rollout (at 1,000 requests/minute a 21-minute rollout gives about 5 nats
 * against a 3x error rate where a fail at the default margins needs 4.4). Saying "this traffic
 * needs 30 minutes per step" before the rollout is better than an inconclusive gate after it.
 */
import { anytimeValidEvidence } from '../judge/anytime-evidence';
import { judgeContinuous } from '../judge/continuous';
import type { MetricContext } from '../judge/metric-context';
import { judgeProportion } from '../judge/proportion';
import { sumCountIntervals, sumValuesIntervals } from '../judge/timeline';
import type { CountInterval, HistogramBucket, Margin, ValuesInterval } from '../judge/types';
import { binomial, multinomial, normalFrom, seededUniform, type Normal, type Uniform } from './draws';
import type { StableHistory } from './history';
import { bucketLimit, type BucketLimit } from './bucket-limit';
import { latencyModel, quantileOf, scaled, type LatencyModel } from './latency-model';
import { quantileTimelineVerdict, rateTimelineVerdict, type TimelineVerdict } from './verdicts';

/** A metric of the profile the planner plans for. */
export interface PlanMetric {
  readonly name: string;
  readonly kind: 'error-rate' | 'latency';
  readonly margin: Margin;
  /** Latency: the quantile judged (0.95 by default). */
  readonly quantile?: number;
}

export interface PlanOptions {
  /** Canary shares of the steps, in order (0.01 = 1 %). */
  readonly steps: readonly number[];
  /** How long each step runs in the Rollout as configured. */
  readonly minutesPerStep: number;
  readonly metrics: readonly PlanMetric[];
  /** The analysis' error budget and how many metrics share its fail rate (Bonferroni, as src/judge/analyze.ts). */
  readonly alpha: number;
  readonly metricCount: number;
  /** The harmful canary: errors x errorFactor (default 2), the latency scaled by latencyFactor (default 1.2). */
  readonly harm?: { readonly errorFactor?: number; readonly latencyFactor?: number };
  /** The share of healthy rollouts that must pass (default 0.8) and of harmful ones that must fail (default 0.9). */
  readonly power?: { readonly pass?: number; readonly fail?: number };
  /** Simulated rollouts per setting (default 200: a share near 90 % known to about +-4 points). */
  readonly runs?: number;
  readonly seed?: number;
  /** The longest step the search tries (default 240 minutes). */
  readonly maxMinutesPerStep?: number;
}

/** How a setting fared over the simulated rollouts. */
export interface Outcome {
  readonly minutesPerStep: number;
  /** Healthy rollouts that passed by the end, harmful ones that failed by the end. */
  readonly passShare: number;
  readonly failShare: number;
  /** Median minute of the pass (healthy) and of the fail (harmful), among those decided. */
  readonly medianPassMinute: number | null;
  readonly medianFailMinute: number | null;
}

export interface MetricPlan {
  readonly metric: PlanMetric;
  /** What the stable showed: "0.52 % errors" or "p95 123 ms". */
  readonly stable: string;
  /** At the Rollout's own step length. */
  readonly given: Outcome;
  /** The shortest step length (of the tried ones) meeting both powers; null when none up to the maximum does. */
  readonly needed: Outcome | null;
  /** Relative margins decidable at the given step length (the absolute margin left out): null when none of the tried ones. */
  readonly margins: { readonly smallestPassing: number | null; readonly largestFailing: number | null };
  /** Why nothing can be decided, when the judge says so (buckets too coarse). */
  readonly note?: string;
  /**
   * Latency: the buckets' part when it is not decided within the longest step tried (`needed`
   * null) or within the Rollout's own step (`needed` longer): alone, or slowing it
   * (src/planner/bucket-limit.ts).
   */
  readonly limit?: BucketLimit;
}

export interface RolloutPlan {
  readonly requestsPerMinute: number;
  readonly errorRate: number;
  readonly steps: readonly number[];
  readonly minutesPerStep: number;
  readonly power: { readonly pass: number; readonly fail: number };
  readonly harm: { readonly errorFactor: number; readonly latencyFactor: number };
  readonly runs: number;
  /** The longest step length tried. */
  readonly maxMinutesPerStep: number;
  readonly metrics: readonly MetricPlan[];
  /** The step length every metric needs (the largest); null when some metric needs more than the maximum. */
  readonly neededMinutesPerStep: number | null;
}

/** A plan that cannot be made (no traffic in the history, no metric to plan). */
export class PlanError extends Error {}

/** Step lengths the search tries (minutes). */
export const STEP_MINUTES = [1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240] as const;
/** Relative margins tried for "which margins can this traffic decide". */
const RELATIVE_MARGINS: Record<PlanMetric['kind'], readonly number[]> = {
  'error-rate': [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5],
  latency: [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1],
};
/** At most this many intervals per simulated timeline (as src/sources/prometheus/prometheus-source.ts fetches). */
const MAX_INTERVALS = 240;

export function planRollout(history: StableHistory, options: PlanOptions): RolloutPlan {
  const perMinute = history.requests.map((r) => (r * 60) / history.intervalSeconds).filter((r) => r > 0);
  if (!perMinute.length) throw new PlanError('the stable version served no requests in the history window: nothing to plan from');
  if (!options.steps.length || !options.steps.every((s) => s > 0 && s < 1)) throw new PlanError('every step needs a canary share strictly between 0 and 1');
  if (!options.metrics.length) throw new PlanError('the profile has no error-rate or latency metric to plan for');
  const requests = history.requests.reduce((a, b) => a + b, 0);
  const errorRate = history.errors.reduce((a, b) => a + b, 0) / requests;
  const harm = { errorFactor: options.harm?.errorFactor ?? 2, latencyFactor: options.harm?.latencyFactor ?? 1.2 };
  const power = { pass: options.power?.pass ?? 0.8, fail: options.power?.fail ?? 0.9 };
  const runs = options.runs ?? 200;
  const world: World = { perMinute, errorRate, latency: history.latency ? latencyModel(history.latency) : undefined, steps: options.steps, seed: options.seed ?? 20261201, runs };
  const ctx: MetricContext = { evidence: anytimeValidEvidence, rates: { fail: options.alpha / Math.max(1, options.metricCount), pass: options.alpha } };
  const metrics = options.metrics.map((metric) => planMetric(world, metric, ctx, harm, power, options));
  const needs = metrics.map((m) => m.needed?.minutesPerStep ?? null);
  return {
    requestsPerMinute: median(perMinute)!,
    errorRate,
    steps: options.steps,
    minutesPerStep: options.minutesPerStep,
    power,
    harm,
    runs,
    maxMinutesPerStep: options.maxMinutesPerStep ?? 240,
    metrics,
    neededMinutesPerStep: needs.some((n) => n === null) ? null : Math.max(...(needs as number[])),
  };
}

interface World {
  readonly perMinute: readonly number[];
  readonly errorRate: number;
  readonly latency?: LatencyModel;
  readonly steps: readonly number[];
  readonly seed: number;
  readonly runs: number;
}

function planMetric(world: World, metric: PlanMetric, ctx: MetricContext, harm: RolloutPlan['harm'], power: RolloutPlan['power'], options: PlanOptions): MetricPlan {
  const stable = metric.kind === 'error-rate' ? `${significant(world.errorRate * 100)} % errors` : `p${significant((metric.quantile ?? 0.95) * 100)} ${world.latency ? significant(quantileOf(world.latency, metric.quantile ?? 0.95)) : '?'} ms`;
  if (metric.kind === 'latency' && !world.latency) {
    const none: Outcome = { minutesPerStep: options.minutesPerStep, passShare: 0, failShare: 0, medianPassMinute: null, medianFailMinute: null };
    return { metric, stable, given: none, needed: null, margins: { smallestPassing: null, largestFailing: null }, note: 'the stable version has no latency histogram in the window' };
  }
  const outcome = (minutes: number, margin: Margin): Outcome => {
    const healthy = simulate(world, metric, margin, minutes, 1, ctx);
    const harmful = simulate(world, metric, margin, minutes, metric.kind === 'error-rate' ? harm.errorFactor : harm.latencyFactor, ctx);
    return { minutesPerStep: minutes, passShare: healthy.pass.length / world.runs, failShare: harmful.fail.length / world.runs, medianPassMinute: median(healthy.pass), medianFailMinute: median(harmful.fail) };
  };
  const note = neverDecidable(world, metric, options.minutesPerStep, ctx);
  const meets = (o: Outcome) => o.passShare >= power.pass && o.failShare >= power.fail;
  const given = outcome(options.minutesPerStep, metric.margin);
  const grid = STEP_MINUTES.filter((m) => m <= (options.maxMinutesPerStep ?? 240));
  // The shortest step meeting both powers (more minutes only add evidence): galloping up the
  // grid from the Rollout's own step length, then bisecting, so the long (costly) settings are
  // simulated only when the shorter ones fall short.
  const found = new Map<number, Outcome>([[given.minutesPerStep, given]]);
  const at = (i: number) => found.get(grid[i]) ?? found.set(grid[i], outcome(grid[i], metric.margin)).get(grid[i])!;
  let needed: Outcome | null = null;
  if (!note && grid.length) {
    const start = Math.max(0, grid.findIndex((m) => m >= options.minutesPerStep));
    let lo = -1;
    let hi = -1;
    if (meets(at(start))) hi = start;
    else {
      lo = start;
      for (let step = 1; lo + step < grid.length; step *= 2) {
        if (meets(at(lo + step))) {
          hi = lo + step;
          break;
        }
        lo += step;
      }
      if (hi < 0 && lo < grid.length - 1 && meets(at(grid.length - 1))) hi = grid.length - 1;
    }
    if (hi >= 0) {
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (meets(at(mid))) hi = mid;
        else lo = mid;
      }
      needed = at(hi);
    }
  }
  const margins = note ? { smallestPassing: null, largestFailing: null } : decidableMargins(world, metric, ctx, harm, power, options.minutesPerStep);
  const short = !needed || needed.minutesPerStep > options.minutesPerStep;
  const limit =
    !note && short && metric.kind === 'latency' && world.latency && metric.margin.relative !== undefined
      ? bucketLimit(world.latency, {
          level: metric.quantile ?? 0.95,
          margin: metric.margin.relative,
          harm: harm.latencyFactor,
          requestsPerMinute: median(world.perMinute)!,
          share: world.steps[world.steps.length - 1],
          maxMinutes: needed ? options.minutesPerStep : (grid[grid.length - 1] ?? 0),
          rates: ctx.rates,
        })
      : undefined;
  return { metric, stable, given, needed, margins, ...(note ? { note } : {}), ...(limit ? { limit } : {}) };
}

/** At the given step length, the smallest relative margin a healthy canary passes and the largest a harmful one fails at, by bisection. */
function decidableMargins(world: World, metric: PlanMetric, ctx: MetricContext, harm: RolloutPlan['harm'], power: RolloutPlan['power'], minutes: number) {
  const grid = RELATIVE_MARGINS[metric.kind];
  const factor = metric.kind === 'error-rate' ? harm.errorFactor : harm.latencyFactor;
  const passes = (m: number) => simulate(world, metric, { relative: m }, minutes, 1, ctx).pass.length / world.runs >= power.pass;
  const fails = (m: number) => simulate(world, metric, { relative: m }, minutes, factor, ctx).fail.length / world.runs >= power.fail;
  // Passing gets easier as the margin grows, failing harder.
  let smallestPassing: number | null = null;
  if (passes(grid[grid.length - 1])) {
    let lo = -1;
    let hi = grid.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (passes(grid[mid])) hi = mid;
      else lo = mid;
    }
    smallestPassing = grid[hi];
  }
  const below = grid.filter((m) => 1 + m < factor);
  let largestFailing: number | null = null;
  if (below.length && fails(below[0])) {
    let lo = 0;
    let hi = below.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (fails(below[mid])) lo = mid;
      else hi = mid;
    }
    largestFailing = below[lo];
  }
  return { smallestPassing, largestFailing };
}

/** The minutes (1-based) at which simulated rollouts passed and failed. */
function simulate(world: World, metric: PlanMetric, margin: Margin, minutesPerStep: number, factor: number, ctx: MetricContext): { pass: number[]; fail: number[] } {
  const minutesPerInterval = intervalMinutes(minutesPerStep, world);
  const pass: number[] = [];
  const fail: number[] = [];
  // Healthy and harmful rollouts draw from the same seeds (common random numbers).
  for (let run = 0; run < world.runs; run++) {
    const { verdict, decidedAt } = verdictOf(timelineOf(world, metric, minutesPerStep, factor, run), metric, margin, ctx);
    const minute = (decidedAt ?? 0) * minutesPerInterval;
    if (verdict === 'pass') pass.push(minute);
    if (verdict === 'fail') fail.push(minute);
  }
  return { pass, fail };
}

/** Intervals of one minute, longer when the rollout would have more than MAX_INTERVALS of them (as the service fetches). */
function intervalMinutes(minutesPerStep: number, world: World): number {
  return Math.max(1, Math.ceil((minutesPerStep * world.steps.length) / MAX_INTERVALS));
}

function timelineOf(world: World, metric: PlanMetric, minutesPerStep: number, factor: number, run: number) {
  const uniform = seededUniform(Math.imul(world.seed ^ 0x5bd1e995, run + 1) ^ (metric.kind === 'latency' ? 0x27d4eb2f : 0));
  return drawTimeline(world, metric, minutesPerStep, intervalMinutes(minutesPerStep, world), factor, uniform, normalFrom(uniform));
}

/** The judge's verdict without its reported bounds (src/planner/verdicts.ts), as the profile's metric is judged. */
function verdictOf(timeline: ReturnType<typeof drawTimeline>, metric: PlanMetric, margin: Margin, ctx: MetricContext): TimelineVerdict {
  if (metric.kind === 'error-rate') return rateTimelineVerdict(timeline.baseline as CountInterval[], timeline.canary as CountInterval[], margin, 'increase', ctx.rates);
  return quantileTimelineVerdict(timeline.baseline as ValuesInterval[], timeline.canary as ValuesInterval[], metric.quantile ?? 0.95, margin, 'increase', ctx.rates);
}

/** The judge's own reason on one healthy rollout: when it says nothing can ever be decided (buckets too coarse), that is the plan's note. */
function neverDecidable(world: World, metric: PlanMetric, minutesPerStep: number, ctx: MetricContext): string | undefined {
  const { baseline, canary } = timelineOf(world, metric, minutesPerStep, 1, 0);
  const common = { name: metric.name, critical: true, margin: metric.margin };
  const result =
    metric.kind === 'error-rate'
      ? judgeProportion({ ...common, kind: 'proportion', baseline: { ...sumCountIntervals(baseline as CountInterval[]), intervals: baseline as CountInterval[] }, canary: { ...sumCountIntervals(canary as CountInterval[]), intervals: canary as CountInterval[] } }, ctx)
      : judgeContinuous(
          { ...common, kind: 'continuous', quantile: metric.quantile ?? 0.95, baseline: { ...sumValuesIntervals(baseline as ValuesInterval[]), intervals: baseline as ValuesInterval[] }, canary: { ...sumValuesIntervals(canary as ValuesInterval[]), intervals: canary as ValuesInterval[] } },
          ctx,
        );
  return result.verdict === 'inconclusive' && /too coarse to ever/.test(result.reason) ? result.reason : undefined;
}

/** One simulated rollout's intervals for the metric: each minute's traffic resampled from the stable's, the canary's share by step. */
function drawTimeline(world: World, metric: PlanMetric, minutesPerStep: number, minutesPerInterval: number, factor: number, uniform: Uniform, normal: Normal) {
  const total = minutesPerStep * world.steps.length;
  const baseline: (CountInterval | ValuesInterval)[] = [];
  const canary: (CountInterval | ValuesInterval)[] = [];
  const latency = world.latency;
  const canaryLatency = latency && metric.kind === 'latency' ? scaled(latency, factor) : undefined;
  const buckets = latency ? new Float64Array(latency.bounds.length) : undefined;
  for (let start = 0; start < total; start += minutesPerInterval) {
    // The interval's requests, minute by minute (each minute's traffic resampled), split by its step's share;
    // then one draw per side for the whole interval (a sum of multinomials with the same probabilities is one).
    let requests = 0;
    let n = 0;
    for (let minute = start; minute < Math.min(total, start + minutesPerInterval); minute++) {
      const perMinute = Math.round(world.perMinute[Math.floor(uniform() * world.perMinute.length)]);
      requests += perMinute;
      n += binomial(perMinute, world.steps[Math.floor(minute / minutesPerStep)], uniform, normal);
    }
    if (metric.kind === 'error-rate') {
      baseline.push({ events: binomial(requests - n, world.errorRate, uniform, normal), total: requests - n });
      canary.push({ events: binomial(n, Math.min(1, world.errorRate * factor), uniform, normal), total: n });
    } else {
      multinomial(requests - n, latency!.probabilities, buckets!, uniform, normal);
      baseline.push({ histogram: { buckets: cumulative(latency!.bounds, buckets!) } });
      multinomial(n, canaryLatency!, buckets!, uniform, normal);
      canary.push({ histogram: { buckets: cumulative(latency!.bounds, buckets!) } });
    }
  }
  return { baseline, canary };
}

function cumulative(bounds: readonly number[], counts: Float64Array): HistogramBucket[] {
  let total = 0;
  return bounds.map((le, i) => ({ le, count: (total += counts[i]) }));
}

function median(xs: readonly number[]): number | null {
  if (!xs.length) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function significant(x: number): string {
  return Number(x.toPrecision(3)).toString();
}
