/**
 * The "window and revision" stage of an analysis: which revision each side is, the window that
 * starts where the canary's revision began (never earlier), and the pins that keep every other
 * revision's series out of both sides (identify-revision.ts says how a revision is told).
 *
 * One look-back per side (its requests per pod and step, and which pods are still scraped),
 * sent in parallel. Stateless: everything comes from the metric source, so two replicas of the
 * service, or one after a restart, answer the same.
 */
import type { Labels, MetricSource, SidePins, TimeWindow } from '../metric-source';
import { SourceUnavailableError } from '../metric-source';
import { podsOfHash } from './pod-names';
import { duration, identifyRevision, sameRevision, type RevisionFrom, type SideActivity, type SideRevision } from './identify-revision';

export interface RevisionSide {
  /** The side's labels, common labels merged. */
  readonly labels: Labels;
  /** The side's pod-template hash, when the caller knows it. */
  readonly hash?: string;
  readonly sourceLabels?: Labels;
}

export interface RevisionQuestion {
  readonly baseline: RevisionSide;
  readonly canary: RevisionSide;
  readonly from: RevisionFrom;
  /** The analysis' reporter (what the metrics read); revisions are told by the destination's own reports. */
  readonly reporter: string;
  /** The window asked for; with `followCanary` only its end counts. */
  readonly window: TimeWindow;
  /** `since: canary`: the window starts where the canary's revision began, at most `maxAgeSeconds` back. */
  readonly followCanary: boolean;
  readonly maxAgeSeconds: number;
  readonly stepSeconds: number;
}

export interface Revisions {
  /** The analysis window: the asked one, starting no earlier than the canary's revision. */
  readonly window: TimeWindow;
  readonly baseline: SideRevision;
  readonly canary: SideRevision;
  /** Set when the sides' revisions could not be established: the analysis must not decide. */
  readonly unknown?: string;
  readonly pins: { readonly baseline: SidePins; readonly canary: SidePins };
}

/** At most this many steps in a side's look-up: a longer look-back gets a longer step. */
export const MAX_LOOKUP_POINTS = 2000;

export async function resolveRevisions(source: MetricSource, question: RevisionQuestion, signal: AbortSignal): Promise<Revisions> {
  if (!source.sideActivity) throw new SourceUnavailableError('the metric source cannot tell revisions apart (it reports no requests per pod)', 'not-configured');
  const { window } = question;
  const lookBack: TimeWindow = question.followCanary ? { start: window.end - question.maxAgeSeconds, end: window.end } : window;
  const reporter = question.from === 'pods' ? 'destination' : question.reporter;
  // A look-back of hours at a step of seconds would be thousands of points per pod.
  const step = Math.max(question.stepSeconds, Math.ceil((lookBack.end - lookBack.start) / MAX_LOOKUP_POINTS));
  // A side told by its hash is looked up by its pods alone (a namespace may hold many workloads).
  const ask = (side: RevisionSide, name: 'baseline' | 'canary'): Promise<SideActivity> =>
    source.sideActivity!(side.labels, lookBack, step, signal, reporter, question.from === 'pods' && side.hash !== undefined ? podsOfHash(side.hash) : undefined, name);
  // Sides whose pods no sidecar reports (ambient mesh) are told by kube-state-metrics' ReplicaSets.
  const orReplicaSets = async (side: RevisionSide, name: 'baseline' | 'canary', activity: SideActivity): Promise<SideActivity> => {
    const of = side.hash !== undefined ? { hash: side.hash } : side.labels.destination_workload !== undefined ? { owner: side.labels.destination_workload } : undefined;
    const namespace = side.labels.destination_workload_namespace ?? side.labels.destination_service_namespace ?? side.labels.namespace;
    if (question.from !== 'pods' || activity.traffic.length || activity.present.size || !source.replicaSetActivity || !of || namespace === undefined) return activity;
    const replicaSets = await source.replicaSetActivity(namespace, of, lookBack, step, signal, name);
    return replicaSets.traffic.length ? replicaSets : activity;
  };
  const [baselineActivity, canaryActivity] = await Promise.all([
    ask(question.baseline, 'baseline').then((a) => orReplicaSets(question.baseline, 'baseline', a)),
    ask(question.canary, 'canary').then((a) => orReplicaSets(question.canary, 'canary', a)),
  ]);
  const identify = (activity: SideActivity, side: RevisionSide) =>
    identifyRevision(activity, { from: question.from, hash: side.hash, stepSeconds: step, lookedBackSeconds: lookBack.end - lookBack.start });
  const baseline = identify(baselineActivity, question.baseline);
  const canary = identify(canaryActivity, question.canary);

  const unknown = !canary.known
    ? `cannot tell which revision the canary is: ${canary.reason}`
    : !baseline.known
      ? `cannot tell which revision the baseline is: ${baseline.reason}`
      : sameRevision(baseline, canary)
        ? `the baseline and the canary are the same pods (ReplicaSet ${canary.replicaSet ?? canary.pods}): check the sides' labels and revisions`
        : undefined;
  // The canary's window starts at its revision's latest run of traffic. Without a known revision
  // it starts at the latest run of the canary's labels' traffic, as a best effort for the report:
  // the verdict will not rest on it.
  const labelsRun = identifyRevision(canaryActivity, { from: 'labels', stepSeconds: step, lookedBackSeconds: 0 });
  const canaryStart = canary.known ? canary.start : labelsRun.known ? labelsRun.start : null;
  const start = question.followCanary
    ? canaryStart !== null && canaryStart < window.end
      ? canaryStart
      : window.start
    : Math.max(window.start, canaryStart !== null && canaryStart < window.end ? canaryStart : window.start);
  const pins = unknown ? { baseline: sourcePins(question.baseline), canary: sourcePins(question.canary) } : { baseline: pinsOf(baseline, question.baseline), canary: pinsOf(canary, question.canary) };
  return { window: { start, end: window.end }, baseline, canary, pins, ...(unknown ? { unknown } : {}) };
}

function pinsOf(revision: SideRevision, side: RevisionSide): SidePins {
  return { ...(revision.known && revision.pods !== undefined ? { pods: revision.pods } : {}), ...sourcePins(side) };
}

function sourcePins(side: RevisionSide): SidePins {
  return side.sourceLabels ? { sourceLabels: side.sourceLabels } : {};
}

/** "ReplicaSet model-7c9d8f6b4 (pod-template hash given), serving since 2026-12-06T10:03:00Z" and the like, for reports. */
export function describeRevision(revision: SideRevision): string {
  if (!revision.known) return `unknown: ${revision.reason}`;
  const since = revision.start === null ? 'not served yet' : `serving since ${new Date(revision.start * 1000).toISOString().replace('.000Z', 'Z')}`;
  const what =
    revision.method === 'labels'
      ? 'the side\'s labels (revisionFrom "labels")'
      : `ReplicaSet ${revision.replicaSet ?? `with pods ${revision.pods}`} (${revision.method === 'pod-template-hash' ? 'pod-template hash given' : 'its newest running ReplicaSet'})`;
  const others = revision.excluded.length ? `; left out: ${revision.excluded.join(', ')}` : '';
  return `${what}, ${since}${others}`;
}

export { duration };
