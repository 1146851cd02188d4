/**
 * Predictions whose labels arrive late, and late in a biased way: the simulation behind
 * `npm run bench:labels` and the real-Prometheus test's history (test/integration/delayed-labels.test.ts).
 *
 * Each prediction is easy or hard. Easy ones are right more often and their labels come fast;
 * hard ones are wrong more often and their labels come slowly (a delivery's outcome is known
 * at once, a dispute takes days): the first labels of an interval are the easy ones, so its
 * early accuracy is too high. Or the reverse: a wrong answer's label comes first (a complaint),
 * so the early accuracy is too low (`wrongFirst`). Label delays are exponential from a
 * prediction time uniform within its minute; arrivals are drawn per minute of predictions as
 * multinomial counts over arrival slots (src/planner/draws.ts), so a rollout costs ~10^3
 * binomial draws per side and minute, not one draw per prediction.
 */
import { binomial, multinomial, type Normal, type Uniform } from './binomial';

export interface LabelModel {
  /** Share of predictions that are hard. */
  readonly hardShare: number;
  readonly accuracy: { readonly easy: number; readonly hard: number };
  /** Mean label delay in minutes (exponential), by difficulty. */
  readonly meanDelayMinutes: { readonly easy: number; readonly hard: number };
  /** A wrong prediction's mean delay is multiplied by this (below 1: complaints come first). */
  readonly wrongDelayFactor?: number;
}

/** 70 % easy (97 % right, labels in ~1 min), 30 % hard (75 % right, labels in ~4 min): 90.4 % accuracy. */
export const TYPICAL: LabelModel = { hardShare: 0.3, accuracy: { easy: 0.97, hard: 0.75 }, meanDelayMinutes: { easy: 1, hard: 4 } };

export function overallAccuracy(model: LabelModel): number {
  return (1 - model.hardShare) * model.accuracy.easy + model.hardShare * model.accuracy.hard;
}

/**
 * P(label in by x minutes after the start of its prediction's minute) for an exponential delay
 * of mean `mean` from a prediction time uniform within the minute:
 * F(x) = x - (1 - e^{-x/m}) m for x <= 1, 1 - e^{-x/m} (e^{1/m} - 1) m beyond.
 */
export function labelledBy(x: number, mean: number): number {
  if (x <= 0) return 0;
  if (!(mean > 0)) return Math.min(1, x);
  if (x <= 1) return x - (1 - Math.exp(-x / mean)) * mean;
  return 1 - Math.exp(-x / mean) * Math.expm1(1 / mean) * mean;
}

/** Expected coverage of a minute of predictions `age` minutes after the minute ended. */
export function expectedCoverage(model: LabelModel, ageMinutes: number): number {
  const group = (share: number, accuracy: number, mean: number) => share * (accuracy * labelledBy(1 + ageMinutes, mean) + (1 - accuracy) * labelledBy(1 + ageMinutes, mean * (model.wrongDelayFactor ?? 1)));
  return group(1 - model.hardShare, model.accuracy.easy, model.meanDelayMinutes.easy) + group(model.hardShare, model.accuracy.hard, model.meanDelayMinutes.hard);
}

/** The labels of one minute of one side's predictions, by arrival slot after the minute's start (the last slot: later than the horizon). */
export interface MinuteLabels {
  readonly predictions: number;
  readonly correct: Float64Array;
  readonly wrong: Float64Array;
}

/** Arrival probabilities per slot of `slotMinutes` up to `slots` slots, the rest in the last. */
function arrivalProbabilities(mean: number, slotMinutes: number, slots: number): Float64Array {
  const p = new Float64Array(slots + 1);
  let before = 0;
  for (let j = 0; j < slots; j++) {
    const by = labelledBy((j + 1) * slotMinutes, mean);
    p[j] = by - before;
    before = by;
  }
  p[slots] = 1 - before;
  return p;
}

/** Draws one minute of predictions and when their labels arrive. */
export class LabelDraws {
  readonly #cache = new Map<string, Float64Array>();
  readonly #draw: Float64Array;
  constructor(
    readonly slotMinutes: number,
    readonly slots: number,
    private readonly uniform: Uniform,
    private readonly normal: Normal,
  ) {
    this.#draw = new Float64Array(slots + 1);
  }

  minute(predictions: number, model: LabelModel): MinuteLabels {
    const correct = new Float64Array(this.slots + 1);
    const wrong = new Float64Array(this.slots + 1);
    const hard = binomial(predictions, model.hardShare, this.uniform, this.normal);
    for (const [n, accuracy, mean] of [
      [predictions - hard, model.accuracy.easy, model.meanDelayMinutes.easy],
      [hard, model.accuracy.hard, model.meanDelayMinutes.hard],
    ] as const) {
      const right = binomial(n, accuracy, this.uniform, this.normal);
      this.spread(right, mean, correct);
      this.spread(n - right, mean * (model.wrongDelayFactor ?? 1), wrong);
    }
    return { predictions, correct, wrong };
  }

  private spread(n: number, mean: number, into: Float64Array): void {
    const key = String(mean);
    let p = this.#cache.get(key);
    if (!p) this.#cache.set(key, (p = arrivalProbabilities(mean, this.slotMinutes, this.slots)));
    multinomial(n, p, this.#draw, this.uniform, this.normal);
    for (let j = 0; j < into.length; j++) into[j] += this.#draw[j];
  }
}
