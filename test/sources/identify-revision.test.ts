import { identifyRevision, sameRevision, type SideActivity } from '../../src/sources/revision/identify-revision';
import { podPrefix, podsOfHash, podsOfPrefix, prefixOfReplicaSet, replicaSetName } from '../../src/sources/revision/pod-names';

const MIN = 60;
const END = 1_800_000_000;
/** Step ends from `fromMinAgo` to `toMinAgo` (inclusive), one a minute. */
const served = (fromMinAgo: number, toMinAgo = 0) => Array.from({ length: fromMinAgo - toMinAgo + 1 }, (_, k) => END - (fromMinAgo - k) * MIN);
const options = { from: 'pods' as const, stepSeconds: MIN, lookedBackSeconds: 6 * 3600 };

function activity(pods: Record<string, { served?: number[]; present?: boolean }>): SideActivity {
  return Object.freeze({
    traffic: Object.entries(pods).map(([pod, p]) => ({ pod, stepEnds: p.served ?? [] })),
    present: new Set(Object.entries(pods).filter(([, p]) => p.present).map(([pod]) => pod)),
  });
}

describe('pod names (the ReplicaSet controller\'s generateName)', () => {
  it('finds the ReplicaSet of a pod and matches exactly its pods', () => {
    expect(podPrefix('model-7c9d8f6b4-x2kqz')).toBe('model-7c9d8f6b4-');
    expect(replicaSetName('model-7c9d8f6b4-')).toBe('model-7c9d8f6b4');
    const pattern = new RegExp(`^(?:${podsOfPrefix('model-7c9d8f6b4-')})$`);
    expect(pattern.test('model-7c9d8f6b4-x2kqz')).toBe(true);
    expect(pattern.test('model-7c9d8f6b4-x2kqz0')).toBe(false);
    expect(pattern.test('model-primary-7c9d8f6b4-x2kqz')).toBe(false);
    expect(pattern.test('modelx7c9d8f6b4-x2kqz')).toBe(false); // "." and "-" are literal
    const byHash = new RegExp(`^(?:${podsOfHash('7c9d8f6b4')})$`);
    expect(byHash.test('model-7c9d8f6b4-x2kqz')).toBe(true);
    expect(byHash.test('model-7c9d8f6b5-x2kqz')).toBe(false);
  });

  it('truncates a long ReplicaSet name as the API server does (63 - 5 characters before the suffix)', () => {
    const rs = `${'a'.repeat(60)}-7c9d8f6b4`;
    expect(prefixOfReplicaSet(rs)).toHaveLength(58);
    const pod = `${prefixOfReplicaSet(rs)}x2kqz`;
    expect(podPrefix(pod)).toBe(prefixOfReplicaSet(rs));
    expect(podPrefix('ab-c')).toBeUndefined();
  });

  it('knows a name no ReplicaSet gives: a StatefulSet\'s pod, a bare pod', () => {
    expect(podPrefix('model-primary-0')).toBeUndefined();
    expect(podPrefix('model-0')).toBeUndefined();
    expect(podPrefix('model-7c9d8f6b4-X2KQZ')).toBeUndefined();
    expect(podPrefix('modelserver12345')).toBeUndefined();
    expect(podPrefix('model-7c9d8f6b4-p0001')).toBe('model-7c9d8f6b4-');
  });
});

describe('identifyRevision', () => {
  it('takes the newest running ReplicaSet and leaves its predecessor out, however short the gap (Flagger reuses the workload)', () => {
    const side = activity({
      'model-aaaaa11-p0001': { served: served(45, 17) }, // revision A, scaled to zero 17 minutes ago
      'model-bbbbb22-p0002': { served: served(12), present: true }, // revision B, since 12 minutes ago
      'model-bbbbb22-p0003': { served: served(11), present: true },
    });
    const revision = identifyRevision(side, options);
    expect(revision).toEqual({ known: true, method: 'newest-replicaset', replicaSet: 'model-bbbbb22', pods: podsOfPrefix('model-bbbbb22-'), start: END - 13 * MIN, excluded: ['model-aaaaa11'] });
  });

  it('prefers the ReplicaSet that began serving last while an older one still runs (a quick fix mid-rollout)', () => {
    const side = activity({ 'model-old0001-p0001': { served: served(30), present: true }, 'model-new0002-p0002': { served: served(3), present: true } });
    const revision = identifyRevision(side, options);
    expect(revision.known && revision.replicaSet).toBe('model-new0002');
  });

  it('refuses to name a revision that has not served yet: its predecessor is gone (a rollback, then a new revision at weight 0)', () => {
    for (const endedMinAgo of [8, 22, 70]) {
      const side = activity({ 'model-bad0001-p0001': { served: served(endedMinAgo + 20, endedMinAgo) } });
      const revision = identifyRevision(side, options);
      expect(revision.known).toBe(false);
      expect(!revision.known && revision.reason).toMatch(/latest ReplicaSet model-bad0001 last served at .* and is gone, so the revision under analysis has not served yet/);
    }
  });

  it('pins a revision named by its pod-template hash, whether or not it has served', () => {
    const side = activity({ 'model-aaaaa11-p0001': { served: served(40), present: true }, 'model-bbbbb22-p0002': { served: served(5), present: true } });
    expect(identifyRevision(side, { ...options, hash: 'aaaaa11' })).toMatchObject({ known: true, method: 'pod-template-hash', replicaSet: 'model-aaaaa11', start: END - 41 * MIN, excluded: ['model-bbbbb22'] });
    expect(identifyRevision(side, { ...options, hash: 'ccccc33' })).toEqual({ known: true, method: 'pod-template-hash', pods: podsOfHash('ccccc33'), start: null, excluded: ['model-aaaaa11', 'model-bbbbb22'] });
  });

  it('judges a ReplicaSet scaled to zero and back (an aborted rollout retried) from its latest run', () => {
    const side = activity({ 'model-aaaaa11-p0001': { served: served(90, 60) }, 'model-aaaaa11-p0009': { served: served(20), present: true } });
    expect(identifyRevision(side, { ...options, hash: 'aaaaa11' })).toMatchObject({ start: END - 21 * MIN });
  });

  it('says so when its pods were not created by a ReplicaSet, never pinning a pattern that matches none of them', () => {
    // Before: "model-primary-0" was read as the ReplicaSet "model-prim", pinned, and every query matched nothing ("neither side has any data").
    const side = activity({ 'model-primary-0': { served: served(30), present: true }, 'model-primary-1': { served: served(30), present: true } });
    for (const revision of [identifyRevision(side, options), identifyRevision(side, { ...options, hash: '7c9d8f6b4' })]) {
      expect(revision.known).toBe(false);
      expect(!revision.known && revision.reason).toMatch(/^its pods \("model-primary-0", "model-primary-1"\) were not created by a ReplicaSet: .*"revisionFrom": "labels"/);
    }
    // Beside a ReplicaSet's pods they are left out, like another ReplicaSet.
    const mixed = activity({ 'model-primary-0': { served: served(30), present: true }, 'model-7c9d8f6b4-x2kqz': { served: served(10), present: true } });
    expect(identifyRevision(mixed, options)).toMatchObject({ known: true, replicaSet: 'model-7c9d8f6b4' });
  });

  it('cannot tell revisions apart without a pod label, unless the caller vouches for the labels', () => {
    const side = activity({ '': { served: served(30), present: true } });
    const revision = identifyRevision(side, options);
    expect(!revision.known && revision.reason).toMatch(/no `pod` label/);
    expect(identifyRevision(side, { ...options, hash: 'aaaaa11' }).known).toBe(false);
    expect(identifyRevision(side, { ...options, from: 'labels' })).toEqual({ known: true, method: 'labels', start: END - 31 * MIN, excluded: [] });
  });

  it('says a side that served nothing in the look-back has no revision yet', () => {
    const revision = identifyRevision(activity({}), options);
    expect(!revision.known && revision.reason).toBe('no pod of it served a request in the last 6h');
  });

  it('tells ReplicaSets from kube-state-metrics\' readiness where no sidecar reports the pods (ambient mesh)', () => {
    const side: SideActivity = {
      traffic: [
        { pod: 'model-aaaaa11', replicaSet: true, stepEnds: served(45, 17) },
        { pod: 'model-bbbbb22', replicaSet: true, stepEnds: served(12) },
      ],
      present: new Set(['model-bbbbb22']),
      via: 'kube-state-metrics',
    };
    expect(identifyRevision(side, options)).toEqual({ known: true, method: 'newest-replicaset', via: 'kube-state-metrics', replicaSet: 'model-bbbbb22', pods: podsOfPrefix('model-bbbbb22-'), start: END - 13 * MIN, excluded: ['model-aaaaa11'] });
  });

  it('flags two sides that resolve to the same pods', () => {
    const side = activity({ 'model-aaaaa11-p0001': { served: served(5), present: true } });
    expect(sameRevision(identifyRevision(side, options), identifyRevision(side, options))).toBe(true);
  });
});
