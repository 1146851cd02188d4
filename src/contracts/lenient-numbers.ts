/**
 * Numbers as Argo Rollouts sends them. Its `web` provider substitutes every arg as a string,
 * so "0.1", "12" and "true" must be read like 0.1, 12 and true wherever a number or flag is
 * expected. Only plain decimal notation is accepted: "NaN", "Infinity", "0x10" and "" are
 * errors, never numbers.
 */
import { z } from 'zod';

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Reads a finite number from a JSON number or a decimal string; undefined if it is neither. */
export function readNumber(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? input : undefined;
  if (typeof input === 'string') {
    const text = input.trim();
    if (!DECIMAL.test(text)) return undefined;
    const value = Number(text);
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

/** How lenient values look on the wire, for the OpenAPI document generated from these schemas. */
const NUMBER_OR_DECIMAL = { anyOf: [{ type: 'number' }, { type: 'string', pattern: DECIMAL.source }] };

export const lenientNumber = z
  .unknown()
  .transform((input, ctx): number => {
    const value = readNumber(input);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: expectedGot('a finite number (or a decimal string)', input) + percentHint(input) });
      return z.NEVER;
    }
    return value;
  })
  .meta(NUMBER_OR_DECIMAL);

const PERCENT = /^\s*([-+]?(\d+\.?\d*|\.\d+))\s*%\s*$/;

/** "10%" is a unit slip every first request makes: say how to write it ("write 0.1 for 10 %"). */
export function percentHint(input: unknown): string {
  const match = typeof input === 'string' ? PERCENT.exec(input) : null;
  if (!match) return '';
  const percent = Number(match[1]);
  return `: shares and margins are fractions, write ${Number((percent / 100).toPrecision(12))} for ${percent} %`;
}

export const lenientBoolean = z
  .unknown()
  .transform((input, ctx): boolean => {
    if (typeof input === 'boolean') return input;
    if (input === 'true' || input === 'false') return input === 'true';
    ctx.addIssue({ code: 'custom', message: expectedGot('true or false (or "true" / "false")', input) });
    return z.NEVER;
  })
  .meta({ anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['true', 'false'] }] });

/**
 * A long array of numbers, checked in one loop rather than element by element through zod:
 * the arrays can hold a million samples. At most `MAX_ISSUES` problems are listed per array.
 */
export const numberArray = z.unknown().transform((input, ctx): Float64Array => {
  if (!Array.isArray(input)) {
    ctx.addIssue({ code: 'custom', message: expectedGot('an array of numbers', input) });
    return z.NEVER;
  }
  const out = new Float64Array(input.length);
  let problems = 0;
  for (let i = 0; i < input.length; i++) {
    const value = readNumber(input[i]);
    if (value === undefined) {
      if (problems < MAX_ISSUES) ctx.addIssue({ code: 'custom', path: [i], message: `expected a finite number, got ${describe(input[i])}` });
      problems++;
    } else out[i] = value;
  }
  if (problems > MAX_ISSUES) ctx.addIssue({ code: 'custom', message: `${problems - MAX_ISSUES} more values are not finite numbers` });
  return problems ? z.NEVER : out;
}).meta({ type: 'array', items: NUMBER_OR_DECIMAL });

const MAX_ISSUES = 20;

/**
 * A JSON object of string values, read key by key from its own properties into a
 * null-prototype object: z.record copies into a plain object, where a key "__proto__" (which
 * JSON.parse keeps as data) would silently turn into the prototype and vanish.
 */
export function stringMap(maxValueLength: number) {
  return z
    .unknown()
    .transform((input, ctx): Record<string, string> => {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        ctx.addIssue({ code: 'custom', message: expectedGot('an object of string values', input) });
        return z.NEVER;
      }
      const out: Record<string, string> = Object.create(null);
      for (const [key, value] of Object.entries(input)) {
        if (typeof value !== 'string') ctx.addIssue({ code: 'custom', path: [key], message: `expected a string, got ${describe(value)}` });
        else if (value.length > maxValueLength) ctx.addIssue({ code: 'custom', path: [key], message: `at most ${maxValueLength} characters, got ${value.length}` });
        else out[key] = value;
      }
      return out;
    })
    .meta({ type: 'object', additionalProperties: { type: 'string', maxLength: maxValueLength } });
}

/** "expected X, got Y", or "missing: expected X" when the key is absent (rather than "got undefined"). */
export function expectedGot(expected: string, input: unknown): string {
  return input === undefined ? `missing: expected ${expected}` : `expected ${expected}, got ${describe(input)}`;
}

/** A given value for a message: strings quoted and cut at 40 characters, containers by kind. */
export function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'string') return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}...` : input);
  if (typeof input === 'object') return 'an object';
  return String(input);
}
