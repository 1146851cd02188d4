/**
 * The per-look series of a timeline metric (`timeline` in its result): the effect's estimate
 * and interval at the looks the judge evaluated, so a reader sees the bounds narrow towards
 * (or across) the margin and which look decided. Every kind lists evenly spaced looks with the
 * deciding one (src/judge/timeline-checks.ts), so the series stays small.
 */
import type { Effect, Look } from './types';

export function lookOf(interval: number, effect: Pick<Effect, 'estimate' | 'lower' | 'upper'>): Look {
  return { interval, estimate: effect.estimate, lower: effect.lower, upper: effect.upper };
}
