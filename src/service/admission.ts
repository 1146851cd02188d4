/**
 * How many analyses with large bodies (app.ts: over 256 KiB, or of unknown length) may be in
 * flight at once (reading their body, parsing, judging), decided before a body is read: a request beyond `ANALYSIS_CONCURRENCY` waits with its body still in
 * the socket (costing no memory) for up to `ANALYSIS_QUEUE_WAIT_MS`, and beyond
 * `ANALYSIS_QUEUE` waiting ones, or past the wait, it is answered 503 `busy` with
 * `Retry-After`, never a verdict (Argo retries a measurement error; Flagger retries the hook).
 * This is what keeps memory within the chart's limit: at most that many large bodies and their
 * parsed data exist at any time. Small requests (Argo's and Flagger's looks, whose Prometheus
 * answers are capped per analysis), probes and `/metrics` are never held back.
 */
import type { RequestHandler } from 'express';
import type { Problem } from '../contracts/problems';

export interface AdmissionOptions {
  readonly concurrency: number;
  readonly queue: number;
  readonly waitMs: number;
}

export class Admission {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly options: AdmissionOptions) {}

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with a release function once a slot is free; undefined when refused (queue full or waited too long). */
  async acquire(): Promise<(() => void) | undefined> {
    if (this.#running >= this.options.concurrency) {
      if (this.#waiting.length >= this.options.queue) return undefined;
      const admitted = await new Promise<boolean>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          const at = this.#waiting.indexOf(wake);
          if (at >= 0) this.#waiting.splice(at, 1);
          resolve(false);
        }, this.options.waitMs);
        this.#waiting.push(wake);
      });
      if (!admitted) return undefined;
    } else {
      this.#running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next waiting request, or frees up.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    };
  }

  /** Express middleware: holds the request until admitted, releases when its answer ends. */
  middleware(applies: (req: Parameters<RequestHandler>[0]) => boolean): RequestHandler {
    return (req, res, next) => {
      if (!applies(req)) return next();
      this.acquire().then((release) => {
        if (!release) {
          const problem: Problem = {
            error: 'busy',
            message: `${this.#running} analyses are running and ${this.#waiting.length} waiting, the most this replica takes (ANALYSIS_CONCURRENCY ${this.options.concurrency}, ANALYSIS_QUEUE ${this.options.queue}, waiting at most ${this.options.waitMs} ms): try again`,
          };
          res.status(503).set('Retry-After', '1').json(problem);
          return;
        }
        // A client that left while it waited: its 'close' has passed, so release now.
        if (res.destroyed || req.socket.destroyed) return release();
        res.once('close', release);
        res.once('finish', release);
        next();
      }, next);
    };
  }
}
