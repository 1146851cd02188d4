/**
 * The outcomes of a shadow step's pairs, the vocabulary of a paired metric's counts (inline, or
 * the `outcome` label of a counter such as `model_shadow_pairs_total`).
 *
 * Two partitions, each pair counted at most once in each:
 * - every compared pair, when both answers are in: `agree` or `disagree` (the answers are the
 *   same, or not);
 * - every labelled pair, when its ground truth arrives: `both_correct`, `both_wrong`,
 *   `v1_only_correct` or `v2_only_correct` (McNemar's table).
 * A pair is usually counted in both, at different times (labels arrive late), so the two are
 * never added: disagreements are read from the first, correctness from the second. On a noise
 * floor's pairs (v1 against itself) only the first is read.
 */
import type { CategoricalInterval, CategoricalSide } from './types';

export const PAIR_OUTCOMES = ['agree', 'disagree', 'both_correct', 'both_wrong', 'v1_only_correct', 'v2_only_correct'] as const;
export type PairOutcome = (typeof PAIR_OUTCOMES)[number];

/** One interval's (or a side's total) pairs by outcome. */
export interface PairCounts {
  readonly agree: number;
  readonly disagree: number;
  readonly bothCorrect: number;
  readonly bothWrong: number;
  readonly v1Only: number;
  readonly v2Only: number;
}

const FIELD: Record<PairOutcome, keyof PairCounts> = {
  agree: 'agree',
  disagree: 'disagree',
  both_correct: 'bothCorrect',
  both_wrong: 'bothWrong',
  v1_only_correct: 'v1Only',
  v2_only_correct: 'v2Only',
};

const isOutcome = (name: string): name is PairOutcome => Object.hasOwn(FIELD, name);

/** The counts of one interval (or a side's totals) by outcome; outcomes outside the vocabulary are left to `unknownOutcomes`. */
export function pairCounts(interval: CategoricalInterval): PairCounts {
  const out = { agree: 0, disagree: 0, bothCorrect: 0, bothWrong: 0, v1Only: 0, v2Only: 0 };
  for (const [name, n] of interval.counts) if (isOutcome(name)) out[FIELD[name]] += n;
  return out;
}

/** Pairs whose two answers were compared. */
export const comparedPairs = (p: PairCounts): number => p.agree + p.disagree;
/** Pairs whose ground truth arrived. */
export const labelledPairs = (p: PairCounts): number => p.bothCorrect + p.bothWrong + p.v1Only + p.v2Only;

/** Outcomes a side counts that are not in the vocabulary (a timeout, an empty label), with their counts, over its intervals or totals. */
export function unknownOutcomes(side: CategoricalSide): [string, number][] {
  const seen = new Map<string, number>();
  for (const interval of side.intervals ?? [side]) for (const [name, n] of interval.counts) if (!isOutcome(name)) seen.set(name, (seen.get(name) ?? 0) + n);
  return [...seen];
}

/** A side's counts as the judge reads them (categories), from counts by outcome. */
export function outcomeInterval(counts: Partial<Record<PairOutcome, number>>): CategoricalInterval {
  return { counts: PAIR_OUTCOMES.filter((o) => counts[o] !== undefined).map((o) => [o, counts[o]!] as const) };
}
