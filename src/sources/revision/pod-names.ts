/**
 * A revision's pods, told by their names.
 *
 * Both controllers create one ReplicaSet per pod template: Argo Rollouts names it
 * `<rollout>-<rollouts-pod-template-hash>`, a Deployment (Flagger's canary and primary)
 * `<deployment>-<pod-template-hash>`. The ReplicaSet controller creates every pod with
 * `generateName: <replicaset>-`, and the API server appends five random characters, first
 * truncating the prefix to 58 characters (apiserver `names.SimpleNameGenerator`:
 * maxGeneratedNameLength = 63 - 5). So a pod's name minus its last five characters is its
 * ReplicaSet's generateName, whatever the ReplicaSet is called: the key of a revision that the
 * `pod` label of every common scrape config carries (Istio's `kubernetes-pods` job and the
 * Prometheus Operator's PodMonitor / ServiceMonitor both set it).
 */

/** Length of the random suffix the API server appends to a generateName. */
const RANDOM_SUFFIX = 5;
/** The API server truncates a generateName to this many characters before the suffix. */
const MAX_GENERATE_NAME = 63 - RANDOM_SUFFIX;

/** The API server's random suffix: five lower-case alphanumerics (apimachinery's rand.String). */
const GENERATED_SUFFIX = /^[a-z0-9]{5}$/;

/**
 * The generateName a pod was created from (`model-7c9d8f6b4-` for `model-7c9d8f6b4-x2kqz`), or
 * undefined when the name cannot have one: too short, or not a generateName and its suffix
 * (`model-0`, a StatefulSet's pod; a bare pod's name). A generateName ends in "-" unless it was
 * truncated to 58 characters.
 */
export function podPrefix(pod: string): string | undefined {
  if (pod.length <= RANDOM_SUFFIX + 1) return undefined;
  const prefix = pod.slice(0, -RANDOM_SUFFIX);
  if (!GENERATED_SUFFIX.test(pod.slice(-RANDOM_SUFFIX))) return undefined;
  return prefix.endsWith('-') || prefix.length === MAX_GENERATE_NAME ? prefix : undefined;
}

/** The ReplicaSet a pod prefix belongs to, when the prefix was not truncated (`model-7c9d8f6b4`). */
export function replicaSetName(prefix: string): string {
  return prefix.endsWith('-') ? prefix.slice(0, -1) : prefix;
}

/** Does this pod prefix belong to the ReplicaSet with this pod-template hash? */
export function prefixHasHash(prefix: string, hash: string): boolean {
  return prefix.endsWith(`-${hash}-`);
}

/** The pod prefix of a ReplicaSet (`<replicaset>-`, truncated as the API server does). */
export function prefixOfReplicaSet(replicaSet: string): string {
  return `${replicaSet}-`.slice(0, MAX_GENERATE_NAME);
}

/** A PromQL (RE2, fully anchored) regex matching exactly the pods created from this prefix. */
export function podsOfPrefix(prefix: string): string {
  return `${escapeRegex(prefix)}[a-z0-9]{${RANDOM_SUFFIX}}`;
}

/** A PromQL regex matching the pods of any ReplicaSet with this pod-template hash (no ReplicaSet seen yet). */
export function podsOfHash(hash: string): string {
  return `.+-${escapeRegex(hash)}-[a-z0-9]{${RANDOM_SUFFIX}}`;
}

/** Kubernetes object names and hashes hold only [a-z0-9.-]; escape every RE2 metacharacter anyway. */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}
