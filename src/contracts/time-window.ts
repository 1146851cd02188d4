/**
 * The analysis window: `lookback` (a Prometheus duration such as "10m" or "1h30m") ending at
 * `end` (default now), or explicit `start`/`end` as RFC 3339 or unix seconds. Anchoring
 * `start` at the canary's start makes every look see all the canary's data so far.
 */
import { readNumber } from './lenient-numbers';

const DURATION = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** "1h30m" -> 5400; undefined when the text is not a positive Prometheus duration. */
export function parseDurationSeconds(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === '') return undefined;
  const [, w, d, h, m, s] = match.map((x) => (x === undefined ? 0 : Number(x)));
  const seconds = w * 604800 + d * 86400 + h * 3600 + m * 60 + s;
  return seconds > 0 ? seconds : undefined;
}

/** RFC 3339 or unix seconds (number or decimal string) -> unix seconds; undefined if neither. */
export function parseInstant(input: unknown): number | undefined {
  const numeric = readNumber(input);
  if (numeric !== undefined) return numeric > 0 ? numeric : undefined;
  if (typeof input !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(input)) return undefined;
  const ms = Date.parse(input);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}
