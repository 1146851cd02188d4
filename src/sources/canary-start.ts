/**
 * Where the canary's current run of traffic began, from the steps in which it had requests.
 *
 * Flagger reuses the canary workload across revisions and scales it to zero between them, and
 * an aborted Argo rollout may be retried with the same version label: the first request within
 * `maxAge` can belong to an earlier rollout. The canary of this rollout is the latest run of
 * traffic, so the window starts where that run began: the first step with requests after the
 * last silence of at least `gapSeconds`. Short silences (a 1 % step of a quiet service has
 * minutes without a canary request) do not split a run; only a silence long enough to mean
 * "no canary was serving" does.
 */

/** A silence of this long without a single canary request ends a run (and a rollout). */
export const CANARY_GAP_SECONDS = 15 * 60;

/**
 * @param stepEnds unix seconds of the ends of the steps that had at least one request (any order)
 * @param stepSeconds the steps' length
 * @returns the start of the latest run's first step, or null when no step had requests
 */
export function latestRunStart(stepEnds: readonly number[], stepSeconds: number, gapSeconds = CANARY_GAP_SECONDS): number | null {
  if (!stepEnds.length) return null;
  const ends = [...new Set(stepEnds)].sort((a, b) => a - b);
  let first = ends.length - 1;
  // Steps k-1 and k are in one run when fewer than gapSeconds of silent steps lie between them.
  while (first > 0 && ends[first] - ends[first - 1] - stepSeconds < gapSeconds) first--;
  return ends[first] - stepSeconds;
}
