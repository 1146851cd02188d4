/** Structured JSON logs (pino), one line per event, with the request id on request lines. */
import pino, { type Logger } from 'pino';

/**
 * Most log bytes held in memory while the log reader (the container runtime, a pipe) lags.
 * pino writes asynchronously and, unbounded, would keep every line a slow reader has not
 * taken: about 1.7 kB per analysis, so a stalled reader under load grows the heap without
 * end. Past this bound lines are dropped and counted instead (`onDrop`).
 */
export const LOG_BUFFER_BYTES = 8 * 2 ** 20;

/**
 * Largest single write. pino's default (16 kB) starts the next write only when the previous
 * one completes, one per event-loop turn; under full CPU load (a turn runs many analyses)
 * that is less than the ~1.3 MB/s of access log at 750 analyses/s, and the backlog grows until
 * lines are dropped even into /dev/null. One write per turn of everything pending keeps up.
 */
const MAX_WRITE_BYTES = 2 ** 20;

export interface LoggerOptions {
  /** File descriptor or path to write to (default 1, stdout). */
  readonly destination?: number | string;
  readonly maxBufferBytes?: number;
  /** Called with each line dropped because the buffer was full. */
  readonly onDrop?: (line: string) => void;
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const destination = pino.destination({ dest: options.destination ?? 1, sync: false, minLength: 0, maxWrite: MAX_WRITE_BYTES, maxLength: options.maxBufferBytes ?? LOG_BUFFER_BYTES });
  if (options.onDrop) destination.on('drop', options.onDrop);
  return pino(
    {
      level,
      base: { service: 'canary-judge' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Bearer tokens reach us in headers (Argo's web provider); they never belong in a log.
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'],
    },
    destination,
  );
}
