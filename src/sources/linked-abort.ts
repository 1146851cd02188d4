/**
 * An abort signal tied to a parent signal and an optional timeout, released by `dispose()`.
 *
 * Why not `AbortSignal.timeout` + `AbortSignal.any`: their timer lives until it fires (8 s
 * for an analysis deadline) and the parent keeps a reference to every derived signal, so
 * under load thousands of finished analyses would still hold timers and listeners. Here the
 * owner disposes as soon as its work settles: no timer and no listener outlives a request,
 * which the fault suite checks on the running service.
 */
import { setMaxListeners } from 'node:events';

export interface LinkedAbort {
  readonly signal: AbortSignal;
  /** True once the timeout (not the parent) aborted the signal. */
  readonly timedOut: boolean;
  /**
   * Aborts whatever still listens (work abandoned when its siblings failed), clears the timer
   * and detaches from the parent. Idempotent; harmless for work that has already finished.
   */
  dispose(): void;
}

export function linkedAbort(parent?: AbortSignal, timeoutMs?: number): LinkedAbort {
  const controller = new AbortController();
  // Its own children (one per metric, one per query) are removed on dispose, so their number
  // is bounded by the work in flight: no "possible leak" warning past 10.
  setMaxListeners(0, controller.signal);
  let timedOut = false;
  const onParentAbort = () => controller.abort(parent?.reason);
  let timer: NodeJS.Timeout | undefined;
  if (parent?.aborted) controller.abort(parent.reason);
  else {
    parent?.addEventListener('abort', onParentAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
      }, timeoutMs);
    }
  }
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      parent?.removeEventListener('abort', onParentAbort);
      if (!controller.signal.aborted) controller.abort(new DOMException('released', 'AbortError'));
    },
  };
}
