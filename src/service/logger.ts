/** Structured JSON logs (pino), one line per event, with the request id on request lines. */
import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'canary-judge' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Bearer tokens reach us in headers (Argo's web provider); they never belong in a log.
    redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'],
  });
}
