import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadProfiles } from '../../src/profiles/profiles';

function writeTemp(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profiles-'));
  const file = path.join(dir, 'profiles.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('profiles', () => {
  it('has the built-in Istio model-serving profile, also as the default', () => {
    const profiles = loadProfiles();
    expect(profiles.get('default')!.metrics.map((m) => m.name)).toEqual(['latency', 'error-rate', 'prediction-score']);
    expect(profiles.get('istio-model-serving')!.metrics.filter((m) => m.critical).map((m) => m.name)).toEqual(['latency', 'error-rate']);
  });

  it('reads named metric sets from YAML, with numbers as strings, and may replace the default', () => {
    const file = writeTemp(`
profiles:
  default:
    metrics:
      - { name: latency, template: istio-latency, statistic: p99, margin: { relative: "0.2" }, critical: true }
  fraud-model:
    alpha: 0.01
    thresholds: { pass: 90, marginal: 60 }
    metrics:
      - name: score
        template: histogram
        metric: fraud_score
        kind: distribution
        margin: { absolute: 0.05 }
      - name: decisions
        template: categorical
        metric: fraud_decisions_total
        by: decision
        weight: 2
`);
    const profiles = loadProfiles(file);
    expect(profiles.get('default')!.metrics).toEqual([{ name: 'latency', template: 'istio-latency', quantile: 0.99, margin: { relative: 0.2 }, critical: true }]);
    const fraud = profiles.get('fraud-model')!;
    expect(fraud.alpha).toBe(0.01);
    expect(fraud.thresholds).toEqual({ pass: 90, marginal: 60 });
    expect(fraud.metrics[1]).toEqual({ name: 'decisions', template: 'categorical', metric: 'fraud_decisions_total', by: 'decision', weight: 2 });
    expect(profiles.has('istio-model-serving')).toBe(true);
  });

  it.each([
    ['a template without its metric', 'profiles:\n  p:\n    metrics:\n      - { name: s, template: histogram }', /profiles\.p\.metrics\[0\]\.metric: template histogram needs "metric"/],
    ['an unknown template', 'profiles:\n  p:\n    metrics:\n      - { name: s, template: magic }', /profiles\.p\.metrics\[0\]\.template/],
    ['no metrics', 'profiles:\n  p:\n    metrics: []', /a profile needs at least one metric/],
    ['duplicate metric names', 'profiles:\n  p:\n    metrics:\n      - { name: a, template: istio-latency }\n      - { name: a, template: istio-error-rate }', /duplicate metric name "a"/],
    ['broken YAML', 'profiles: [', /Invalid profiles file .*profiles\.yaml/],
    ['a bad profile name', 'profiles:\n  "Bad Name":\n    metrics:\n      - { name: a, template: istio-latency }', /profile names are lower-case/],
  ])('fails at start with a clear message for %s', (_label, text, message) => {
    expect(() => loadProfiles(writeTemp(text))).toThrow(message);
  });

  it('names a missing file', () => {
    expect(() => loadProfiles('/nonexistent/profiles.yaml')).toThrow(/Invalid profiles file \/nonexistent\/profiles\.yaml: ENOENT/);
  });
});
