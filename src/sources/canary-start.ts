/**
 * Where a revision's current run of traffic began, from the steps in which it had requests.
 *
 * An aborted rollout may be retried with the same pod template (the same ReplicaSet, scaled to
 * zero and back): its earlier run belongs to an earlier attempt. The window starts where the
 * latest run began: the first step with requests after the last silence of at least
 * `gapSeconds`. Short silences (a 1 % step of a quiet service has minutes without a canary
 * request) do not split a run; only a silence long enough to mean "no canary was serving" does.
 * Which ReplicaSet is the revision is src/sources/revision/identify-revision.ts's question.
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
