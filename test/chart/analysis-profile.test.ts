/**
 * The chart's `analysisProfile` value (charts/canary-judge/values.yaml): the profile the
 * rendered Argo (Cluster)AnalysisTemplates default their `profile` arg to and the Flagger webhook
 * metadata NOTES.txt prints name, rendered by the real Helm. The default is unchanged
 * (`default`, so analysis-templates/ stays the chart's default output: test/chart/wiring.test.ts);
 * `ml-quality` renders templates valid against the upstream CRDs whose requests, measured the
 * way Argo's web provider and Flagger send them against the real app, judge that profile's
 * metrics; a name that is neither built in nor in `profiles` fails the render.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { useHelm } from '../support/helm';
import { loadCrds, problems, type Manifest } from '../support/crd-validation';
import { measure, rolloutArgs, type WebMetric } from '../support/argo-web-metric';
import { testApp, withListening } from '../support/app';
import { FakeSource } from '../support/fake-source';
import { builtInProfiles } from '../../src/profiles/profiles';

const ROOT = path.join(__dirname, '..', '..');
const CHART = path.join(ROOT, 'charts', 'canary-judge');
const helm = useHelm();
const crds = loadCrds();

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const AT = { release: 'canary-judge', namespace: 'canary-judge' };
const ARGO = { clusterAnalysisTemplates: { enabled: true }, analysisTemplates: { enabled: true, namespaces: ['ml'] } };

const templates = (values: Obj): Obj[] => helm().objects(CHART, values, AT).filter((o) => ['AnalysisTemplate', 'ClusterAnalysisTemplate'].includes(o.kind));
const profileArg = (t: Obj) => (t.spec.args as Obj[]).find((a) => a.name === 'profile');

/** Flagger's webhooks (or the Rollout step) as NOTES.txt prints them (client-side dry run: no cluster). */
function flaggerHooks(values: Obj, name = 'Canary webhooks'): Obj[] {
  const out = helm().run(['install', AT.release, CHART, '--namespace', AT.namespace, '--dry-run=client'], values);
  const start = out.indexOf(`# ---8<--- ${name}\n`);
  expect(start).toBeGreaterThan(0);
  const lines = out.slice(start).split('\n').slice(1);
  return require('yaml').parse(lines.slice(0, lines.indexOf('# --->8---')).join('\n')) as Obj[]; // eslint-disable-line @typescript-eslint/no-require-imports
}

describe('analysisProfile', () => {
  it('defaults to "default": the templates and the Flagger hooks name the default profile, as before', () => {
    const rendered = templates({ argo: ARGO });
    expect(rendered).toHaveLength(4);
    for (const t of rendered) expect(profileArg(t)).toEqual({ name: 'profile', value: 'default' });
    expect(flaggerHooks({}).map((h) => [h.type, h.metadata.profile])).toEqual([
      ['confirm-rollout', undefined],
      ['rollout', 'default'],
      ['confirm-promotion', 'default'],
      ['rollback', 'default'],
    ]);
  });

  it('ml-quality: every template and hook names it, valid against the Argo Rollouts and Flagger CRDs', () => {
    const values = { argo: { ...ARGO, sideVersions: true }, analysisProfile: 'ml-quality' };
    const rendered = templates(values);
    expect(rendered.map((t) => `${t.kind}/${t.metadata.name}`).sort()).toEqual([
      'AnalysisTemplate/canary-judge',
      'AnalysisTemplate/canary-judge-watch',
      'ClusterAnalysisTemplate/canary-judge',
      'ClusterAnalysisTemplate/canary-judge-watch',
    ]);
    for (const t of rendered) {
      expect(profileArg(t)).toEqual({ name: 'profile', value: 'ml-quality' });
      // The sides' versions, which tell the feedback job's labelled series apart.
      expect((t.spec.args as Obj[]).filter((a) => a.name.endsWith('-version'))).toEqual([{ name: 'stable-version' }, { name: 'canary-version' }]);
      const body = t.spec.metrics[0].provider.web.jsonBody;
      expect([body.baseline.labels, body.canary.labels]).toEqual([{ destination_version: '{{args.stable-version}}' }, { destination_version: '{{args.canary-version}}' }]);
      expect(problems(crds, t as Manifest)).toEqual([]);
    }
    // The printed Rollout step gives the two version args the templates now require.
    const step = flaggerHooks(values, 'Rollout step');
    expect((step[0].analysis.args as Obj[]).filter((a) => a.name.endsWith('-version'))).toEqual([
      { name: 'stable-version', value: 'v1' },
      { name: 'canary-version', value: 'v2' },
    ]);
    const hooks = flaggerHooks(values);
    expect(hooks.filter((h) => h.type !== 'confirm-rollout').map((h) => h.metadata.profile)).toEqual(['ml-quality', 'ml-quality', 'ml-quality']);
    const canary = require('yaml').parse(fs.readFileSync(path.join(ROOT, 'analysis-templates/flagger/canary.yaml'), 'utf8')) as Manifest; // eslint-disable-line @typescript-eslint/no-require-imports
    canary.spec.analysis.webhooks = hooks;
    expect(problems(crds, canary)).toEqual([]);
  });

  it('ml-quality end to end: the rendered gate, measured as Argo measures it, and the printed Flagger hook judge its labelled accuracy, never passing without it', async () => {
    const values = { argo: { clusterAnalysisTemplates: { enabled: true }, sideVersions: true }, analysisProfile: 'ml-quality' };
    const gate = templates(values).find((t) => t.metadata.name === 'canary-judge')!;
    const argoSource = new FakeSource({ latency: 'pass', errors: 'pass' });
    const { app } = testApp({ analysis: { source: argoSource } });
    const result = await withListening(app, (base) =>
      measure(gate.spec.metrics[0] as WebMetric, rolloutArgs(gate as Parameters<typeof rolloutArgs>[0], { 'canary-weight': '0.1', 'judge-url': `${base}/v1/analyze`, namespace: 'ml', rollout: 'model', 'canary-hash': 'c4n4ry', 'stable-hash': 'st4bl3', 'canary-service': 'model-canary', 'stable-service': 'model-stable', 'stable-version': 'v1', 'canary-version': 'v2' })),
    );
    expect(result.status).toBe(200);
    const accuracy = argoSource.calls.find((c) => c.metric.name === 'accuracy');
    expect(accuracy?.metric).toMatchObject({ template: 'labelled-accuracy', labelDelaySeconds: 300, margin: { absolute: 0.01 }, critical: true });
    expect([accuracy?.ctx.baseline, accuracy?.ctx.canary]).toEqual([{ version: 'v1', namespace: 'ml' }, { version: 'v2', namespace: 'ml' }]);
    // FakeSource has no labelled outcomes: the critical accuracy metric keeps the gate from passing.
    expect(result.phase).not.toBe('Successful');

    const flaggerSource = new FakeSource({ latency: 'pass', errors: 'pass' });
    const flagger = testApp({ analysis: { source: flaggerSource } }).app;
    const hook = flaggerHooks(values).find((h) => h.type === 'confirm-promotion')!;
    const res = await request(flagger).post('/v1/flagger/confirm-promotion').send({ name: 'model', namespace: 'ml', phase: 'Progressing', checksum: 'abc123', metadata: hook.metadata });
    expect(flaggerSource.calls.map((c) => c.metric.name).sort()).toEqual(['accuracy', 'error-rate', 'latency']);
    expect(res.status).toBe(412); // not a pass: promotion refused
  });

  it('a profile of the chart\'s own `profiles` may be named', () => {
    const values = { argo: ARGO, analysisProfile: 'fraud', profiles: { fraud: { metrics: [{ name: 'latency', template: 'istio-latency' }] } } };
    for (const t of templates(values)) expect(profileArg(t)?.value).toBe('fraud');
  });

  it.each<[string, Obj, RegExp]>([
    ['a name neither built in nor in profiles', { analysisProfile: 'ml-qualty' }, /analysisProfile: "ml-qualty" is neither a built-in profile \(istio-model-serving, ml-quality, default\) nor one of profiles/],
    ['ml-quality in Argo templates without the sides\' versions (every analysis would be a 400)', { analysisProfile: 'ml-quality', argo: { clusterAnalysisTemplates: { enabled: true } } }, /analysisProfile ml-quality with Argo templates needs argo\.sideVersions=true/],
    ['a name that is no profile name', { analysisProfile: 'ML Quality' }, /analysisProfile/],
  ])('refuses %s at render', (_label, values, message) => {
    expect(() => helm().template(CHART, values)).toThrow(message);
  });

  it('knows exactly the service\'s built-in profiles', () => {
    const helpers = fs.readFileSync(path.join(CHART, 'templates', '_helpers.tpl'), 'utf8');
    const listed = /\$builtIn := list ((?:"[^"]+" ?)+)/.exec(helpers)![1].match(/"([^"]+)"/g)!.map((q) => q.slice(1, -1));
    expect(listed.sort()).toEqual([...builtInProfiles().keys()].sort());
  });
});
