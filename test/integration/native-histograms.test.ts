/**
 * Native histograms in a real Prometheus (2.42, `--enable-feature=native-histograms`) scraping a
 * protobuf exposition served here on 127.0.0.1 (test/support/native-exposition.ts). The
 * exposition carries a whole ten-minute rollout at once, each sample with its own timestamp one
 * minute apart (Prometheus keeps exposed timestamps), so one scrape stores it all and increase()
 * over a minute sees exactly the samples at both ends: the counts Prometheus answers are the
 * observations' own, and every expected count comes from test/fixtures/native-histograms.py.
 *
 * Checked: every interval of a timeline and the whole window read exactly (a canary whose
 * process restarted mid-rollout: a counter reset of the whole histogram); the verdict equals
 * that of the same observations in classic buckets of the same resolution; a coarser schema on
 * one side is reduced (the verdict of both sides at that schema), not misread; during a migration
 * a side's native series, classic-only series and a series in both forms (a second target)
 * count each observation once.
 *
 * Skipped with a message when no Prometheus binary is found (except with CI=true).
 */
import request from 'supertest';
import fixture from '../fixtures/native-histograms.json';
import type { HistogramBucket, ValuesSide } from '../../src/judge/types';
import type { TemplateMetric } from '../../src/sources/metric-source';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { testApp } from '../support/app';
import { encodeExposition, PROTOBUF_CONTENT_TYPE, type ExposedFamily, type ExposedMetric } from '../support/native-exposition';
import { findPrometheus, prometheusMissingMessage, startPrometheus, waitForSamples, type PrometheusServer } from '../support/prometheus';
import { startServer, type TestServer } from '../sources/fake-prometheus';

const binary = findPrometheus();
const inCi = process.env.CI === 'true';
if (!binary && !inCi) console.warn(`Skipping native-histograms.test.ts. ${prometheusMissingMessage()}`);
const describeWithPrometheus = binary || inCi ? describe : describe.skip;

interface Exposed {
  readonly s3: readonly (readonly [number, number])[];
  readonly s0: readonly (readonly [number, number])[];
  readonly classic: readonly number[];
  readonly migration: readonly number[];
  readonly count: number;
  readonly sum: number;
}
type Pairs = readonly (readonly [number, number])[];
const TL = fixture.timeline as unknown as {
  points: number[];
  les: number[];
  pow2: number[];
  baseline: { all: Exposed; atOrBelow: Pairs }[];
  canary: { all: Exposed; pods: Record<'c1' | 'c2' | 'c3', Exposed>; atOrBelow: Pairs; atOrBelowPow2: Pairs }[];
};
const INTERVALS = TL.baseline.length;
/** The canary's process restarts right after this point: its counters begin again. */
const RESTART_AFTER = 6;
/** Whole minutes, 20 minutes back: well within what Prometheus' head block accepts. */
const T0 = (Math.floor(Date.now() / 60_000) - 20) * 60;
const at = (k: number) => T0 + 60 * k;
const WINDOW = { start: at(0), end: at(INTERVALS) };

/** The chunks observed up to point k (point 0: none yet), restarting after `restart` if given. */
function observedUntil(chunks: readonly Exposed[], k: number, restart?: number): Exposed[] {
  const from = restart !== undefined && k > restart ? restart : 0;
  return chunks.slice(from, k);
}

function nativeAt(chunks: readonly Exposed[], schema: 's3' | 's0') {
  const byIndex = new Map<number, number>();
  for (const c of chunks) for (const [index, n] of c[schema]) byIndex.set(index, (byIndex.get(index) ?? 0) + n);
  const count = chunks.reduce((n, c) => n + c.count, 0);
  return { schema: schema === 's3' ? 3 : 0, zeroThreshold: 2 ** -128, zeroCount: 0, buckets: [...byIndex.entries()], count, sum: chunks.reduce((x, c) => x + c.sum, 0) };
}

function classicAt(chunks: readonly Exposed[], field: 'classic' | 'migration', bounds: readonly number[]) {
  const cumulative = bounds.map((_, i) => chunks.reduce((n, c) => n + c[field][i], 0));
  return { classic: bounds.map((le, i) => [le, cumulative[i]] as const), count: chunks.reduce((n, c) => n + c.count, 0), sum: chunks.reduce((x, c) => x + c.sum, 0) };
}

/** One series' history: a sample at every point 0..INTERVALS. */
function history(labels: Record<string, string>, sample: (k: number) => ExposedMetric['histogram']): ExposedMetric[] {
  return Array.from({ length: INTERVALS + 1 }, (_, k) => ({ labels: { ...labels, instance: labels.pod }, timestampMs: at(k) * 1000, histogram: sample(k) }));
}

const baselineChunks = TL.baseline.map((c) => c.all);
const canaryChunks = TL.canary.map((c) => c.all);
const pod = (name: string) => TL.canary.map((c) => c.pods[name as 'c1' | 'c2' | 'c3']);
const B = { pod: 'model-v1-a', version: 'v1' };
const C = { pod: 'model-v2-a', version: 'v2' };

/** What the first target exposes: every family but the migration's classic series (one exposition holds a family name once). */
function mainFamilies(): ExposedFamily[] {
  return [
    // Native, schema 3; the canary restarts mid-rollout.
    { name: 'model_latency_ms', metrics: [...history(B, (k) => nativeAt(observedUntil(baselineChunks, k), 's3')), ...history(C, (k) => nativeAt(observedUntil(canaryChunks, k, RESTART_AFTER), 's3'))] },
    // The same observations in classic buckets at the schema-3 bounds spanning them.
    {
      name: 'model_latency_classic_ms',
      metrics: [...history(B, (k) => classicAt(observedUntil(baselineChunks, k), 'classic', TL.points)), ...history(C, (k) => classicAt(observedUntil(canaryChunks, k), 'classic', TL.points))],
    },
    // The baseline at schema 0, the canary at schema 3; and both at schema 0.
    { name: 'model_latency_coarse_ms', metrics: [...history(B, (k) => nativeAt(observedUntil(baselineChunks, k), 's0')), ...history(C, (k) => nativeAt(observedUntil(canaryChunks, k), 's3'))] },
    { name: 'model_latency_s0_ms', metrics: [...history(B, (k) => nativeAt(observedUntil(baselineChunks, k), 's0')), ...history(C, (k) => nativeAt(observedUntil(canaryChunks, k), 's0'))] },
    {
      name: 'model_latency_migration_ms',
      metrics: [
        ...history(B, (k) => nativeAt(observedUntil(baselineChunks, k), 's3')),
        ...history({ pod: 'model-v2-c1', version: 'v2' }, (k) => nativeAt(observedUntil(pod('c1'), k), 's3')),
        ...history({ pod: 'model-v2-c3', version: 'v2' }, (k) => nativeAt(observedUntil(pod('c3'), k), 's3')),
      ],
    },
  ];
}

describeWithPrometheus('native histograms in a real Prometheus', () => {
  let main: TestServer | undefined;
  let twin: TestServer | undefined;
  let classicOnly: TestServer | undefined;
  let prometheus: PrometheusServer | undefined;
  let source: PrometheusSource;

  beforeAll(async () => {
    if (!binary) throw new Error(`CI=true and ${prometheusMissingMessage()}`);
    const serve = (families: ExposedFamily[]) => {
      const body = encodeExposition(families);
      return startServer((_req, res) => void res.writeHead(200, { 'Content-Type': PROTOBUF_CONTENT_TYPE }).end(body));
    };
    main = await serve(mainFamilies());
    // The classic-only pod, and the classic twin of a pod whose native histogram the first target
    // serves (the same labels, instance included): a target scraped with classic buckets kept.
    classicOnly = await serve([{ name: 'model_latency_migration_ms', metrics: history({ pod: 'model-v2-c2', version: 'v2' }, (k) => classicAt(observedUntil(pod('c2'), k), 'migration', TL.les)) }]);
    twin = await serve([{ name: 'model_latency_migration_ms', metrics: history({ pod: 'model-v2-c3', version: 'v2' }, (k) => classicAt(observedUntil(pod('c3'), k), 'migration', TL.les)) }]);
    prometheus = await startPrometheus({ targets: [main, classicOnly, twin].map((s) => `127.0.0.1:${s.port}`), scrapeIntervalSeconds: 0.5, features: ['native-histograms'], binary });
    await waitForSamples(prometheus.url, `count(count_over_time(model_latency_migration_ms_bucket[30m]) > ${INTERVALS})`, 2 * TL.les.length + 2, 20_000);
    source = new PrometheusSource(new PrometheusClient({ baseUrl: prometheus.url, queryTimeoutMs: 5000 }));
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([main, twin, classicOnly].map((s) => s?.close()));
  });

  const fetch = (metric: string, timeline: boolean, extra: Partial<TemplateMetric> = {}) =>
    source.fetch(
      { name: metric, template: 'histogram', metric, native: true, ...extra },
      { baseline: { version: 'v1' }, canary: { version: 'v2' }, window: WINDOW, signal: new AbortController().signal, ...(timeline ? { timelineStepSeconds: 60 } : {}) },
    );

  /** Each kept finite bound's count against the reference; the +Inf bucket against the total. */
  function expectExact(buckets: readonly HistogramBucket[], truth: Pairs, total: number): number {
    let checked = 0;
    for (const b of buckets) {
      if (b.le === Infinity) {
        expect(b.count).toBe(total);
        continue;
      }
      // Prometheus' bounds come from its own table of 2^(k/2^s): the reference's may differ in the last bit.
      const want = truth.find(([le]) => Math.abs(le - b.le) <= 1e-12 * le);
      if (!want) throw new Error(`bound ${b.le} is no bound of the reference`);
      expect([b.le, b.count]).toEqual([b.le, want[1]]);
      checked++;
    }
    return checked;
  }
  const histogramOf = (side: ValuesSide | { histogram: { buckets: readonly HistogramBucket[] } }) => {
    if (!('histogram' in side)) throw new Error('no histogram');
    return side.histogram.buckets;
  };

  it('reads every interval exactly, across the canary\'s restart (a counter reset of the whole histogram)', async () => {
    const fetched = await fetch('model_latency_ms', true);
    expect(fetched.kind).toBe('continuous');
    if (fetched.kind !== 'continuous') return;
    expect(fetched.queries.canary[0]).toBe('sum(increase(model_latency_ms{version="v2"}[60s]))');
    expect(fetched.canary.intervals).toHaveLength(INTERVALS);
    TL.canary.forEach((chunk, k) => expect(expectExact(histogramOf(fetched.canary.intervals![k] as never), chunk.atOrBelow, chunk.all.count)).toBeGreaterThan(10));
    TL.baseline.forEach((chunk, k) => expectExact(histogramOf(fetched.baseline.intervals![k] as never), chunk.atOrBelow, chunk.all.count));
  });

  it('reads the whole window exactly (increase() over the restart)', async () => {
    const fetched = await fetch('model_latency_ms', false);
    if (fetched.kind !== 'continuous') throw new Error('kind');
    const sum = (chunks: { atOrBelow: Pairs }[]) => chunks[0].atOrBelow.map(([le], i) => [le, chunks.reduce((n, c) => n + c.atOrBelow[i][1], 0)] as const);
    expect(expectExact(histogramOf(fetched.canary), sum(TL.canary), 3000)).toBeGreaterThan(10);
    expectExact(histogramOf(fetched.baseline), sum(TL.baseline), 6000);
  });

  it.each([
    ['a timeline', { timelineStep: '1m' }],
    ['the whole window', {}],
  ])('gives the verdict of the same observations in classic buckets of the same resolution (%s)', async (_name, timeline) => {
    const { app } = testApp({ analysis: { source } });
    const metrics = (metric: string, native: boolean) => [
      { name: `${metric} p95 5%`, template: 'histogram', metric, ...(native ? { native: true } : {}), statistic: 'p95', margin: { relative: 0.05 } },
      { name: `${metric} p50 100%`, template: 'histogram', metric, ...(native ? { native: true } : {}), statistic: 'p50', margin: { relative: 1 } },
      { name: `${metric} share above 128`, template: 'histogram', metric, ...(native ? { native: true } : {}), threshold: 128, margin: { relative: 0.5 } },
      { name: `${metric} distribution`, template: 'histogram', metric, ...(native ? { native: true } : {}), kind: 'distribution', margin: { absolute: 0.05 } },
    ];
    const res = await request(app)
      .post('/v1/analyze')
      .send({ metrics: [...metrics('model_latency_ms', true), ...metrics('model_latency_classic_ms', false)], baseline: { labels: { version: 'v1' } }, canary: { labels: { version: 'v2' } }, revisionFrom: 'labels', start: WINDOW.start, end: WINDOW.end, ...timeline });
    expect(res.status).toBe(200);
    const [native, classic] = [res.body.metrics.slice(0, 4), res.body.metrics.slice(4)];
    native.forEach((m: Record<string, Record<string, number>>, i: number) => {
      const c = classic[i];
      expect([m.name, m.verdict, m.effect, m.decidedAt]).toEqual([m.name, c.verdict, c.effect, c.decidedAt]);
      // The summaries interpolate inside buckets whose bounds Prometheus computed and the reference wrote: equal to 12 digits.
      for (const side of ['baseline', 'canary']) for (const [key, value] of Object.entries(c[side])) expect([side, key, m[side][key] === null ? null : Number((m[side][key] as number).toPrecision(12))]).toEqual([side, key, value === null ? null : Number((value as number).toPrecision(12))]);
    });
    // Not a comparison of two inconclusives only: the canary is 30 % slower.
    expect(native.map((m: { verdict: string }) => m.verdict)).toContain('fail');
    expect(native.map((m: { verdict: string }) => m.verdict)).toContain('pass');
  });

  it('reduces a coarser schema on one side to the verdict both sides give at that schema, and says so', async () => {
    const { app } = testApp({ analysis: { source } });
    const metric = (m: string, name: string, statistic: string | number, relative: number) => ({ name, template: 'histogram', metric: m, native: true, ...(typeof statistic === 'number' ? { threshold: statistic } : { statistic }), margin: { relative } });
    const res = await request(app)
      .post('/v1/analyze')
      .send({
        metrics: [metric('model_latency_coarse_ms', 'mixed p95', 'p95', 0.1), metric('model_latency_s0_ms', 'schema 0 p95', 'p95', 0.1), metric('model_latency_coarse_ms', 'mixed share above 128', 128, 0.5), metric('model_latency_s0_ms', 'schema 0 share above 128', 128, 0.5)],
        baseline: { labels: { version: 'v1' } },
        canary: { labels: { version: 'v2' } },
        revisionFrom: 'labels',
        start: WINDOW.start,
        end: WINDOW.end,
      });
    expect(res.status).toBe(200);
    const [mixed, coarse, mixedWide, coarseWide] = res.body.metrics;
    expect(mixed.verdict).toBe(coarse.verdict);
    expect(mixedWide.verdict).toBe(coarseWide.verdict);
    // Schema 0 buckets are 2x wide: a 10 % margin can never be decided, and the reason names the reduction.
    expect(mixed.verdict).toBe('inconclusive');
    expect(mixed.reason).toMatch(/too coarse to ever tell.*the canary's native histogram \(schema 3\) was compared on coarser buckets: .*the baseline's schema 0 \(each bucket 2x wide\)/);
    // 128 is a bound of every schema from 0 up: the share above it is exact on both, and decides.
    expect(mixedWide.verdict).toBe('fail');
    expect(mixedWide.effect).toEqual(coarseWide.effect);
  });

  it('counts each observation once during a migration (native, classic-only and both-forms series of one side)', async () => {
    const fetched = await fetch('model_latency_migration_ms', true);
    if (fetched.kind !== 'continuous') throw new Error('kind');
    expect(fetched.queries.canary[1]).toBe('sum by (le) (increase(model_latency_migration_ms_bucket{version="v2"}[60s]) unless ignoring (le) increase(model_latency_migration_ms{version="v2"}[60s]))');
    TL.canary.forEach((chunk, k) => {
      const buckets = histogramOf(fetched.canary.intervals![k] as never);
      const les = buckets.map((b) => b.le);
      expect(les).not.toContain(75);
      expect(les).not.toContain(150);
      expect(expectExact(buckets.filter((b) => !Number.isFinite(b.le) || TL.pow2.includes(b.le)), chunk.atOrBelowPow2, chunk.all.count)).toBeGreaterThanOrEqual(4);
    });
    expect(fetched.canary.reducedResolution?.join(' ')).toMatch(/series without a native histogram were read from their classic buckets \(a migration\)/);
  });
});
