/**
 * The demo fleet's shadow pairs (demo/fleet.ts, `shadow`): every request also answered by the
 * other version (pair="v1-v2") and by a second replica of v1 (pair="v1-v1", the noise floor),
 * agree/disagree at once and McNemar's outcomes once the request's label arrives, from the
 * accuracy model of `labelled`. Light: ~2 s of traffic, no Prometheus.
 *
 * Expected rates, from the model (one difficulty draw u per request, an answer right iff
 * u < its accuracy): with v1 at 0.9 everywhere and v2 at 0.5 for acme (40 % of the traffic),
 * v1 alone is right on P(0.5 <= u < 0.9) x 0.4 = 16 % of the pairs and v2 alone on none; the
 * v1-v2 pairs disagree on 0.16 + 0.84 x 0.03 = 18.52 %, the floor's on 1 %.
 */
import { createFleet, LABELLED_OUTCOMES_COUNTER, SHADOW_PAIRS_COUNTER, type Fleet, type Version } from '../../demo/fleet';
import { samples, sumOf, type Sample } from '../support/exposition';

const scrape = async (fleet: Fleet, version: Version) => (await fetch(`http://${fleet.endpoints[version]}/metrics`)).text();
const drive = async (fleet: Fleet, seconds: number) => {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    await Promise.all((['v1', 'v2'] as const).flatMap((v) => Array.from({ length: 50 }, () => fetch(`http://${fleet.endpoints[v]}/predict`, { method: 'POST', body: '{}' }).then((r) => r.text()))));
  }
};

describe('the demo fleet with shadow pairs', () => {
  let fleet: Fleet;
  const texts: Partial<Record<Version, string>> = {};
  const all = (name: string) => [...samples(texts.v1!, name), ...samples(texts.v2!, name)];
  const pairs = (pair: string, outcome: string, filter: (s: Sample) => boolean = () => true) =>
    sumOf(all(SHADOW_PAIRS_COUNTER).filter((s) => s.labels.pair === pair && s.labels.outcome === outcome && filter(s)));

  beforeAll(async () => {
    fleet = await createFleet({
      seed: 11,
      labelled: { delaySeconds: 0.3, bucketSeconds: 1, tenants: { acme: 40, globex: 60 }, accuracy: { v1: { default: 0.9 }, v2: { default: 0.9, acme: 0.5 } } },
      shadow: { disagreement: { v1: 0.01, v2: 0.03 }, noiseFloor: true },
    });
    await drive(fleet, 2);
    // Every label is in well within 3 s (median 0.3 s, lognormal sigma 0.5).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    texts.v1 = await scrape(fleet, 'v1');
    texts.v2 = await scrape(fleet, 'v2');
  }, 20_000);
  afterAll(() => fleet?.close());

  it('compares every successful request once per pair', () => {
    const stats = fleet.stats();
    const answered = stats.v1.requests - stats.v1.errors + stats.v2.requests - stats.v2.errors;
    expect(answered).toBeGreaterThan(500);
    for (const pair of ['v1-v2', 'v1-v1']) expect(pairs(pair, 'agree') + pairs(pair, 'disagree')).toBe(answered);
    for (const s of all(SHADOW_PAIRS_COUNTER)) expect(['acme', 'globex']).toContain(s.labels.tenant);
  });

  it('counts each labelled pair once, with the correctness each version\'s own labelled counter shows', () => {
    const compared = pairs('v1-v2', 'agree') + pairs('v1-v2', 'disagree');
    const labelled = ['both_correct', 'both_wrong', 'v1_only_correct', 'v2_only_correct'].reduce((a, o) => a + pairs('v1-v2', o), 0);
    expect(labelled).toBe(compared);
    // The receiving version's answer in a pair is the one its labelled outcomes count.
    const onPod = (v: Version) => (s: Sample) => s.labels.version === v;
    const right = (v: Version) => sumOf(samples(texts[v]!, LABELLED_OUTCOMES_COUNTER).filter((s) => s.labels.correct === 'true'));
    expect(pairs('v1-v2', 'both_correct', onPod('v1')) + pairs('v1-v2', 'v1_only_correct', onPod('v1'))).toBe(right('v1'));
    expect(pairs('v1-v2', 'both_correct', onPod('v2')) + pairs('v1-v2', 'v2_only_correct', onPod('v2'))).toBe(right('v2'));
    // v2 is nowhere more accurate than v1: it is never right alone; two replicas of v1 are always equally right.
    expect(pairs('v1-v2', 'v2_only_correct')).toBe(0);
    expect(pairs('v1-v1', 'v1_only_correct') + pairs('v1-v1', 'v2_only_correct')).toBe(0);
  });

  it('v1 alone is right on acme\'s accuracy gap, and the pairs disagree at the modelled rates', () => {
    const n = pairs('v1-v2', 'agree') + pairs('v1-v2', 'disagree');
    const near = (observed: number, p: number) => expect(Math.abs(observed / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    near(pairs('v1-v2', 'v1_only_correct'), 0.16);
    expect(pairs('v1-v2', 'v1_only_correct', (s) => s.labels.tenant === 'globex')).toBe(0); // same accuracy: no gap
    near(pairs('v1-v2', 'disagree'), 0.1852);
    near(pairs('v1-v1', 'disagree'), 0.01);
  });

  it('exports no shadow pairs unless asked', async () => {
    const plain = await createFleet({ seed: 11 });
    try {
      await fetch(`http://${plain.endpoints.v1}/predict`, { method: 'POST', body: '{}' }).then((r) => r.text());
      expect(await scrape(plain, 'v1')).not.toContain(SHADOW_PAIRS_COUNTER);
    } finally {
      await plain.close();
    }
  });
});
