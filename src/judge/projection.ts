/**
 * Time to decision: how much more canary data an inconclusive metric needs if the effect stays
 * where it is. Confidence bounds narrow about as 1/sqrt(n) (anytime-valid ones a little
 * slower, by a log log factor), so the half-width w on the side that must clear the margin
 * reaches the gap g between the estimate and the margin after about n (w/g)^2 observations:
 * n ((w/g)^2 - 1) more (for a relative change, on the log of the ratio, where its bounds are
 * about symmetric). Toward a fail when the estimate lies beyond the margin, toward a pass
 * when it lies within (for `either`, the wider of the two sides decides). With a timeline the
 * latest interval's canary traffic turns it into intervals ("about 8 more intervals at the
 * latest interval's traffic"), and into time when the interval's length is known (a timeline
 * fetched from Prometheus: "about 8 minutes"). A projection, not a promise: the estimate moves
 * as data come.
 */
import type { Direction, Effect, MetricResult } from './types';

export interface Projection {
  /** Which verdict the data head for if the effect stays where it is. */
  readonly toward: 'pass' | 'fail';
  /** More canary observations (requests for rates) needed, rounded to 2 significant digits. */
  readonly moreCanary: number;
  /** The same in intervals at the latest interval's canary traffic, with a timeline. */
  readonly moreIntervals?: number;
  /** The same in seconds, when the intervals' length is known. */
  readonly moreSeconds?: number;
}

/** Beyond this many times the current data, the effect sits (practically) at the margin: no projection. */
const MAX_GROWTH = 100;

export function projectDecision(effect: Effect, direction: Direction, canaryN: number, latestIntervalN?: number, intervalSeconds?: number): Projection | null {
  if (!(canaryN > 0)) return null;
  // A ratio's bounds are symmetric on the log scale, not on the ratio's own.
  const scale = effect.unit === 'relative' ? Math.log1p : (x: number) => x;
  const e = scale(effect.estimate);
  const lower = scale(effect.lower);
  const upper = scale(effect.upper);
  // Only the sides that must clear a margin need a bound (a pass toward +50 % needs the upper one).
  if (!Number.isFinite(e)) return null;
  const t = effect.unit === 'relative' ? scale(effect.tolerance) : effect.tolerance;
  // Each entry: the current half-width on a side and the gap it must fall under.
  const sides: { width: number; gap: number }[] = [];
  let toward: 'pass' | 'fail';
  if (direction === 'increase') {
    toward = e > t ? 'fail' : 'pass';
    sides.push(toward === 'fail' ? { width: e - lower, gap: e - t } : { width: upper - e, gap: t - e });
  } else if (direction === 'decrease') {
    const low = effect.unit === 'relative' ? (effect.tolerance < 1 ? Math.log1p(-effect.tolerance) : -Infinity) : -effect.tolerance;
    if (!Number.isFinite(low)) return null;
    toward = e < low ? 'fail' : 'pass';
    sides.push(toward === 'fail' ? { width: upper - e, gap: low - e } : { width: e - lower, gap: e - low });
  } else {
    // The lower margin of a ratio is 1 - tolerance on its own scale.
    const low = effect.unit === 'relative' ? (effect.tolerance < 1 ? Math.log1p(-effect.tolerance) : -Infinity) : -t;
    toward = e > t || e < low ? 'fail' : 'pass';
    if (toward === 'fail') sides.push(e > t ? { width: e - lower, gap: e - t } : { width: upper - e, gap: low - e });
    else sides.push({ width: upper - e, gap: t - e }, ...(Number.isFinite(low) ? [{ width: e - lower, gap: e - low }] : []));
  }
  if (sides.some((s) => !(s.gap > 0) || !(s.width > 0) || !Number.isFinite(s.width))) return null;
  const growth = Math.max(...sides.map((s) => (s.width / s.gap) ** 2));
  if (growth <= 1 || growth > MAX_GROWTH) return null;
  const moreCanary = roundTo2(canaryN * (growth - 1));
  const moreIntervals = latestIntervalN && latestIntervalN > 0 ? Math.max(1, Math.ceil(moreCanary / latestIntervalN)) : undefined;
  const moreSeconds = moreIntervals !== undefined && intervalSeconds !== undefined && intervalSeconds > 0 ? moreIntervals * intervalSeconds : undefined;
  return { toward, moreCanary, ...(moreIntervals !== undefined ? { moreIntervals } : {}), ...(moreSeconds !== undefined ? { moreSeconds } : {}) };
}

function roundTo2(x: number): number {
  return Number(x.toPrecision(2));
}

/** "about 8 minutes", "about 2.5 hours": whole units below 90 of them, else the next larger unit. */
export function describeDuration(seconds: number): string {
  const plural = (n: number, unit: string) => `about ${n} ${unit}${n === 1 ? '' : 's'}`;
  if (seconds < 90) return plural(Math.round(seconds), 'second');
  if (seconds < 90 * 60) return plural(Math.round(seconds / 60), 'minute');
  return plural(Number((seconds / 3600).toFixed(1)), 'hour');
}

/** "about 4,100 more canary requests (about 8 minutes at the latest interval's canary traffic) if the effect stays where it is" */
export function describeProjection(p: Projection, unit: string): string {
  const more = p.moreSeconds !== undefined ? describeDuration(p.moreSeconds) : p.moreIntervals !== undefined ? `about ${p.moreIntervals} more interval${p.moreIntervals > 1 ? 's' : ''}` : undefined;
  const intervals = more !== undefined ? ` (${more} at the latest interval's canary traffic)` : '';
  return `a ${p.toward} needs about ${p.moreCanary.toLocaleString('en-US')} more canary ${unit}${intervals} if the effect stays where it is`;
}

/**
 * Adds the projection to an inconclusive metric's result and reason; `evidenceN`: the canary
 * observations its effect rests on, when not all of them (a timeline's gated window).
 */
export function withProjection(result: MetricResult, latestIntervalN?: number, intervalSeconds?: number, evidenceN?: number): MetricResult {
  // Buckets too coarse to ever decide: more data cannot help, and the reason says so.
  if (result.verdict !== 'inconclusive' || !result.effect || /too coarse to ever/.test(result.reason)) return result;
  // A paired metric projects its deciding check on that check's own pairs (src/judge/paired.ts).
  if (result.kind === 'paired') return result;
  const projection = projectDecision(result.effect, result.kind === 'categorical' || result.kind === 'distribution' ? 'increase' : result.direction, evidenceN ?? result.canary.n, latestIntervalN, intervalSeconds);
  if (!projection) return result;
  const unit = result.kind === 'proportion' ? 'requests' : 'observations';
  return { ...result, projection, reason: `${result.reason}; ${describeProjection(projection, unit)}` };
}
