/**
 * Judging the right revision, against a real Prometheus holding what a cluster holds (backfilled
 * with promtool): revisions of one reused Flagger workload joined by short gaps and separated by
 * long ones, a rollback followed by a revision that has not served yet, a quick fix that keeps
 * every label, and a canary that crashes (its callers' proxies fail the requests routed to it).
 * Driven through the shipped Flagger Canary's webhooks and the shipped Argo AnalysisTemplate,
 * as those controllers call them (Flagger: status <= 202 is success; Argo: the template's args,
 * jsonPath and conditions).
 *
 * Every scenario lives in its own namespace of one history, which ends ten minutes ago (`END`):
 * the judge's clock is set there (Flagger's payload carries no time).
 *
 * Skipped with a message when no Prometheus binary is found (except with CI=true).
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import path from 'node:path';
import { parse } from 'yaml';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { testApp } from '../support/app';
import { measure, rolloutArgs, substituteArgs, type WebMetric } from '../support/argo-web-metric';
import { clusterHistory, historyEnd, startBackfilledPrometheus, type CallerPlay, type PodPlay, type ReplicaSetPlay } from '../support/cluster-history';
import { findPrometheus, prometheusMissingMessage, type PrometheusServer } from '../support/prometheus';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';

const binary = findPrometheus();
const inCi = process.env.CI === 'true';
if (!binary && !inCi) console.warn(`Skipping revisions.test.ts. ${prometheusMissingMessage()}`);
const describeWithPrometheus = binary || inCi ? describe : describe.skip;

const END = historyEnd();
const HEALTHY = { errorRate: 0.01, latency: { medianMs: 60, sigma: 0.4 } };
const HARMFUL = { errorRate: 0.1, latency: { medianMs: 90, sigma: 0.4 } };

/** A sidecar-reported pod of `workload` in `ns`. */
function pod(ns: string, name: string, workload: string, version: string, from: number, to: number, behaviour: typeof HEALTHY, requestsPerMinute: PodPlay['requestsPerMinute'] = 4000): PodPlay {
  return {
    pod: name,
    labels: { destination_workload: workload, destination_workload_namespace: ns, destination_version: version, destination_canonical_revision: version, destination_service_name: 'model' },
    from,
    to,
    requestsPerMinute,
    ...behaviour,
  };
}

/** Flagger: the primary (a Deployment model-primary) serves throughout; canary revisions of the Deployment `model` come and go. */
const primary = (ns: string) => pod(ns, 'model-primary-6d5f7c9b8-x2kqz', 'model-primary', 'v1', -100, 0, HEALTHY);

const PODS: PodPlay[] = [
  // A healthy from 45 to 17 minutes ago, a harmful B since 12 minutes ago: one run of traffic
  // for a 15-minute gap rule, two ReplicaSets for the judge.
  primary('joined'),
  pod('joined', 'model-aaaaa11-p0001', 'model', 'v2', -45, -17, HEALTHY),
  pod('joined', 'model-bbbbb22-p0002', 'model', 'v2', -12, 0, HARMFUL),
  // The reverse: a harmful A, a healthy B after a 5-minute gap.
  primary('joined-healthy'),
  pod('joined-healthy', 'model-aaaaa11-p0001', 'model', 'v2', -53, -25, HARMFUL),
  pod('joined-healthy', 'model-bbbbb22-p0002', 'model', 'v2', -20, 0, HEALTHY),
  // Separated by 28 minutes.
  primary('separated'),
  pod('separated', 'model-aaaaa11-p0001', 'model', 'v2', -80, -40, HEALTHY),
  pod('separated', 'model-bbbbb22-p0002', 'model', 'v2', -12, 0, HARMFUL),
  // Rolled back 70 minutes before END; the next revision's pods run but have served nothing
  // (Envoy has no stat for them yet): asked 8, 22 and 70 minutes after the bad run.
  primary('rollback'),
  pod('rollback', 'model-ccccc33-p0003', 'model', 'v2', -90, -70, HARMFUL),
  // A crash at 10 %: the canary served from 20 to 5 minutes ago, then its pods stopped answering
  // (still scraped: their counters stay, constant); the gateway fails what it routes to them.
  primary('crash'),
  pod('crash', 'model-eeeee55-p0005', 'model', 'v2', -20, 0, HEALTHY, (m) => (m < -5 ? 400 : 0)),
  // Argo: one Rollout `model`, stable model-5f6d7c8b9 (v1); a canary A and its quick fix B keep
  // every label (version v2), B harmful; A's pods terminate 6 minutes ago, 2 minutes after B's start.
  pod('reused', 'model-5f6d7c8b9-s0001', 'model', 'v1', -100, 0, HEALTHY),
  pod('reused', 'model-aaaaa11-p0001', 'model', 'v2', -40, -6, HEALTHY),
  pod('reused', 'model-bbbbb22-p0002', 'model', 'v2', -8, 0, HARMFUL),
  // Argo, a crash 3 minutes into the revision: the canary's callers fail what the canary Service
  // routes to it. (A crash after the judge has passed the canary is the late-harm case.)
  pod('crash-argo', 'model-5f6d7c8b9-s0001', 'model', 'v1', -100, 0, HEALTHY),
  pod('crash-argo', 'model-eeeee55-p0005', 'model', 'v2', -20, 0, HEALTHY, (m) => (m < -17 ? 400 : 0)),
  // Argo, a crash after the gate has passed the canary: healthy for 30 minutes, then its pods
  // stop answering 6 minutes before END.
  pod('crash-late-argo', 'model-5f6d7c8b9-s0001', 'model', 'v1', -100, 0, HEALTHY),
  pod('crash-late-argo', 'model-eeeee55-p0005', 'model', 'v2', -36, 0, HEALTHY, (m) => (m < -6 ? 400 : 0)),
];

// Ambient mesh (Flagger): no sidecars; the waypoint reports both revisions of `model` as one
// series (same workload, same Helm-style app.kubernetes.io/version: destination_version is the
// canonical revision, not the pod label `version: v2`), harmful from 12 minutes ago on.
// kube-state-metrics knows the ReplicaSets: A ready from 45 to 17 minutes ago, B since 12.
const WAYPOINT = 'waypoint-5c7d9f8b6-wp001';
const ambient = (workload: string, version: string, from: number, serving: (m: number) => boolean, harmfulFrom = Infinity): PodPlay => ({
  pod: `${workload}-ambient`,
  waypoint: WAYPOINT,
  labels: { destination_workload: workload, destination_workload_namespace: 'ambient', destination_version: version, destination_canonical_revision: version, destination_service_name: 'model' },
  from,
  to: 0,
  requestsPerMinute: (m) => (serving(m) ? 4000 : 0),
  errorRate: (m) => (m >= harmfulFrom ? HARMFUL.errorRate : HEALTHY.errorRate),
  latency: (m) => (m >= harmfulFrom ? HARMFUL.latency : HEALTHY.latency),
});
PODS.push(ambient('model-primary', '1.4.1', -100, () => true), ambient('model', '1.4.2', -45, (m) => (m >= -45 && m < -17) || m >= -12, -12));
// Ambient mesh (Argo): the Rollout's canaryMetadata / stableMetadata set the pods'
// service.istio.io/canonical-revision to `canary` / `stable`, which the waypoint reports; the
// quick fix B (hash bbbbb22, harmful) replaced A (aaaaa11) 12 minutes ago with the same labels.
const argoAmbient = (role: string, from: number, serving: (m: number) => boolean, harmfulFrom = Infinity): PodPlay => ({
  ...ambient('model', role, from, serving, harmfulFrom),
  pod: `model-${role}-ambient`,
  labels: { destination_workload: 'model', destination_workload_namespace: 'argo-ambient', destination_version: role, destination_canonical_revision: role, destination_service_name: 'model' },
});
PODS.push(argoAmbient('stable', -100, () => true), argoAmbient('canary', -45, (m) => (m >= -45 && m < -17) || m >= -12, -12));
const REPLICA_SETS: ReplicaSetPlay[] = [
  { namespace: 'argo-ambient', replicaSet: 'model-5f6d7c8b9', owner: { kind: 'Rollout', name: 'model' }, from: -100, to: 0, ready: [-100, 0] },
  { namespace: 'argo-ambient', replicaSet: 'model-aaaaa11', owner: { kind: 'Rollout', name: 'model' }, from: -46, to: 0, ready: [-45, -17] },
  { namespace: 'argo-ambient', replicaSet: 'model-bbbbb22', owner: { kind: 'Rollout', name: 'model' }, from: -13, to: 0, ready: [-12, 0] },
  { namespace: 'ambient', replicaSet: 'model-primary-6d5f7c9b8', owner: { kind: 'Deployment', name: 'model-primary' }, from: -100, to: 0, ready: [-100, 0] },
  { namespace: 'ambient', replicaSet: 'model-aaaaa11', owner: { kind: 'Deployment', name: 'model' }, from: -46, to: 0, ready: [-45, -17] },
  { namespace: 'ambient', replicaSet: 'model-bbbbb22', owner: { kind: 'Deployment', name: 'model' }, from: -13, to: 0, ready: [-12, 0] },
];

const CALLERS: CallerPlay[] = [
  { labels: { destination_service_name: 'model-canary', destination_service_namespace: 'crash', destination_workload: 'model', destination_workload_namespace: 'crash' }, from: -6, to: -5, failuresPerMinute: { 'URX,UF': 300 } },
  { labels: { destination_service_name: 'model-canary', destination_service_namespace: 'crash', destination_workload: 'unknown', destination_workload_namespace: 'unknown' }, from: -5, to: 0, failuresPerMinute: { UH: 400 } },
  { labels: { destination_service_name: 'model-canary', destination_service_namespace: 'crash-argo', destination_workload: 'unknown', destination_workload_namespace: 'unknown' }, from: -17, to: 0, failuresPerMinute: { UH: 400 } },
  { labels: { destination_service_name: 'model-canary', destination_service_namespace: 'crash-late-argo', destination_workload: 'unknown', destination_workload_namespace: 'unknown' }, from: -6, to: 0, failuresPerMinute: { UH: 400 } },
];

const templates = path.join(__dirname, '../../analysis-templates');
const canary = parse(fs.readFileSync(path.join(templates, 'flagger/canary.yaml'), 'utf8'));
const hooks = new Map<string, Record<string, string>>(canary.spec.analysis.webhooks.map((h: { type: string; metadata: Record<string, string> }) => [h.type, h.metadata]));
const gateTemplate = parse(fs.readFileSync(path.join(templates, 'argo/analysis-template.yaml'), 'utf8'));
const gate: WebMetric = gateTemplate.spec.metrics[0];
/** The shipped gate's args as the Rollout passes them, over the template's defaults (the canary's weight: its share of the scenario's requests). */
const argoArgs = (ns: string, canaryHash: string, weight: string): Record<string, string> =>
  rolloutArgs(gateTemplate, { namespace: ns, 'canary-hash': canaryHash, 'stable-hash': '5f6d7c8b9', 'canary-weight': weight });

describeWithPrometheus('judging the right revision against a real Prometheus', () => {
  let prometheus: PrometheusServer | undefined;
  let judge: http.Server | undefined;
  let base = '';
  let clock = END;

  beforeAll(async () => {
    if (!binary) throw new Error(`CI=true and ${prometheusMissingMessage()}`);
    prometheus = await startBackfilledPrometheus(clusterHistory(END, PODS, CALLERS, 7, REPLICA_SETS));
    const source = new PrometheusSource(new PrometheusClient({ baseUrl: prometheus.url, queryTimeoutMs: 10_000 }));
    judge = testApp({ analysis: { source, deadlineMs: 20_000, now: () => clock } }).app.listen(0, '127.0.0.1');
    await new Promise((resolve) => judge!.once('listening', resolve));
    base = `http://127.0.0.1:${(judge.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    await new Promise((resolve) => (judge ? judge.close(resolve) : resolve(undefined)));
    await prometheus?.stop();
  });

  /** Flagger's call of the shipped Canary's hook of this type, for the Canary in `ns`. */
  const flagger = async (ns: string, type: string) => {
    const res = await fetch(`${base}/v1/flagger/${type}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'model', namespace: ns, phase: 'Progressing', checksum: 'c0ffee', metadata: hooks.get(type) }) });
    return { status: res.status, text: await res.text() };
  };
  /** Argo's measurement of the shipped gate for the Rollout in `ns`, with the ReplicaSets' hashes. */
  // The measurement's phase and the verdict of its value ([verdict, reason, report link]).
  const argo = async (ns: string, canaryHash: string, weight: string) => {
    const measured = await measure(gate, { ...argoArgs(ns, canaryHash, weight), 'judge-url': `${base}/v1/analyze` });
    return { phase: measured.phase, value: (measured.value as string[] | undefined)?.[0] };
  };
  const analyze = async (body: object) => {
    const res = await fetch(`${base}/v1/analyze`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return (await res.json()) as Record<string, any>;
  };

  it('Flagger: a harmful revision joined to a healthy predecessor by a 5-minute gap fails on its own data: no promotion, rolled back', async () => {
    clock = END;
    const rollout = await flagger('joined', 'rollout');
    expect(rollout.status).toBe(412);
    expect(rollout.text).toMatch(/^canary-judge fail: critical metric/);
    expect((await flagger('joined', 'confirm-promotion')).status).toBe(412);
    expect((await flagger('joined', 'rollback')).status).toBe(200);
    const body = await analyze({ since: 'canary', labels: { destination_workload_namespace: 'joined' }, baseline: { labels: { destination_workload: 'model-primary' } }, canary: { labels: { destination_workload: 'model' } } });
    expect(body.revisions.canary).toMatchObject({ method: 'newest-replicaset', replicaSet: 'model-bbbbb22', excluded: ['model-aaaaa11'] });
    expect(Date.parse(body.window.start) / 1000).toBeGreaterThanOrEqual(END - 13 * 60);
  }, 30_000);

  it('Flagger: a healthy revision after a harmful one (5-minute gap) is not rolled back for the old failure, and is promoted', async () => {
    clock = END;
    expect((await flagger('joined-healthy', 'rollback')).status).toBe(409);
    const rollout = await flagger('joined-healthy', 'rollout');
    expect(rollout.status).toBe(200);
    const promotion = await flagger('joined-healthy', 'confirm-promotion');
    expect([promotion.status, promotion.text]).toEqual([200, expect.stringMatching(/^canary-judge pass/)]);
  }, 30_000);

  it('Flagger: separated revisions: the harmful one still fails', async () => {
    clock = END;
    expect((await flagger('separated', 'rollout')).status).toBe(412);
    expect((await flagger('separated', 'rollback')).status).toBe(200);
  }, 30_000);

  it.each([8, 22, 70])('Flagger: %i minutes after a rollback, the next revision (not served yet) is neither rolled back, promoted nor advanced', async (after) => {
    clock = END - (70 - after) * 60;
    const rollback = await flagger('rollback', 'rollback');
    expect(rollback.status).toBe(409);
    expect((await flagger('rollback', 'confirm-promotion')).status).toBe(412);
    const rollout = await flagger('rollback', 'rollout');
    expect(rollout.status).toBe(200);
    expect(rollout.text).toMatch(/^canary-judge inconclusive: cannot tell which revision the canary is: none of its pods is running: its latest ReplicaSet model-ccccc33 last served at .* and is gone/);
  }, 30_000);

  it('Flagger: a canary that stops answering at 10 % fails, the reason naming the client-side errors', async () => {
    clock = END;
    const rollout = await flagger('crash', 'rollout');
    expect(rollout.status).toBe(412);
    expect(rollout.text).toMatch(/error-rate/);
    expect((await flagger('crash', 'rollback')).status).toBe(200);
    const body = await analyze({ since: 'canary', labels: { destination_workload_namespace: 'crash' }, baseline: { labels: { destination_workload: 'model-primary' }, sourceLabels: { destination_service_name: 'model-primary' } }, canary: { labels: { destination_workload: 'model' }, sourceLabels: { destination_service_name: 'model-canary', destination_service_namespace: 'crash' } } });
    const errors = body.metrics.find((m: { name: string }) => m.name === 'error-rate');
    expect(errors.verdict).toBe('fail');
    expect(errors.reason).toMatch(/its callers' proxies failed before it answered: UH [\d,]+ \(no healthy upstream\), URX,UF [\d,]+ \(retries exhausted, connection failure\)/);
    expect(errors.clientSide.canary.count).toBeGreaterThan(1500);
  }, 30_000);

  it('Argo: a quick fix that keeps every label is judged on its own pods (the hash Latest), the earlier canary on its own', async () => {
    clock = END;
    const fix = await argo('reused', 'bbbbb22', '0.5');
    expect([fix.phase, fix.value]).toEqual(['Failed', 'fail']);
    // A's pods are gone: judged on its own pods it never fails (B's harm is not its), and no gate
    // passes it now: a pass rests on the traffic at the canary's current weight, and none flows.
    const earlier = await argo('reused', 'aaaaa11', '');
    expect([earlier.phase, earlier.value]).toEqual(['Inconclusive', 'inconclusive']);
    const asked = await analyze({ since: 'canary', labels: { destination_workload_namespace: 'reused' }, baseline: { labels: { destination_version: 'v1' }, revision: '5f6d7c8b9' }, canary: { labels: { destination_version: 'v2' }, revision: 'aaaaa11' } });
    expect(asked.revisions.canary.replicaSet).toBe('model-aaaaa11');
    for (const m of asked.metrics) expect(m.verdict).not.toBe('fail');
    // The same sides by version label alone (templates of your own): the newest running ReplicaSet, B.
    const byLabels = await analyze({ since: 'canary', labels: { destination_workload_namespace: 'reused' }, baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } } });
    expect([byLabels.verdict, byLabels.revisions.canary.replicaSet]).toEqual(['fail', 'model-bbbbb22']);
  }, 30_000);

  it('Argo: a canary that stops answering fails the gate through its Service\'s client-side errors', async () => {
    clock = END;
    const result = await argo('crash-argo', 'eeeee55', '0.0909');
    expect([result.phase, result.value]).toEqual(['Failed', 'fail']);
  }, 30_000);

  it('Argo: a canary that crashes after the gate passed it fails the next looks: a later fail is never hidden by an earlier pass', async () => {
    clock = END - 8 * 60;
    const before = await argo('crash-late-argo', 'eeeee55', '0.0909');
    expect([before.phase, before.value]).toEqual(['Successful', 'pass']);
    clock = END;
    const after = await argo('crash-late-argo', 'eeeee55', '0.0909');
    expect([after.phase, after.value]).toEqual(['Failed', 'fail']);
  }, 30_000);

  it('ambient mesh: the waypoint\'s series with kube-state-metrics\' ReplicaSets judge the harmful revision alone; a version label the waypoint does not report is blind, never a pass', async () => {
    clock = END;
    const ambientHook = async (type: string) => {
      const res = await fetch(`${base}/v1/flagger/${type}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'model', namespace: 'ambient', phase: 'Progressing', checksum: 'c0ffee', metadata: { ...hooks.get(type), reporter: 'waypoint' } }) });
      return { status: res.status, text: await res.text() };
    };
    expect((await ambientHook('rollout')).status).toBe(412);
    expect((await ambientHook('rollback')).status).toBe(200);
    const sides = { since: 'canary', reporter: 'waypoint', labels: { destination_workload_namespace: 'ambient' } };
    const body = await analyze({ ...sides, baseline: { labels: { destination_workload: 'model-primary' } }, canary: { labels: { destination_workload: 'model' } } });
    expect(body.revisions.canary).toMatchObject({ method: 'newest-replicaset', via: 'kube-state-metrics', replicaSet: 'model-bbbbb22', excluded: ['model-aaaaa11'] });
    expect(body.verdict).toBe('fail');
    // The pods' `version: v2` is not what the waypoint reports (app.kubernetes.io/version wins).
    const blind = await analyze({ ...sides, revisionFrom: 'labels', baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } } });
    expect(blind.verdict).toBe('inconclusive');
    expect(blind.metrics.map((m: { reason: string }) => m.reason)).toEqual(['neither side has any data', 'neither side has any data']);
  }, 30_000);

  it('ambient mesh, Argo: sides by the canonical-revision roles the waypoint reports, the revision by its hash in kube-state-metrics', async () => {
    clock = END;
    const body = await analyze({
      since: 'canary',
      reporter: 'waypoint',
      labels: { destination_workload_namespace: 'argo-ambient' },
      baseline: { revision: '5f6d7c8b9', labels: { destination_canonical_revision: 'stable' } },
      canary: { revision: 'bbbbb22', labels: { destination_canonical_revision: 'canary' } },
    });
    expect(body.revisions.canary).toMatchObject({ method: 'pod-template-hash', via: 'kube-state-metrics', replicaSet: 'model-bbbbb22' });
    // The window starts where B's pods became ready: A's healthy minutes stay out.
    expect(Date.parse(body.window.start) / 1000).toBeGreaterThanOrEqual(END - 13 * 60);
    expect(body.verdict).toBe('fail');
  }, 30_000);

  describe('every replica answers the same: two service processes and a restarted one', () => {
    let services: ServiceProcess[] = [];
    afterAll(async () => {
      await Promise.all(services.map((s) => s.stop()));
    });

    it('give identical answers for every scenario, with the time pinned by `end`', async () => {
      const env = { PROMETHEUS_URL: prometheus!.url, ANALYSIS_DEADLINE_MS: '30000', PROMETHEUS_QUERY_TIMEOUT_MS: '20000' };
      services = await Promise.all([startServiceProcess({ env }), startServiceProcess({ env })]);
      const calls: { path: string; body: object }[] = [];
      for (const [ns, at] of [['joined', END], ['joined-healthy', END], ['separated', END], ['rollback', END - 62 * 60], ['crash', END], ['ambient', END]] as const) {
        for (const type of ['rollout', 'confirm-promotion', 'rollback']) {
          const metadata = { ...hooks.get(type), end: String(at), ...(ns === 'ambient' ? { reporter: 'waypoint' } : {}) };
          calls.push({ path: `/v1/flagger/${type}`, body: { name: 'model', namespace: ns, phase: 'Progressing', checksum: 'c0ffee', metadata } });
        }
      }
      for (const [ns, hash, weight] of [['reused', 'bbbbb22', '0.5'], ['reused', 'aaaaa11', ''], ['crash-argo', 'eeeee55', '0.0909']]) {
        calls.push({ path: '/v1/analyze', body: { ...substituteArgs(gate.provider.web.jsonBody as object, argoArgs(ns, hash, weight)), end: END } });
      }
      // One call at a time: a 503 from an overloaded machine is not what is compared here.
      const answers = async (service: ServiceProcess) => {
        const out: string[] = [];
        for (const { path: p, body } of calls) {
          const res = await fetch(`${service.url}${p}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
          out.push(`${res.status} ${await res.text()}`);
        }
        return out;
      };
      const [first, second] = await Promise.all(services.map(answers));
      expect(second).toEqual(first);
      expect(first.filter((a) => a.startsWith('200 {')).length).toBe(3);
      expect(first.filter((a) => a.startsWith('503'))).toEqual([]);
      await services[0].stop();
      services[0] = await startServiceProcess({ env });
      expect(await answers(services[0])).toEqual(first);
    }, 240_000);
  });
});
