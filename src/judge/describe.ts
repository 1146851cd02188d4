/**
 * Sentences a person can act on: "p95 changed by +34% (interval +21% to +49%), beyond the
 * tolerated +10%". Formatting lives here so every kind words its reasons the same way.
 */
import type { Check } from './margin-check';
import type { Direction, EffectUnit } from './types';

export type Formatter = (x: number) => string;

/** x to `digits` significant digits, without trailing zeros. */
export const significant = (x: number, digits = 3) => Number(x.toPrecision(digits)).toString();
const signed = (text: string, x: number) => (x > 0 ? `+${text}` : text);

export const asPercentChange: Formatter = (x) =>
  Number.isFinite(x) ? signed(`${significant(x * 100)}%`, x) : x > 0 ? 'unbounded' : '-unbounded';
export const asPercentagePoints: Formatter = (x) =>
  Number.isFinite(x) ? signed(`${significant(x * 100)} pp`, x) : 'unbounded';
export const asDistance: Formatter = (x) => (Number.isFinite(x) ? significant(x) : 'unbounded');
export const asUnits: Formatter = (x) => (Number.isFinite(x) ? signed(significant(x, 4), x) : x > 0 ? 'unbounded' : '-unbounded');

export const FORMAT_BY_UNIT: Record<EffectUnit, Formatter> = {
  relative: asPercentChange,
  rate: asPercentagePoints,
  share: (x) => asPercentagePoints(x).replace(/^\+/, ''),
  distance: asDistance,
  units: asUnits,
};

/** "beyond/within the tolerated +10%" with the tolerance signed by the harmful direction. */
export function tolerated(tolerance: number, direction: Direction, format: Formatter): string {
  const t = Math.abs(tolerance);
  if (direction === 'either') return `±${format(t).replace(/^\+/, '')}`;
  return format(direction === 'decrease' ? -t : t);
}

/** "p95 changed by +34% (confidence interval +21% to +49%)": the effect without its verdict. */
export function describeChange(subject: string, check: Check): string {
  const format = FORMAT_BY_UNIT[check.effect.unit];
  const { estimate, lower, upper } = check.effect;
  return `${subject} ${Number.isFinite(estimate) ? `changed by ${format(estimate)}` : 'cannot be estimated'} (confidence interval ${format(lower)} to ${format(upper)})`;
}

export function describeCheck(subject: string, check: Check, direction: Direction): string {
  const format = FORMAT_BY_UNIT[check.effect.unit];
  return againstMargin(describeChange(subject, check), check, tolerated(check.effect.tolerance, direction, format));
}

/** A distance measure cannot change "by" something: it is the change. */
export function describeDistance(subject: string, check: Check): string {
  const format = FORMAT_BY_UNIT[check.effect.unit];
  const { estimate, lower, upper, tolerance } = check.effect;
  return againstMargin(`${subject} is ${format(estimate)} (confidence interval ${format(Math.max(0, lower))} to ${format(upper)})`, check, format(tolerance));
}

/** A measure that is itself the change from none (an excess over a floor, a paired difference): "X is E (confidence interval L to U)", signed. */
export function describeLevel(subject: string, check: Check, direction: Direction): string {
  const format = FORMAT_BY_UNIT[check.effect.unit];
  const { estimate, lower, upper, tolerance } = check.effect;
  return againstMargin(`${subject} is ${format(estimate)} (confidence interval ${format(lower)} to ${format(upper)})`, check, tolerated(tolerance, direction, format));
}

/** "<where>, beyond/within the tolerated <limit>", or not yet enough evidence. */
function againstMargin(where: string, check: Check, limit: string): string {
  switch (check.verdict) {
    case 'fail':
      return `${where}, beyond the tolerated ${limit}`;
    case 'pass':
      return `${where}, within the tolerated ${limit}`;
    case 'inconclusive':
      return `${where}: not yet enough evidence to tell whether it is within the tolerated ${limit}`;
  }
}

/**
 * Bidirectional controls (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069) and other
 * invisible format or control characters: in a reason or a Kubernetes event they can make text
 * read differently from what it says ("Trojan Source", CVE-2021-42574).
 */
export const INVISIBLE_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** A name from outside (a category, a label value) quoted for a reason, every invisible control shown as its \\u escape. */
export function quoted(text: string): string {
  return JSON.stringify(text).replace(INVISIBLE_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
