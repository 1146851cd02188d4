/**
 * Client errors as data: every problem of a request, with where it is, in one 4xx body
 * `{"error": "invalid_request", "issues": [{"path": "metrics[0].canary.values[3]", "message": ...}]}`.
 */
import type { z } from 'zod';

export interface Issue {
  readonly path: string;
  readonly message: string;
}

export interface Problem {
  readonly error: 'invalid_request' | 'payload_too_large' | 'not_found' | 'unauthorized' | 'source_unavailable' | 'internal_error';
  readonly issues?: readonly Issue[];
  readonly message?: string;
}

export function issuesFromZod(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** ["metrics", 0, "canary", "values", 3] -> "metrics[0].canary.values[3]" */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i > 0 ? '.' : ''}${String(key)}`))
    .join('');
}

export function invalidRequest(issues: readonly Issue[]): Problem {
  return { error: 'invalid_request', issues };
}
