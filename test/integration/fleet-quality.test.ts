/**
 * Issue 25's scenario end to end against a real Prometheus (2.x on 127.0.0.1, 1 s scrapes): the
 * demo fleet (demo/fleet.ts) with labelled quality, tenants and shadow pairs, v2 as fast and as
 * reliable as v1 but right only half the time for tenant acme (90 % elsewhere, as v1 everywhere),
 * judged through /v1/analyze with templates only: Istio's errors and latency, `labelled-accuracy`
 * once per tenant (a metric selecting the tenant label: labelled templates are not segmented),
 * read by 2-second prediction buckets with a 3 s label delay, and `shadow-pairs` (v1-v2 against
 * the v1-v1 noise floor). The judge must fail v2 on acme's accuracy, name it, and not on globex's,
 * errors or latency; the shadow pairs must show the disagreement that acme's misses cause.
 *
 * Skipped with a message when no Prometheus binary is found (except with CI=true).
 */
import request from 'supertest';
import { createFleet, LABELLED_PREDICTIONS_COUNTER, type Fleet } from '../../demo/fleet';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { analyzeResponseSchema } from '../../src/contracts/analyze-response';
import { testApp } from '../support/app';
import { findPrometheus, prometheusMissingMessage, startPrometheus, waitForSamples, type PrometheusServer } from '../support/prometheus';

const binary = findPrometheus();
const inCi = process.env.CI === 'true';
if (!binary && !inCi) console.warn(`Skipping fleet-quality.test.ts. ${prometheusMissingMessage()}`);
const describeWithPrometheus = binary || inCi ? describe : describe.skip;

/** Prediction buckets and the timeline's step: 2 s (two 1-second scrapes per interval). */
const STEP = 2;
const TRAFFIC_SECONDS = 12;

describeWithPrometheus('issue 25\'s scenario: the fleet\'s quality judged from a real Prometheus', () => {
  let fleet: Fleet | undefined;
  let prometheus: PrometheusServer | undefined;
  let window: { start: number; end: number };

  beforeAll(async () => {
    if (!binary) throw new Error(`CI=true and ${prometheusMissingMessage()}`);
    fleet = await createFleet({
      seed: 5,
      labelled: { delaySeconds: 1, bucketSeconds: STEP, tenants: { acme: 40, globex: 60 }, accuracy: { v1: { default: 0.9 }, v2: { default: 0.9, acme: 0.5 } } },
      shadow: { disagreement: { v1: 0.01, v2: 0.01 }, noiseFloor: true },
    });
    prometheus = await startPrometheus({ targets: fleet.targets, scrapeIntervalSeconds: 1, binary });
    const start = Math.ceil(Date.now() / 1000 / STEP) * STEP;
    while (Date.now() / 1000 < start) await new Promise((resolve) => setTimeout(resolve, 50));
    while (Date.now() / 1000 < start + TRAFFIC_SECONDS) {
      await Promise.all((['v1', 'v2'] as const).flatMap((v) => Array.from({ length: 10 }, () => fetch(`http://${fleet!.endpoints[v]}/predict`, { method: 'POST', body: '{}' }).then((r) => r.text()))));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const stats = fleet.stats();
    const answered = stats.v1.requests - stats.v1.errors + stats.v2.requests - stats.v2.errors;
    await waitForSamples(prometheus.url, `sum(${LABELLED_PREDICTIONS_COUNTER})`, answered, 10_000);
    // The labels' time to arrive (median 1 s, lognormal sigma 0.5), and a scrape after it.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    window = { start, end: Math.floor(Date.now() / 1000) - 1 };
  }, 40_000);

  afterAll(async () => {
    await prometheus?.stop();
    await fleet?.close();
  });

  it('fails v2 on acme\'s accuracy, naming acme, and on nothing else; the shadow pairs show the disagreement', async () => {
    const source = new PrometheusSource(new PrometheusClient({ baseUrl: prometheus!.url, queryTimeoutMs: 5000 }));
    const { app } = testApp({ analysis: { source } });
    const accuracy = (tenant: string) => ({
      name: `accuracy tenant=${tenant}`,
      template: 'labelled-accuracy',
      predictions: LABELLED_PREDICTIONS_COUNTER,
      labelDelay: '3s',
      critical: true,
      baseline: { labels: { namespace: 'ml', version: 'v1', tenant } },
      canary: { labels: { namespace: 'ml', version: 'v2', tenant } },
    });
    const res = await request(app)
      .post('/v1/analyze')
      .send({
        labels: { destination_workload_namespace: 'ml' },
        baseline: { labels: { destination_version: 'v1' } },
        canary: { labels: { destination_version: 'v2' } },
        start: window.start,
        end: window.end,
        timelineStep: `${STEP}s`,
        metrics: [
          { name: 'errors', template: 'istio-error-rate' },
          { name: 'latency', template: 'istio-latency' },
          accuracy('acme'),
          accuracy('globex'),
          { name: 'shadow', template: 'shadow-pairs', canary: { labels: { pair: 'v1-v2' } }, baseline: { labels: { pair: 'v1-v1' } }, margin: { absolute: 0.02 }, accuracyMargin: 0.01 },
        ],
      });
    expect(res.status).toBe(200);
    expect(analyzeResponseSchema.safeParse(res.body).success).toBe(true);
    const byName = Object.fromEntries(res.body.metrics.map((m: { name: string }) => [m.name, m]));
    expect(res.body.verdict).toBe('fail');
    expect(res.body.reason).toContain('accuracy tenant=acme');
    const acme = byName['accuracy tenant=acme'];
    expect([acme.verdict, acme.reason]).toEqual(['fail', expect.stringMatching(/beyond the tolerated -1 pp.*labels: judged on/)]);
    expect(acme.queries.canary[0]).toContain('tenant="acme"');
    expect(byName['accuracy tenant=globex'].verdict).not.toBe('fail');
    expect(byName.errors.verdict).not.toBe('fail');
    expect(byName.latency.verdict).not.toBe('fail');
    // acme's misses (40 % of the traffic x a 40 pp gap) make v1 and v2 disagree on ~16 % of the requests, the floor on ~1 %.
    const shadow = byName.shadow;
    expect(shadow.kind).toBe('paired');
    expect(shadow.verdict).toBe('fail');
    expect(shadow.reason).toMatch(/disagreement: v1 and v2 answered [\d,]+ of [\d,]+ compared requests differently \((1[0-9]|2[0-2])(\.\d+)?%\), two replicas of v1 [\d,]+ of [\d,]+ \(the noise floor, [0-2](\.\d+)?%\)/);
    expect(shadow.reason).toMatch(/v1 alone was right on [\d,]+ and v2 alone on 0 /);
  }, 20_000);
});
