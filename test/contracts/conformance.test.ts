/**
 * Conformance of everything we ship that calls the service: every Argo Rollouts
 * (Cluster)AnalysisTemplate under analysis-templates/ is measured against a running service the
 * way Argo measures it (args substituted, Kubernetes jsonpath, expr conditions), and the
 * Flagger Canary's webhooks are called the way Flagger calls them and read with Flagger's
 * status rules (only 200-202 succeed). Healthy canary -> Successful / advance; bad canary ->
 * Failed / halt and roll back; no data -> Inconclusive / wait, never promote.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { testApp, withListening } from '../support/app';
import { measure, type WebMetric } from '../support/argo-web-metric';
import { FakeSource, type Health } from '../support/fake-source';

const shipped = path.join(__dirname, '../../analysis-templates');
const documents = fs
  .readdirSync(shipped, { recursive: true, encoding: 'utf8' })
  .filter((file) => /\.ya?ml$/.test(file))
  .flatMap((file) => parseAllDocuments(fs.readFileSync(path.join(shipped, file), 'utf8')).map((doc) => ({ file, manifest: doc.toJS() })));

const templates = documents.filter((d) => d.manifest?.kind === 'AnalysisTemplate' || d.manifest?.kind === 'ClusterAnalysisTemplate');
const canaries = documents.filter((d) => d.manifest?.kind === 'Canary');

function serve<T>(source: FakeSource, run: (base: string) => Promise<T>): Promise<T> {
  return withListening(testApp({ analysis: { source } }).app, run);
}

const scenarios: [string, Health, Health][] = [
  ['healthy', 'pass', 'pass'],
  ['bad', 'pass', 'fail'],
  ['no data', 'empty', 'empty'],
];

describe('Argo Rollouts templates we ship', () => {
  it('exist', () => expect(templates.length).toBeGreaterThanOrEqual(1));

  // What a Rollout passes for the args without a default (rollout.yaml).
  const given: Record<string, string> = { namespace: 'ml', rollout: 'model', 'canary-hash': '7c9d8f6b4', 'stable-hash': '6d5f7c9b8', 'canary-service': 'model-canary', 'stable-service': 'model-stable' };
  for (const { file, manifest } of templates) {
    const args = Object.fromEntries((manifest.spec.args ?? []).map((a: { name: string; value?: string }) => [a.name, a.value ?? given[a.name] ?? 'x']));
    for (const metric of (manifest.spec.metrics as (WebMetric & { name: string })[]).filter((m) => m.provider?.web)) {
      // A look with no data is Inconclusive for the gate; the harm watch has only a
      // failureCondition, so it is a Successful look there, and the watch never promotes: every
      // shipped Rollout ends with the gate (test/manifests checks that).
      const noData = metric.successCondition ? 'Inconclusive' : 'Successful';
      it.each(scenarios.map(([label, l, e], i) => [label, ['Successful', 'Failed', noData][i], l, e]))(
        `${file} ${manifest.kind} ${metric.name}: %s canary -> %s`,
        async (_label, phase, latency, errors) => {
          const result = await serve(new FakeSource({ latency: latency as Health, errors: errors as Health }), (base) =>
            measure(metric, { ...args, 'judge-url': `${base}/v1/analyze` }),
          );
          expect(result.phase).toBe(phase);
        },
      );
    }
  }
});

describe('the Flagger Canary we ship', () => {
  it('exists', () => expect(canaries.length).toBeGreaterThanOrEqual(1));

  for (const { file, manifest } of canaries) {
    const hooks = manifest.spec.analysis.webhooks as { type: string; url: string; metadata?: Record<string, string> }[];
    /**
     * Calls a hook as Flagger does (the payload's name is the Canary object's own name, not its
     * targetRef's) and reads the answer with Flagger's rule: 200-202 succeed.
     */
    const call = (base: string, hook: (typeof hooks)[number], canaryName: string = manifest.metadata.name) =>
      fetch(base + new URL(hook.url).pathname, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: canaryName, namespace: manifest.metadata.namespace ?? 'ml', phase: 'Progressing', checksum: 'abc', metadata: hook.metadata ?? {} }),
      }).then((r) => r.status >= 200 && r.status <= 202);

    it(`${file}: a Canary named unlike its target is judged on the target's workloads`, async () => {
      const source = new FakeSource({ latency: 'pass', errors: 'pass' });
      const target = manifest.spec.targetRef.name as string;
      await serve(source, async (base) => {
        for (const hook of hooks) expect(await call(base, hook, `${target}-canary-object`)).toBe(hook.type !== 'rollback');
      });
      expect(source.calls.length).toBeGreaterThan(0);
      for (const { ctx } of source.calls.filter((c) => c.metric.template.startsWith('istio-'))) {
        expect(ctx.canary.destination_workload).toBe(target);
        expect(ctx.baseline.destination_workload).toBe(`${target}-primary`);
      }
    });

    it(`${file}: has a confirm-rollout hook, answered (not 404) so the Canary does not wait forever`, async () => {
      const hook = hooks.find((h) => h.type === 'confirm-rollout');
      expect(hook).toBeDefined();
      await serve(new FakeSource({ latency: 'empty', errors: 'empty' }), async (base) => expect(await call(base, hook!)).toBe(true));
    });

    it.each([
      ['healthy', 'pass', 'pass', { advance: true, promote: true, rollback: false }],
      ['bad', 'pass', 'fail', { advance: false, promote: false, rollback: true }],
      ['no data', 'empty', 'empty', { advance: true, promote: false, rollback: false }],
    ] as [string, Health, Health, Record<string, boolean>][])(`${file}: %s canary`, async (_label, latency, errors, expected) => {
      await serve(new FakeSource({ latency, errors }), async (base) => {
        for (const hook of hooks) {
          const succeeded = await call(base, hook);
          if (hook.type === 'rollout' || hook.type === 'pre-rollout' || hook.type === 'confirm-traffic-increase') expect(succeeded).toBe(expected.advance);
          if (hook.type === 'confirm-promotion') expect(succeeded).toBe(expected.promote);
          if (hook.type === 'rollback') expect(succeeded).toBe(expected.rollback);
          if (hook.type === 'confirm-rollout') expect(succeeded).toBe(true);
        }
      });
    });
  }
});
