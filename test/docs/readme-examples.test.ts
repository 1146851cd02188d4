/**
 * README.md and docs/*.md show what the service really answers and what the repository really
 * ships: every generated block matches (npm run docs:examples), every request in examples/ is
 * answered, every relative link resolves, and the README leads with its two-command quick start.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import YAML from 'yaml';
import fixtures from '../fixtures/coarse-histograms.json';
import { analyzeRequestSchema } from '../../src/contracts/analyze-request';
import { parseContract } from '../../src/contracts/problems';
import { loadProfiles } from '../../src/profiles/profiles';
import { blocksOf, compactJson, documentationPages, README, renderBlocks, renderPages, ROOT, withExamples } from '../../scripts/readme-examples';
import { testApp } from '../support/app';
import { timelineRequest } from '../support/timeline-request';

const pages = documentationPages().map((file) => ({ file, name: path.relative(ROOT, file), text: fs.readFileSync(file, 'utf8') }));
const readme = fs.readFileSync(README, 'utf8');
const examples = fs.readdirSync(path.join(ROOT, 'examples')).sort();

describe('the documentation pages', () => {
  it('show what the service answers and what the repository ships today (else: npm run docs:examples)', async () => {
    for (const { file, page, updated } of await renderPages()) expect({ file: path.relative(ROOT, file), page: updated }).toEqual({ file: path.relative(ROOT, file), page });
  }, 60_000);

  it('show the shipped Flagger Canary itself, and the shipped Argo gate step in the README', () => {
    const flagger = pages.find((p) => p.name === 'docs/flagger.md')!.text;
    expect(blocksOf(flagger)).toContain('file analysis-templates/flagger/canary.yaml');
    expect(blocksOf(readme)).toEqual(expect.arrayContaining(['yaml analysis-templates/flagger/canary.yaml#Canary/spec/analysis/webhooks', 'yaml analysis-templates/argo/rollout.yaml#Rollout/spec/strategy/canary/steps/-1']));
    // No hand-written Flagger webhook or Argo template outside the generated blocks.
    for (const { name, text } of pages) {
      const handWritten = withoutGenerated(text);
      expect({ name, webhooks: /type: (confirm-promotion|rollback)\n/.test(handWritten), template: /kind: AnalysisTemplate/.test(handWritten) }).toEqual({ name, webhooks: false, template: false });
    }
  });

  it('link only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const { file, name, text } of pages) {
      const prose = text.replace(/```[\s\S]*?```/g, '');
      for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target)) continue;
        const [relative, anchor] = target.split('#');
        const linked = relative ? path.resolve(path.dirname(file), relative) : file;
        if (!fs.existsSync(linked)) broken.push(`${name}: ${target} (no such file)`);
        else if (anchor !== undefined && linked.endsWith('.md') && !anchorsOf(fs.readFileSync(linked, 'utf8')).has(anchor)) broken.push(`${name}: ${target} (no such heading)`);
      }
      // Paths named in prose or commands (examples/x.json, analysis-templates/...) exist too.
      for (const [, named] of text.matchAll(/(?<![\w/.-])((?:examples|analysis-templates|charts|docs|demo|scripts|bench)\/[\w./-]*\w)/g)) {
        if (!fs.existsSync(path.join(ROOT, named)) && !named.includes('<')) broken.push(`${name}: ${named} (named, no such path)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('name things plainly: no "the seed", no changelog asides (in the prose; shipped files are shown as they are)', () => {
    for (const { name, text } of pages) {
      const prose = withoutGenerated(text);
      expect({ name, found: prose.match(/\b[Tt]he seed\b|\bseed's\b|\b[Ii]ssue \d+|\(Before,|(^|\. )Before, /gm) }).toEqual({ name, found: null });
    }
  });

  it('are all linked from the README', () => {
    for (const { name } of pages.filter((p) => p.name.startsWith('docs/'))) expect(readme).toContain(`](${name})`);
  });
});

describe('the README', () => {
  it('starts with the quick start of exactly two commands, and stays under 250 lines', () => {
    const quickStart = readme.match(/## Quick start\n\n```sh\n([\s\S]*?)```/);
    expect(quickStart?.[1]).toBe('npm ci && npm start\nnpm ci && npm test\n');
    expect(readme.indexOf('## Quick start')).toBeLessThan(readme.indexOf('\n## ', readme.indexOf('\n## ') + 1) + 1);
    expect(readme.split('\n').length).toBeLessThan(250);
  });

  it('installs release canary-judge in namespace canary-judge, with the chart values that exist', () => {
    const install = readme.slice(readme.indexOf('## Install into a cluster'), readme.indexOf('## Documentation'));
    expect(install).toMatch(/helm install canary-judge charts\/canary-judge -n canary-judge/);
    expect(install).toContain('canary-judge.canary-judge.svc.cluster.local');
    expect(install).toContain('NOTES.txt prints the step and webhooks for your release');
    const values = YAML.parse(fs.readFileSync(path.join(ROOT, 'charts/canary-judge/values.yaml'), 'utf8'));
    const keys = [...install.matchAll(/--set '?([\w.]+)=/g)].map((m) => m[1]);
    expect(keys).toEqual(expect.arrayContaining(['prometheus.url', 'auth.existingSecret']));
    for (const key of keys) {
      const found = key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' && part in node ? (node as Record<string, unknown>)[part] : undefined), values);
      expect({ key, found: found !== undefined }).toEqual({ key, found: true });
    }
  });

  it('shows no command that could fetch the CLI from the public registry', () => {
    const all = pages.map((p) => p.text).join('\n');
    // Commands: in inline code or at the start of a line of a code block.
    const npx = all.match(/(?<=^|`)npx [^`\n]*/gm) ?? [];
    expect(npx.length).toBeGreaterThan(0);
    for (const command of npx) expect(command).toMatch(/^npx --no-install /);
    expect(readme).toMatch(/npm run cli -- analyze examples\/request\.json/);
  });
});

describe('examples/', () => {
  const { app } = testApp();

  it.each(examples.filter((f) => f.endsWith('.json')))('%s is a valid request; with inline data it is answered 200', async (file) => {
    const body = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8'));
    const parsed = parseContract(analyzeRequestSchema, body);
    expect(parsed.success).toBe(true);
    if (parsed.success && parsed.data.metrics.every((m) => m.from === 'inline') && parsed.data.metrics.length > 0) {
      const answer = await request(app).post('/v1/analyze').send(body);
      expect(answer.status).toBe(200);
    }
  });

  it('every example is shown or named by a page', () => {
    const all = pages.map((p) => p.text).join('\n');
    for (const file of examples) expect({ file, named: all.includes(`examples/${file}`) }).toEqual({ file, named: true });
  });

  it('profiles.yaml loads as a PROFILES_FILE', () => {
    expect([...loadProfiles(path.join(ROOT, 'examples/profiles.yaml')).keys()]).toContain('fraud-model');
  });

  it('timeline.json is the report tests\' timeline request, and coarse-buckets.json the scipy fixture\'s histograms', () => {
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/timeline.json'), 'utf8'))).toEqual(timelineRequest());
    const coarse = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/coarse-buckets.json'), 'utf8'));
    const fixture = fixtures.cases.find((c) => c.name === 'median 108.6 sigma 0.3 x1.2')!;
    for (const metric of coarse.metrics) {
      expect(metric.baseline.histogram.buckets).toEqual(fixture.baseline);
      expect(metric.canary.histogram.buckets).toEqual(fixture.canary);
    }
  });

  it('request.json is shown with bounds that agree with the evidence the answer names', async () => {
    const { 'json examples/request.json': json } = await renderBlocks(['json examples/request.json']);
    const answer = JSON.parse(json.replace(/^```json\n|\n```$/g, ''));
    expect(answer.evidence).toBe('anytime-valid');
    // The anytime-valid interval of examples/request.json's latency is open above.
    expect(answer.metrics[0].effect.upper).toBeNull();
  });
});

describe('npm run docs:examples', () => {
  it('refuses a page without the markers rather than writing somewhere else', () => {
    expect(() => withExamples('# no markers\n', { 'text examples/request.json': 'x' })).toThrow(/lacks the markers of the generated block "text examples\/request\.json"/);
  });

  it('replaces only the text between the markers, every time the block appears', () => {
    const block = (content: string) => `<!-- generated by npm run docs:examples: file b -->\n${content}\n<!-- end of generated file b -->`;
    expect(withExamples(`a\n${block('old')}\nc\n${block('older')}\n`, { 'file b': 'new' })).toBe(`a\n${block('new')}\nc\n${block('new')}\n`);
    expect(compactJson({ a: [1, { b: null }] })).toBe('{ "a": [1, { "b": null }] }');
  });

  it('refuses a block that names no file of the repository', async () => {
    await expect(renderBlocks(['file examples/none.json'])).rejects.toThrow(/no file examples\/none\.json/);
    await expect(renderBlocks(['file ../outside.json'])).rejects.toThrow(/no file \.\.\/outside\.json/);
  });
});

/** A page without its generated blocks: what was written by hand. */
function withoutGenerated(page: string): string {
  return page.replace(/<!-- generated by npm run docs:examples: (.+?) -->[\s\S]*?<!-- end of generated \1 -->/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading] of markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)) {
    anchors.add(heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return anchors;
}
