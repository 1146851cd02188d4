/**
 * The Prometheus source against a real Prometheus on 127.0.0.1 scraping a tiny exporter: every
 * template's PromQL parses and selects what it should, and escaped label values (quotes,
 * backslashes, newlines, unicode, injection attempts) match exactly the series that carry them.
 *
 * Skipped with a message when no Prometheus binary is found (except with CI=true).
 */
import { SourceUnavailableError, type FetchContext, type Labels, type TemplateMetric } from '../../src/sources/metric-source';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { findPrometheus, prometheusMissingMessage, startPrometheus, waitForSamples, type PrometheusServer } from '../support/prometheus';
import { startServer, type TestServer } from './fake-prometheus';

const binary = findPrometheus();
const inCi = process.env.CI === 'true';
if (!binary && !inCi) console.warn(`Skipping prometheus-real.test.ts. ${prometheusMissingMessage()}`);
const describeWithPrometheus = binary || inCi ? describe : describe.skip;

/** Label values that must survive the trip through PromQL unchanged. */
const TRICKY = ['plain', 'v2"} or vector(1) #', 'a\\"b', 'line1\nline2', '版本-ü 🚀', 'back\\slash\\', '"', "it's", 'tab\there\rcr', 'ctl\u0001\u007fx'];

/** A label value in the text exposition format. */
const exposition = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const ISTIO_BUCKETS = ['5', '10', '25', '50', '100', '+Inf'];

function metricsText(scrape: number): string {
  const lines: string[] = ['# TYPE probe_value gauge'];
  TRICKY.forEach((value, i) => lines.push(`probe_value{v="${exposition(value)}"} ${i + 1}`));
  lines.push('# TYPE istio_requests_total counter');
  const common = (version: string) => `reporter="destination",destination_workload_namespace="ml",destination_version="${version}"`;
  for (const [version, ok, failed] of [
    ['v1', 100, 1],
    ['v2', 20, 3],
  ] as const) {
    lines.push(`istio_requests_total{${common(version)},response_code="200"} ${scrape * ok}`);
    lines.push(`istio_requests_total{${common(version)},response_code="503"} ${scrape * failed}`);
  }
  lines.push('# TYPE istio_request_duration_milliseconds histogram');
  for (const [version, perBucket] of [
    ['v1', [10, 30, 40, 15, 5, 0]],
    ['v2', [2, 5, 8, 4, 1, 0]],
  ] as const) {
    let cumulative = 0;
    ISTIO_BUCKETS.forEach((le, i) => {
      cumulative += perBucket[i] * scrape;
      lines.push(`istio_request_duration_milliseconds_bucket{${common(version)},le="${le}"} ${cumulative}`);
    });
    lines.push(`istio_request_duration_milliseconds_sum{${common(version)}} ${cumulative * 20}`);
    lines.push(`istio_request_duration_milliseconds_count{${common(version)}} ${cumulative}`);
  }
  lines.push('# TYPE model_predictions_total counter');
  for (const [version, cat, dog] of [
    ['v1', 50, 50],
    ['v2', 6, 4],
  ] as const) {
    lines.push(`model_predictions_total{destination_version="${version}",class="cat"} ${scrape * cat}`);
    lines.push(`model_predictions_total{destination_version="${version}",class="dog"} ${scrape * dog}`);
  }
  return lines.join('\n') + '\n';
}

describeWithPrometheus('PrometheusSource against a real Prometheus', () => {
  let exporter: TestServer | undefined;
  let prometheus: PrometheusServer | undefined;
  let source: PrometheusSource;
  let start: number;
  let scrapes = 0;

  beforeAll(async () => {
    if (!binary) throw new Error(`CI=true and ${prometheusMissingMessage()}`);
    start = Math.floor(Date.now() / 1000) - 1;
    exporter = await startServer((_req, res) => {
      scrapes++;
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(metricsText(scrapes));
    });
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${exporter.port}`], scrapeIntervalSeconds: 1, binary });
    // increase() needs two samples of each counter in the window.
    await waitForSamples(prometheus.url, 'count_over_time(istio_requests_total{destination_version="v2",response_code="200"}[1m])', 3, 15_000);
    source = new PrometheusSource(new PrometheusClient({ baseUrl: `${prometheus.url}/`, queryTimeoutMs: 5000 }));
  }, 40_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.close();
  });

  const ctx = (baseline: Labels, canary: Labels): FetchContext => ({
    baseline,
    canary,
    window: { start, end: Date.now() / 1000 },
    signal: AbortSignal.timeout(10_000),
  });
  const v1 = { destination_workload_namespace: 'ml', destination_version: 'v1' };
  const v2 = { destination_workload_namespace: 'ml', destination_version: 'v2' };

  it.each(TRICKY.map((value, i) => [value, i + 1] as const))('label value %j selects exactly its own series', async (value, expected) => {
    const fetched = await source.fetch({ name: 'probe', template: 'query', query: 'probe_value{{{labels}}}' }, ctx({ v: value }, { v: `${value}x` }));
    const values = Array.from((fetched.baseline as { values: ArrayLike<number> }).values);
    expect(values.length).toBeGreaterThan(0);
    expect(new Set(values)).toEqual(new Set([expected]));
    expect(fetched.canary).toEqual({ values: [] });
  });

  it('istio-latency returns cumulative histograms for both sides', async () => {
    const fetched = await source.fetch({ name: 'latency', template: 'istio-latency' }, ctx(v1, v2));
    expect(fetched.kind).toBe('continuous');
    for (const side of [fetched.baseline, fetched.canary]) {
      const { buckets } = (side as { histogram: { buckets: { le: number; count: number }[] } }).histogram;
      expect(buckets.map((b) => b.le)).toEqual([5, 10, 25, 50, 100, Infinity]);
      expect(buckets[5].count).toBeGreaterThan(0);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i].count).toBeGreaterThanOrEqual(buckets[i - 1].count);
    }
  });

  it('istio-error-rate and istio-requests return counts with events <= total', async () => {
    for (const template of ['istio-error-rate', 'istio-requests'] as const) {
      const fetched = await source.fetch({ name: template, template }, ctx(v1, v2));
      expect(fetched.kind).toBe('proportion');
      const canary = fetched.canary as { events: number; total: number };
      expect(canary.total).toBeGreaterThan(0);
      expect(canary.events).toBeGreaterThan(0);
      expect(canary.events).toBeLessThanOrEqual(canary.total);
      expect(canary.events / canary.total).toBeCloseTo(3 / 23, 1);
    }
  });

  it('histogram, categorical, proportion and query templates all parse and answer', async () => {
    const metrics: TemplateMetric[] = [
      { name: 'h', template: 'histogram', metric: 'istio_request_duration_milliseconds', kind: 'distribution' },
      { name: 'c', template: 'categorical', metric: 'model_predictions_total', by: 'class' },
      { name: 'p', template: 'proportion', events: 'istio_requests_total', total: 'istio_requests_total' },
      { name: 'q', template: 'query', query: 'sum(rate(istio_requests_total{job="fleet", {{labels}}}[10s]))' },
    ];
    const sides = { baseline: { destination_version: 'v1' }, canary: { destination_version: 'v2' } };
    const [h, c, p, q] = await Promise.all(metrics.map((m) => source.fetch(m, ctx(sides.baseline, sides.canary))));
    expect(h.kind).toBe('distribution');
    expect(c).toMatchObject({ kind: 'categorical', canary: { counts: [['cat', expect.any(Number)], ['dog', expect.any(Number)]] } });
    expect(p.kind).toBe('proportion');
    expect(q.kind).toBe('continuous');
    expect((q.canary as { values: number[] }).values.length).toBeGreaterThan(0);
  });

  it('a custom query with no labels on a side still parses (no dangling comma)', async () => {
    const fetched = await source.fetch({ name: 'q', template: 'query', query: 'sum(rate(istio_requests_total{job="fleet", {{labels}}}[10s]))' }, ctx({}, { destination_version: 'v2' }));
    expect((fetched.baseline as { values: number[] }).values.length).toBeGreaterThan(0);
  });

  it('labels that match nothing give empty sides and noSeries', async () => {
    const fetched = await source.fetch({ name: 'latency', template: 'istio-latency' }, ctx({ destination_version: 'v9' }, { destination_version: 'v8' }));
    expect(fetched).toMatchObject({ baseline: { values: [] }, canary: { values: [] }, noSeries: true });
  });

  it('a query Prometheus cannot parse is a refused query carrying its message (a 400, not an outage)', async () => {
    const error = await source.fetch({ name: 'bad', template: 'query', query: 'sum(rate(x{ {{labels}} }[5m])' }, ctx({ a: '1' }, { a: '2' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect((error as SourceUnavailableError).reason).toBe('query');
    expect((error as SourceUnavailableError).message).toMatch(/refused the query: bad_data: .*parse error/);
  });
});
