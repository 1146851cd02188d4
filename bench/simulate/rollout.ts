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
import { RESOLVING_LATENCY_BUCKETS } from '../../demo/latency-buckets';
import { multinomial, binomial, type Normal, type Uniform } from './binomial';

export const REQUESTS_PER_MINUTE = 10_000;
/** Canary share of each rollout step. */
export const STEP_SHARES = [0.01, 0.1, 0.5] as const;
export const LOOKS_PER_STEP = 7;
export const LOOKS = STEP_SHARES.length * LOOKS_PER_STEP;
/** Last look (1-based) of the 50 % step: "reaches pass by the 50 % step" means at or before it. */
export const LAST_LOOK_OF_50_PERCENT_STEP = LOOKS;

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
}

/** The side models of one minute of a scenario with a trend over time (both sides move together). */
export function modelsAt(scenario: Scenario, look: number): { baseline: SideModel; canary: SideModel } {
  const t = (look - 1) / (LOOKS - 1);
  let baseline = BASELINE;
  let canary = scenario.canary;
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
];

/** Bucket probabilities of a side, precomputed once per scenario. */
export interface SideProbabilities {
  readonly latency: Float64Array; // per LATENCY_BOUNDS bucket
  readonly score: Float64Array; // per finite SCORE_BOUNDS bucket (the +Inf bucket has none)
  readonly classes: Float64Array;
  readonly errorRate: number;
}

export function probabilities(side: SideModel): SideProbabilities {
  const latencyCdf = (x: number) => (x === Infinity ? 1 : normalCdf((Math.log(x) - Math.log(side.latencyMedianMs)) / side.latencySigma));
  // Clipping to [0, 1] puts the mass below 0 in the first bucket and above 1 in the last.
  const scoreCdf = (x: number) => (x >= 1 ? 1 : normalCdf((x - side.scoreMean) / side.scoreSd));
  return {
    latency: differences(LATENCY_BOUNDS, latencyCdf),
    score: differences(SCORE_BOUNDS.slice(0, -1), scoreCdf),
    classes: Float64Array.from(side.classShares),
    errorRate: side.errorRate,
  };
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
  readonly latency = new Float64Array(LATENCY_BOUNDS.length);
  readonly score = new Float64Array(SCORE_BOUNDS.length);
  readonly classes = new Float64Array(CLASSES.length);
  errors = 0;
  requests = 0;

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
  readonly baseline = new SideCounts();
  readonly canary = new SideCounts();
  readonly lastMinuteCanary = new SideCounts();
  private readonly lastMinuteBaseline = new SideCounts();
  /** Each minute's counts per side, oldest first: what a timeline (`intervals`) carries. */
  readonly minutes: { baseline: SideCounts; canary: SideCounts }[] = [];
  look = 0;

  constructor(
    private readonly baselineModel: SideProbabilities,
    private readonly canaryModel: SideProbabilities,
    private readonly uniform: Uniform,
    private readonly normal: Normal,
    private readonly requestsPerMinute = REQUESTS_PER_MINUTE,
    /** Per-minute models of a scenario with a trend; else the fixed ones. */
    private readonly modelsAt?: (look: number) => { baseline: SideProbabilities; canary: SideProbabilities },
  ) {}

  /** Advances one simulated minute (one look). */
  nextMinute(): void {
    this.look++;
    const models = this.modelsAt?.(this.look) ?? { baseline: this.baselineModel, canary: this.canaryModel };
    const canaryRequests = Math.round(this.requestsPerMinute * canaryShareAt(this.look));
    drawMinute(this.requestsPerMinute - canaryRequests, models.baseline, this.lastMinuteBaseline, this.uniform, this.normal);
    drawMinute(canaryRequests, models.canary, this.lastMinuteCanary, this.uniform, this.normal);
    this.baseline.add(this.lastMinuteBaseline);
    this.canary.add(this.lastMinuteCanary);
    const minute = { baseline: new SideCounts(), canary: new SideCounts() };
    minute.baseline.add(this.lastMinuteBaseline);
    minute.canary.add(this.lastMinuteCanary);
    this.minutes.push(minute);
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
