/**
 * The demo fleet's labelled quality (demo/fleet.ts, `labelled`): a tenant on every request, the
 * predictions counted by prediction-time bucket at once and their outcomes only when the labels
 * arrive (a lognormal delay later), and the scenario of issue 25 item 4: v2 as fast and as
 * reliable as v1 but right only half the time for one tenant (acme; 90 % for the other). Light: a few seconds of real
 * time, 1-second buckets, no Prometheus. The fleet's own counters, scraped from its /metrics, are
 * judged per tenant as inline labelled metrics (one metric per tenant, as docs/model-quality.md
 * says for segments of a labelled metric): the judge fails v2, naming acme's accuracy.
 */
import request from 'supertest';
import { createFleet, HEALTHY, LABELLED_OUTCOMES_COUNTER, LABELLED_PREDICTIONS_COUNTER, type Fleet, type Version } from '../../demo/fleet';
import { testApp } from '../support/app';
import { samples, sumOf as sum } from '../support/exposition';

const scrape = async (fleet: Fleet, version: Version) => (await fetch(`http://${fleet.endpoints[version]}/metrics`)).text();

describe('the demo fleet with labelled quality and tenants', () => {
  let fleet: Fleet;
  let start: number;
  let end: number;
  let scrapedAt: number;
  const scraped: Partial<Record<Version, string>> = {};

  beforeAll(async () => {
    fleet = await createFleet({
      seed: 7,
      labelled: { delaySeconds: 1, bucketSeconds: 1, tenants: { acme: 40, globex: 60 }, accuracy: { v1: { default: 0.9 }, v2: { default: 0.9, acme: 0.5 } } },
    });
    start = Math.floor(Date.now() / 1000);
    // Three seconds of traffic on both versions, then the labels' time to arrive.
    while (Date.now() / 1000 < start + 3) {
      await Promise.all((['v1', 'v2'] as const).flatMap((v) => Array.from({ length: 40 }, () => fetch(`http://${fleet.endpoints[v]}/predict`, { method: 'POST', body: '{}' }).then((r) => r.text()))));
    }
    end = Math.floor(Date.now() / 1000);
    const early = await scrape(fleet, 'v2');
    scraped.v2 = early; // checked below: predictions counted, few labels yet
    await new Promise((resolve) => setTimeout(resolve, 5000));
    scrapedAt = Math.floor(Date.now() / 1000);
    scraped.v1 = await scrape(fleet, 'v1');
    scraped.v2 = `${early}\n#late\n${await scrape(fleet, 'v2')}`;
  }, 30_000);
  afterAll(() => fleet?.close());

  const late = (v: Version) => (v === 'v2' ? scraped.v2!.split('\n#late\n')[1] : scraped.v1!);

  it('counts predictions by prediction time at once, and their outcomes only once labels arrive', () => {
    const early = scraped.v2!.split('\n#late\n')[0];
    const predicted = sum(samples(early, LABELLED_PREDICTIONS_COUNTER));
    expect(predicted).toBeGreaterThan(200);
    // Labels arrive a lognormal delay (median 1 s) later: right after the traffic, the latest second's are missing.
    expect(sum(samples(early, LABELLED_OUTCOMES_COUNTER))).toBeLessThan(predicted);
    const after = samples(late('v2'), LABELLED_OUTCOMES_COUNTER);
    expect(sum(after)).toBeGreaterThan(0.95 * sum(samples(late('v2'), LABELLED_PREDICTIONS_COUNTER)));
    for (const s of after) {
      expect(s.labels).toMatchObject({ version: 'v2', app: 'model', namespace: 'ml' });
      expect(['true', 'false']).toContain(s.labels.correct);
      expect(['acme', 'globex']).toContain(s.labels.tenant);
      expect(Number(s.labels.predicted_at) % 1).toBe(0);
    }
    // The class mix keeps its own counter, unlabelled by time; Istio's requests carry the tenant.
    expect(samples(late('v2'), 'model_predictions_total').every((s) => s.labels.predicted_at === undefined && s.labels.class !== undefined)).toBe(true);
    expect(new Set(samples(late('v2'), 'istio_requests_total').map((s) => s.labels.tenant))).toEqual(new Set(['acme', 'globex']));
  });

  it('is judged per tenant: v2 fails on acme\'s accuracy, not on globex\'s', async () => {
    /** One side's per-second intervals of a tenant: correct, labelled, predicted. */
    const intervals = (v: Version, tenant: string) => {
      const text = late(v);
      const outcomes = samples(text, LABELLED_OUTCOMES_COUNTER).filter((s) => s.labels.tenant === tenant);
      const predictions = samples(text, LABELLED_PREDICTIONS_COUNTER).filter((s) => s.labels.tenant === tenant);
      // Every whole second up to the scrape: the latest interval ends (about) now, as the inline form says;
      // those after the traffic have no predictions.
      expect(end).toBeGreaterThan(start);
      const seconds = Array.from({ length: scrapedAt - start }, (_, i) => String(start + i));
      return seconds.map((t) => ({
        events: sum(outcomes.filter((s) => s.labels.predicted_at === t && s.labels.correct === 'true')),
        total: sum(outcomes.filter((s) => s.labels.predicted_at === t)),
        predictions: sum(predictions.filter((s) => s.labels.predicted_at === t)),
      }));
    };
    const metric = (tenant: string) => ({
      name: `accuracy tenant=${tenant}`,
      kind: 'proportion',
      direction: 'decrease',
      margin: { absolute: 0.01 },
      critical: true,
      labelDelay: '2s',
      intervalLength: '1s',
      baseline: { intervals: intervals('v1', tenant) },
      canary: { intervals: intervals('v2', tenant) },
    });
    const { app } = testApp();
    const res = await request(app).post('/v1/analyze').send({ metrics: [metric('acme'), metric('globex')] });
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.metrics.map((m: { name: string; verdict: string }) => [m.name, m]));
    expect([byName['accuracy tenant=acme'].verdict, byName['accuracy tenant=acme'].reason]).toEqual(['fail', expect.stringMatching(/^failed at interval .*beyond the tolerated -1 pp.*labels: judged on/)]);
    expect(byName['accuracy tenant=globex'].verdict).not.toBe('fail');
    expect(res.body.verdict).toBe('fail');
    expect(res.body.reason).toContain('accuracy tenant=acme');
  });

  it('v1 and v2 serve alike (same latency and error behaviour): only accuracy tells them apart', () => {
    expect(fleet.behaviour('v2')).toEqual(fleet.behaviour('v1'));
    expect(fleet.behaviour('v1')).toEqual(HEALTHY);
  });
});
