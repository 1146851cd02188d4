/**
 * Simulated shadow steps (issue 25, item 2): every request is answered by v1 (the primary), by
 * v2 (the shadow) and, for the noise floor, by a second replica of v1, and a comparator counts
 * the pairs by outcome (src/judge/paired-outcomes.ts), per interval, as the `shadow-pairs`
 * template reads them.
 *
 * One request: a classification over `classes` classes whose true class is 0. v1's latent answer
 * is right with probability `accuracy` (else a uniformly drawn wrong class). v2's latent answer is
 * v1's, except that where v1's is right v2's is wrong with probability `breaks`, and where v1's
 * is wrong v2's is right with probability `fixes`: v2's accuracy is accuracy - accuracy x breaks +
 * (1 - accuracy) x fixes, and it differs from v1 on the requests it changed. Every answer a replica
 * gives is non-deterministic: with probability `noise` it is another class than the latent one
 * (sampling, batching, GPU kernels), independently for each replica and call; so v1 disagrees
 * with itself, and an A/A (v2 = v1's model) disagrees with v1 exactly as often.
 *
 * The noise floor is v1's second replica answering the same requests as the primary (a
 * three-way mirror: its disagreements go with v2's, as they do in a cluster) or, with
 * `floor: 'separate'`, other requests. A pair is labelled with probability `labelRate` (its
 * ground truth arrives within the interval).
 */
import type { CategoricalInterval, CategoricalSide, CountInterval, CountSide } from '../../src/judge/types';
import { outcomeInterval, type PairOutcome } from '../../src/judge/paired-outcomes';
import { sumCategoricalIntervals, sumCountIntervals } from '../../src/judge/timeline';

export interface ShadowModel {
  readonly accuracy: number;
  readonly classes: number;
  readonly noise: number;
  readonly breaks: number;
  readonly fixes: number;
}

export interface ShadowWorld {
  readonly model: ShadowModel;
  readonly requestsPerInterval: number;
  readonly intervals: number;
  readonly labelRate: number;
  /** The noise floor on the same requests (a three-way mirror) or on separate ones. */
  readonly floor: 'same' | 'separate';
}

/** One interval of a shadow step: the v1-v2 pairs by outcome, and the floor's (v1 against itself). */
export interface ShadowInterval {
  readonly v12: Record<PairOutcome, number>;
  readonly floor: { agree: number; disagree: number };
}

/** v2's accuracy minus v1's in a model. */
export const accuracyChange = (m: ShadowModel) => -m.accuracy * m.breaks + (1 - m.accuracy) * m.fixes;

export function simulateShadow(world: ShadowWorld, uniform: () => number): ShadowInterval[] {
  const { model } = world;
  const wrong = () => 1 + Math.floor(uniform() * (model.classes - 1));
  const latentV1 = () => (uniform() < model.accuracy ? 0 : wrong());
  const latentV2 = (v1: number) => (v1 === 0 ? (uniform() < model.breaks ? wrong() : 0) : uniform() < model.fixes ? 0 : v1);
  // Another class than the latent one, uniformly.
  const answer = (latent: number) => {
    if (!(uniform() < model.noise)) return latent;
    const other = Math.floor(uniform() * (model.classes - 1));
    return other >= latent ? other + 1 : other;
  };
  const out: ShadowInterval[] = [];
  for (let i = 0; i < world.intervals; i++) {
    const v12 = { agree: 0, disagree: 0, both_correct: 0, both_wrong: 0, v1_only_correct: 0, v2_only_correct: 0 };
    const floor = { agree: 0, disagree: 0 };
    for (let r = 0; r < world.requestsPerInterval; r++) {
      const l1 = latentV1();
      const a1 = answer(l1);
      const a2 = answer(latentV2(l1));
      if (a1 === a2) v12.agree++;
      else v12.disagree++;
      if (uniform() < world.labelRate) {
        if (a1 === 0 && a2 === 0) v12.both_correct++;
        else if (a1 === 0) v12.v1_only_correct++;
        else if (a2 === 0) v12.v2_only_correct++;
        else v12.both_wrong++;
      }
      // The second replica answers this request beside the primary, or (separate) the two
      // replicas answer another request of their own.
      const l = world.floor === 'same' ? l1 : latentV1();
      const primary = world.floor === 'same' ? a1 : answer(l);
      if (primary === answer(l)) floor.agree++;
      else floor.disagree++;
    }
    out.push({ v12, floor });
  }
  return out;
}

/** The pairs as a paired metric's sides: the v1-v2 pairs (canary) and the noise floor (baseline). */
export function pairedSides(intervals: readonly ShadowInterval[]): { canary: CategoricalSide; baseline: CategoricalSide } {
  const side = (list: CategoricalInterval[]): CategoricalSide => ({ ...sumCategoricalIntervals(list), intervals: list });
  return { canary: side(intervals.map((i) => outcomeInterval(i.v12))), baseline: side(intervals.map((i) => outcomeInterval(i.floor))) };
}

/**
 * The same labelled pairs judged UNPAIRED: each model's wrong answers among the labelled requests
 * as two independent proportions (baseline v1, canary v2), as a comparison of two accuracies
 * without the pairing would judge them.
 */
export function unpairedErrorSides(intervals: readonly ShadowInterval[]): { baseline: CountSide; canary: CountSide } {
  const labelled = (i: ShadowInterval) => i.v12.both_correct + i.v12.both_wrong + i.v12.v1_only_correct + i.v12.v2_only_correct;
  const side = (wrong: (i: ShadowInterval) => number): CountSide => {
    const list: CountInterval[] = intervals.map((i) => ({ events: wrong(i), total: labelled(i) }));
    return { ...sumCountIntervals(list), intervals: list };
  };
  return {
    baseline: side((i) => i.v12.both_wrong + i.v12.v2_only_correct),
    canary: side((i) => i.v12.both_wrong + i.v12.v1_only_correct),
  };
}
