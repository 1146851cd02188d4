/**
 * Validation of Kubernetes manifests against the upstream CRDs vendored in shared/crds (see its
 * README.md) and, for built-in kinds, the Kubernetes OpenAPI schemas of kubernetes-models.
 * shared/ is checked out beside the clone (CI); from a git worktree it sits beside an ancestor,
 * so the nearest ancestor's shared/crds is used.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parseDocument } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const repo = path.resolve(__dirname, '../..');

/** shared/crds beside the clone or beside the nearest ancestor that has one. */
export function findCrdDir(): string {
  for (let dir = path.dirname(repo); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'crds');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`CRD fixtures not found in shared/crds beside ${repo} or any ancestor: check out shared/ beside this clone (CI does); see shared/crds/README.md`);
  }
}

export function yamlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(e.name) ? [p] : [];
  });
}

// Flagger's CRD has multi-line single-quoted descriptions whose continuation lines are not
// indented past their key. Go's yaml (and PyYAML) accept that; the `yaml` package follows
// YAML 1.2 strictly and does not. Indent those continuation lines, then demand a clean parse.
function indentQuotedContinuations(text: string): string {
  let open = false;
  return text
    .split('\n')
    .map((line) => {
      const quotes = (s: string) => (s.replace(/''/g, '').match(/'/g) ?? []).length;
      if (open) {
        if (quotes(line) % 2 === 1) open = false;
        return `  ${line}`;
      }
      const m = /^\s*[\w$-]+: '(.*)$/.exec(line);
      if (m && quotes(m[1]) % 2 === 0) open = true;
      return line;
    })
    .join('\n');
}

export type Crd = { spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: object } }[] } };

export function loadCrds(): Crd[] {
  return yamlFiles(findCrdDir()).map((file) => {
    const doc = parseDocument(indentQuotedContinuations(fs.readFileSync(file, 'utf8')));
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
    return doc.toJS() as Crd;
  });
}

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
const validators = new Map<string, ValidateFunction>();

function validatorFor(crds: Crd[], apiVersion: string, kind: string): ValidateFunction {
  const key = `${apiVersion}/${kind}`;
  const cached = validators.get(key);
  if (cached) return cached;
  const [group, version] = apiVersion.split('/');
  const crd = crds.find((c) => c.spec.group === group && c.spec.names.kind === kind);
  if (!crd) throw new Error(`no CRD for ${kind} in group ${group}`);
  const served = crd.spec.versions.find((v) => v.name === version);
  if (!served) throw new Error(`${kind}: CRD does not serve version ${version} (serves ${crd.spec.versions.map((v) => v.name).join(', ')})`);
  const validate = ajv.compile(served.schema.openAPIV3Schema);
  validators.set(key, validate);
  return validate;
}

// Kubernetes prunes fields the schema does not declare, and kubectl (field validation Strict)
// rejects them; ajv with a structural schema would silently accept a misspelt field. So list
// the paths that the schema does not know.
function unknownFields(schema: any, value: any, at = ''): string[] {
  if (!schema || value === null || typeof value !== 'object' || schema['x-kubernetes-preserve-unknown-fields']) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownFields(schema.items, v, `${at}[${i}]`));
  if (schema.properties) {
    return Object.entries(value).flatMap(([k, v]) => {
      if (at === '' && (k === 'apiVersion' || k === 'kind')) return [];
      if (at === '' && k === 'metadata') return []; // ObjectMeta: validated by the API server itself
      const sub = schema.properties[k];
      return sub ? unknownFields(sub, v, `${at}.${k}`) : [`${at}.${k}`];
    });
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    return Object.entries(value).flatMap(([k, v]) => unknownFields(schema.additionalProperties, v, `${at}.${k}`));
  }
  return [];
}

/** What the API server (field validation Strict) would refuse in a manifest: [] when valid. */
export function problems(crds: Crd[], manifest: Manifest): string[] {
  if (manifest.apiVersion === 'apps/v1' && manifest.kind === 'Deployment') return builtInProblems(() => new Deployment(manifest as never).validate());
  if (manifest.apiVersion === 'v1' && manifest.kind === 'Service') return builtInProblems(() => new Service(manifest as never).validate());
  const validate = validatorFor(crds, manifest.apiVersion, manifest.kind);
  const errors = validate(manifest) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  const [group, version] = manifest.apiVersion.split('/');
  const crd = crds.find((c) => c.spec.group === group && c.spec.names.kind === manifest.kind)!;
  const schema = crd.spec.versions.find((v) => v.name === version)!.schema.openAPIV3Schema;
  return [...errors, ...unknownFields(schema, manifest).map((p) => `${p} is not in the schema`)];
}

/** Built-in kinds have no CRD: the Kubernetes OpenAPI schema of kubernetes-models checks them. */
function builtInProblems(validate: () => void): string[] {
  try {
    validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}
