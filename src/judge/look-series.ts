/**
 * The per-look series of a timeline metric (`timeline` in its result): the effect's estimate
 * and interval at the looks the judge evaluated, so a reader sees the bounds narrow towards
 * (or across) the margin and which look decided. Only looks the judge evaluates anyway are
 * listed, so the series costs no extra judging and stays small: kinds re-judged on cumulative
 * data list their judged prefixes (every look up to the deciding one, at most
 * MAX_LOOKS_REJUDGED evenly spaced, and the latest); rates list evenly spaced looks with the
 * deciding one (src/judge/rate-timeline.ts).
 */
import type { Effect, Look, MetricResult } from './types';

/** The same measure, unit and margin (compared by value). */
export function sameMeasure(a: Effect, b: Effect): boolean {
  return a.measure === b.measure && a.unit === b.unit && a.tolerance === b.tolerance;
}

export function lookOf(interval: number, effect: Pick<Effect, 'estimate' | 'lower' | 'upper'>): Look {
  return { interval, estimate: effect.estimate, lower: effect.lower, upper: effect.upper };
}

/**
 * The series of the measure `like` over judged looks: each look's own effect of that measure
 * (a metric with two margins reports both in `effects`). Looks without it (too little data
 * then) are left out; no series without a measure to follow.
 */
export function seriesOfResults(looks: readonly { look: number; result: MetricResult }[], like: Effect | undefined): Look[] | undefined {
  if (!like) return undefined;
  const series = looks.flatMap(({ look, result }) => {
    const effect = [result.effect, ...(result.effects ?? [])].find((e): e is Effect => e !== undefined && sameMeasure(e, like));
    return effect ? [lookOf(look, effect)] : [];
  });
  return series.length ? series : undefined;
}
