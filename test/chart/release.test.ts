/**
 * The release path (.github/workflows/release.yaml) cannot run here (no GitHub, no registry, no
 * Docker engine), so this checks what can be checked: the workflow's structure, its tag and
 * version step run by bash against this checkout (it passes for the tag of package.json's
 * version and fails for any other), the chart package file name its push step uses (made by the
 * real `helm package`), and that package.json, Chart.yaml and the chart's default image agree.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { useHelm } from '../support/helm';
import { findCrdDir } from '../support/crd-validation';

const ROOT = path.join(__dirname, '..', '..');
const CHART = path.join(ROOT, 'charts', 'canary-judge');
const helm = useHelm();

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const workflow = YAML.parse(fs.readFileSync(path.join(ROOT, '.github/workflows/release.yaml'), 'utf8')) as Obj;
const packageVersion = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Obj).version as string;
const chart = YAML.parse(fs.readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8')) as Obj;
const values = YAML.parse(fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Obj;
const publish = workflow.jobs.publish as Obj;
const step = (predicate: (s: Obj) => boolean): Obj => {
  const found = (publish.steps as Obj[]).filter(predicate);
  expect(found).toHaveLength(1);
  return found[0];
};
const versionStep = step((s) => s.id === 'version');

/** Runs the workflow's version step as the runner would (bash, the checkout as cwd). */
function runVersionStep(tag: string): { status: number | null; output: Record<string, string>; stdout: string } {
  const outFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gh-output-')), 'output');
  fs.writeFileSync(outFile, '');
  const run = spawnSync('bash', ['-e', '-c', versionStep.run], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', GITHUB_REF_NAME: tag, GITHUB_REPOSITORY_OWNER: 'Canary-Judge', GITHUB_OUTPUT: outFile },
  });
  const output = Object.fromEntries(
    fs
      .readFileSync(outFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('=') as [string, string]),
  );
  fs.rmSync(path.dirname(outFile), { recursive: true, force: true });
  return { status: run.status, output, stdout: run.stdout };
}

describe('versions agree', () => {
  it('package.json, Chart.yaml version and appVersion are one version', () => {
    expect(chart.version).toBe(packageVersion);
    expect(chart.appVersion).toBe(packageVersion);
  });

  it('the chart\'s default image is the image the workflow publishes for that version', () => {
    expect(values.image.tag).toBe(''); // the chart's appVersion
    const image = helm()
      .objects(CHART, {}, { release: 'canary-judge', namespace: 'canary-judge' })
      .find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0].image;
    // ghcr.io/<owner>/canary-judge:<version>, owner canary-judge (the project's organisation).
    const images = step((s) => s.id === 'meta').with.images as string;
    expect(image).toBe(`${images.replace('${{ steps.version.outputs.owner }}', 'canary-judge')}:${packageVersion}`);
  });
});

describe('.github/fetch-crds.js (the CRD fixtures for a runner without shared/)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CRDS, extract } = require('../../.github/fetch-crds.js') as { CRDS: { file: string; url: string; name: string }[]; extract: (text: string, name: string) => string };

  it('fetches every fixture of shared/crds, at the upstream commits its README pins', () => {
    const shared = findCrdDir();
    const files = fs.readdirSync(shared, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')).sort();
    expect(CRDS.map((c) => c.file).sort()).toEqual(files);
    const readme = fs.readFileSync(path.join(shared, 'README.md'), 'utf8');
    for (const c of CRDS) {
      const [, repo, commit] = /raw\.githubusercontent\.com\/([^/]+\/[^/]+)\/([0-9a-f]{40})\//.exec(c.url)!;
      expect(readme).toMatch(new RegExp(`https://github\\.com/${repo}[^\\n]*\\| ${commit}`));
      // Each fixture defines the CRD the script looks for.
      expect(fs.readFileSync(path.join(shared, c.file), 'utf8')).toMatch(new RegExp(`^  name: ${c.name.replace(/\./g, '\\.')}$`, 'm'));
    }
  });

  it('keeps the one document that defines the CRD, byte for byte', () => {
    const a = 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: a.example.org\nspec: {}\n';
    const b = 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: b.example.org\nspec:\n  x: 1\n';
    const text = `# generated\n---\n${a}---\n${b}`;
    expect(extract(text, 'b.example.org')).toBe(b);
    expect(extract(text, 'a.example.org')).toBe(a);
    expect(() => extract(text, 'c.example.org')).toThrow(/0 documents define c.example.org/);
    expect(() => extract(text, 'a-example.org')).toThrow(); // the dots are literal
  });
});

describe('.github/workflows/release.yaml', () => {
  it('runs on tags v*, only after the test suite (.ci/run) passes, and may write packages only in the publishing job', () => {
    expect(workflow.on).toEqual({ push: { tags: ['v*'] } });
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(workflow.jobs.test.steps.map((s: Obj) => s.run).filter(Boolean)).toEqual(['node .github/fetch-crds.js', '.ci/run']);
    expect(publish.needs).toBe('test');
    expect(publish.permissions).toEqual({ contents: 'read', packages: 'write' });
  });

  it('builds one multi-arch image (amd64, arm64) from the Dockerfile and pushes it with the semver tags', () => {
    const build = step((s) => String(s.uses).startsWith('docker/build-push-action@'));
    expect(build.with).toMatchObject({ context: '.', platforms: 'linux/amd64,linux/arm64', push: true, tags: '${{ steps.meta.outputs.tags }}' });
    const uses = (publish.steps as Obj[]).map((s) => String(s.uses ?? '').split('@')[0]);
    // QEMU and buildx before the build (the arm64 runtime stage runs emulated), login before the push.
    for (const before of ['docker/setup-qemu-action', 'docker/setup-buildx-action', 'docker/login-action', 'docker/metadata-action']) {
      expect(uses.indexOf(before)).toBeGreaterThanOrEqual(0);
      expect(uses.indexOf(before)).toBeLessThan(uses.indexOf('docker/build-push-action'));
    }
    expect(step((s) => s.id === 'meta').with.tags).toMatch(/type=semver,pattern=\{\{version\}\}/);
    expect(fs.existsSync(path.join(ROOT, build.with.context, 'Dockerfile'))).toBe(true);
  });

  it('the version step passes for the tag of package.json\'s version, giving the version and the owner in lower case', () => {
    const ok = runVersionStep(`v${packageVersion}`);
    expect(ok.status).toBe(0);
    expect(ok.output).toEqual({ version: packageVersion, owner: 'canary-judge' });
  });

  it.each([['another version', 'v9.9.9'], ['no v prefix', packageVersion.replace(/^/, 'x')], ['a suffix', `v${packageVersion}-rc1`]])('and fails for %s (%s)', (_name, tag) => {
    const bad = runVersionStep(tag);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/::error::tag .* must be v<version> of package.json/);
  });

  it('pushes the chart package `helm package` makes to oci://ghcr.io/<owner>/charts', () => {
    const push = step((s) => s.name === 'Package and push the chart (OCI)');
    expect(push.env).toMatchObject({ VERSION: '${{ steps.version.outputs.version }}', OWNER: '${{ steps.version.outputs.owner }}' });
    expect(push.run).toContain('helm package charts/canary-judge --destination .chart');
    expect(push.run).toContain('helm push ".chart/canary-judge-$VERSION.tgz" "oci://ghcr.io/$OWNER/charts"');
    // The file name the push step expects is the one Helm writes.
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-package-'));
    try {
      helm().run(['package', CHART, '--destination', out]);
      expect(fs.readdirSync(out)).toEqual([`canary-judge-${packageVersion}.tgz`]);
      const listed = execFileSync('tar', ['-tzf', path.join(out, `canary-judge-${packageVersion}.tgz`)], { encoding: 'utf8' });
      expect(listed).toContain('canary-judge/templates/argo-analysis-templates.yaml');
      expect(listed).toContain('canary-judge/values.schema.json');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
