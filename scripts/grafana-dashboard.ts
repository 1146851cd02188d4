/**
 * Writes charts/canary-judge/templates/grafana-dashboard.yaml: the Grafana dashboard (JSON) in a
 * ConfigMap labelled for Grafana's dashboard sidecar, rendered only when
 * grafanaDashboard.enabled. Edit the panels here and run `npm run dashboard`; the template is
 * generated (the chart renderer has no .Files.Get), and test/chart/grafana-dashboard.test.ts
 * checks every query against the series the service really exports.
 * Legends use Grafana's ${__field.labels.x}, never {{x}}, which Helm would read as an action.
 */
import fs from 'node:fs';
import path from 'node:path';

const DS = { type: 'prometheus', uid: '${datasource}' };
const KEY = 'namespace=~"$namespace", rollout=~"$rollout"';
let nextId = 1;
type Target = { expr: string; legend?: string; instant?: boolean; format?: string; refId?: string };

function panel(type: string, title: string, grid: { x: number; y: number; w: number; h: number }, targets: Target[], extra: Record<string, unknown> = {}, description?: string) {
  return {
    id: nextId++,
    type,
    title,
    ...(description ? { description } : {}),
    datasource: DS,
    gridPos: grid,
    targets: targets.map((t, i) => ({
      datasource: DS,
      refId: t.refId ?? String.fromCharCode(65 + i),
      expr: t.expr,
      legendFormat: t.legend ?? '__auto',
      ...(t.instant ? { instant: true, range: false } : {}),
      ...(t.format ? { format: t.format } : {}),
    })),
    ...extra,
  };
}

const verdictMappings = [
  { type: 'value', options: { '1': { text: 'pass', color: 'green', index: 0 }, '0': { text: 'inconclusive', color: 'orange', index: 1 }, '-1': { text: 'fail', color: 'red', index: 2 } } },
];
const byLabels = (...labels: string[]) => ({ defaults: { displayName: labels.map((l) => `\${__field.labels.${l}}`).join(' ') }, overrides: [] });

const panels = [
  { id: nextId++, type: 'row', title: 'Service', collapsed: false, gridPos: { x: 0, y: 0, w: 24, h: 1 }, panels: [] },
  panel('timeseries', 'Analyses by verdict (per second)', { x: 0, y: 1, w: 8, h: 8 }, [{ expr: 'sum by (verdict) (rate(canary_judge_analyses_total[$__rate_interval]))' }], { fieldConfig: byLabels('verdict') }),
  panel('timeseries', 'Analysis duration', { x: 8, y: 1, w: 8, h: 8 }, [
    { expr: 'histogram_quantile(0.5, sum by (le) (rate(canary_judge_analysis_duration_seconds_bucket[$__rate_interval])))', legend: 'p50' },
    { expr: 'histogram_quantile(0.95, sum by (le) (rate(canary_judge_analysis_duration_seconds_bucket[$__rate_interval])))', legend: 'p95' },
  ], { fieldConfig: { defaults: { unit: 's' }, overrides: [] } }),
  panel('timeseries', 'Invalid requests and dropped log lines (per second)', { x: 16, y: 1, w: 8, h: 8 }, [
    { expr: 'sum(rate(canary_judge_invalid_requests_total[$__rate_interval]))', legend: 'invalid requests (4xx)' },
    { expr: 'sum(rate(canary_judge_log_lines_dropped_total[$__rate_interval]))', legend: 'dropped log lines' },
  ]),
  panel('timeseries', 'Prometheus queries by outcome (per second)', { x: 0, y: 9, w: 12, h: 8 }, [
    { expr: 'sum by (outcome) (rate(canary_judge_source_queries_total{source="prometheus"}[$__rate_interval]))' },
  ], { fieldConfig: byLabels('outcome') }, 'ok, or why a query failed: unreachable, timeout, status (5xx), malformed, partial, query (refused).'),
  panel('timeseries', 'Prometheus query latency', { x: 12, y: 9, w: 12, h: 8 }, [
    { expr: 'histogram_quantile(0.5, sum by (le) (rate(canary_judge_source_query_duration_seconds_bucket{source="prometheus"}[$__rate_interval])))', legend: 'p50' },
    { expr: 'histogram_quantile(0.99, sum by (le) (rate(canary_judge_source_query_duration_seconds_bucket{source="prometheus"}[$__rate_interval])))', legend: 'p99' },
  ], { fieldConfig: { defaults: { unit: 's' }, overrides: [] } }),
  { id: nextId++, type: 'row', title: 'Rollouts ($namespace / $rollout)', collapsed: false, gridPos: { x: 0, y: 17, w: 24, h: 1 }, panels: [] },
  panel('state-timeline', 'Rollout verdicts', { x: 0, y: 18, w: 16, h: 8 }, [{ expr: `canary_judge_rollout_verdict{${KEY}}` }], {
    fieldConfig: { defaults: { displayName: '${__field.labels.namespace}/${__field.labels.rollout}', mappings: verdictMappings, color: { mode: 'thresholds' }, thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'orange', value: 0 }, { color: 'green', value: 1 }] } }, overrides: [] },
  }, 'The latest overall verdict of each rollout or canary; a series ends some minutes (VERDICT_SERIES_TTL) after its last analysis.'),
  panel('timeseries', 'Rollout score', { x: 16, y: 18, w: 8, h: 8 }, [{ expr: `canary_judge_rollout_score{${KEY}}` }], {
    fieldConfig: { defaults: { displayName: '${__field.labels.namespace}/${__field.labels.rollout}', min: 0, max: 100 }, overrides: [] },
  }),
  panel('state-timeline', 'Metric verdicts', { x: 0, y: 26, w: 24, h: 9 }, [{ expr: `canary_judge_metric_verdict{${KEY}}` }], {
    fieldConfig: { defaults: { displayName: '${__field.labels.namespace}/${__field.labels.rollout} ${__field.labels.metric}', mappings: verdictMappings, color: { mode: 'thresholds' }, thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'orange', value: 0 }, { color: 'green', value: 1 }] } }, overrides: [] },
  }),
  panel('timeseries', 'Effect in units of its margin (1 = the margin)', { x: 0, y: 35, w: 12, h: 9 }, [
    { expr: `canary_judge_metric_effect_estimate{${KEY}} / canary_judge_metric_effect_margin{${KEY}}` },
  ], { fieldConfig: { defaults: { displayName: '${__field.labels.namespace}/${__field.labels.rollout} ${__field.labels.metric}' }, overrides: [] } },
  'The estimated change of each metric divided by its margin: above 1 (or below -1 for a metric that must not decrease) the estimate is beyond the tolerance.'),
  panel('table', 'Latest effects: estimate, confidence bounds and margin', { x: 12, y: 35, w: 12, h: 9 }, [
    { expr: `canary_judge_metric_effect_estimate{${KEY}}`, instant: true, format: 'table' },
    { expr: `canary_judge_metric_effect_lower{${KEY}}`, instant: true, format: 'table' },
    { expr: `canary_judge_metric_effect_upper{${KEY}}`, instant: true, format: 'table' },
    { expr: `canary_judge_metric_effect_margin{${KEY}}`, instant: true, format: 'table' },
  ], {
    transformations: [
      { id: 'merge', options: {} },
      { id: 'organize', options: { excludeByName: { Time: true, __name__: true, job: true, instance: true, pod: true, container: true, endpoint: true, service: true }, renameByName: { 'Value #A': 'estimate', 'Value #B': 'lower', 'Value #C': 'upper', 'Value #D': 'margin' } } },
    ],
  }, 'In each effect\'s own unit (relative: 0.1 = +10 %; rate: a difference of proportions). An unbounded side is ±Inf.'),
  panel('stat', 'Verdict series: exported keys and keys dropped at the cap', { x: 0, y: 44, w: 24, h: 4 }, [
    { expr: 'sum(canary_judge_verdict_keys)', legend: 'keys exported' },
    { expr: 'sum(increase(canary_judge_verdict_series_dropped_total[1h]))', legend: 'new keys dropped (last hour)' },
  ]),
];

const dashboard = {
  uid: 'canary-judge',
  title: 'canary-judge',
  description: 'Canary analyses: verdicts, durations, Prometheus queries, and the latest verdict per rollout and metric.',
  tags: ['canary-judge', 'argo-rollouts', 'flagger'],
  timezone: 'browser',
  schemaVersion: 39,
  version: 1,
  editable: true,
  refresh: '30s',
  time: { from: 'now-6h', to: 'now' },
  templating: {
    list: [
      { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
      { name: 'namespace', label: 'namespace', type: 'query', datasource: DS, query: { query: 'label_values(canary_judge_rollout_verdict, namespace)', refId: 'namespace' }, definition: 'label_values(canary_judge_rollout_verdict, namespace)', includeAll: true, allValue: '.*', multi: true, refresh: 2, current: {}, hide: 0 },
      { name: 'rollout', label: 'rollout / canary', type: 'query', datasource: DS, query: { query: 'label_values(canary_judge_rollout_verdict{namespace=~"$namespace"}, rollout)', refId: 'rollout' }, definition: 'label_values(canary_judge_rollout_verdict{namespace=~"$namespace"}, rollout)', includeAll: true, allValue: '.*', multi: true, refresh: 2, current: {}, hide: 0 },
    ],
  },
  panels,
};

const json = JSON.stringify(dashboard, null, 2);
if (json.includes('{{') || json.includes('}}')) throw new Error('the dashboard must not contain {{ or }}: Helm reads them as template actions');
const template = `{{- /* Generated by scripts/grafana-dashboard.ts (npm run dashboard): edit the script, not this file. */ -}}
{{- if .Values.grafanaDashboard.enabled }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "canary-judge.fullname" . }}-dashboard
  namespace: {{ .Values.grafanaDashboard.namespace | default .Release.Namespace }}
  labels:
    {{- include "canary-judge.labels" . | nindent 4 }}
    grafana_dashboard: "1"
    {{- with .Values.grafanaDashboard.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.grafanaDashboard.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
data:
  canary-judge.json: |-
${json.split('\n').map((line) => `    ${line}`).join('\n')}
{{- end }}
`;
fs.writeFileSync(path.join(__dirname, '../charts/canary-judge/templates/grafana-dashboard.yaml'), template);
