/**
 * The chart's wiring into Argo Rollouts and Flagger, rendered by the real Helm: the
 * (Cluster)AnalysisTemplates it renders validate against the upstream CRDs (shared/crds) and
 * Argo's own limit rules; every URL they and NOTES.txt give resolves to the rendered Service
 * (name, namespace, port); the token header reads the right Secret key; the stand-alone files of
 * analysis-templates/ are the chart's output for the default names; the snippets NOTES.txt
 * prints are valid parts of a Rollout and a Canary; and, end to end, a rendered template
 * measured the way Argo's web provider measures (test/support/argo-web-metric.ts) against the
 * real app with AUTH_TOKEN set gets 200 and a verdict, where the tokenless one gets 401.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { useHelm } from '../support/helm';
import { loadCrds, problems, type Manifest } from '../support/crd-validation';
import { measure, rolloutArgs, validateLimits, type WebMetric } from '../support/argo-web-metric';
import { testApp, withListening } from '../support/app';
import { FakeSource } from '../support/fake-source';
import { MAX_LINK, MAX_REASON } from '../../src/contracts/measurement-summary';

const ROOT = path.join(__dirname, '..', '..');
const CHART = path.join(ROOT, 'charts', 'canary-judge');
const helm = useHelm();
const crds = loadCrds();

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Release = { release: string; namespace: string };

const DEFAULT_RELEASE: Release = { release: 'canary-judge', namespace: 'canary-judge' };
const TEMPLATE_KINDS = ['AnalysisTemplate', 'ClusterAnalysisTemplate'];
const BOTH = { clusterAnalysisTemplates: { enabled: true }, analysisTemplates: { enabled: true, namespaces: ['ml', 'shop'] } };

interface Case {
  readonly values: Obj;
  readonly at: Release;
  /** The Secret and key the token arg must read, or none. */
  readonly token?: { name: string; key: string };
  readonly pathSecret: boolean;
}

const CASES: Record<string, Case> = {
  'the defaults (release canary-judge in canary-judge)': { values: { argo: BOTH }, at: DEFAULT_RELEASE, pathSecret: false },
  'auth on': { values: { argo: BOTH, auth: { existingSecret: 'canary-judge-auth' } }, at: DEFAULT_RELEASE, token: { name: 'canary-judge-auth', key: 'auth-token' }, pathSecret: false },
  'auth on with a path secret and a renamed token copy': {
    values: { argo: { ...BOTH, tokenSecret: { name: 'judge-token', key: 'token' } }, auth: { existingSecret: 'canary-judge-auth', tokenKey: 'bearer', flaggerPathSecretKey: 'flagger' } },
    at: DEFAULT_RELEASE,
    token: { name: 'judge-token', key: 'token' },
    pathSecret: true,
  },
  'another release, namespace and port': { values: { argo: BOTH, service: { port: 8081 } }, at: { release: 'judge', namespace: 'canary' }, pathSecret: false },
  'a fullnameOverride, only a path secret': { values: { argo: { clusterAnalysisTemplates: { enabled: true }, analysisTemplates: { enabled: false } }, fullnameOverride: 'cj', auth: { existingSecret: 's', tokenKey: '', flaggerPathSecretKey: 'p' } }, at: { release: 'x', namespace: 'tools' }, pathSecret: true },
};

function render(values: Obj, at: Release): Obj[] {
  return helm().objects(CHART, values, at);
}
function templatesOf(objs: Obj[]): Obj[] {
  return objs.filter((o) => TEMPLATE_KINDS.includes(o.kind));
}
function serviceOf(objs: Obj[]): Obj {
  const services = objs.filter((o) => o.kind === 'Service');
  expect(services).toHaveLength(1);
  return services[0];
}
/** The URL the Service answers at, from the rendered Service itself. */
function serviceBase(svc: Obj): string {
  return `http://${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local:${svc.spec.ports[0].port}`;
}
function arg(template: Obj, name: string): Obj | undefined {
  return (template.spec.args as Obj[]).find((a) => a.name === name);
}
/** NOTES.txt of an install (client-side dry run: no cluster). */
function notes(values: Obj, at: Release): string {
  const out = helm().run(['install', at.release, CHART, '--namespace', at.namespace, '--dry-run=client'], values);
  const i = out.indexOf('\nNOTES:\n');
  expect(i).toBeGreaterThan(0);
  return out.slice(i + 8);
}
/** The YAML between NOTES' `# ---8<--- <name>` and `# --->8---` lines. */
function snippet(text: string, name: string): unknown {
  const start = text.indexOf(`# ---8<--- ${name}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const body = text.slice(start).split('\n').slice(1);
  const end = body.indexOf('# --->8---');
  expect(end).toBeGreaterThan(0);
  return YAML.parse(body.slice(0, end).join('\n'));
}

describe.each(Object.entries(CASES))('rendered with %s', (_name, c) => {
  let objs: Obj[];
  let templates: Obj[];
  beforeAll(() => {
    objs = render(c.values, c.at);
    templates = templatesOf(objs);
  });

  it('renders the gate and the watch, cluster-scoped and/or in the asked namespaces, valid against the CRDs and Argo\'s limit rules', () => {
    const names = templates.map((t) => `${t.kind}/${t.metadata.namespace ?? ''}/${t.metadata.name}`).sort();
    const full = serviceOf(objs).metadata.name;
    const expected = [
      ...(c.values.argo.clusterAnalysisTemplates.enabled ? ['', ''].map((_, i) => `ClusterAnalysisTemplate//${full}${i ? '-watch' : ''}`) : []),
      ...(c.values.argo.analysisTemplates.enabled ? (c.values.argo.analysisTemplates.namespaces as string[]).flatMap((ns) => [`AnalysisTemplate/${ns}/${full}`, `AnalysisTemplate/${ns}/${full}-watch`]) : []),
    ].sort();
    expect(names).toEqual(expected);
    for (const t of templates) {
      expect([t.metadata.name, problems(crds, t as Manifest)]).toEqual([t.metadata.name, []]);
      for (const m of t.spec.metrics) expect(validateLimits(m)).toEqual([]);
    }
  });

  it('points every template at the rendered Service (name, namespace, port)', () => {
    const base = serviceBase(serviceOf(objs));
    expect(base).toMatch(c.values.fullnameOverride ? /^http:\/\/cj\./ : c.at.release === 'canary-judge' ? /^http:\/\/canary-judge\.canary-judge\.svc\.cluster\.local:80$/ : /^http:\/\/judge-canary-judge\.canary\.svc\.cluster\.local:8081$/);
    for (const t of templates) {
      expect(arg(t, 'judge-url')).toEqual({ name: 'judge-url', value: `${base}/v1/analyze` });
      expect(t.spec.metrics[0].provider.web.url).toBe('{{args.judge-url}}');
    }
  });

  it(c.token ? 'sends Authorization: Bearer {{args.token}}, the arg read from the Secret key Argo finds in the Rollout\'s namespace' : 'sends no token (none is configured)', () => {
    for (const t of templates) {
      const web = t.spec.metrics[0].provider.web;
      if (c.token) {
        expect(arg(t, 'token')).toEqual({ name: 'token', valueFrom: { secretKeyRef: c.token } });
        expect(web.headers).toEqual([{ key: 'Authorization', value: 'Bearer {{args.token}}' }]);
      } else {
        expect(arg(t, 'token')).toBeUndefined();
        expect(web.headers).toBeUndefined();
      }
    }
  });

  it('NOTES.txt prints a Rollout step that references a rendered template with every required arg, valid in a Rollout', () => {
    const text = notes(c.values, c.at);
    const step = snippet(text, 'Rollout step') as Obj[];
    expect(step).toHaveLength(1);
    const ref = step[0].analysis.templates[0];
    const kind = ref.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate';
    const template = templates.find((t) => t.kind === kind && t.metadata.name === ref.templateName);
    expect(template).toBeDefined();
    const given = new Set((step[0].analysis.args as Obj[]).map((a) => a.name));
    for (const a of template!.spec.args as Obj[]) if (a.value === undefined && a.valueFrom === undefined) expect(given).toContain(a.name);
    for (const g of given) expect(arg(template!, g as string)).toBeDefined();
    expect(step[0].analysis.args).toContainEqual({ name: 'rollout', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    const rollout = YAML.parse(fs.readFileSync(path.join(ROOT, 'analysis-templates/argo/rollout.yaml'), 'utf8').split(/^---$/m)[0]) as Manifest;
    rollout.spec.strategy.canary.steps = [{ setWeight: 50 }, ...step];
    expect(problems(crds, rollout)).toEqual([]);
    if (c.token) {
      // The copy of the token into the Rollout's namespace, under the name and key the templates read.
      expect(text).toContain(`create secret generic ${c.token.name} --from-file=${c.token.key}=/dev/stdin`);
      expect(text).toContain(`kubectl -n ${c.at.namespace} get secret ${c.values.auth.existingSecret} -o jsonpath='{.data.${c.values.auth.tokenKey ?? 'auth-token'}}'`);
    }
  });

  it('NOTES.txt prints Flagger webhooks at the rendered Service, with the path secret placeholder when one is set, valid in a Canary', () => {
    const text = notes(c.values, c.at);
    const hooks = snippet(text, 'Canary webhooks') as Obj[];
    const base = serviceBase(serviceOf(objs));
    expect(hooks.map((h) => h.type)).toEqual(['confirm-rollout', 'rollout', 'confirm-promotion', 'rollback']);
    for (const h of hooks) expect(h.url).toBe(`${base}/v1/flagger/${c.pathSecret ? '<FLAGGER_PATH_SECRET>/' : ''}${h.type}`);
    const canary = YAML.parse(fs.readFileSync(path.join(ROOT, 'analysis-templates/flagger/canary.yaml'), 'utf8')) as Manifest;
    // The same hooks as the shipped Canary but for the URL.
    expect(hooks.map(({ url: _url, ...h }) => h)).toEqual(canary.spec.analysis.webhooks.map(({ url: _url, ...h }: Obj) => h));
    canary.spec.analysis.webhooks = hooks;
    expect(problems(crds, canary)).toEqual([]);
    if (c.pathSecret) expect(text).toContain(`get secret ${c.values.auth.existingSecret} -o jsonpath='{.data.${c.values.auth.flaggerPathSecretKey}}' | base64 -d`);
    expect(/AUTH_TOKEN is set and Flagger cannot send a token/.test(text)).toBe(!!c.token && !c.pathSecret);
  });
});

describe('NOTES.txt without rendered templates', () => {
  it('points the step at the shipped files (analysis-templates/argo/) with judge-url set to this release, and warns that they send no token', () => {
    const at = { release: 'judge', namespace: 'canary' };
    const text = notes({ auth: { existingSecret: 'judge-auth' } }, at);
    const step = snippet(text, 'Rollout step') as Obj[];
    expect(step[0].analysis.templates).toEqual([{ templateName: 'canary-judge' }]);
    expect(step[0].analysis.args).toContainEqual({ name: 'judge-url', value: `${serviceBase(serviceOf(render({}, at)))}/v1/analyze` });
    expect(text).toContain('(the watch, canary-judge-watch,');
    expect(text).toMatch(/WARNING: AUTH_TOKEN is set and analysis-templates\/argo\/ sends no token/);
    expect(text).not.toMatch(/The templates send Authorization/);
  });
});

describe('the argo values', () => {
  it('lint clean with everything on (helm lint --strict)', () => {
    expect(() => helm().lint(CHART, CASES['auth on with a path secret and a renamed token copy'].values)).not.toThrow();
  });

  it.each<[string, Obj, RegExp]>([
    ['a typo in argo', { argo: { clusterAnalysisTemplate: { enabled: true } } }, /clusterAnalysisTemplate/],
    ['a namespace that is no DNS label', { argo: { analysisTemplates: { enabled: true, namespaces: ['ML_Team'] } } }, /namespaces/],
    ['a namespace twice', { argo: { analysisTemplates: { enabled: true, namespaces: ['ml', 'ml'] } } }, /namespaces/],
    ['a typo in tokenSecret', { argo: { tokenSecret: { secret: 'x' } } }, /secret/],
    ['a tokenSecret without AUTH_TOKEN (it would be ignored)', { argo: { tokenSecret: { name: 'judge-token' } } }, /argo\.tokenSecret applies only with auth\.existingSecret and auth\.tokenKey/],
    ['namespaces for templates that are off (they would be ignored)', { argo: { analysisTemplates: { namespaces: ['ml'] } } }, /argo\.analysisTemplates\.namespaces is set but argo\.analysisTemplates\.enabled is false/],
  ])('refuse %s', (_name, values, message) => {
    expect(() => helm().template(CHART, values)).toThrow(message);
  });
});

describe('the stand-alone files of analysis-templates/argo/', () => {
  const shipped = ['analysis-template.yaml', 'analysis-template-watch.yaml', 'cluster-analysis-template.yaml'].flatMap((file) =>
    YAML.parseAllDocuments(fs.readFileSync(path.join(ROOT, 'analysis-templates/argo', file), 'utf8')).map((d) => d.toJS() as Obj),
  );

  it('are the chart\'s templates for release canary-judge in namespace canary-judge without a token (names and specs)', () => {
    const rendered = templatesOf(render({ argo: { clusterAnalysisTemplates: { enabled: true }, analysisTemplates: { enabled: true } } }, DEFAULT_RELEASE));
    const key = (t: Obj) => `${t.kind}/${t.metadata.name}`;
    expect(shipped.map(key).sort()).toEqual(rendered.map(key).sort());
    for (const t of shipped) expect([key(t), t.spec]).toEqual([key(t), rendered.find((r) => key(r) === key(t))!.spec]);
    // The namespaced ones land in the release namespace when no namespaces are given.
    expect(rendered.filter((t) => t.kind === 'AnalysisTemplate').map((t) => t.metadata.namespace)).toEqual(['canary-judge', 'canary-judge']);
  });

  it('and the shipped Flagger Canary calls the same Service', () => {
    const canary = YAML.parse(fs.readFileSync(path.join(ROOT, 'analysis-templates/flagger/canary.yaml'), 'utf8')) as Obj;
    const base = serviceBase(serviceOf(render({}, DEFAULT_RELEASE)));
    for (const h of canary.spec.analysis.webhooks) expect(h.url).toBe(`${base}/v1/flagger/${h.type}`);
  });

  it('are not rendered by default (they need Argo Rollouts\' CRDs)', () => {
    expect(templatesOf(render({}, DEFAULT_RELEASE))).toEqual([]);
  });
});

describe('end to end: a rendered template measured the way Argo measures, against the real app with AUTH_TOKEN', () => {
  const TOKEN = 'a-long-enough-token-0123456789';
  const PUBLIC_URL = 'https://canary-judge.example.org';

  function withServer<T>(run: (url: string) => Promise<T>): Promise<T> {
    const { app } = testApp({ authToken: TOKEN, publicUrl: PUBLIC_URL, analysis: { source: new FakeSource({ latency: 'pass', errors: 'pass' }) } });
    return withListening(app, (base) => run(`${base}/v1/analyze`));
  }

  /** The args Argo resolves (as NOTES prints the step), and the Secret's value for `token`. */
  function args(template: Obj, url: string, token?: string): Record<string, string> {
    // FakeSource serves 10 % of the requests to the canary.
    return rolloutArgs(template as Parameters<typeof rolloutArgs>[0], { 'canary-weight': '0.1', 'judge-url': url, ...(token !== undefined ? { token } : {}) });
  }

  function gate(values: Obj): Obj {
    return templatesOf(render(values, DEFAULT_RELEASE)).find((t) => t.kind === 'ClusterAnalysisTemplate' && !t.metadata.name.endsWith('-watch'))!;
  }

  it('with the token header: 200, a verdict, and a measurement value that says why and links the report', async () => {
    const template = gate({ argo: { clusterAnalysisTemplates: { enabled: true } }, auth: { existingSecret: 'canary-judge-auth' } });
    const result = await withServer((url) => measure(template.spec.metrics[0] as WebMetric, args(template, url, TOKEN)));
    expect(result.status).toBe(200);
    expect([result.phase, result.value]).toEqual(['Successful', expect.anything()]);
    const [verdict, reason, report] = result.value as string[];
    expect(verdict).toBe('pass');
    expect(reason).toMatch(/^all \d+ metrics within their margins/);
    expect(reason.length).toBeLessThanOrEqual(MAX_REASON);
    expect(reason).not.toMatch(/\n/);
    expect(report.startsWith(`${PUBLIC_URL}/v1/report?a=`)).toBe(true);
    expect(report.length).toBeLessThanOrEqual(MAX_LINK);
    // What Argo stores and shows: the JSON of the match, a few KB at most (10 kept per metric).
    expect(result.measurementValue).toBe(JSON.stringify([verdict, reason, report]));
    expect(result.measurementValue!.length).toBeLessThan(MAX_REASON + MAX_LINK + 32);
  });

  it('the watch with the token header: 200 and Successful on a pass', async () => {
    const watch = templatesOf(render({ argo: { clusterAnalysisTemplates: { enabled: true } }, auth: { existingSecret: 'canary-judge-auth' } }, DEFAULT_RELEASE)).find((t) => t.metadata.name === 'canary-judge-watch')!;
    const pass = await withServer((url) => measure(watch.spec.metrics[0] as WebMetric, args(watch, url, TOKEN)));
    expect([pass.status, pass.phase]).toEqual([200, 'Successful']);
  });

  it('without it (the tokenless template, or a wrong token): 401, a measurement Error, never a verdict', async () => {
    const tokenless = gate({ argo: { clusterAnalysisTemplates: { enabled: true } } });
    expect(await withServer((url) => measure(tokenless.spec.metrics[0] as WebMetric, args(tokenless, url)))).toEqual({ phase: 'Error', status: 401 });
    const withHeader = gate({ argo: { clusterAnalysisTemplates: { enabled: true } }, auth: { existingSecret: 'canary-judge-auth' } });
    expect(await withServer((url) => measure(withHeader.spec.metrics[0] as WebMetric, args(withHeader, url, 'not-the-token-0123456789')))).toEqual({ phase: 'Error', status: 401 });
  });
});
