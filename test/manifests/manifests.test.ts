import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { RESOLVING_LATENCY_BUCKETS } from '../../demo/latency-buckets';
import { validateLimits } from '../support/argo-web-metric';
import { loadCrds, problems, yamlFiles, type Manifest } from '../support/crd-validation';

// Every YAML document shipped under analysis-templates/ is validated against the upstream CRD
// of its apiVersion + kind (vendored in shared/crds, beside the clone; see its README.md).
const repo = path.resolve(__dirname, '../..');
const templatesDir = path.join(repo, 'analysis-templates');
type Doc = { file: string; manifest: Manifest };

function loadManifests(): Doc[] {
  return yamlFiles(templatesDir).flatMap((file) =>
    parseAllDocuments(fs.readFileSync(file, 'utf8')).flatMap((doc) => {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
      const manifest = doc.toJS() as Manifest | null;
      return manifest ? [{ file: path.relative(repo, file), manifest }] : [];
    }),
  );
}

const crds = loadCrds();
const docs = loadManifests();
const ofKind = (kind: string) => docs.filter((d) => d.manifest.kind === kind);
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

describe('shipped manifests validate against their upstream CRDs', () => {
  it('finds every expected kind', () => {
    const kinds = new Set(docs.map((d) => d.manifest.kind));
    for (const k of ['AnalysisTemplate', 'ClusterAnalysisTemplate', 'Rollout', 'Canary', 'DestinationRule', 'VirtualService']) {
      expect(kinds).toContain(k);
    }
  });

  it.each(docs.map((d) => [`${d.file} ${d.manifest.kind}/${d.manifest.metadata.name}`, d] as const))('%s', (_name, d) => {
    expect(problems(crds, d.manifest)).toEqual([]);
  });
});

describe('latency buckets that resolve a 10 % margin', () => {
  const annotated = docs.filter((d) => d.manifest.kind === 'Rollout' || d.manifest.kind === 'Deployment');
  it.each(annotated.map((d) => [`${d.file} ${d.manifest.kind}/${d.manifest.metadata.name}`, d] as const))('%s carries the bucket annotation', (_name, d) => {
    const annotation = d.manifest.spec.template.metadata.annotations?.['sidecar.istio.io/statsHistogramBuckets'];
    expect(JSON.parse(annotation)).toEqual({ istiocustom: [...RESOLVING_LATENCY_BUCKETS] });
  });

  it('ships bounds whose neighbouring pairs span at most 10 % from 25 to 418 ms', () => {
    const fine = RESOLVING_LATENCY_BUCKETS.filter((le) => le >= 25 && le <= 418);
    const widest = Math.max(...fine.slice(2).map((le, i) => le / fine[i]));
    expect(widest).toBeLessThanOrEqual(1.1);
    expect(fine.length).toBeGreaterThan(60);
  });

  it('covers both a Rollout and the Flagger target', () => {
    expect(new Set(annotated.map((d) => d.manifest.kind))).toEqual(new Set(['Deployment', 'Rollout']));
  });
});

describe('broken manifests are rejected', () => {
  const rollout = ofKind('Rollout')[0].manifest;
  const canary = ofKind('Canary')[0].manifest;
  const vs = ofKind('VirtualService')[0].manifest;

  it('a Rollout step with a wrong type', () => {
    const broken = clone(rollout);
    broken.spec.strategy.canary.steps.push({ setWeight: 'ten' });
    expect(problems(crds, broken).join('\n')).toMatch(/setWeight must be integer/);
  });

  it('a DestinationRule reference without its required stableSubsetName', () => {
    const broken = clone(rollout);
    broken.spec.strategy.canary.trafficRouting.istio.destinationRule = { name: 'model-destination', canarySubsetName: 'v2' };
    expect(problems(crds, broken).join('\n')).toMatch(/must have required property 'stableSubsetName'/);
  });

  it('an analysis arg whose podTemplateHashValue is misspelt', () => {
    const broken = clone(rollout);
    const step = broken.spec.strategy.canary.steps.find((s: any) => s.analysis);
    step.analysis.args.find((a: any) => a.name === 'canary-hash').valueFrom = { podTemplateHashValues: 'Latest' };
    expect(problems(crds, broken).join('\n')).toMatch(/podTemplateHashValues is not in the schema/);
  });

  it('a misspelt field', () => {
    const broken = clone(rollout);
    const i = broken.spec.strategy.canary.steps.findIndex((s: any) => s.setHeaderRoute);
    broken.spec.strategy.canary.steps[i].setHeaderRoute.matches = broken.spec.strategy.canary.steps[i].setHeaderRoute.match;
    expect(problems(crds, broken)).toContain(`.spec.strategy.canary.steps[${i}].setHeaderRoute.matches is not in the schema`);
  });

  it('a Flagger webhook of an unknown type, or with a number in metadata', () => {
    const broken = clone(canary);
    broken.spec.analysis.webhooks[0].type = 'pre-promotion';
    broken.spec.analysis.webhooks[1].metadata.alpha = 0.05;
    const found = problems(crds, broken).join('\n');
    expect(found).toMatch(/webhooks\/0\/type must be equal to one of the allowed values/);
    expect(found).toMatch(/metadata\/alpha must be string/);
  });

  it('an Istio header match with two match kinds at once', () => {
    const broken = clone(ofKind('VirtualService').find((d) => d.file.startsWith('analysis-templates/istio'))!.manifest);
    broken.spec.http[0].match[0].headers['x-canary-version'] = { exact: 'v2', prefix: 'v' };
    expect(problems(crds, broken).length).toBeGreaterThan(0);
    expect(problems(crds, vs)).toEqual([]);
  });
});

describe('manifest semantics', () => {
  const templates = [...ofKind('AnalysisTemplate'), ...ofKind('ClusterAnalysisTemplate')].map((d) => d.manifest);

  it('every ClusterAnalysisTemplate has the same name and spec as a shipped AnalysisTemplate (the gate and the watch)', () => {
    const namespaced = ofKind('AnalysisTemplate').map((d) => d.manifest);
    const cluster = ofKind('ClusterAnalysisTemplate').map((d) => d.manifest);
    expect(cluster.map((t) => t.metadata.name).sort()).toEqual(['canary-judge', 'canary-judge-watch']);
    expect(namespaced.map((t) => t.metadata.name).sort()).toEqual(['canary-judge', 'canary-judge-watch']);
    for (const c of cluster) expect(c.spec).toEqual(namespaced.find((t) => t.metadata.name === c.metadata.name)!.spec);
  });

  it('every template\'s limits pass Argo\'s own validation (utils/analysis/factory.go)', () => {
    for (const t of templates) for (const m of t.spec.metrics) expect([t.metadata.name, validateLimits(m)]).toEqual([t.metadata.name, []]);
  });

  it('the gate ends at the first pass or fail; the watch only fails (so an inconclusive look never stops it)', () => {
    const gate = templates.find((t) => t.kind === 'AnalysisTemplate' && t.metadata.name === 'canary-judge')!.spec.metrics[0];
    expect(gate).toMatchObject({ consecutiveSuccessLimit: 1, failureLimit: 0, successCondition: 'result[0] == "pass"', failureCondition: 'result[0] == "fail"' });
    const watch = templates.find((t) => t.kind === 'AnalysisTemplate' && t.metadata.name === 'canary-judge-watch')!.spec.metrics[0];
    expect(watch.successCondition).toBeUndefined();
    expect(watch.consecutiveSuccessLimit).toBeUndefined();
    expect(watch).toMatchObject({ failureLimit: 0, failureCondition: 'result[0] == "fail"' });
    // The measurement value is the answer's summary, [verdict, reason, report link]; the conditions test its verdict.
    for (const m of [gate, watch]) expect(m.provider.web.jsonPath).toBe('{$.summary}');
    // Both follow the canary, per minute.
    for (const m of [gate, watch]) expect(m.provider.web.jsonBody).toMatchObject({ since: 'canary', maxAge: '{{args.max-age}}', timelineStep: '{{args.timeline-step}}' });
  });

  const analysisUses = ofKind('Rollout').flatMap(({ file, manifest }) => {
    const canary = manifest.spec.strategy.canary;
    const steps = canary.steps.flatMap((s: any, i: number) => (s.analysis ? [{ where: `${file} step ${i}`, a: s.analysis }] : []));
    return canary.analysis ? [...steps, { where: `${file} background`, a: canary.analysis }] : steps;
  });

  it('in every Rollout only the last analysis (before promotion) is the gate; the earlier ones and a background run watch for harm', () => {
    for (const { file, manifest } of ofKind('Rollout')) {
      const steps = (manifest.spec.strategy.canary.steps as any[]).filter((s) => s.analysis).map((s) => s.analysis.templates.map((t: any) => t.templateName));
      expect([file, steps[steps.length - 1]]).toEqual([file, ['canary-judge']]);
      for (const earlier of steps.slice(0, -1)) expect([file, earlier]).toEqual([file, ['canary-judge-watch']]);
      const background = manifest.spec.strategy.canary.analysis;
      if (background) expect(background.templates.map((t: any) => t.templateName)).toEqual(['canary-judge-watch']);
    }
  });

  it('the Rollouts judge at every weight', () => {
    expect(analysisUses.length).toBeGreaterThanOrEqual(4);
    for (const { manifest } of ofKind('Rollout')) {
      expect(manifest.spec.strategy.canary.steps.filter((s: any) => s.setWeight !== undefined).map((s: any) => s.setWeight)).toEqual([1, 10, 50]);
    }
  });

  it.each(analysisUses.map((u) => [u.where, u.a] as const))('%s references shipped templates and passes every required arg', (_w, a) => {
    const given = new Set((a.args ?? []).map((x: any) => x.name));
    for (const ref of a.templates) {
      const kind = ref.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate';
      const template = templates.find((t) => t.kind === kind && t.metadata.name === ref.templateName);
      expect(template).toBeDefined();
      const declared = new Set(template!.spec.args.map((x: any) => x.name));
      const required = template!.spec.args.filter((x: any) => x.value === undefined && x.valueFrom === undefined).map((x: any) => x.name);
      for (const r of required) expect(given).toContain(r);
      for (const g of given) expect(declared).toContain(g); // Argo rejects args the template does not declare
    }
  });

  it('the seed Rollout starts with a judged shadow step: mirror prediction requests to a scaled canary, then remove the mirror', () => {
    const { manifest } = ofKind('Rollout').find((d) => d.file.endsWith('argo/rollout.yaml'))!;
    const steps = manifest.spec.strategy.canary.steps as any[];
    expect(steps.slice(0, 5).map((s) => Object.keys(s)[0])).toEqual(['setCanaryScale', 'setMirrorRoute', 'analysis', 'setMirrorRoute', 'setCanaryScale']);
    expect(steps[0].setCanaryScale.replicas).toBeGreaterThanOrEqual(1);
    expect(steps[1].setMirrorRoute).toEqual({ name: 'shadow-v2', percentage: 20, match: [{ method: { exact: 'POST' }, path: { prefix: '/predict' } }] });
    expect(steps[2].analysis.templates).toEqual([{ templateName: 'canary-judge-watch' }]);
    expect(steps[3].setMirrorRoute).toEqual({ name: 'shadow-v2' }); // no match: the mirror is removed
    expect(steps[4].setCanaryScale).toEqual({ matchTrafficWeight: true });
    // Before any user weight: the first setWeight comes after the shadow.
    expect(steps.findIndex((s) => s.setWeight !== undefined)).toBeGreaterThan(4);
  });

  it('a mirror route with a percentage out of type is rejected by the CRD schema', () => {
    const { manifest } = ofKind('Rollout').find((d) => d.file.endsWith('argo/rollout.yaml'))!;
    const broken = clone(manifest);
    broken.spec.strategy.canary.steps[1].setMirrorRoute.percentage = 'twenty';
    expect(problems(crds, broken).join('\n')).toMatch(/percentage must be integer/);
  });

  it('the Rollouts split by host (canaryService, stableService) and route the seed header to the canary', () => {
    const services = ofKind('Service').map((d) => d.manifest.metadata.name);
    for (const { manifest } of ofKind('Rollout')) {
      const canary = manifest.spec.strategy.canary;
      expect([canary.canaryService, canary.stableService]).toEqual(['model-canary', 'model-stable']);
      for (const name of [canary.canaryService, canary.stableService]) expect(services).toContain(name);
      expect(canary.trafficRouting.istio.destinationRule).toBeUndefined();
      expect(canary.trafficRouting.istio.virtualService).toEqual({ name: 'model-virtual-service', routes: ['primary'] });
      const header = canary.steps.find((s: any) => s.setHeaderRoute).setHeaderRoute;
      // Every route a step sets is managed (Argo refuses a step whose route is not listed).
      const mirrors = [...new Set(canary.steps.filter((s: any) => s.setMirrorRoute).map((s: any) => s.setMirrorRoute.name))];
      expect(canary.trafficRouting.managedRoutes).toEqual([{ name: header.name }, ...mirrors.map((name) => ({ name }))]);
      expect(header.match).toEqual([{ headerName: 'x-canary-version', headerValue: { exact: 'v2' } }]);
    }
    // Argo's copy of the VirtualService: a `primary` route over both Services, no header route (Argo adds it).
    const argoVs = ofKind('VirtualService').find((d) => d.file.includes('argo/'))!.manifest;
    expect(argoVs.spec.hosts).toEqual(['model-service']);
    expect(argoVs.spec.http.map((r: any) => r.name)).toEqual(['primary']);
    expect(argoVs.spec.http[0].route.map((r: any) => r.destination)).toEqual([{ host: 'model-stable' }, { host: 'model-canary' }]);
  });

  it('every analysis step tells the judge its weight: the shadow\'s mirrored sixth, then the setWeight before it', () => {
    for (const { file, manifest } of ofKind('Rollout')) {
      let weight: string | undefined;
      for (const step of manifest.spec.strategy.canary.steps as any[]) {
        if (step.setMirrorRoute?.percentage !== undefined) weight = String(Number((step.setMirrorRoute.percentage / (100 + step.setMirrorRoute.percentage)).toFixed(4)));
        if (step.setWeight !== undefined) weight = String(step.setWeight / 100);
        if (!step.analysis) continue;
        const given = step.analysis.args.find((x: any) => x.name === 'canary-weight')?.value;
        expect([file, given]).toEqual([file, weight]);
      }
      // A background run spans the steps: no single weight.
      const background = manifest.spec.strategy.canary.analysis;
      if (background) expect(background.args.find((x: any) => x.name === 'canary-weight')).toBeUndefined();
    }
  });

  it('no release edits: the pods carry no version label and every analysis passes the ReplicaSets\' hashes and Services', () => {
    for (const { manifest } of ofKind('Rollout')) {
      expect(manifest.spec.template.metadata.labels).toEqual({ app: 'model' });
      expect(manifest.spec.selector.matchLabels).toEqual({ app: 'model' });
    }
    for (const { where, a } of analysisUses) {
      const { 'canary-weight': weight, ...args } = Object.fromEntries((a.args as any[]).map((x) => [x.name, x.value ?? x.valueFrom]));
      expect([where, args]).toEqual([
        where,
        {
          namespace: { fieldRef: { fieldPath: 'metadata.namespace' } },
          rollout: { fieldRef: { fieldPath: 'metadata.name' } },
          'canary-hash': { podTemplateHashValue: 'Latest' },
          'stable-hash': { podTemplateHashValue: 'Stable' },
          'canary-service': 'model-canary',
          'stable-service': 'model-stable',
        },
      ]);
    }
    for (const t of templates) {
      expect(t.spec.metrics[0].provider.web.jsonBody).toMatchObject({
        expectedCanaryShare: '{{args.canary-weight}}',
        trafficLookback: '{{args.timeline-step}}',
        exclude: { x_canary_version: 'v2' },
        rollout: { namespace: '{{args.namespace}}', name: '{{args.rollout}}' },
        canary: { revision: '{{args.canary-hash}}', sourceLabels: { destination_service_name: '{{args.canary-service}}', destination_service_namespace: '{{args.namespace}}' } },
        baseline: { revision: '{{args.stable-hash}}', sourceLabels: { destination_service_name: '{{args.stable-service}}', destination_service_namespace: '{{args.namespace}}' } },
      });
    }
  });

  const judging = ['rollout', 'confirm-promotion', 'rollback', 'pre-rollout', 'confirm-traffic-increase'];
  const fixedKeys = ['target', 'service', 'revisionFrom', 'reporter', 'profile', 'lookback', 'since', 'maxAge', 'timelineStep', 'start', 'end', 'alpha', 'evidence', 'expectedCanaryShare', 'trafficLookback', 'onTrafficMismatch', 'onInconclusive'];
  const metricFields = ['margin.relative', 'margin.absolute', 'critical', 'weight', 'direction', 'statistic'];
  const knownKey = (k: string) =>
    fixedKeys.includes(k) ||
    /^(labels|canary\.labels|baseline\.labels|canary\.sourceLabels|baseline\.sourceLabels)\.[A-Za-z_][A-Za-z0-9_]*$/.test(k) ||
    metricFields.some((f) => new RegExp(`^metrics\\.[^.]+\\.${f.replace('.', '\\.')}$`).test(k));

  it('the Flagger Canary calls canary-judge for judging types and confirm-rollout only, naming its target, with keys canary-judge reads', () => {
    const [{ manifest }] = ofKind('Canary');
    const hooks = manifest.spec.analysis.webhooks;
    expect(hooks.map((h: any) => h.type).sort()).toEqual(['confirm-promotion', 'confirm-rollout', 'rollback', 'rollout']);
    for (const h of hooks) {
      expect([...judging, 'confirm-rollout']).toContain(h.type);
      expect(new URL(h.url).pathname).toBe(`/v1/flagger/${h.type}`);
      for (const [k, v] of Object.entries(h.metadata ?? {})) {
        expect(knownKey(k) ? k : `unknown key ${k}`).toBe(k);
        expect(typeof v).toBe('string');
      }
      // Flagger's payload names the Canary, not its target: metadata target does.
      expect(h.metadata.target).toBe(manifest.spec.targetRef.name);
      // The gates that judge at a weight read it from Flagger's gauge (the payload has none); the rollback hook need not.
      const judged = { target: 'model', since: 'canary', profile: 'default' };
      const expected = h.type === 'confirm-rollout' ? { target: 'model', lookback: '15m' } : h.type === 'rollback' ? judged : { ...judged, expectedCanaryShare: 'flagger' };
      expect(h.metadata).toEqual(expected);
    }
    expect(manifest.spec.analysis.metrics).toEqual([]);
    expect(manifest.spec.service).toMatchObject({ port: 80, targetPort: 8080 });
  });

  it('the metadata-key check itself rejects typos', () => {
    expect(knownKey('lookbak')).toBe(false);
    expect(knownKey('metrics.latency.margin.relative')).toBe(true);
    expect(knownKey('canary.labels.version')).toBe(true);
  });

  it("the seed's VirtualService sends x-canary-version: v2 to subset v2 before the weighted route", () => {
    const vs = ofKind('VirtualService').find((d) => d.file.startsWith('analysis-templates/istio'))!.manifest;
    const [header, primary] = vs.spec.http;
    expect(header.match).toEqual([{ headers: { 'x-canary-version': { exact: 'v2' } } }]);
    expect(header.route).toEqual([{ destination: { host: 'model-service', subset: 'v2' }, weight: 100 }]);
    expect(primary.match).toBeUndefined();
    expect(primary.route.reduce((sum: number, r: any) => sum + r.weight, 0)).toBe(100);
    const dr = ofKind('DestinationRule').find((d) => d.file.startsWith('analysis-templates/istio'))!.manifest;
    expect(dr.spec).toEqual({ host: 'model-service', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] });
  });
});
