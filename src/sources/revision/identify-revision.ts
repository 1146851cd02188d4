/**
 * Which revision each side is, from what the cluster's own series hold, with no memory in the
 * process: any replica, after any restart, answers the same for the same data.
 *
 * A revision is a ReplicaSet (one per pod template, for Argo Rollouts and for Deployments), and
 * its pods are named after it (pod-names.ts). The input is one side's request counter as its own
 * pods' sidecars report it (`reporter="destination"`), per pod and per step, and which of those
 * pods' series are still scraped at the window's end. The chain, in order:
 *
 * 1. `pod-template-hash`: the caller names the revision (Argo's `valueFrom.podTemplateHashValue:
 *    Latest | Stable`): the side is exactly that ReplicaSet's pods, whether or not they have
 *    served yet.
 * 2. `newest-replicaset`: no hash (Flagger, which reuses one canary Deployment for every revision;
 *    templates of your own): of the side's ReplicaSets whose pods are still scraped, the one that
 *    began serving last. When none of them is still scraped, the revision under analysis has not
 *    served yet (a rollback scaled its predecessor to zero): unknown, never the predecessor.
 * 3. `labels`: the caller vouches that the side's labels select one revision (`revisionFrom:
 *    "labels"`, e.g. a version label bumped with every release), for series without a `pod`
 *    label; only the time rule below separates revisions then.
 *
 * In every case the side's window starts at the first step of its latest run of traffic (15
 * minutes without a request end a run: canary-start.ts), so a ReplicaSet scaled to zero and back
 * (an aborted rollout retried) is judged from its latest run. What the chain cannot establish is
 * `known: false` with the reason: the analysis must then neither pass, promote nor roll back.
 */
import { CANARY_GAP_SECONDS, latestRunStart } from '../canary-start';
import { podPrefix, podsOfHash, podsOfPrefix, prefixHasHash, prefixOfReplicaSet, replicaSetName } from './pod-names';

/**
 * One pod's requests: the ends of the steps in which it served at least one (any order). Or,
 * told by kube-state-metrics instead of the pods' own reports, one whole ReplicaSet's: the steps
 * in which it had ready pods.
 */
export interface PodTraffic {
  /** The `pod` label; '' for series without one. */
  readonly pod: string;
  readonly stepEnds: readonly number[];
  /** Set when the entry is a whole ReplicaSet (kube-state-metrics), `pod` then being its name. */
  readonly replicaSet?: true;
}

/** What the side's series say, over the window the revision is looked for in. */
export interface SideActivity {
  readonly traffic: readonly PodTraffic[];
  /**
   * Pods whose request series are still present at the window's end (their pods are scraped),
   * or ReplicaSets with ready pods there (entries marked `replicaSet`).
   */
  readonly present: ReadonlySet<string>;
  /** How the activity was seen: the pods' own sidecars (default) or kube-state-metrics. */
  readonly via?: 'kube-state-metrics';
}

export type RevisionFrom = 'pods' | 'labels';
export type RevisionMethod = 'pod-template-hash' | 'newest-replicaset' | 'labels';

export type SideRevision =
  | {
      readonly known: true;
      readonly method: RevisionMethod;
      /** Told from kube-state-metrics' ReplicaSets (no sidecar reports their pods: ambient mesh). */
      readonly via?: 'kube-state-metrics';
      /** The ReplicaSet judged (methods 1 and 2, once it has served). */
      readonly replicaSet?: string;
      /** PromQL regex of the revision's pods, for the `pod` label (methods 1 and 2). */
      readonly pods?: string;
      /** Unix seconds: the start of the revision's latest run of traffic; null when it has served no request yet. */
      readonly start: number | null;
      /** Other ReplicaSets the side's labels also select, left out. */
      readonly excluded: readonly string[];
    }
  | { readonly known: false; readonly reason: string };

export interface IdentifyOptions {
  readonly from: RevisionFrom;
  /** The pod-template hash the caller gave for this side. */
  readonly hash?: string;
  readonly stepSeconds: number;
  /** Where the look-back began (unix seconds), for the wording "in the last 6h". */
  readonly lookedBackSeconds: number;
  readonly gapSeconds?: number;
}

interface Group {
  readonly prefix: string;
  readonly stepEnds: number[];
  present: boolean;
}

export function identifyRevision(activity: SideActivity, options: IdentifyOptions): SideRevision {
  const gap = options.gapSeconds ?? CANARY_GAP_SECONDS;
  const runStart = (ends: readonly number[]) => latestRunStart(ends, options.stepSeconds, gap);
  if (options.from === 'labels') {
    return { known: true, method: 'labels', start: runStart(activity.traffic.flatMap((p) => p.stepEnds)), excluded: [] };
  }

  const { groups, podless, foreign } = groupByReplicaSet(activity);
  if (options.hash !== undefined) {
    const hash = options.hash;
    const own = groups.filter((g) => prefixHasHash(g.prefix, hash));
    const excluded = groups.filter((g) => !own.includes(g)).map((g) => replicaSetName(g.prefix));
    if (!own.length && podless) return { known: false, reason: noPodLabel() };
    if (!own.length && !groups.length && foreign.length) return { known: false, reason: notFromReplicaSets(foreign) };
    return {
      known: true,
      method: 'pod-template-hash',
      ...via(activity),
      ...(own.length === 1 ? { replicaSet: replicaSetName(own[0].prefix) } : {}),
      pods: own.length === 1 ? podsOfPrefix(own[0].prefix) : podsOfHash(hash),
      start: runStart(own.flatMap((g) => g.stepEnds)),
      excluded,
    };
  }

  if (!groups.length) {
    return { known: false, reason: podless ? noPodLabel() : foreign.length ? notFromReplicaSets(foreign) : `no pod of it served a request in the last ${duration(options.lookedBackSeconds)}` };
  }
  const alive = groups.filter((g) => g.present);
  if (!alive.length) {
    const latest = [...groups].sort((a, b) => lastOf(b) - lastOf(a))[0];
    return {
      known: false,
      reason: `none of its pods is running: its latest ReplicaSet ${replicaSetName(latest.prefix)} last served at ${iso(lastOf(latest))} and is gone, so the revision under analysis has not served yet`,
    };
  }
  // Newest = began serving last; a ReplicaSet still scraped but idle for the whole look-back is the oldest.
  const chosen = [...alive].sort((a, b) => firstOf(b) - firstOf(a) || lastOf(b) - lastOf(a))[0];
  return {
    known: true,
    method: 'newest-replicaset',
    ...via(activity),
    replicaSet: replicaSetName(chosen.prefix),
    pods: podsOfPrefix(chosen.prefix),
    start: runStart(chosen.stepEnds),
    excluded: groups.filter((g) => g !== chosen).map((g) => replicaSetName(g.prefix)),
  };
}

/** Both sides must be different pods: a canary judged against itself always passes. */
export function sameRevision(a: SideRevision, b: SideRevision): boolean {
  return a.known && b.known && a.pods !== undefined && a.pods === b.pods;
}

function via(activity: SideActivity): { via?: 'kube-state-metrics' } {
  return activity.via ? { via: activity.via } : {};
}

/**
 * The side's pods by ReplicaSet; `podless` when series carry no `pod` label, `foreign` the pods
 * whose names no ReplicaSet gives (left out of every group).
 */
function groupByReplicaSet(activity: SideActivity): { groups: Group[]; podless: boolean; foreign: string[] } {
  const byPrefix = new Map<string, Group>();
  const replicaSets = new Set(activity.traffic.filter((t) => t.replicaSet).map((t) => t.pod));
  let podless = false;
  const foreign = new Set<string>();
  const groupOf = (pod: string): Group | undefined => {
    const prefix = replicaSets.has(pod) ? prefixOfReplicaSet(pod) : podPrefix(pod);
    if (prefix === undefined) {
      if (pod === '') podless = true;
      else foreign.add(pod);
      return undefined;
    }
    let group = byPrefix.get(prefix);
    if (!group) byPrefix.set(prefix, (group = { prefix, stepEnds: [], present: false }));
    return group;
  };
  for (const { pod, stepEnds } of activity.traffic) {
    const group = groupOf(pod);
    if (group) for (const end of stepEnds) group.stepEnds.push(end);
  }
  for (const pod of activity.present) {
    const group = groupOf(pod);
    if (group) group.present = true;
  }
  return { groups: [...byPrefix.values()], podless, foreign: [...foreign].sort() };
}

function firstOf(group: Group): number {
  return group.stepEnds.length ? group.stepEnds.reduce((a, b) => Math.min(a, b)) : -Infinity;
}

function lastOf(group: Group): number {
  return group.stepEnds.reduce((a, b) => Math.max(a, b), -Infinity);
}

function noPodLabel(): string {
  return 'its series carry no `pod` label, so one revision cannot be told from another (add the pod label in the scrape config, as Istio\'s kubernetes-pods job and the Prometheus Operator do, or send "revisionFrom": "labels" if its labels change with every revision)';
}

function notFromReplicaSets(pods: readonly string[]): string {
  const named = pods.slice(0, 3).map((p) => `"${p}"`).join(', ');
  return (
    `its pods (${named}${pods.length > 3 ? ` and ${pods.length - 3} more` : ''}) were not created by a ReplicaSet: a ReplicaSet's pod is named "<replicaset>-" and five generated characters, ` +
    'and these are not (a StatefulSet\'s pods, bare pods), so one revision cannot be told from another by its pods; ' +
    'Argo Rollouts and Flagger roll out ReplicaSets: select their pods, or send "revisionFrom": "labels" if the labels change with every revision'
  );
}

function iso(seconds: number): string {
  return Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') : 'an unknown time';
}

/** 21600 -> "6h", 5400 -> "1h30m", 90 -> "1m30s". */
export function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round(seconds % 60);
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
