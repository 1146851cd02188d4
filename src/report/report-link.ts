/**
 * Report links (issue 14): an answer of a Prometheus-backed analysis carries the URL of its HTML
 * report, `GET /v1/report?a=...` (a /v1/analyze request) or `?f=...` (a Flagger payload). The
 * parameter is the request itself as base64url JSON with its window made absolute (start and
 * end, no lookback), so any replica recomputes the same analysis from Prometheus: no state.
 *
 * Nothing secret goes in: a request holds label selectors, a profile name and PromQL templates;
 * Prometheus' address and headers, the bearer token and Flagger's path secret are server
 * configuration and never part of one. When AUTH_TOKEN is set, a browser cannot send the bearer
 * header, so the link carries `sig`, an HMAC-SHA256 of the parameter keyed by a hash of the
 * token: it proves the service issued the link (nobody can run arbitrary queries with it) and
 * reveals nothing of the token.
 *
 * Every link expires (`exp`, unix seconds, REPORT_LINK_TTL after it was issued; 7 days by
 * default): a link pasted into a ticket or a chat must not run queries forever. The signature
 * covers `exp`, so with AUTH_TOKEN set it cannot be extended; without a token anyone who can
 * reach the service may run analyses anyway, and `exp` only retires old links.
 */
import { DEFAULT_TIMELINE_STEP_SECONDS } from '../contracts/run-analysis';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type ReportKind = 'a' | 'f';

export interface ReportLinkConfig {
  /** PUBLIC_URL: without it, answers carry no link. */
  readonly publicUrl?: string;
  /** AUTH_TOKEN: when set, links are signed. */
  readonly authToken?: string;
  /** How long a link is valid (seconds); default DEFAULT_LINK_TTL_SECONDS. */
  readonly ttlSeconds?: number;
  /** Unix seconds; default now. */
  readonly now?: () => number;
}

export const DEFAULT_LINK_TTL_SECONDS = 7 * 86400;
const nowSeconds = () => Date.now() / 1000;

/** Window edges as the request's own `start` and `end` (RFC 3339). */
export interface AbsoluteWindow {
  readonly start: string;
  readonly end: string;
}

function signingKey(token: string): Buffer {
  return createHash('sha256').update(`canary-judge report links\0${token}`).digest();
}

function signature(token: string, kind: ReportKind, encoded: string, expires: string): string {
  return createHmac('sha256', signingKey(token)).update(`${kind}=${encoded}&exp=${expires}`).digest('base64url');
}

/** The link to the report of a /v1/analyze body (`a`) or a Flagger payload (`f`), or undefined. */
export function reportLink(config: ReportLinkConfig, kind: ReportKind, requestOrPayload: Record<string, unknown>, window: AbsoluteWindow): string | undefined {
  if (!config.publicUrl) return undefined;
  const fixed = kind === 'a' ? withWindow(requestOrPayload, window) : { ...requestOrPayload, metadata: withWindow((requestOrPayload.metadata as Record<string, unknown> | undefined) ?? {}, window) };
  const encoded = Buffer.from(JSON.stringify(fixed), 'utf8').toString('base64url');
  const url = new URL(`${config.publicUrl.replace(/\/+$/, '')}/v1/report`);
  url.searchParams.set(kind, encoded);
  const expires = String(Math.floor((config.now ?? nowSeconds)() + (config.ttlSeconds ?? DEFAULT_LINK_TTL_SECONDS)));
  url.searchParams.set('exp', expires);
  if (config.authToken) url.searchParams.set('sig', signature(config.authToken, kind, encoded, expires));
  return url.href;
}

/**
 * The request over the window it was judged on. A window that followed the canary (`since`)
 * becomes that absolute window, keeping the timeline `since` implied, so the link judges the
 * same data the same way.
 */
function withWindow(request: Record<string, unknown>, window: AbsoluteWindow): Record<string, unknown> {
  const { lookback: _lookback, start: _start, end: _end, since, maxAge: _maxAge, ...rest } = request;
  const timeline = since !== undefined && rest.timelineStep === undefined ? { timelineStep: `${DEFAULT_TIMELINE_STEP_SECONDS}s` } : {};
  return { ...rest, ...timeline, start: window.start, end: window.end };
}

export type ReadReport = { kind: ReportKind; body: unknown } | { problem: string } | { expired: string };

/** Decodes `a` or `f` from a report URL's query; the signature is checked by `signedReport`. */
export function readReportQuery(query: Record<string, unknown>, now?: () => number): ReadReport {
  const kinds = (['a', 'f'] as const).filter((k) => query[k] !== undefined);
  if (kinds.length !== 1) return { problem: 'expected exactly one of the query parameters "a" (an analysis) or "f" (a Flagger check), as in the link an answer carries' };
  const encoded = query[kinds[0]];
  if (typeof encoded !== 'string' || !/^[A-Za-z0-9_-]+$/.test(encoded)) return { problem: `"${kinds[0]}" is not base64url` };
  const expires = query.exp;
  if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires)) return { problem: 'expected "exp", the unix second the link expires, as in the link an answer carries (links issued before links expired have none: ask the analysis again)' };
  if (Number(expires) < (now ?? nowSeconds)()) return { expired: `this report link expired at ${new Date(Number(expires) * 1000).toISOString()} (links last REPORT_LINK_TTL after the analysis): ask the analysis again for a new link` };
  try {
    return { kind: kinds[0], body: JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) };
  } catch {
    return { problem: `"${kinds[0]}" is not base64url JSON` };
  }
}

/** True when the query carries a valid signature of its parameter for this token. */
export function signedReport(query: Record<string, unknown>, token: string): boolean {
  const kind = (['a', 'f'] as const).find((k) => typeof query[k] === 'string');
  const given = query.sig;
  const expires = query.exp;
  if (!kind || typeof given !== 'string' || typeof expires !== 'string') return false;
  const expected = Buffer.from(signature(token, kind, query[kind] as string, expires));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
