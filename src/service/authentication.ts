/**
 * Optional authentication of the analysis endpoints.
 *
 * - `AUTH_TOKEN`: every `/v1/*` request must carry `Authorization: Bearer <token>` (Argo's web
 *   provider sends it as a header, from a Secret through an arg). Compared in constant time.
 * - `FLAGGER_PATH_SECRET`: Flagger cannot send headers, so its webhooks may instead be called
 *   at `/v1/flagger/<secret>/<type>`; the unguessable path is the credential. Without it,
 *   guard the Flagger routes by NetworkPolicy (the Helm chart ships one) or mTLS.
 * A refused request is 401, which Argo counts as a measurement error and Flagger as a failed
 * check (and, for the rollback hook, as "do not roll back"): never a pass.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Problem } from '../contracts/problems';

/** Hashing first makes the comparison constant-time whatever the lengths. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function requireBearerToken(token: string): RequestHandler {
  return (req, res, next) => {
    // The scheme is case-insensitive (RFC 9110 section 11.1): "bearer" and "BEARER" are Bearer.
    const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
    const given = match ? match[1] : '';
    if (given && sameSecret(given, token)) return next();
    const problem: Problem = { error: 'unauthorized', message: 'this endpoint needs Authorization: Bearer <AUTH_TOKEN>' };
    res.status(401).setHeader('WWW-Authenticate', 'Bearer').json(problem);
  };
}

/** Rewrites /v1/flagger/<secret>/<type> to /v1/flagger/<type> and marks the request trusted. */
export function flaggerPathSecret(secret: string): RequestHandler {
  return (req, _res, next) => {
    // Case-insensitive and with an optional trailing slash, as express routes it.
    const match = /^\/v1\/flagger\/([^/]+)\/([^/]+)\/?$/i.exec(req.path);
    const given = match ? safeDecode(match[1]) : undefined;
    if (match && given !== undefined && sameSecret(given, secret)) {
      req.url = `/v1/flagger/${match[2]}${req.url.slice(req.path.length)}`;
      // Request logs print originalUrl: the secret must not reach them (this runs before the
      // request logger, see app.ts).
      req.originalUrl = req.url;
      (req as { viaPathSecret?: boolean }).viaPathSecret = true;
    }
    next();
  };
}

/** A malformed percent-encoding is no secret (and no 500): undefined. */
function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

export function trustedByPath(req: unknown): boolean {
  return (req as { viaPathSecret?: boolean }).viaPathSecret === true;
}
