import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SourceUnavailableError } from '../../src/sources/metric-source';
import { testApp, withListening } from '../support/app';
import { assessMetric, evaluate, jsonPath, measure, phaseOf, rolloutArgs, substituteArgs, type MetricLimits, type Phase, type WebMetric } from '../support/argo-web-metric';
import { FakeSource, type Health } from '../support/fake-source';

const template = parse(fs.readFileSync(path.join(__dirname, '../../analysis-templates/argo/analysis-template.yaml'), 'utf8'));
const metric: WebMetric = template.spec.metrics[0];
const watchTemplate = parse(fs.readFileSync(path.join(__dirname, '../../analysis-templates/argo/analysis-template-watch.yaml'), 'utf8'));
const watch: WebMetric & MetricLimits = watchTemplate.spec.metrics[0];

function withServer<T>(source: FakeSource, run: (url: string) => Promise<T>): Promise<T> {
  return withListening(testApp({ analysis: { source } }).app, (base) => run(`${base}/v1/analyze`));
}

/** The args as rollout.yaml passes them. */
const args = (url: string, reporter = 'destination') => rolloutArgs(template, { reporter, 'judge-url': url });

describe('the shipped AnalysisTemplate, measured the way Argo Rollouts measures it', () => {
  it.each([
    ['pass', 'pass', 'Successful'],
    ['fail', 'pass', 'Failed'],
    ['inconclusive', 'pass', 'Inconclusive'],
    ['pass', 'fail', 'Failed'],
  ] as [Health, Health, string][])('latency %s, errors %s -> %s', async (latency, errors, phase) => {
    const source = new FakeSource({ latency, errors });
    const result = await withServer(source, (url) => measure(metric, args(url)));
    expect(result.phase).toBe(phase);
    expect(result.status).toBe(200);
  });

  it('passes the reporter arg on ("waypoint" for ambient mesh): the hashes cannot tell a waypoint\'s series apart, so 400 (Error), never a comparison with itself', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    const result = await withServer(source, (url) => measure(metric, args(url, 'waypoint')));
    expect(result).toEqual({ phase: 'Error', status: 400 });
    expect(source.calls).toEqual([]);
    const res = await withServer(source, (url) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(substituteArgs(metric.provider.web.jsonBody, args(url, 'waypoint'))) }).then((r) => r.json() as Promise<{ issues: { path: string; message: string }[] }>));
    expect(res.issues.map((i: { path: string }) => i.path)).toEqual(['metrics.latency', 'metrics.error-rate']);
    expect(res.issues[0].message).toMatch(/reporter "waypoint" reports another pod .*: give the sides labels that reporter carries, such as destination_workload/);
  });

  it('pins the app metric to each side\'s pods', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    await withServer(source, (url) => measure(metric, args(url)));
    const score = source.calls.find((c) => c.metric.name === 'prediction-score')!;
    expect(score.ctx.canary).toEqual({ namespace: 'ml' });
    expect(score.ctx.pins?.canary.pods).toBe('fake-7c9d8f6b4-[a-z0-9]{5}');
    expect(score.ctx.pins?.baseline.pods).toBe('fake-6d5f7c9b8-[a-z0-9]{5}');
  });

  it('sends each side as its ReplicaSet (the pod-template hashes) and a window from the canary revision\'s start, per minute', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    source.canaryAgeSeconds = 47 * 60;
    await withServer(source, (url) => measure(metric, args(url)));
    const call = source.calls[0];
    expect(call.ctx.baseline).toEqual({ destination_workload_namespace: 'ml' });
    expect(call.ctx.canary).toEqual({ destination_workload_namespace: 'ml' });
    expect(call.ctx.pins).toEqual({
      baseline: { pods: 'fake-6d5f7c9b8-[a-z0-9]{5}', sourceLabels: { destination_service_name: 'model-stable', destination_service_namespace: 'ml' } },
      canary: { pods: 'fake-7c9d8f6b4-[a-z0-9]{5}', sourceLabels: { destination_service_name: 'model-canary', destination_service_namespace: 'ml' } },
    });
    // Looked up at most max-age back, by the sidecars' own reports, by minute.
    expect(source.activityCalls).toContainEqual({ labels: { destination_workload_namespace: 'ml' }, age: 6 * 3600, stepSeconds: 60, reporter: 'destination' });
    expect(call.ctx.window.end - call.ctx.window.start).toBe(47 * 60);
    expect(call.ctx.timelineStepSeconds).toBe(60);
  });

  it('turns a Prometheus outage into a measurement Error (retried), never a verdict', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' }, new SourceUnavailableError('Prometheus is unreachable', 'unreachable'));
    const result = await withServer(source, (url) => measure(metric, args(url)));
    expect(result).toEqual({ phase: 'Error', status: 503 });
  });
});

describe('Argo evaluation rules (contracts.md)', () => {
  it('lets failure win when both conditions hold, and neither means Inconclusive', () => {
    expect(phaseOf('x', 'result == "x"', 'result == "x"')).toBe('Failed');
    expect(phaseOf('y', 'result == "x"', 'result == "z"')).toBe('Inconclusive');
    expect(phaseOf('y', 'result == "x"')).toBe('Failed');
    expect(phaseOf('y', undefined, 'result == "x"')).toBe('Successful');
  });

  it('reads the first match of a Kubernetes jsonpath; a missing key is an Error', () => {
    const body = { verdict: 'pass', metrics: [{ name: 'latency', verdict: 'fail' }, { name: 'errors', verdict: 'pass' }] };
    expect(jsonPath(body, '{$.verdict}')).toEqual({ ok: true, value: 'pass' });
    expect(jsonPath(body, '{.metrics[?(@.name=="errors")].verdict}')).toEqual({ ok: true, value: 'pass' });
    expect(jsonPath(body, '{.metrics[0].name}')).toEqual({ ok: true, value: 'latency' });
    expect(jsonPath(body, '{$.nothing}')).toEqual({ ok: false });
  });

  it('evaluates comparisons over result', () => {
    expect(evaluate('result >= 75', 80)).toBe(true);
    expect(evaluate('result == "pass" || result == "inconclusive"', 'inconclusive')).toBe(true);
    expect(evaluate('result > 1', 'text')).toBe('error');
  });

  it('addresses an array match by index and an object match by key (expr-lang: out of range is an Error, a missing key nil)', () => {
    expect(evaluate('result[0] == "pass"', ['pass', 'why'])).toBe(true);
    expect(evaluate('result[0] == "fail"', ['pass', 'why'])).toBe(false);
    expect(evaluate('result[2] == "x"', ['pass', 'why'])).toBe('error');
    expect(evaluate('result.verdict == "pass"', { verdict: 'pass' })).toBe(true);
    expect(evaluate('result.score >= 75', { verdict: 'pass' })).toBe('error');
    expect(evaluate('result[0] == "pass"', 'pass')).toBe('error');
  });
});

/** What canary-judge answers at each look: a verdict of the fake source, or a Prometheus outage (503). */
type Look = Health | 'outage';

/** Measures a shipped metric look by look against the service, and lets Argo's rules end it. */
async function runMetric(spec: WebMetric & MetricLimits, looks: readonly Look[]): Promise<{ phase: string; after: number; measurements: Phase[] }> {
  const source = new FakeSource({ latency: 'pass', errors: 'pass' });
  const measurements: Phase[] = [];
  return withServer(source, async (url) => {
    for (const look of looks) {
      source.failure = look === 'outage' ? new SourceUnavailableError('Prometheus is unreachable', 'unreachable') : undefined;
      if (look !== 'outage') source.health = { latency: look, errors: look === 'empty' ? 'empty' : 'pass' };
      measurements.push((await measure(spec, args(url))).phase);
      const assessed = assessMetric(spec, measurements);
      if (assessed.phase !== 'Running') return { ...assessed, measurements };
    }
    return { phase: 'Running', after: measurements.length, measurements };
  });
}

describe('the shipped templates over a whole analysis, with Argo Rollouts\' metric rules (analysis.go)', () => {
  const gate = metric as WebMetric & MetricLimits;
  const inconclusive = (n: number): Look[] => Array.from({ length: n }, () => 'inconclusive');

  it('the gate ends Successful at the first pass (no waiting out count x interval)', async () => {
    expect(await runMetric(gate, [...inconclusive(3), 'pass', ...inconclusive(6)])).toMatchObject({ phase: 'Successful', after: 4 });
  });

  it('the gate ends Failed at the first fail', async () => {
    expect(await runMetric(gate, [...inconclusive(2), 'fail', 'pass'])).toMatchObject({ phase: 'Failed', after: 3 });
  });

  it('the gate pauses the Rollout (Inconclusive) when all 10 looks are inconclusive; no look is ever promoted without a pass', async () => {
    expect(await runMetric(gate, inconclusive(12))).toMatchObject({ phase: 'Inconclusive', after: 10 });
  });

  it('a Prometheus outage: Errors are retried and not counted; the 5th in a row ends the metric with phase Error', async () => {
    const outages = (n: number): Look[] => Array.from({ length: n }, () => 'outage');
    expect(await runMetric(gate, [...outages(4), 'pass'])).toMatchObject({ phase: 'Successful', after: 5 });
    expect(await runMetric(gate, ['inconclusive', ...outages(5), 'pass'])).toMatchObject({ phase: 'Error', after: 6 });
    expect(await runMetric(watch, [...outages(4), ...inconclusive(10)])).toMatchObject({ phase: 'Successful', after: 14 });
  });

  it('the watch lets inconclusive and pass looks go on for all 10 looks, and fails at the first fail', async () => {
    expect(await runMetric(watch, inconclusive(10))).toMatchObject({ phase: 'Successful', after: 10, measurements: Array(10).fill('Successful') });
    expect(await runMetric(watch, ['pass', ...inconclusive(5), 'fail'])).toMatchObject({ phase: 'Failed', after: 7 });
  });

  it('why the gate has consecutiveSuccessLimit: without it one early pass promotes after 9 inconclusive looks, and a pass does not end the metric', () => {
    const old: MetricLimits = { count: 10, failureLimit: 0, inconclusiveLimit: 9 };
    expect(assessMetric(old, ['Successful', ...Array(9).fill('Inconclusive')])).toEqual({ phase: 'Successful', after: 10 });
    expect(assessMetric(old, ['Successful', 'Successful', 'Failed'])).toEqual({ phase: 'Failed', after: 3 });
    expect(assessMetric(old, Array(10).fill('Inconclusive'))).toEqual({ phase: 'Inconclusive', after: 10 });
  });
});
