/**
 * Report links against a real Prometheus (issue 14): the fleet serves traffic, Prometheus
 * scrapes it, canary-judge judges with the default profile and answers with a link; opened
 * later, while traffic goes on, the link recomputes exactly the same analysis (same absolute
 * window) on another app instance (no shared state) and renders it, while a new analysis with
 * a lookback already sees different data. Skipped without Prometheus, except under CI=true.
 */
import request from 'supertest';
import { createFleet, type Fleet } from '../../demo/fleet';
import { createTraffic, type Traffic } from '../../demo/traffic';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { testApp } from '../support/app';
import { findPrometheus, prometheusMissingMessage, startPrometheus, waitForSamples, type PrometheusServer } from '../support/prometheus';

const binary = findPrometheus();
const inCi = process.env.CI === 'true';
if (!binary && !inCi) console.warn(`Skipping the report-link test against Prometheus: ${prometheusMissingMessage()}`);
const describeWithPrometheus = binary || inCi ? describe : describe.skip;

const PUBLIC_URL = 'https://judge.example.com';

describeWithPrometheus('report links against a real Prometheus', () => {
  let fleet: Fleet | undefined;
  let prometheus: PrometheusServer | undefined;
  let traffic: Traffic | undefined;

  beforeAll(async () => {
    if (!binary) throw new Error(`CI=true and ${prometheusMissingMessage()}`);
    fleet = await createFleet();
    prometheus = await startPrometheus({ targets: fleet.targets, scrapeIntervalSeconds: 1, binary });
    traffic = createTraffic({ endpoints: fleet.endpoints, weights: { v1: 90, v2: 10 }, maxDurationMs: 20_000 });
    traffic.start();
    await waitForSamples(prometheus.url, 'sum(istio_requests_total{reporter="destination",destination_version="v2"})', 50, 15_000);
  }, 40_000);

  afterAll(async () => {
    await traffic?.stop();
    await prometheus?.stop();
    await fleet?.close();
  });

  it('opens later on another instance with the same verdict and numbers', async () => {
    const deps = () => ({ source: new PrometheusSource(new PrometheusClient({ baseUrl: prometheus!.url, queryTimeoutMs: 5000 })) });
    const first = testApp({ publicUrl: PUBLIC_URL, analysis: deps() }).app;
    const body = { profile: 'default', lookback: '1m', rollout: { namespace: 'ml', name: 'model' }, labels: { destination_workload_namespace: 'ml' }, baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } } };
    const answer = await request(first).post('/v1/analyze').send(body).expect(200);
    const table = (await request(first).post('/v1/analyze?format=text').send({ ...body, lookback: undefined, start: answer.body.window.start, end: answer.body.window.end })).text;
    expect(answer.body.report).toMatch(/^https:\/\/judge\.example\.com\/v1\/report\?a=/);

    // Traffic goes on; a fresh analysis over the last minute sees more requests.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const later = await request(first).post('/v1/analyze').send(body).expect(200);
    expect(later.body.metrics.find((m: { name: string }) => m.name === 'error-rate').canary.n).toBeGreaterThan(answer.body.metrics.find((m: { name: string }) => m.name === 'error-rate').canary.n);

    // The link, on an instance that never saw the analysis: the same analysis, to the number.
    const second = testApp({ publicUrl: PUBLIC_URL, analysis: deps() }).app;
    const page = await request(second).get(answer.body.report.slice(PUBLIC_URL.length)).expect(200);
    expect(page.text).toContain(`<header class="verdict ${answer.body.verdict}"`);
    expect(page.text).toContain('ml/model');
    const pre = /<pre>([\s\S]*)<\/pre>/.exec(page.text)![1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
    // The text answer ends with its own report link; the page's table is the rest of it.
    expect(pre).toBe(table.replace(/report: \S+\n$/, ''));
    // The forest plot, per metric its data and (judged on a timeline) its timeline, one per check.
    const timelines = answer.body.metrics.filter((m: { timeline?: unknown[] }) => m.timeline?.length).length;
    expect((page.text.match(/<svg\b/g) ?? []).length).toBe(1 + answer.body.metrics.length + timelines + (answer.body.checks?.length ?? 0));
  }, 60_000);
});
