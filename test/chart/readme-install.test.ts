/**
 * Issue 23's "done when": a new user who follows only the README's "Install into a cluster"
 * gets manifests whose names, URLs and headers are right. The README's own `helm install`
 * command is taken from README.md as written (its `--set` flags, release and namespace) and
 * rendered by the real Helm, as printed and without its token flag (AUTH_TOKEN off): the
 * AnalysisTemplates land in the namespace the README names for the Rollouts, call the rendered
 * Service, and send the token header exactly when the token is configured, from the Secret the
 * README's `kubectl create secret` makes.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { useHelm } from '../support/helm';
import { loadCrds, problems, type Manifest } from '../support/crd-validation';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = path.join(__dirname, '..', '..');
const helm = useHelm();
const crds = loadCrds();

/** The words of the README's install commands (shell line continuations joined, single quotes honoured). */
function readmeInstall(): { secret: string[]; install: string[] } {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Install into a cluster'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1].replace(/\\\n\s*/g, ' ');
  const words = (line: string) => [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
  const lines = block.split('\n').map(words);
  return { secret: lines.find((w) => w.includes('secret'))!, install: lines.find((w) => w[0] === 'helm' && w[1] === 'install')! };
}

function render(install: string[]): Obj[] {
  // `helm template` takes the install's release, chart, namespace and --set flags as they are.
  const args = ['template', ...install.slice(2).map((w) => (w === 'charts/canary-judge' ? path.join(ROOT, w) : w))];
  return YAML.parseAllDocuments(helm().run(args))
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

const flagValue = (words: string[], key: string) => words.filter((w, i) => words[i - 1] === '--set').find((w) => w.startsWith(`${key}=`))?.slice(key.length + 1);

describe("the README's install command, rendered as written", () => {
  const { secret, install } = readmeInstall();
  const withoutToken = install.filter((w, i) => !(w.startsWith('auth.existingSecret=') || (w === '--set' && install[i + 1]?.startsWith('auth.existingSecret='))));

  it('is the release canary-judge in namespace canary-judge, with a token Secret the README creates', () => {
    expect(install.slice(0, 4)).toEqual(['helm', 'install', 'canary-judge', 'charts/canary-judge']);
    expect(install[install.indexOf('-n') + 1]).toBe('canary-judge');
    const secretName = flagValue(install, 'auth.existingSecret');
    expect(secretName).toBeDefined();
    // kubectl -n canary-judge create secret generic <name> --from-literal=auth-token=...
    expect(secret.slice(0, 6)).toEqual(['kubectl', '-n', 'canary-judge', 'create', 'secret', 'generic']);
    expect(secret[6]).toBe(secretName);
    expect(secret.some((w) => w.startsWith('--from-literal=auth-token='))).toBe(true);
    expect(withoutToken.length).toBe(install.length - 2);
  });

  it.each([
    ['as printed (AUTH_TOKEN on)', true],
    ['without its token flag (AUTH_TOKEN off)', false],
  ])('%s: templates in the Rollouts\' namespace, valid, calling the rendered Service, with the token header exactly when it is on', (_name, tokenOn) => {
    const objs = render(tokenOn ? install : withoutToken);
    const services = objs.filter((o) => o.kind === 'Service');
    expect(services).toHaveLength(1);
    const svc = services[0];
    expect([svc.metadata.name, svc.metadata.namespace, svc.spec.ports[0].port]).toEqual(['canary-judge', 'canary-judge', 80]);
    const base = `http://${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local:${svc.spec.ports[0].port}`;

    const deployment = objs.find((o) => o.kind === 'Deployment')!;
    const env = deployment.spec.template.spec.containers[0].env as Obj[];
    const authEnv = env.find((e) => e.name === 'AUTH_TOKEN');
    expect(authEnv?.valueFrom?.secretKeyRef).toEqual(tokenOn ? { name: 'canary-judge-auth', key: 'auth-token' } : undefined);

    const namespaces = /\{(.*)\}/.exec(flagValue(install, 'argo.analysisTemplates.namespaces')!)![1].split(',');
    const templates = objs.filter((o) => o.kind === 'AnalysisTemplate');
    expect(templates.map((t) => `${t.metadata.namespace}/${t.metadata.name}`).sort()).toEqual(namespaces.flatMap((ns) => [`${ns}/canary-judge`, `${ns}/canary-judge-watch`]).sort());
    for (const t of templates) {
      expect(problems(crds, t as Manifest)).toEqual([]);
      const args = t.spec.args as Obj[];
      expect(args.find((a) => a.name === 'judge-url')?.value).toBe(`${base}/v1/analyze`);
      const web = t.spec.metrics[0].provider.web;
      expect(web.url).toBe('{{args.judge-url}}');
      if (tokenOn) {
        expect(args.find((a) => a.name === 'token')).toEqual({ name: 'token', valueFrom: { secretKeyRef: { name: 'canary-judge-auth', key: 'auth-token' } } });
        expect(web.headers).toEqual([{ key: 'Authorization', value: 'Bearer {{args.token}}' }]);
      } else {
        expect(args.find((a) => a.name === 'token')).toBeUndefined();
        expect(web.headers).toBeUndefined();
      }
    }
  });
});
