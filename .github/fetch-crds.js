#!/usr/bin/env node
/**
 * Fetches the upstream CRDs the manifest and chart tests validate against (test/support/
 * crd-validation.ts) into ../shared/crds beside the checkout, at the commits shared/crds/README.md
 * pins, for a runner that has no shared/ (the release workflow's test job). Multi-document files
 * are split at their `---` lines and the document that defines the CRD is kept byte for byte.
 *
 *   node .github/fetch-crds.js [target-dir]     (default: ../shared/crds)
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ARGO = 'https://raw.githubusercontent.com/argoproj/argo-rollouts/9f8d111d8f8e3e88b6d7f8bbdf62fd3cd863ef9d';
const FLAGGER = 'https://raw.githubusercontent.com/fluxcd/flagger/15bd6ad555e6c935da55f0ab95977be74c149bd6';
const ISTIO = 'https://raw.githubusercontent.com/istio/istio/86c9f01fd735fb01d8192f5bcaf0d424afb7f14c';

/** Each fixture: where it goes, where it comes from, and the CRD (metadata.name) it holds. */
const CRDS = [
  { file: 'argo-rollouts/analysis-run-crd.yaml', url: `${ARGO}/manifests/crds/analysis-run-crd.yaml`, name: 'analysisruns.argoproj.io' },
  { file: 'argo-rollouts/analysis-template-crd.yaml', url: `${ARGO}/manifests/crds/analysis-template-crd.yaml`, name: 'analysistemplates.argoproj.io' },
  { file: 'argo-rollouts/cluster-analysis-template-crd.yaml', url: `${ARGO}/manifests/crds/cluster-analysis-template-crd.yaml`, name: 'clusteranalysistemplates.argoproj.io' },
  { file: 'argo-rollouts/rollout-crd.yaml', url: `${ARGO}/manifests/crds/rollout-crd.yaml`, name: 'rollouts.argoproj.io' },
  { file: 'flagger/canary.yaml', url: `${FLAGGER}/artifacts/flagger/crd.yaml`, name: 'canaries.flagger.app' },
  { file: 'flagger/metrictemplate.yaml', url: `${FLAGGER}/artifacts/flagger/crd.yaml`, name: 'metrictemplates.flagger.app' },
  { file: 'istio/destinationrule.yaml', url: `${ISTIO}/manifests/charts/base/files/crd-all.gen.yaml`, name: 'destinationrules.networking.istio.io' },
  { file: 'istio/virtualservice.yaml', url: `${ISTIO}/manifests/charts/base/files/crd-all.gen.yaml`, name: 'virtualservices.networking.istio.io' },
];

/** The document of a (multi-document) YAML text whose metadata.name is `name`, as upstream wrote it. */
function extract(text, name) {
  const docs = text.split(/^---[ \t]*\n/m);
  const found = docs.filter((doc) => new RegExp(`^  name: ${name.replace(/\./g, '\\.')}[ \\t]*$`, 'm').test(doc) && /^kind: CustomResourceDefinition\s*$/m.test(doc));
  if (found.length !== 1) throw new Error(`${found.length} documents define ${name}`);
  return found[0];
}

async function main() {
  const target = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..', 'shared', 'crds'));
  const texts = new Map();
  for (const crd of CRDS) {
    if (!texts.has(crd.url)) {
      const res = await fetch(crd.url);
      if (!res.ok) throw new Error(`${crd.url}: HTTP ${res.status}`);
      texts.set(crd.url, await res.text());
    }
    const out = path.join(target, crd.file);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, extract(texts.get(crd.url), crd.name));
    console.log(`${crd.file} <- ${crd.url} (${crd.name})`);
  }
}

module.exports = { CRDS, extract };
if (require.main === module) {
  main().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
