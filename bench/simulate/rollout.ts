/**
 * The simulated rollout: the seed's traffic, steps and looks, the scenarios (each changes one
 * thing on the canary) and the per-minute data of both sides, drawn as bucket counts.
 *
 * Traffic: 10,000 requests per minute split between baseline (stable/primary) and canary by
 * the step's canary share, 1 % -> 10 % -> 50 %, 7 one-minute looks per step. Every request
 * has a latency, an error flag, a prediction score and a predicted class, drawn independently.
 * Data accumulate from the rollout's start: each look sees all data so far (cumulative), and
 * the last minute is kept apart for Flagger-style checks, which query one interval.
 */
import { normalCdf } from '../../src/stats/normal';
import { ENVOY_DEFAULT_BUCKETS, RESOLVING_LATENCY_BUCKETS } from '../../demo/latency-buckets';
import { multinomial, binomial, type Normal, type Uniform } from './binomial';

export const REQUESTS_PER_MINUTE = 10_000;
/** Canary share of each rollout step. */
export const STEP_SHARES = [0.01, 0.1, 0.5] as const;
export const LOOKS_PER_STEP = 7;
export const LOOKS = STEP_SHARES.length * LOOKS_PER_STEP;
/** Last look (1-based) of the 50 % step: "reaches pass by the 50 % step" means at or before it. */
export const LAST_LOOK_OF_50_PERCENT_STEP = LOOKS;
/** First look (1-based) of the 50 % step: where the shipped Rollout's gate starts looking (issue 21's late harm). */
export const FIRST_LOOK_OF_50_PERCENT_STEP = LOOKS - LOOKS_PER_STEP + 1;

export function canaryShareAt(look: number): number {
  return STEP_SHARES[Math.min(STEP_SHARES.length - 1, Math.floor((look - 1) / LOOKS_PER_STEP))];
}

/**
 * The latency bounds the seed's pods carry (demo/latency-buckets.ts: ~4.5 % apart from 25 to
 * 418 ms), then +Inf. Histogram bounds are bucket edges, so buckets wider than the 10 % margin
 * could never pass a latency metric; the histogram scenario set (`--scenario histograms`)
 * shows Envoy's defaults beside them.
 */
export const LATENCY_BOUNDS: readonly number[] = [...RESOLVING_LATENCY_BUCKETS, Infinity];
/**
 * 100 score buckets of width 0.01 on [0, 1], then +Inf (always empty: scores are clipped to
 * [0, 1]). Narrow enough that the gap two score CDFs could hide inside one bucket stays well
 * under the 0.1 KS margin.
 */
export const SCORE_BOUNDS: readonly number[] = [...Array.from({ length: 100 }, (_, i) => Number(((i + 1) * 0.01).toFixed(2))), Infinity];
export const CLASSES = ['cat', 'dog', 'bird'] as const;
/** Envoy's default bounds, then +Inf: the latency buckets of the issue-21 shape scenarios (`latencyBuckets: 'envoy'`). */
export const ENVOY_LATENCY_BOUNDS: readonly number[] = [...ENVOY_DEFAULT_BUCKETS, Infinity];

/** What one side of a rollout serves. */
export interface SideModel {
  /** Lognormal latency: median in ms and sigma of the log. */
  readonly latencyMedianMs: number;
  readonly latencySigma: number;
  readonly errorRate: number;
  /** Normal prediction score clipped to [0, 1]. */
  readonly scoreMean: number;
  readonly scoreSd: number;
  readonly classShares: readonly number[];
  /** A second lognormal latency component (slow dependency calls): this share of requests, median in ms, sigma. */
  readonly latencyTail?: { readonly share: number; readonly medianMs: number; readonly sigma: number };
}

export const BASELINE: SideModel = {
  latencyMedianMs: 40,
  latencySigma: 0.5,
  errorRate: 0.005,
  scoreMean: 0.7,
  scoreSd: 0.12,
  classShares: [0.5, 0.4, 0.1],
};

/**
 * The baseline of the Envoy-bucket scenarios (issue 21): a model's body (lognormal, median
 * 70 ms, sigma 0.4) and 3 % slow dependency calls (median 450 ms, sigma 0.5); p95 about 158 ms,
 * inside Envoy's bucket (100, 250], with 2.7 % of requests above 250 ms.
 */
export const ENVOY_BASELINE: SideModel = { ...BASELINE, latencyMedianMs: 70, latencySigma: 0.4, latencyTail: { share: 0.03, medianMs: 450, sigma: 0.5 } };

/**
 * A canary slower in the body (median x bodyFactor) with fewer slow dependency calls
 * (`tailShare` of requests): its p95 rises while its share above 250 ms falls. x1.347 with 1 %
 * is p95 +20 % (a bigger model with a lighter far tail); x1.273 with 1.5 % is +16 % (slower
 * inference, fewer slow calls): `latencyQuantileOf` computes them, and the benchmark prints them.
 */
function envoyShape(bodyFactor: number, tailShare: number): SideModel {
  return { ...ENVOY_BASELINE, latencyMedianMs: 70 * bodyFactor, latencyTail: { share: tailShare, medianMs: 450, sigma: 0.5 } };
}

/** Both sides' error rate during the timing scenarios' shared dependency outage. */
export const OUTAGE_ERROR_RATE = 0.2;

/**
 * healthy: the canary is as good as the baseline (a rollback is false);
 * harmful: the change is beyond the default margin (a rollback is a detection);
 * at-margin: the change equals the default margin (neither verdict is owed);
 * within-margin: the change is smaller than the default margin (a pass is correct).
 */
export type Role = 'healthy' | 'harmful' | 'at-margin' | 'within-margin';

export interface Scenario {
  readonly name: string;
  readonly role: Role;
  readonly canary: SideModel;
  /** canary-judge margins: the defaults, or zero everywhere (any change is a failure). */
  readonly margins: 'default' | 'zero';
  /** Scenarios with the same stream see the same random data (aa and aa-zero-margin). */
  readonly stream: number;
  /** Requests per minute (default REQUESTS_PER_MINUTE). */
  readonly requestsPerMinute?: number;
  /** Both sides' error rate moves linearly from the first to the last look (the canary keeps its multiple of the baseline's). */
  readonly errorRates?: readonly [number, number];
  /** Both sides' median latency follows load, rising linearly to this factor at the last look. */
  readonly latencyLoad?: number;
  /** Both sides' class shares move linearly from the first to the second mix over the rollout (time of day). */
  readonly classDrift?: readonly [readonly number[], readonly number[]];
  /** Both sides' mean score moves linearly by this many baseline sds over the rollout (time of day; issue 21). */
  readonly scoreDrift?: number;
  /** The baseline's model (default BASELINE). */
  readonly baseline?: SideModel;
  /** The latency histogram's bounds (default LATENCY_BOUNDS, the seed's resolving buckets). */
  readonly latencyBuckets?: 'envoy';
  /** Late harm: the canary serves this model from this look on (identical to `canary` before). */
  readonly lateCanary?: { readonly fromLook: number; readonly canary: SideModel };
  /** Real timing within minutes (issue 21): requests and errors drawn per 5-second tick, see `Timing`. */
  readonly timing?: Timing;
  /**
   * Header-routed testers (the seed's `x-canary-version: v2`, issue 21 item 5): this many
   * requests a minute forced to the canary whatever its weight, with their own latency and
   * errors (the baseline's scaled: test traffic is slower and fails more, whichever version
   * serves it). The canary-judge methods then send what the shipped templates send: the step's
   * weight as `expectedCanaryShare`, with the latest minute's request counts.
   */
  readonly testers?: { readonly perMinute: number; readonly latencyFactor: number; readonly errorFactor: number };
  /**
   * The canary-judge methods state the step's weight (`canaryWeight`: Flagger's gauge where its
   * step is too recent to count the split, or `expectedCanaryShare`), so a pass waits until the
   * latest interval shows it (src/judge/current-weight.ts). No request counts are sent: the
   * split check is not what is measured.
   */
  readonly weightSent?: boolean;
}

/**
 * How real clusters differ from clean minutes (issue 21), simulated per 5-second tick: each
 * tick routes its requests to the canary by the weight at that moment (Binomial), and errors
 * arrive per request at the side's rate, or in clusters (sticky routing); each side's interval
 * sums the ticks of its own scrape window.
 */
export interface Timing {
  /** Argo's setWeight off the query grid: each step change falls at a random moment inside its minute. */
  readonly stepInsideMinute?: boolean;
  /** The canary's intervals lag the baseline's by this much (per-pod scrape offsets), a multiple of 5 s. */
  readonly canaryLagSeconds?: number;
  /** Errors arrive in clusters of this many requests on one side (the mean rate unchanged). */
  readonly errorClusterSize?: number;
  /**
   * A shared dependency outage once per rollout: both sides' error rate is `rate` for a random
   * 1-3 minutes, starting at a random moment (with `atStep`, within a minute either side of the
   * step to 50 %, where the split moves most: it overlaps the minute that holds the step).
   */
  readonly outage?: { readonly rate: number; readonly atStep?: boolean };
}

/** The side models of one minute of a scenario with a trend over time (both sides move together). */
export function modelsAt(scenario: Scenario, look: number): { baseline: SideModel; canary: SideModel } {
  const t = (look - 1) / (LOOKS - 1);
  let baseline = scenario.baseline ?? BASELINE;
  let canary = scenario.lateCanary && look >= scenario.lateCanary.fromLook ? scenario.lateCanary.canary : scenario.canary;
  if (scenario.errorRates) {
    const rate = scenario.errorRates[0] + (scenario.errorRates[1] - scenario.errorRates[0]) * t;
    baseline = { ...baseline, errorRate: rate };
    canary = { ...canary, errorRate: rate * (scenario.canary.errorRate / BASELINE.errorRate) };
  }
  if (scenario.latencyLoad) {
    const factor = 1 + (scenario.latencyLoad - 1) * t;
    baseline = { ...baseline, latencyMedianMs: baseline.latencyMedianMs * factor };
    canary = { ...canary, latencyMedianMs: canary.latencyMedianMs * factor };
  }
  if (scenario.classDrift) {
    const [from, to] = scenario.classDrift;
    const classShares = from.map((share, i) => share + (to[i] - share) * t);
    baseline = { ...baseline, classShares };
    canary = { ...canary, classShares };
  }
  if (scenario.scoreDrift) {
    const move = scenario.scoreDrift * BASELINE.scoreSd * t;
    baseline = { ...baseline, scoreMean: baseline.scoreMean + move };
    canary = { ...canary, scoreMean: canary.scoreMean + move };
  }
  return { baseline, canary };
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'aa', role: 'healthy', canary: BASELINE, margins: 'default', stream: 1 },
  { name: 'aa-zero-margin', role: 'healthy', canary: BASELINE, margins: 'zero', stream: 1 },
  { name: 'latency+10%', role: 'at-margin', canary: { ...BASELINE, latencyMedianMs: 40 * 1.1 }, margins: 'default', stream: 2 },
  { name: 'latency+30%', role: 'harmful', canary: { ...BASELINE, latencyMedianMs: 40 * 1.3 }, margins: 'default', stream: 3 },
  { name: 'errors-1.5x', role: 'at-margin', canary: { ...BASELINE, errorRate: 0.0075 }, margins: 'default', stream: 4 },
  { name: 'errors-3x', role: 'harmful', canary: { ...BASELINE, errorRate: 0.015 }, margins: 'default', stream: 5 },
  { name: 'score-0.1sd', role: 'within-margin', canary: { ...BASELINE, scoreMean: 0.7 - 0.1 * 0.12 }, margins: 'default', stream: 6 },
  { name: 'score-0.3sd', role: 'harmful', canary: { ...BASELINE, scoreMean: 0.7 - 0.3 * 0.12 }, margins: 'default', stream: 7 },
  { name: 'class-mix', role: 'at-margin', canary: { ...BASELINE, classShares: [0.45, 0.4, 0.15] }, margins: 'default', stream: 8 },
  // Issue 12: low traffic, and A/As whose rates move over time while the split rises.
  { name: 'aa-1k', role: 'healthy', canary: BASELINE, margins: 'default', stream: 9, requestsPerMinute: 1000 },
  { name: 'errors-3x-1k', role: 'harmful', canary: { ...BASELINE, errorRate: 0.015 }, margins: 'default', stream: 10, requestsPerMinute: 1000 },
  { name: 'aa-rising-errors', role: 'healthy', canary: BASELINE, margins: 'default', stream: 11, errorRates: [0.002, 0.01] },
  { name: 'aa-latency-load', role: 'healthy', canary: BASELINE, margins: 'default', stream: 12, latencyLoad: 1.5 },
  { name: 'aa-class-drift', role: 'healthy', canary: BASELINE, margins: 'default', stream: 13, classDrift: [[0.6, 0.3, 0.1], [0.3, 0.6, 0.1]] },
  // Issue 21, items 4 and 6: model scores drifting 1 sd on both sides over the rollout (time of day), healthy and harmful.
  { name: 'aa-score-drift', role: 'healthy', canary: BASELINE, margins: 'default', stream: 31, scoreDrift: 1 },
  { name: 'score-0.3sd-drift', role: 'harmful', canary: { ...BASELINE, scoreMean: 0.7 - 0.3 * 0.12 }, margins: 'default', stream: 32, scoreDrift: 1 },
  // Issue 21 (items 1-3): shape changes on Envoy's buckets, harm that starts late, real timing.
  { name: 'aa-envoy', role: 'healthy', baseline: ENVOY_BASELINE, canary: ENVOY_BASELINE, latencyBuckets: 'envoy', margins: 'default', stream: 2101 },
  { name: 'envoy-shape+20%', role: 'harmful', baseline: ENVOY_BASELINE, canary: envoyShape(1.347, 0.01), latencyBuckets: 'envoy', margins: 'default', stream: 2102 },
  { name: 'envoy-shape+16%', role: 'harmful', baseline: ENVOY_BASELINE, canary: envoyShape(1.273, 0.015), latencyBuckets: 'envoy', margins: 'default', stream: 2103 },
  { name: 'late-latency+40%', role: 'harmful', canary: BASELINE, lateCanary: { fromLook: 15, canary: { ...BASELINE, latencyMedianMs: 40 * 1.4 } }, margins: 'default', stream: 2104 },
  { name: 'late-errors-4x', role: 'harmful', canary: BASELINE, lateCanary: { fromLook: 15, canary: { ...BASELINE, errorRate: 0.02 } }, margins: 'default', stream: 2105 },
  { name: 'aa-outage-step-inside', role: 'healthy', canary: BASELINE, margins: 'default', stream: 2106, timing: { stepInsideMinute: true, outage: { rate: OUTAGE_ERROR_RATE, atStep: true } } },
  { name: 'aa-outage-lag30s', role: 'healthy', canary: BASELINE, margins: 'default', stream: 2107, timing: { canaryLagSeconds: 30, outage: { rate: OUTAGE_ERROR_RATE } } },
  { name: 'aa-outage-clusters', role: 'healthy', canary: BASELINE, margins: 'default', stream: 2108, timing: { errorClusterSize: 20, outage: { rate: OUTAGE_ERROR_RATE } } },
  {
    name: 'errors-3x-timing',
    role: 'harmful',
    canary: { ...BASELINE, errorRate: 0.015 },
    margins: 'default',
    stream: 2109,
    timing: { stepInsideMinute: true, canaryLagSeconds: 30, errorClusterSize: 20, outage: { rate: OUTAGE_ERROR_RATE } },
  },
  // Late harm with the step to 50 % inside its minute: at look 15 the latest interval can still
  // read mostly 10 %. The same rollouts (one stream) judged without and with the weight stated.
  { name: 'late-latency+40%-step-inside', role: 'harmful', canary: BASELINE, lateCanary: { fromLook: 15, canary: { ...BASELINE, latencyMedianMs: 40 * 1.4 } }, margins: 'default', stream: 2111, timing: { stepInsideMinute: true } },
  { name: 'late-latency+40%-step-inside+weight', role: 'harmful', canary: BASELINE, lateCanary: { fromLook: 15, canary: { ...BASELINE, latencyMedianMs: 40 * 1.4 } }, margins: 'default', stream: 2111, timing: { stepInsideMinute: true }, weightSent: true },
  { name: 'late-errors-4x-step-inside', role: 'harmful', canary: BASELINE, lateCanary: { fromLook: 15, canary: { ...BASELINE, errorRate: 0.02 } }, margins: 'default', stream: 2112, timing: { stepInsideMinute: true } },
  { name: 'late-errors-4x-step-inside+weight', role: 'harmful', canary: BASELINE, lateCanary: { fromLook: 15, canary: { ...BASELINE, errorRate: 0.02 } }, margins: 'default', stream: 2112, timing: { stepInsideMinute: true }, weightSent: true },
  // Issue 21 (item 5): 50 requests/minute of header-routed testers, 1.5x slower and 3x the errors whatever the version.
  { name: 'aa-header-testers', role: 'healthy', canary: BASELINE, margins: 'default', stream: 2110, testers: { perMinute: 50, latencyFactor: 1.5, errorFactor: 3 } },
];

/** Bucket probabilities of a side, precomputed once per scenario. */
export interface SideProbabilities {
  readonly latency: Float64Array; // per LATENCY_BOUNDS bucket
  readonly score: Float64Array; // per finite SCORE_BOUNDS bucket (the +Inf bucket has none)
  readonly classes: Float64Array;
  readonly errorRate: number;
}

export function probabilities(side: SideModel, latencyBounds: readonly number[] = LATENCY_BOUNDS): SideProbabilities {
  const latencyCdf = (x: number) => latencyCdfOf(side, x);
  // Clipping to [0, 1] puts the mass below 0 in the first bucket and above 1 in the last.
  const scoreCdf = (x: number) => (x >= 1 ? 1 : normalCdf((x - side.scoreMean) / side.scoreSd));
  return {
    latency: differences(latencyBounds, latencyCdf),
    score: differences(SCORE_BOUNDS.slice(0, -1), scoreCdf),
    classes: Float64Array.from(side.classShares),
    errorRate: side.errorRate,
  };
}

/** The share of a side's requests at or below x ms (the body, and the slow component when there is one). */
export function latencyCdfOf(side: SideModel, x: number): number {
  if (x === Infinity) return 1;
  const body = normalCdf((Math.log(x) - Math.log(side.latencyMedianMs)) / side.latencySigma);
  const tail = side.latencyTail;
  if (!tail) return body;
  return (1 - tail.share) * body + tail.share * normalCdf((Math.log(x) - Math.log(tail.medianMs)) / tail.sigma);
}

/** A side's true latency quantile (by bisection on the log scale). */
export function latencyQuantileOf(side: SideModel, p: number): number {
  let lo = Math.log(1e-3);
  let hi = Math.log(1e7);
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (latencyCdfOf(side, Math.exp(mid)) < p) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}

/** The latency bounds a scenario's histograms carry. */
export function latencyBoundsOf(scenario: Scenario): readonly number[] {
  return scenario.latencyBuckets === 'envoy' ? ENVOY_LATENCY_BOUNDS : LATENCY_BOUNDS;
}

function differences(bounds: readonly number[], cdf: (x: number) => number): Float64Array {
  const out = new Float64Array(bounds.length);
  let previous = 0;
  bounds.forEach((b, i) => {
    const c = cdf(b);
    out[i] = c - previous;
    previous = c;
  });
  return out;
}

/** One side's counts over some span of minutes. */
export class SideCounts {
  readonly latency: Float64Array;
  readonly score = new Float64Array(SCORE_BOUNDS.length);
  readonly classes = new Float64Array(CLASSES.length);
  errors = 0;
  requests = 0;

  constructor(latencyBuckets = LATENCY_BOUNDS.length) {
    this.latency = new Float64Array(latencyBuckets);
  }

  add(other: SideCounts): void {
    for (let i = 0; i < this.latency.length; i++) this.latency[i] += other.latency[i];
    for (let i = 0; i < this.score.length; i++) this.score[i] += other.score[i];
    for (let i = 0; i < this.classes.length; i++) this.classes[i] += other.classes[i];
    this.errors += other.errors;
    this.requests += other.requests;
  }
}

/** Overwrites `out` with one minute of `requests` requests of a side. */
export function drawMinute(requests: number, side: SideProbabilities, out: SideCounts, uniform: Uniform, normal: Normal): void {
  out.requests = requests;
  multinomial(requests, side.latency, out.latency, uniform, normal);
  // The score histogram's +Inf bucket stays empty.
  multinomial(requests, side.score, out.score.subarray(0, side.score.length), uniform, normal);
  multinomial(requests, side.classes, out.classes, uniform, normal);
  out.errors = binomial(requests, side.errorRate, uniform, normal);
}

/** Cumulative counts of both sides since the rollout started, the canary's last minute, and every minute (the timeline). */
export class RolloutData {
  readonly baseline: SideCounts;
  readonly canary: SideCounts;
  readonly lastMinuteCanary: SideCounts;
  private readonly lastMinuteBaseline: SideCounts;
  /** Each minute's counts per side, oldest first: what a timeline (`intervals`) carries. */
  readonly minutes: { baseline: SideCounts; canary: SideCounts }[] = [];
  look = 0;
  /** Per-tick requests and errors of both sides, for scenarios with `timing`. */
  private readonly ticks?: TickClock;

  constructor(
    private readonly baselineModel: SideProbabilities,
    private readonly canaryModel: SideProbabilities,
    private readonly uniform: Uniform,
    private readonly normal: Normal,
    private readonly requestsPerMinute = REQUESTS_PER_MINUTE,
    /** Per-minute models of a scenario with a trend; else the fixed ones. */
    private readonly modelsAt?: (look: number) => { baseline: SideProbabilities; canary: SideProbabilities },
    /** The latency histogram's bounds. */
    readonly latencyBounds: readonly number[] = LATENCY_BOUNDS,
    timing?: Timing,
    /** Header-routed testers' requests a minute and their model, added to the canary's minute. */
    private readonly testers?: { readonly perMinute: number; readonly model: SideProbabilities },
  ) {
    const side = () => new SideCounts(latencyBounds.length);
    [this.baseline, this.canary, this.lastMinuteCanary, this.lastMinuteBaseline] = [side(), side(), side(), side()];
    if (timing) this.ticks = new TickClock(timing, requestsPerMinute, uniform, normal);
  }

  /** Advances one simulated minute (one look). */
  nextMinute(): void {
    this.look++;
    const models = this.modelsAt?.(this.look) ?? { baseline: this.baselineModel, canary: this.canaryModel };
    if (this.ticks) {
      // Requests and errors from the ticks of each side's scrape window; the rest per minute.
      const { baseline, canary } = this.ticks.interval(this.look, models.baseline.errorRate, models.canary.errorRate);
      drawMinute(baseline.requests, models.baseline, this.lastMinuteBaseline, this.uniform, this.normal);
      drawMinute(canary.requests, models.canary, this.lastMinuteCanary, this.uniform, this.normal);
      this.lastMinuteBaseline.errors = baseline.errors;
      this.lastMinuteCanary.errors = canary.errors;
    } else {
      const canaryRequests = Math.round(this.requestsPerMinute * canaryShareAt(this.look));
      drawMinute(this.requestsPerMinute - canaryRequests, models.baseline, this.lastMinuteBaseline, this.uniform, this.normal);
      drawMinute(canaryRequests, models.canary, this.lastMinuteCanary, this.uniform, this.normal);
    }
    if (this.testers) {
      const forced = new SideCounts(this.latencyBounds.length);
      drawMinute(this.testers.perMinute, this.testers.model, forced, this.uniform, this.normal);
      this.lastMinuteCanary.add(forced);
    }
    this.baseline.add(this.lastMinuteBaseline);
    this.canary.add(this.lastMinuteCanary);
    const minute = { baseline: new SideCounts(this.latencyBounds.length), canary: new SideCounts(this.latencyBounds.length) };
    minute.baseline.add(this.lastMinuteBaseline);
    minute.canary.add(this.lastMinuteCanary);
    this.minutes.push(minute);
  }
}

/** Ticks per simulated minute (5 s each). */
export const TICKS_PER_MINUTE = 12;

/**
 * The tick-level traffic of a scenario with `timing`: the weight at each tick (the steps at
 * minutes 7 and 14, inside the minute when `stepInsideMinute`), each tick's requests routed
 * by it, errors per request or in clusters, a shared outage; each side's interval sums its own
 * window of ticks (the canary's shifted by its lag).
 */
class TickClock {
  private readonly stepAt: number[];
  private readonly lagTicks: number;
  private readonly outage?: { from: number; to: number; rate: number };
  /** Per tick, both sides' requests and errors (drawn once, in tick order). */
  private readonly drawn: { baselineRequests: number; canaryRequests: number; baselineErrors: number; canaryErrors: number }[] = [];

  constructor(
    private readonly timing: Timing,
    private readonly requestsPerMinute: number,
    private readonly uniform: Uniform,
    private readonly normal: Normal,
  ) {
    // The tick at which each step change takes effect (minute 7 and 14, on the grid or inside the minute).
    this.stepAt = STEP_SHARES.slice(1).map((_, s) => ((s + 1) * LOOKS_PER_STEP + (timing.stepInsideMinute ? 0.05 + 0.9 * uniform() : 0)) * TICKS_PER_MINUTE);
    this.lagTicks = Math.round(((timing.canaryLagSeconds ?? 0) / 60) * TICKS_PER_MINUTE);
    if (timing.outage) {
      const from = timing.outage.atStep ? this.stepAt[this.stepAt.length - 1] + (2 * uniform() - 1) * TICKS_PER_MINUTE : uniform() * LOOKS * TICKS_PER_MINUTE;
      this.outage = { from, to: from + (1 + 2 * uniform()) * TICKS_PER_MINUTE, rate: timing.outage.rate };
    }
  }

  private shareAt(tick: number): number {
    let step = 0;
    while (step < this.stepAt.length && tick + 0.5 >= this.stepAt[step]) step++;
    return STEP_SHARES[step];
  }

  private draw(upTo: number, baselineRate: number, canaryRate: number): void {
    const perTick = this.requestsPerMinute / TICKS_PER_MINUTE;
    while (this.drawn.length <= upTo) {
      const tick = this.drawn.length;
      const n = Math.round(perTick * (tick + 1)) - Math.round(perTick * tick);
      const canaryRequests = binomial(n, this.shareAt(tick), this.uniform, this.normal);
      const baselineRequests = n - canaryRequests;
      const inOutage = this.outage && tick + 0.5 >= this.outage.from && tick + 0.5 < this.outage.to;
      const rate = (r: number) => (inOutage ? Math.max(r, this.outage!.rate) : r);
      this.drawn.push({
        baselineRequests,
        canaryRequests,
        baselineErrors: this.errors(baselineRequests, rate(baselineRate)),
        canaryErrors: this.errors(canaryRequests, rate(canaryRate)),
      });
    }
  }

  /** Errors among `requests` at `rate` per request, in clusters of errorClusterSize when set. */
  private errors(requests: number, rate: number): number {
    const size = this.timing.errorClusterSize ?? 1;
    if (size === 1) return binomial(requests, rate, this.uniform, this.normal);
    return Math.min(requests, size * binomial(requests, rate / size, this.uniform, this.normal));
  }

  /** Each side's requests and errors in interval `look` (1-based); the minute's error rates apply to ticks drawn now. */
  interval(look: number, baselineRate: number, canaryRate: number): { baseline: { requests: number; errors: number }; canary: { requests: number; errors: number } } {
    const end = look * TICKS_PER_MINUTE;
    this.draw(end + this.lagTicks - 1, baselineRate, canaryRate);
    const sum = (from: number, to: number, key: 'baseline' | 'canary') => {
      let requests = 0;
      let errors = 0;
      for (let t = Math.max(0, from); t < to; t++) {
        requests += this.drawn[t][`${key}Requests`];
        errors += this.drawn[t][`${key}Errors`];
      }
      return { requests, errors };
    };
    return { baseline: sum(end - TICKS_PER_MINUTE, end, 'baseline'), canary: sum(end - TICKS_PER_MINUTE + this.lagTicks, end + this.lagTicks, 'canary') };
  }
}

/** A 32-bit seed per (run seed, data stream, rollout), mixed so nearby inputs do not correlate. */
export function rolloutSeed(seed: number, stream: number, rollout: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35) ^ Math.imul(rollout + 1, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
