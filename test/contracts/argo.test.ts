import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse } from 'yaml';
import { SourceUnavailableError } from '../../src/sources/metric-source';
import { testApp } from '../support/app';
import { evaluate, jsonPath, measure, phaseOf, type WebMetric } from '../support/argo-web-metric';
import { FakeSource, type Health } from '../support/fake-source';

const template = parse(fs.readFileSync(path.join(__dirname, '../../analysis-templates/argo/analysis-template.yaml'), 'utf8'));
const metric: WebMetric = template.spec.metrics[0];

async function withServer<T>(source: FakeSource, run: (url: string) => Promise<T>): Promise<T> {
  const { app } = testApp({ analysis: { source } });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    return await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/analyze`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const args = (url: string, reporter = 'destination') => ({ namespace: 'ml', 'stable-version': 'v1', 'canary-version': 'v2', lookback: '15m', profile: 'default', reporter, 'judge-url': url });

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

  it('passes the reporter arg on ("waypoint" for ambient mesh) and maps the app metric to its own version label', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    await withServer(source, (url) => measure(metric, args(url, 'waypoint')));
    expect(source.calls.length).toBeGreaterThan(0);
    expect(source.calls.every((c) => c.ctx.reporter === 'waypoint')).toBe(true);
    expect(source.calls.find((c) => c.metric.name === 'prediction-score')?.ctx.canary).toEqual({ version: 'v2', namespace: 'ml' });
  });

  it('sends the sides as destination_version labels and a window covering the whole analysis', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    await withServer(source, (url) => measure(metric, args(url)));
    const call = source.calls[0];
    expect(call.ctx.baseline).toEqual({ destination_workload_namespace: 'ml', destination_version: 'v1' });
    expect(call.ctx.canary).toEqual({ destination_workload_namespace: 'ml', destination_version: 'v2' });
    expect(call.ctx.window.end - call.ctx.window.start).toBe(900);
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
});
