/**
 * The Helm chart, rendered by test/support/helm-render.ts (Helm is not installable here):
 * values validated against values.schema.json (ajv, draft-07), every rendered object validated
 * against the Kubernetes OpenAPI schemas of `kubernetes-models` (ServiceMonitor: the
 * prometheus-operator CRD schema of `@kubernetes-models/prometheus-operator`), then the
 * semantics that matter checked one by one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import YAML from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { ChartRenderer, deepMerge, HelmFailError } from '../support/helm-render';
import { loadProfiles } from '../../src/profiles/profiles';

const CHART = path.join(__dirname, '..', '..', 'charts', 'canary-judge');
const renderer = new ChartRenderer(CHART);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROFILES = {
  'fraud-model': {
    alpha: 0.01,
    thresholds: { pass: 100, marginal: 75 },
    metrics: [
      { name: 'latency', template: 'istio-latency', statistic: 'p99', margin: { relative: 0.2 }, critical: true },
      { name: 'errors', template: 'istio-error-rate', margin: { relative: 0.5, absolute: 0.001 }, critical: true },
    ],
  },
};

const EVERYTHING: Obj = {
  prometheus: { url: 'http://prometheus.monitoring:9090', queryTimeoutMs: 4000, headersSecret: { name: 'prom-headers', key: 'headers' } },
  profiles: PROFILES,
  podDisruptionBudget: { enabled: true, minAvailable: '50%' },
  autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 9, targetCPUUtilizationPercentage: 60 },
  serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
  networkPolicy: {
    enabled: true,
    allowedClients: [{ namespace: 'argo-rollouts', podLabels: { 'app.kubernetes.io/name': 'argo-rollouts' } }, { namespace: 'flagger-system' }],
  },
  podAnnotations: { team: 'ml' },
  extraEnv: [{ name: 'EXTRA', value: 'x' }],
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' }],
};

const MINIMAL: Obj = {
  fullnameOverride: 'judge',
  podDisruptionBudget: { enabled: false },
  service: { port: 8081 },
  config: { shutdownTimeoutMs: 20000, logLevel: 'debug' },
  terminationGracePeriodSeconds: 40,
  preStopSleepSeconds: 10,
};

const VALUE_SETS: Record<string, Obj> = { defaults: {}, everything: EVERYTHING, minimal: MINIMAL };

const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

function validator() {
  const schema = JSON.parse(fs.readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as object;
  return new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
}

function render(values: Obj): Obj[] {
  return renderer.renderObjects(values);
}
function one(objs: Obj[], kind: string): Obj {
  const found = objs.filter((o) => o.kind === kind);
  expect(found).toHaveLength(1);
  return found[0];
}
function container(objs: Obj[]): Obj {
  return one(objs, 'Deployment').spec.template.spec.containers[0];
}
function env(objs: Obj[]): Map<string, Obj> {
  return new Map((container(objs).env as Obj[]).map((e) => [e.name as string, e]));
}

describe('values.schema.json', () => {
  const validate = validator();

  it.each(Object.entries(VALUE_SETS))('accepts the %s values (merged over values.yaml)', (_name, values) => {
    const merged = deepMerge(renderer.defaultValues(), values);
    expect(validate(merged) ? null : validate.errors).toBeNull();
  });

  it.each<[string, Obj]>([
    ['an unknown top-level key', { replicas: 3 }],
    ['a string replica count', { replicaCount: 'two' }],
    ['a bad log level', { config: { logLevel: 'loud' } }],
    ['a non-http Prometheus URL', { prometheus: { url: 'prometheus:9090' } }],
    ['a profile without metrics', { profiles: { x: { alpha: 0.01 } } }],
    ['a typo in networkPolicy', { networkPolicy: { enabled: true, allowedClient: [] } }],
    ['a client without namespace', { networkPolicy: { enabled: true, allowedClients: [{ podLabels: {} }] } }],
    ['a CPU target over 100', { autoscaling: { enabled: true, targetCPUUtilizationPercentage: 150 } }],
  ])('rejects %s', (_name, values) => {
    expect(validate(deepMerge(renderer.defaultValues(), values))).toBe(false);
  });

  it('rejects an invalid values file read from disk', () => {
    const bad = YAML.parse('image:\n  repository: ""\nservice:\n  port: 70000\n') as Obj;
    expect(validate(deepMerge(renderer.defaultValues(), bad))).toBe(false);
    expect((validate.errors ?? []).map((e) => e.instancePath).sort()).toEqual(['/image/repository', '/service/port']);
  });
});

describe.each(Object.entries(VALUE_SETS))('rendered with the %s values', (_name, values) => {
  const objs = render(values);

  it('renders only kinds with a schema, each valid against it', () => {
    expect(objs.length).toBeGreaterThanOrEqual(2);
    for (const o of objs) {
      const key = `${o.apiVersion}/${o.kind}`;
      const Model = MODELS[key];
      expect(Model).toBeDefined();
      expect(() => new Model(o).validate()).not.toThrow();
      expect(o.metadata.namespace).toBe('canary');
    }
  });

  it('has a Service on the named http port, selecting the Deployment pods', () => {
    const deploy = one(objs, 'Deployment');
    const svc = one(objs, 'Service');
    expect(svc.spec.ports).toEqual([{ name: 'http', port: values.service?.port ?? 80, targetPort: 'http', protocol: 'TCP' }]);
    expect(container(objs).ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(env(objs).get('PORT')?.value).toBe('8080');
    expect(deploy.spec.selector.matchLabels).toEqual(svc.spec.selector);
    for (const [k, v] of Object.entries(deploy.spec.selector.matchLabels as Obj)) expect(deploy.spec.template.metadata.labels[k]).toBe(v);
    expect(svc.metadata.name).toBe(deploy.metadata.name);
  });

  it('probes /readyz and /healthz on the http port, and drains before SIGTERM', () => {
    const c = container(objs);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    const merged = deepMerge(renderer.defaultValues(), values) as Obj;
    expect(c.lifecycle.preStop.exec.command).toEqual(['sleep', String(merged.preStopSleepSeconds)]);
    const grace = one(objs, 'Deployment').spec.template.spec.terminationGracePeriodSeconds as number;
    const shutdownMs = Number(env(objs).get('SHUTDOWN_TIMEOUT_MS')?.value);
    expect(shutdownMs).toBe(merged.config.shutdownTimeoutMs);
    expect(grace).toBeGreaterThan(merged.preStopSleepSeconds + shutdownMs / 1000);
  });

  it('runs non-root, read-only, without capabilities, under RuntimeDefault seccomp', () => {
    const pod = one(objs, 'Deployment').spec.template.spec;
    const sc = container(objs).securityContext;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(sc).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(sc.runAsUser).toBeGreaterThan(0);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container(objs).volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(container(objs).resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container(objs).resources.limits.memory).toEqual(expect.any(String));
  });

  it('sets every env value as a string', () => {
    for (const e of env(objs).values()) if ('value' in e) expect(typeof e.value).toBe('string');
  });

  it('matches the Deployment pods with every other selector and names the Deployment in the HPA', () => {
    const deploy = one(objs, 'Deployment');
    const sel = deploy.spec.selector.matchLabels as Obj;
    for (const o of objs) {
      if (o.kind === 'PodDisruptionBudget') expect(o.spec.selector.matchLabels).toEqual(sel);
      if (o.kind === 'NetworkPolicy') expect(o.spec.podSelector.matchLabels).toEqual(sel);
      if (o.kind === 'ServiceMonitor') expect(o.spec.selector.matchLabels).toEqual(one(objs, 'Service').spec.selector);
      if (o.kind === 'HorizontalPodAutoscaler') {
        expect(o.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deploy.metadata.name });
        expect(deploy.spec.replicas).toBeUndefined();
      }
    }
  });
});

describe('defaults', () => {
  const objs = render({});

  it('renders a Deployment, a Service and a PDB only', () => {
    expect(objs.map((o) => o.kind).sort()).toEqual(['Deployment', 'PodDisruptionBudget', 'Service']);
    expect(one(objs, 'Deployment').spec.replicas).toBe(2);
    expect(one(objs, 'Deployment').metadata.name).toBe('judge-canary-judge');
  });

  it('sets neither PROMETHEUS_URL, PROMETHEUS_HEADERS nor PROFILES_FILE, and mounts no profiles', () => {
    const e = env(objs);
    expect(e.has('PROMETHEUS_URL')).toBe(false);
    expect(e.has('PROMETHEUS_HEADERS')).toBe(false);
    expect(e.has('PROFILES_FILE')).toBe(false);
    expect(e.get('PROMETHEUS_QUERY_TIMEOUT_MS')?.value).toBe('5000');
    expect(e.get('ANALYSIS_DEADLINE_MS')?.value).toBe('8000');
    expect(e.get('DEFAULT_LOOKBACK')?.value).toBe('10m');
    expect(one(objs, 'Deployment').spec.template.spec.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
  });

  it('uses the chart appVersion as image tag', () => {
    expect(container(objs).image).toBe(`ghcr.io/canary-judge/canary-judge:${renderer.chart().AppVersion}`);
  });
});

describe('everything enabled', () => {
  const objs = render(EVERYTHING);

  it('renders all kinds', () => {
    expect(objs.map((o) => o.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceMonitor'].sort(),
    );
  });

  it('takes PROMETHEUS_URL from values and PROMETHEUS_HEADERS from the Secret key', () => {
    const e = env(objs);
    expect(e.get('PROMETHEUS_URL')?.value).toBe('http://prometheus.monitoring:9090');
    expect(e.get('PROMETHEUS_QUERY_TIMEOUT_MS')?.value).toBe('4000');
    expect(e.get('PROMETHEUS_HEADERS')).toEqual({ name: 'PROMETHEUS_HEADERS', valueFrom: { secretKeyRef: { name: 'prom-headers', key: 'headers' } } });
    expect(e.get('EXTRA')?.value).toBe('x');
  });

  it('mounts the profiles ConfigMap at /etc/canary-judge/profiles.yaml and the service loads it', () => {
    const cm = one(objs, 'ConfigMap');
    const deploy = one(objs, 'Deployment');
    expect(env(objs).get('PROFILES_FILE')?.value).toBe('/etc/canary-judge/profiles.yaml');
    expect(container(objs).volumeMounts).toContainEqual({ name: 'profiles', mountPath: '/etc/canary-judge/profiles.yaml', subPath: 'profiles.yaml', readOnly: true });
    expect(deploy.spec.template.spec.volumes).toContainEqual({ name: 'profiles', configMap: { name: cm.metadata.name } });
    expect(YAML.parse(cm.data['profiles.yaml'] as string)).toEqual({ profiles: PROFILES });
    expect(deploy.spec.template.metadata.annotations['checksum/profiles']).toMatch(/^[0-9a-f]{64}$/);
    expect(deploy.spec.template.metadata.annotations.team).toBe('ml');

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-profiles-'));
    try {
      const file = path.join(dir, 'profiles.yaml');
      fs.writeFileSync(file, cm.data['profiles.yaml'] as string);
      const loaded = loadProfiles(file);
      expect(loaded.get('fraud-model')?.metrics.map((m) => m.name)).toEqual(['latency', 'errors']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('admits only the configured clients and Prometheus, and lets out only DNS and Prometheus', () => {
    const np = one(objs, 'NetworkPolicy');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toHaveLength(1);
    expect(np.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 'http' }]);
    expect(np.spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'argo-rollouts' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'argo-rollouts' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flagger-system' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
    ]);
    expect(np.spec.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      },
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
        ports: [{ protocol: 'TCP', port: 9090 }],
      },
    ]);
  });

  it('scrapes /metrics on the http port, scales on CPU, keeps half the pods in a disruption', () => {
    const sm = one(objs, 'ServiceMonitor');
    expect(sm.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(sm.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    expect(sm.spec.namespaceSelector).toEqual({ matchNames: ['canary'] });
    const hpa = one(objs, 'HorizontalPodAutoscaler');
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 9 });
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }]);
    expect(one(objs, 'PodDisruptionBudget').spec.minAvailable).toBe('50%');
  });
});

describe('minimal', () => {
  const objs = render(MINIMAL);

  it('honours fullnameOverride, the service port and the longer shutdown', () => {
    expect(objs.map((o) => o.kind).sort()).toEqual(['Deployment', 'Service']);
    expect(one(objs, 'Deployment').metadata.name).toBe('judge');
    expect(one(objs, 'Deployment').spec.template.spec.terminationGracePeriodSeconds).toBe(40);
    expect(env(objs).get('LOG_LEVEL')?.value).toBe('debug');
  });
});

describe('the chart refuses', () => {
  it('a grace period not longer than preStop sleep + shutdown timeout', () => {
    expect(() => render({ terminationGracePeriodSeconds: 15, preStopSleepSeconds: 5, config: { shutdownTimeoutMs: 10000 } })).toThrow(HelmFailError);
    expect(() => render({ terminationGracePeriodSeconds: 16, preStopSleepSeconds: 5, config: { shutdownTimeoutMs: 10000 } })).not.toThrow();
  });
});

describe('the renderer', () => {
  it('rejects an object that breaks the Kubernetes schema (the validation is real)', () => {
    const deploy = one(render({}), 'Deployment');
    const broken = structuredClone(deploy);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort/);
    const sm: Obj = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'x' }, spec: { selector: {}, endpoints: [{ port: 80 }] } };
    expect(() => new ServiceMonitor(sm as any).validate()).toThrow(/port/); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  it('fails on a missing parent value like Helm, and on printing a missing value', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-'));
    try {
      fs.mkdirSync(path.join(dir, 'templates'));
      fs.writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: t\nversion: 0.0.1\nappVersion: "1"\n');
      fs.writeFileSync(path.join(dir, 'values.yaml'), 'a: {}\n');
      fs.writeFileSync(path.join(dir, 'templates', 'x.yaml'), 'v: {{ .Values.a.b.c }}\n');
      expect(() => new ChartRenderer(dir).renderFiles()).toThrow(/nil pointer/);
      fs.writeFileSync(path.join(dir, 'templates', 'x.yaml'), 'v: {{ .Values.a.b }}\n');
      expect(() => new ChartRenderer(dir).renderFiles()).toThrow(/missing value/);
      fs.writeFileSync(path.join(dir, 'templates', 'x.yaml'), 'v: {{ .Values.a | b64enc }}\n');
      expect(() => new ChartRenderer(dir).renderFiles()).toThrow(/unsupported function/);
      fs.writeFileSync(
        path.join(dir, 'templates', 'x.yaml'),
        'l:\n{{- range $k, $v := .Values.m }}\n  - {{ $k }}={{ $v | quote }}\n{{- end }}\nd: {{ .Values.z | default "dflt" | quote }}\n{{- with .Values.m }}\ny: {{- toYaml . | nindent 2 }}\n{{- end }}\n',
      );
      const out = new ChartRenderer(dir).renderFiles({ m: { b: 2, a: 'x' } }).get('x.yaml');
      expect(out).toBe('l:\n  - a="x"\n  - b="2"\nd: "dflt"\ny:\n  a: x\n  b: 2\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
