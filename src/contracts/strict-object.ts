/**
 * Strict objects for every contract a person writes (requests, profiles): an unknown key is an
 * issue that names it and suggests the closest known key, never a silently dropped field.
 *
 * `strictObject(shape)` is `z.strictObject` whose message is built from the shape's own keys,
 * so adding a key to the shape is all it takes to make it known (and suggested). Zod reports
 * all unknown keys of one object as a single issue at the object; `expandUnknownKeys` splits
 * it into one issue per key, at the key's own path.
 */
import { z } from 'zod';
import { unknownKeyMessage } from './closest-key';
import { expectedGot } from './lenient-numbers';

/** Separates the per-key messages inside zod's one issue; split again by expandUnknownKeys. */
const KEY_SEPARATOR = '\u0000';

export interface StrictObjectOptions {
  /** Messages for keys that are a known mistake here (a proportion sent `values`), said instead of the closest-key suggestion. */
  readonly hints?: Readonly<Record<string, string>>;
  /** What this object is, for "missing: expected ..." and "expected ..., got ..." (default "an object"). */
  readonly expected?: string;
}

export function strictObject<Shape extends z.core.$ZodLooseShape>(shape: Shape, { hints = {}, expected }: StrictObjectOptions = {}) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownKeyMessage(key, known, Object.hasOwn(hints, key) ? hints[key] : undefined)).join(KEY_SEPARATOR);
      if (issue.code === 'invalid_type' && expected !== undefined) return expectedGot(expected, issue.input);
      return undefined;
    },
  });
}

export interface KeyedIssue {
  readonly path: PropertyKey[];
  readonly message: string;
}

/** One issue per unknown key, at `path.key`; other issues unchanged. */
export function expandUnknownKeys(issue: { code?: string; path: PropertyKey[]; message: string; keys?: string[] }): KeyedIssue[] {
  if (issue.code !== 'unrecognized_keys' || !issue.keys) return [issue];
  const messages = issue.message.split(KEY_SEPARATOR);
  // A plain z.strictObject (not built here) has zod's one message for all keys.
  const own = messages.length === issue.keys.length;
  return issue.keys.map((key, i) => ({ path: [...issue.path, key], message: own ? messages[i] : unknownKeyMessage(key, []) }));
}
