/**
 * Client errors as data: every problem of a request, with where it is, in one 4xx body
 * `{"error": "invalid_request", "issues": [{"path": "metrics[0].canary.values[3]", "message": ...}]}`.
 * Each message says what was given (truncated) and what is expected; zod's own wording
 * ("Invalid input: expected object, received undefined") is rewritten here into that form.
 */
import type { z } from 'zod';
import { closestKey } from './closest-key';
import { describe } from './lenient-numbers';
import { expandUnknownKeys } from './strict-object';
import type { QueryRole, SampleFaultCode } from '../sources/validate/faults';

export interface Issue {
  readonly path: string;
  readonly message: string;
}

export interface Problem {
  readonly error: 'invalid_request' | 'payload_too_large' | 'not_found' | 'method_not_allowed' | 'not_acceptable' | 'unauthorized' | 'source_unavailable' | 'busy' | 'analysis_timeout' | 'link_expired' | 'internal_error';
  readonly issues?: readonly Issue[];
  readonly message?: string;
  /** source_unavailable because of faulty samples: each fault, placed (src/sources/validate/faults.ts). */
  readonly faults?: readonly SampleFaultReport[];
}

/** One fault of a 503, as JSON: its stable code, where it is, and what is wrong in words. */
export interface SampleFaultReport {
  readonly code: SampleFaultCode;
  readonly metric: string;
  readonly side: 'baseline' | 'canary';
  readonly role: QueryRole;
  readonly query: string;
  readonly series: Readonly<Record<string, string>>;
  /** RFC 3339, when one sample is at fault. */
  readonly at?: string;
  readonly message: string;
}

/** The path of a problem with the request body as a whole (empty, null, not an object). */
export const BODY_PATH = 'body';

/**
 * safeParse that keeps each issue's input, which the messages quote. Use it for every contract
 * parsed from a request or a file, so that issuesFromZod can say what was given.
 */
export function parseContract<S extends z.ZodType>(schema: S, input: unknown): ReturnType<S['safeParse']> {
  return schema.safeParse(input, { reportInput: true }) as ReturnType<S['safeParse']>;
}

export function issuesFromZod(error: z.ZodError): Issue[] {
  // zod checks a string's length even when the value is not a string ("expected a string" and
  // "expected string to have >=1 characters" for []): the size issue adds nothing there.
  const wrongType = new Set(error.issues.filter((i) => i.code === 'invalid_type').map((i) => formatPath(i.path)));
  return error.issues
    .filter((issue) => !((issue.code === 'too_small' || issue.code === 'too_big') && wrongType.has(formatPath(issue.path))))
    .flatMap((issue) => expandUnknownKeys(issue as never).map((i) => ({ path: formatPath(i.path), message: i === issue ? messageOf(issue) : i.message })));
}

/** ["metrics", 0, "canary", "values", 3] -> "metrics[0].canary.values[3]"; [] -> "body" */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return BODY_PATH;
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i > 0 ? '.' : ''}${cut(String(key))}`))
    .join('');
}

/** A key of user data (a label, a category, an unknown key) can be any length: paths stay readable. */
function cut(key: string): string {
  return key.length > 60 ? `${key.slice(0, 60)}...` : key;
}

export function invalidRequest(issues: readonly Issue[]): Problem {
  return { error: 'invalid_request', issues };
}

const TYPE_NAMES: Record<string, string> = { object: 'an object', array: 'an array', string: 'a string', number: 'a number', boolean: 'true or false' };

/** The message for one zod issue: what was given and what is expected. */
function messageOf(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type': {
      // A schema that words its own expectation (strictObject's `expected`) is kept as written.
      if (!issue.message.startsWith('Invalid input')) return issue.message;
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (input === undefined) return issue.path.length === 0 ? `the body is empty: send a JSON object (examples/request.json shows one)` : `missing: expected ${expected}`;
      return `expected ${expected}, got ${describe(input)}`;
    }
    case 'invalid_union': {
      const discriminator = (issue as { discriminator?: string }).discriminator;
      const options = (issue as { options?: unknown[] }).options;
      if (discriminator !== undefined && options) {
        const given = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[discriminator] : undefined;
        return valueMessage(given, options.map(String));
      }
      return issue.message;
    }
    case 'invalid_value':
      return valueMessage(input, issue.values.map(String));
    case 'invalid_key':
      // A record key that breaks its rule (a profile name): the rule's own message says why.
      return `${issue.issues.map((inner) => inner.message).join(', ')}, got ${describe(input)}`;
    case 'too_small':
    case 'too_big': {
      const size = sizeMessage(issue);
      if (size !== undefined) return size;
      if (Array.isArray(input)) return `${issue.message}, got ${input.length} ${input.length === 1 ? 'item' : 'items'}`;
      if (typeof input === 'string' && !/\bgot\b/.test(issue.message)) return `${issue.message}, got ${describe(input)}`;
      return issue.message;
    }
    case 'invalid_format':
    case 'custom':
      // Messages written in the schemas say what is expected; add what was given when it is a
      // plain value and the message does not already quote it.
      if (/\bgot\b/.test(issue.message) || (typeof input === 'object' && input !== null) || input === undefined) return issue.message;
      return `${issue.message}, got ${describe(input)}`;
    default:
      return issue.message;
  }
}

/** zod's own size wording ("Too small: expected string to have >=1 characters") in ours; undefined when a schema wrote its own. */
function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string | undefined {
  if (!/^Too (small|big)/.test(issue.message)) return undefined;
  const input = (issue as { input?: unknown }).input;
  const limit = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
  const unit = issue.origin === 'string' ? 'characters' : issue.origin === 'array' ? 'items' : '';
  const given = typeof input === 'string' ? `${describe(input)} (${input.length})` : Array.isArray(input) ? String(input.length) : describe(input);
  if (issue.code === 'too_small' && limit === 1 && unit) return `must not be empty, got ${given}`;
  return `${issue.code === 'too_small' ? 'at least' : 'at most'} ${limit}${unit ? ` ${unit}` : ''}, got ${given}`;
}

/** `got "latency"; expected one of "continuous", ...` with a suggestion when one is close. */
function valueMessage(given: unknown, options: readonly string[]): string {
  const list = options.map((o) => JSON.stringify(o)).join(', ');
  if (given === undefined) return `missing: expected one of ${list}`;
  const closest = typeof given === 'string' ? closestKey(given, options) : undefined;
  return `got ${describe(given)}; expected one of ${list}${closest !== undefined ? ` (did you mean ${JSON.stringify(closest)}?)` : ''}`;
}
