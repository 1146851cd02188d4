/**
 * The chart's `extraVolumes` and `extraVolumeMounts`: the files PROMETHEUS_BACKENDS reads
 * (tokens, passwords, CAs, client certificates) mounted into the pod. Every example values block
 * of docs/backends/*.md marked for this test is rendered by the real Helm, the Deployment checked
 * against the Kubernetes schema, its environment loaded by the service's own configuration loader
 * (src/service/config.ts), and every file the backends name must lie in a mounted volume, under a
 * key that volume provides. Mistakes the chart refuses are named.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { loadConfig } from '../../src/service/config';
import { useHelm } from '../support/helm';

const ROOT = path.join(__dirname, '..', '..');
const CHART = path.join(ROOT, 'charts', 'canary-judge');
const helm = useHelm();

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MARKER = '<!-- the values below are rendered and checked by test/chart/extra-volumes.test.ts -->';

/** The yaml block after each marker of a docs page. */
function docExamples(): [string, Obj][] {
  const dir = path.join(ROOT, 'docs', 'backends');
  return fs.readdirSync(dir).flatMap((file) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    return text.split(MARKER).slice(1).map((after, i): [string, Obj] => {
      const block = /^\s*```yaml\n([\s\S]*?)\n```/.exec(after);
      if (!block) throw new Error(`docs/backends/${file}: no yaml block after marker ${i + 1}`);
      return [`docs/backends/${file} #${i + 1}`, YAML.parse(block[1]) as Obj];
    });
  });
}

const EXAMPLES = docExamples();

function deployment(values: Obj): Obj {
  const found = helm().objects(CHART, values).filter((o) => o.kind === 'Deployment');
  expect(found).toHaveLength(1);
  return found[0];
}

/** The files a volume provides, relative to its mount: a Secret's or ConfigMap's items (all keys when not listed), a projected token's path. */
function filesOf(volume: Obj): string[] | 'any' {
  const source = volume.secret ?? volume.configMap;
  if (source) return source.items ? (source.items as Obj[]).map((item) => item.path as string) : 'any';
  if (volume.projected) return (volume.projected.sources as Obj[]).flatMap((s) => (s.serviceAccountToken ? [s.serviceAccountToken.path as string] : s.secret?.items ? (s.secret.items as Obj[]).map((i) => i.path as string) : []));
  return 'any';
}

/** Every file path a backend configuration reads. */
function backendFiles(backends: Record<string, Obj>): string[] {
  return Object.values(backends).flatMap((b) => [b.bearerTokenFile, b.basicAuth?.usernameFile, b.basicAuth?.passwordFile, b.tls?.caFile, b.tls?.certFile, b.tls?.keyFile].filter((f): f is string => typeof f === 'string'));
}

describe('the documented backend credential examples', () => {
  it('are found (one per backend page)', () => {
    expect(EXAMPLES.map(([name]) => name.replace(/ #\d+$/, '')).sort()).toEqual(['docs/backends/mimir.md', 'docs/backends/prometheus.md', 'docs/backends/thanos.md', 'docs/backends/victoriametrics.md']);
  });

  it.each(EXAMPLES)('%s renders, lints and mounts every file its backends read', (_name, values) => {
    expect(() => helm().lint(CHART, values)).not.toThrow();
    const rendered = deployment(values);
    expect(() => new Deployment(rendered as never).validate()).not.toThrow();
    const pod = rendered.spec.template.spec;
    const container = pod.containers[0];
    // The chart's own volume stays; the extra ones follow it.
    expect(pod.volumes.map((v: Obj) => v.name)).toEqual(['tmp', ...values.extraVolumes.map((v: Obj) => v.name)]);
    expect(container.volumeMounts.map((m: Obj) => m.mountPath)).toEqual(['/tmp', ...values.extraVolumeMounts.map((m: Obj) => m.mountPath)]);
    for (const mount of values.extraVolumeMounts) expect(mount.readOnly).toBe(true);

    // The environment as the service loads it at start (plain values only; none here is a secretKeyRef).
    const env = Object.fromEntries((container.env as Obj[]).filter((e) => typeof e.value === 'string').map((e) => [e.name, e.value as string]));
    const config = loadConfig(env);
    const backends = config.PROMETHEUS_BACKENDS as Record<string, Obj>;
    const files = backendFiles(backends);
    expect(files.length).toBeGreaterThan(0);
    const volumes = new Map<string, Obj>(pod.volumes.map((v: Obj) => [v.name, v]));
    for (const file of files) {
      const mount = (container.volumeMounts as Obj[]).find((m) => file.startsWith(`${m.mountPath}/`));
      expect([file, mount?.name]).toEqual([file, expect.any(String)]);
      const provided = filesOf(volumes.get(mount!.name)!);
      if (provided !== 'any') expect([file, provided]).toEqual([file, expect.arrayContaining([file.slice(mount!.mountPath.length + 1)])]);
    }
  });
});

describe('extraVolumes and extraVolumeMounts', () => {
  const secret = { name: 'creds', secret: { secretName: 'judge-creds' } };

  it('render nothing by default (only the chart\'s own volumes)', () => {
    const pod = deployment({}).spec.template.spec;
    expect(pod.volumes.map((v: Obj) => v.name)).toEqual(['tmp']);
    expect(pod.containers[0].volumeMounts.map((m: Obj) => m.name)).toEqual(['tmp']);
  });

  it('go beside the profiles volume', () => {
    const pod = deployment({ profiles: { p: { metrics: [{ name: 'latency', template: 'istio-latency' }] } }, extraVolumes: [secret], extraVolumeMounts: [{ name: 'creds', mountPath: '/etc/creds', readOnly: true }] }).spec.template.spec;
    expect(pod.volumes.map((v: Obj) => v.name)).toEqual(['tmp', 'profiles', 'creds']);
    expect(pod.containers[0].volumeMounts.map((m: Obj) => m.name)).toEqual(['tmp', 'profiles', 'creds']);
  });

  it.each<[string, Obj, RegExp]>([
    ['a mount of a volume the pod lacks', { extraVolumes: [secret], extraVolumeMounts: [{ name: 'cred', mountPath: '/etc/creds' }] }, /"\/etc\/creds" mounts the volume "cred", which is not among extraVolumes \(tmp, creds\)/],
    ['a volume named like the chart\'s own', { extraVolumes: [{ name: 'tmp', emptyDir: {} }] }, /the volume name "tmp" is taken/],
    ['two volumes of one name', { extraVolumes: [secret, secret] }, /the volume name "creds" is taken/],
    ['a mount over the chart\'s /tmp', { extraVolumes: [secret], extraVolumeMounts: [{ name: 'creds', mountPath: '/tmp' }] }, /"\/tmp" is where the chart mounts its own volume/],
    ['a mount without mountPath (the schema)', { extraVolumes: [secret], extraVolumeMounts: [{ name: 'creds' }] }, /mountPath/],
    ['a relative mountPath (the schema)', { extraVolumes: [secret], extraVolumeMounts: [{ name: 'creds', mountPath: 'etc/creds' }] }, /mountPath/],
    ['a volume without a name (the schema)', { extraVolumes: [{ secret: { secretName: 'x' } }] }, /name/],
  ])('refuse %s', (_name, values, message) => {
    expect(() => helm().template(CHART, values)).toThrow(message);
  });
});
