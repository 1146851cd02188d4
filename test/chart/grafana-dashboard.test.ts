/**
 * The Grafana dashboard of the chart (issue 14): off by default, a ConfigMap labelled for
 * Grafana's dashboard sidecar when enabled, generated from scripts/grafana-dashboard.ts, and
 * every PromQL expression in it uses only series (and labels) the service really exports: read
 * from the service's /metrics after analyses of every kind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import request from 'supertest';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { useHelm } from '../support/helm';
import { testApp } from '../support/app';
import { FakeSource } from '../support/fake-source';
import { proportionMetric } from '../support/requests';
import { prometheusQueryObserver } from '../../src/service/self-metrics';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { fakeFetch, promError, vector } from '../sources/fake-prometheus';

const root = path.join(__dirname, '..', '..');
const CHART = path.join(root, 'charts', 'canary-judge');
const TEMPLATE = path.join(CHART, 'templates', 'grafana-dashboard.yaml');
const helm = useHelm();

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function dashboardConfigMap(values: Obj): Obj | undefined {
  return helm().objects(CHART, values).find((o) => o.kind === 'ConfigMap' && String((o.metadata as Obj).name).endsWith('-dashboard'));
}

function expressions(dashboard: Obj): string[] {
  const panels = (dashboard.panels as Obj[]).flatMap((p) => [p, ...((p.panels as Obj[] | undefined) ?? [])]);
  const targets = panels.flatMap((p) => (p.targets as Obj[] | undefined) ?? []).map((t) => t.expr as string);
  const variables = (dashboard.templating.list as Obj[]).filter((v) => v.type === 'query').map((v) => (v.query.query as string).replace(/^label_values\((.*), *\w+\)$/, '$1'));
  return [...targets, ...variables];
}

const FUNCTIONS_AND_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);

/** Each selector of a PromQL expression: its metric name and the label names it matches on. */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  const found: { metric: string; labels: string[] }[] = [];
  const cleaned = expr.replace(/\[[^\]]*\]/g, '').replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const pattern = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*(\()?/g;
  for (const match of cleaned.replace(/"[^"]*"/g, '""').matchAll(pattern)) {
    const [, name, matchers, call] = match;
    if (call || FUNCTIONS_AND_KEYWORDS.has(name) || /^\d/.test(name)) continue;
    const labels = [...(matchers ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((m) => m[1]);
    found.push({ metric: name, labels });
  }
  return found;
}

/** Series name -> label names seen, from an exposition. */
function exported(text: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? /.exec(line);
    if (!m) continue;
    const labels = series.get(m[1]) ?? new Set<string>();
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(pair[1]);
    series.set(m[1], labels);
  }
  return series;
}

describe('the Grafana dashboard', () => {
  it('is off by default, and when enabled a valid ConfigMap with the sidecar label holds the dashboard JSON', () => {
    expect(dashboardConfigMap({})).toBeUndefined();
    const cm = dashboardConfigMap({ grafanaDashboard: { enabled: true, namespace: 'monitoring', labels: { team: 'sre' }, annotations: { grafana_folder: 'Rollouts' } } })!;
    new ConfigMap(cm as ConstructorParameters<typeof ConfigMap>[0]).validate();
    expect(cm.metadata.namespace).toBe('monitoring');
    expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1', team: 'sre', 'app.kubernetes.io/name': 'canary-judge' });
    expect(cm.metadata.annotations).toEqual({ grafana_folder: 'Rollouts' });
    const dashboard = JSON.parse(cm.data['canary-judge.json']);
    expect(dashboard.uid).toBe('canary-judge');
    expect(new Set((dashboard.panels as Obj[]).map((p) => p.id)).size).toBe(dashboard.panels.length);
    expect(dashboardConfigMap({ grafanaDashboard: { enabled: true } })!.metadata.namespace).toBe('canary');
  });

  it('validates its values against the schema (Helm refuses what the schema refuses)', () => {
    const values = (extra: Obj) => ({ grafanaDashboard: { enabled: true, ...extra } });
    expect(() => helm().template(CHART, values({ namespace: 'monitoring' }))).not.toThrow();
    expect(() => helm().template(CHART, values({ enabeld: true }))).toThrow(/enabeld/);
    expect(() => helm().template(CHART, values({ namespace: 'Not A Namespace' }))).toThrow(/namespace/);
  });

  it('is the output of scripts/grafana-dashboard.ts (edit the script, not the template)', () => {
    const before = fs.readFileSync(TEMPLATE, 'utf8');
    execFileSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'scripts/grafana-dashboard.ts')]);
    expect(fs.readFileSync(TEMPLATE, 'utf8')).toBe(before);
  }, 30_000);

  it('queries only series and labels the service exports', async () => {
    let observe: ReturnType<typeof prometheusQueryObserver> = () => undefined;
    const { app, metrics } = testApp({ analysis: { source: new FakeSource({ latency: 'fail', errors: 'pass' }) } });
    observe = prometheusQueryObserver(metrics);
    // Analyses of every kind: keyed and not, pass and fail, Flagger's, an invalid one.
    const rollout = { namespace: 'shop', name: 'checkout' };
    await request(app).post('/v1/analyze').send({ rollout, metrics: [proportionMetric('errors', [1500, 100000], [500, 100000])] }).expect(200);
    await request(app).post('/v1/analyze').send({ metrics: [proportionMetric('errors', [480, 100000], [500, 100000])] }).expect(200);
    await request(app).post('/v1/flagger/rollout').send({ name: 'podinfo', namespace: 'test' });
    await request(app).post('/v1/analyze').send({ metrcs: [] }).expect(400);
    metrics.droppedLogLines.inc(0);
    // Prometheus queries, one ok and one failed, through the client the service uses.
    const answers = [vector([[{}, '1']]), promError(503, 'unavailable', 'down')];
    const client = new PrometheusClient({ baseUrl: 'http://prometheus:9090', queryTimeoutMs: 1000, fetch: fakeFetch(() => answers.shift()!).fetch, observe: (s, o) => observe(s, o) });
    await client.instant('up', 1700000600, new AbortController().signal);
    await client.instant('up', 1700000600, new AbortController().signal).catch(() => undefined);

    const series = exported((await request(app).get('/metrics')).text);
    const cm = dashboardConfigMap({ grafanaDashboard: { enabled: true } })!;
    const exprs = expressions(JSON.parse(cm.data['canary-judge.json']));
    expect(exprs.length).toBeGreaterThan(10);
    // The reader of expressions itself: functions, grouping, ranges and strings are not series.
    expect(selectors('histogram_quantile(0.9, sum by (le) (rate(a_bucket{x=~"$v", y!="b{c}"}[$__rate_interval]))) / on (x) b')).toEqual([
      { metric: 'a_bucket', labels: ['x', 'y'] },
      { metric: 'b', labels: [] },
    ]);
    const problems: string[] = [];
    for (const expr of exprs) {
      const used = selectors(expr);
      if (!used.length) problems.push(`${expr}: no series`);
      for (const { metric, labels } of used) {
        const known = series.get(metric);
        if (!known) problems.push(`${expr}: ${metric} is not exported`);
        else for (const label of labels) if (!known.has(label)) problems.push(`${expr}: ${metric} has no label ${label}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
