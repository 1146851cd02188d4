/**
 * Native histograms through the validation stage (src/sources/validate/native-histograms.ts) and
 * the judge. Every expected count comes from test/fixtures/native-histograms.py (numpy over seeded
 * observations): the buckets Prometheus would hold at each schema, and how many observations lie
 * at or below each value. The properties:
 * - the cumulative count at every bound kept is exactly the number of observations at or below it
 *   (sides at different schemas, intervals at different schemas, different zero buckets, custom
 *   buckets, native and classic series of one side): reduced, never misread;
 * - no bound is kept inside a populated bucket of either side (the coarser schema and the wider
 *   zero bucket win where they hold observations);
 * - the verdict equals that of the same observations in classic buckets of the same resolution;
 * - a malformed histogram is a fault naming it, never data.
 */
import fixture from '../fixtures/native-histograms.json';
import { analyze } from '../../src/judge/analyze';
import type { HistogramBucket, MetricInput, ValuesSide } from '../../src/judge/types';
import type { NativeBucket, NativeHistogram } from '../../src/sources/prometheus/client';
import { SampleFaultError, type SampleFault } from '../../src/sources/validate/faults';
import type { AskedTimes, RawAnswer, RawMetric, RawSide } from '../../src/sources/validate/raw-answer';
import { validateMetric } from '../../src/sources/validate/validate-metric';

const T = 1700000600;
const INSTANT: AskedTimes = { times: [T], intervals: false };

interface FixtureNative {
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly buckets: readonly (readonly [number, number, number, number])[];
  readonly count: number;
  readonly sum: number;
}
type Pairs = readonly (readonly [number, number])[];
const S = fixture.scenarios as unknown as {
  healthy: Scenario;
  slower: Scenario;
  'zero-buckets': { native: { baseline: FixtureNative; canary: FixtureNative }; atOrBelow: { baseline: Pairs; canary: Pairs }; wide: number };
  custom: { bounds: number[]; custom: { baseline: [number, number, number, number][]; canary: [number, number, number, number][] }; classic: { baseline: [number | string, number][]; canary: [number | string, number][] }; count: { baseline: number; canary: number } };
  migration: { les: number[]; canaryNative: FixtureNative; canaryClassic: [number | string, number][]; baseline: FixtureNative; atOrBelow: { baseline: Pairs; canary: Pairs } };
};
interface Scenario {
  native: Record<string, { baseline: FixtureNative; canary: FixtureNative }>;
  classic: { baseline: [number | string, number][]; canary: [number | string, number][] };
  atOrBelow: { baseline: Pairs; canary: Pairs };
}

/** A fixture histogram as the query API writes it: the zero bucket [-z, z], then (lower, upper]. */
function asJson(h: FixtureNative, scale = 1): NativeHistogram {
  const buckets: NativeBucket[] = [];
  if (h.zeroCount) buckets.push({ rule: 3, lower: -h.zeroThreshold, upper: h.zeroThreshold, count: h.zeroCount * scale });
  for (const [, lower, upper, count] of h.buckets) buckets.push({ rule: 0, lower: Math.max(lower, h.zeroThreshold), upper, count: count * scale });
  return { count: h.count * scale, sum: h.sum * scale, buckets };
}
const customJson = (buckets: readonly (readonly [number, number, number, number])[], count: number): NativeHistogram => ({ count, sum: 0, buckets: buckets.map(([rule, lower, upper, n]) => ({ rule: rule as 0 | 3, lower, upper, count: n })) });

const answer = (query: string, histograms: readonly (NativeHistogram | undefined)[], times: readonly number[]): RawAnswer => {
  const samples = histograms.flatMap((h, k) => (h ? [[times[k], h] as const] : []));
  return { query, series: samples.length ? [{ metric: {}, samples: [], histograms: samples }] : [] };
};
const classicAnswer = (query: string, cumulative: readonly (readonly [number | string, number])[] | undefined, time = T): RawAnswer => ({
  query,
  series: (cumulative ?? []).map(([le, count]) => ({ metric: { le: String(le) }, samples: [[time, count] as const] })),
});
/** One side: its native histogram per asked time, and classic-only buckets (one series per bound) at the instant. */
function side(histograms: readonly (NativeHistogram | undefined)[], asked: AskedTimes, classic?: readonly (readonly [number | string, number])[]): RawSide {
  return {
    shape: 'native-histogram',
    native: answer('N', histograms, asked.times),
    classic: classicAnswer('C', classic),
    classicSeries: classicAnswer('S', classic?.map(([le]) => [le, 1] as const)),
  };
}

function validate(baseline: RawSide, canary: RawSide, asked: AskedTimes = INSTANT, bounds?: number[]): { baseline: ValuesSide; canary: ValuesSide } {
  const raw: RawMetric = { name: 'latency', kind: 'continuous', asked, baseline, canary, ...(bounds ? { bounds } : {}) };
  const out = validateMetric(raw);
  if (out.kind !== 'continuous') throw new Error('not continuous');
  return { baseline: out.baseline, canary: out.canary };
}

function bucketsOf(s: ValuesSide): readonly HistogramBucket[] {
  if (!('histogram' in s)) throw new Error('no histogram');
  return s.histogram.buckets;
}

/** Every kept bound's count against the reference (bounds the reference has; +Inf: the total). */
function expectTruth(s: ValuesSide, truth: Pairs, total: number): number {
  const at = new Map(truth.map(([le, n]) => [le, n]));
  let checked = 0;
  for (const b of bucketsOf(s)) {
    if (b.le === Infinity) {
      expect(b.count).toBe(total);
      continue;
    }
    if (!at.has(b.le)) continue;
    expect([b.le, b.count]).toEqual([b.le, at.get(b.le)]);
    checked++;
  }
  return checked;
}

/** No kept bound lies strictly inside a populated bucket of the given histograms. */
function expectNoBoundInside(s: ValuesSide, histograms: readonly NativeHistogram[]): void {
  for (const b of bucketsOf(s)) for (const h of histograms) for (const p of h.buckets) expect([b.le, p.lower < b.le && b.le < p.upper]).toEqual([b.le, false]);
}

function faultsOf(run: () => unknown): readonly SampleFault[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SampleFaultError);
    return (error as SampleFaultError).faults;
  }
  throw new Error('expected faults');
}

describe('native histograms on common bounds (counts from the numpy reference)', () => {
  const healthy = S.healthy;

  it('the same schema on both sides keeps every populated bucket bound, each count exact', () => {
    const { baseline, canary } = validate(side([asJson(healthy.native['3'].baseline)], INSTANT), side([asJson(healthy.native['3'].canary)], INSTANT));
    expect(expectTruth(baseline, healthy.atOrBelow.baseline, 20000)).toBeGreaterThan(30);
    expect(expectTruth(canary, healthy.atOrBelow.canary, 10000)).toBeGreaterThan(30);
    expect(bucketsOf(baseline).map((b) => b.le)).toEqual(bucketsOf(canary).map((b) => b.le));
    expect(baseline.reducedResolution).toBeUndefined();
  });

  it.each([0, 1, 2])('a canary at schema 3 against a baseline at schema %i is reduced where the baseline holds observations, not misread', (coarse) => {
    const b = asJson(healthy.native[String(coarse)].baseline);
    const c = asJson(healthy.native['3'].canary);
    const { baseline, canary } = validate(side([b], INSTANT), side([c], INSTANT));
    expectTruth(baseline, healthy.atOrBelow.baseline, 20000);
    expectTruth(canary, healthy.atOrBelow.canary, 10000);
    expectNoBoundInside(canary, [b, c]);
    // Where the baseline holds observations only its (coarser) bounds remain, every one of them.
    const [low, high] = [b.buckets[0].lower, b.buckets[b.buckets.length - 1].upper];
    const within = bucketsOf(canary).map((x) => x.le).filter((le) => le >= low && le <= high);
    expect(within).toEqual([...new Set(b.buckets.flatMap((x) => [x.lower, x.upper]))].sort((x, y) => x - y));
    expect(canary.reducedResolution?.join(' ')).toMatch(new RegExp(`the canary's native histogram \\(schema 3\\) was compared on coarser buckets: \\d+ of its \\d+ bucket bounds .* lie inside populated buckets of the baseline's schema ${coarse} \\(each bucket ${Number((2 ** (2 ** -coarse)).toPrecision(3))}x wide\\)`));
    expect(baseline.reducedResolution).toBeUndefined();
  });

  it('intervals at different schemas are reduced together (a pod restarted with another schema)', () => {
    const asked: AskedTimes = { times: [T, T + 60], intervals: true };
    const slower = S.slower;
    const { baseline, canary } = validate(side([asJson(healthy.native['3'].baseline), asJson(slower.native['3'].baseline)], asked), side([asJson(healthy.native['3'].canary), asJson(slower.native['1'].canary)], asked), asked);
    const [first, second] = canary.intervals!.map((i) => ('histogram' in i ? i.histogram.buckets : []));
    expect(first.map((b) => b.le)).toEqual(second.map((b) => b.le));
    const lowerSchema = asJson(slower.native['1'].canary);
    for (const b of first) for (const p of lowerSchema.buckets) expect(p.lower < b.le && b.le < p.upper).toBe(false);
    expectTruth({ histogram: { buckets: first } }, healthy.atOrBelow.canary, 10000);
    expectTruth({ histogram: { buckets: second } }, slower.atOrBelow.canary, 10000);
    // The cumulative side is the sum of its intervals.
    expect(bucketsOf(canary).at(-1)!.count).toBe(20000);
    expect(bucketsOf(baseline).at(-1)!.count).toBe(40000);
  });

  it('a wider zero bucket merges the buckets it covers on the other side', () => {
    const z = S['zero-buckets'];
    const b = asJson(z.native.baseline);
    const c = asJson(z.native.canary);
    expect(b.buckets[0]).toEqual({ rule: 3, lower: -z.wide, upper: z.wide, count: expect.any(Number) });
    expect(c.buckets.filter((p) => p.upper <= z.wide).length).toBeGreaterThan(3);
    const { baseline, canary } = validate(side([b], INSTANT), side([c], INSTANT));
    const les = bucketsOf(canary).map((x) => x.le);
    expect(les.filter((le) => le > -z.wide && le < z.wide)).toEqual([]);
    expect(les).toContain(z.wide);
    expect(expectTruth(canary, z.atOrBelow.canary, 5000)).toBeGreaterThan(10);
    expectTruth(baseline, z.atOrBelow.baseline, 5000);
    expect(canary.reducedResolution?.join(' ')).toContain(`the baseline's zero bucket [${-z.wide}, ${z.wide}]`);
  });

  it('custom-bucket (NHCB) histograms read as their bounds: the same buckets as the classic histogram they came from', () => {
    const c = S.custom;
    const { baseline, canary } = validate(side([customJson(c.custom.baseline, c.count.baseline)], INSTANT), side([customJson(c.custom.canary, c.count.canary)], INSTANT));
    const classic = (rows: [number | string, number][]) => rows.map(([le, n]) => [le === '+Inf' ? Infinity : Number(le), n]);
    // Only the bounds of populated buckets are listed; each has the classic histogram's count.
    for (const [s, rows] of [[baseline, c.classic.baseline], [canary, c.classic.canary]] as const) {
      const want = new Map(classic(rows) as [number, number][]);
      for (const b of bucketsOf(s)) expect([b.le, b.count]).toEqual([b.le, want.get(b.le)]);
      expect(bucketsOf(s).length).toBeGreaterThan(5);
    }
  });

  it('a migration: native series plus the classic buckets of series without one, each observation once, on the bounds both share', () => {
    const m = S.migration;
    const { baseline, canary } = validate(side([asJson(m.baseline)], INSTANT), side([asJson(m.canaryNative)], INSTANT, m.canaryClassic));
    const les = bucketsOf(canary).map((b) => b.le);
    // Powers of two are bounds of schema 3 too; 75 and 150 lie inside native buckets and cannot be kept.
    expect(les).toEqual(expect.arrayContaining([16, 32, 64, 128, 256]));
    expect(les).not.toContain(75);
    expect(les).not.toContain(150);
    expect(expectTruth(canary, m.atOrBelow.canary, 6000)).toBeGreaterThanOrEqual(5);
    expectTruth(baseline, m.atOrBelow.baseline, 12000);
    expect(canary.reducedResolution?.join(' ')).toMatch(/the canary's series without a native histogram were read from their classic buckets \(a migration\)/);
    expect(canary.reducedResolution?.join(' ')).toMatch(/inside populated buckets of .*the canary's classic buckets/);
  });

  it('keeps a threshold as a bound where no populated bucket straddles it, and only there', () => {
    const h = S.healthy.native['3'];
    const empty = 1e6; // far above every observation: every count is exact there
    const inside = (h.canary.buckets[5][1] + h.canary.buckets[5][2]) / 2;
    const { canary } = validate(side([asJson(h.baseline)], INSTANT), side([asJson(h.canary)], INSTANT), INSTANT, [empty, inside]);
    const les = bucketsOf(canary).map((b) => b.le);
    expect(les).toContain(empty);
    expect(les).not.toContain(inside);
    expect(bucketsOf(canary).find((b) => b.le === empty)!.count).toBe(10000);
  });

  it('more exact bounds than the limit of 1,000 buckets: neighbouring buckets merged in pairs, every remaining count exact', () => {
    // Schema 8 over a factor of 32: 1,280 buckets of one observation each; the count at or below a bucket's upper edge is its rank.
    const buckets: NativeBucket[] = Array.from({ length: 1280 }, (_, i) => ({ rule: 0, lower: 2 ** (i / 256), upper: 2 ** ((i + 1) / 256), count: 1 }));
    const h: NativeHistogram = { count: 1280, sum: 0, buckets };
    const rank = new Map(buckets.map((b, i) => [b.upper, i + 1]));
    const { canary } = validate(side([h], INSTANT), side([h], INSTANT), INSTANT, [buckets[101].upper]);
    const kept = bucketsOf(canary);
    expect(kept.length).toBeLessThanOrEqual(1000);
    expect(kept.length).toBeGreaterThan(320);
    for (const b of kept) if (Number.isFinite(b.le) && b.le !== 1) expect([b.le, b.count]).toEqual([b.le, rank.get(b.le)]);
    expect(kept.map((b) => b.le)).toContain(buckets[101].upper);
    expect(canary.reducedResolution?.join(' ')).toMatch(/1281 exact bounds exceed the limit of 1,000 buckets per histogram, so neighbouring buckets were merged in pairs once/);
  });

  it('sides without any histogram are empty (no data), and an interval without one counts 0', () => {
    expect(validate(side([], INSTANT), side([], INSTANT))).toEqual({ baseline: { values: [] }, canary: { values: [] } });
    const asked: AskedTimes = { times: [T, T + 60], intervals: true };
    const h = S.healthy.native['3'];
    const { canary } = validate(side([asJson(h.baseline), asJson(h.baseline)], asked), side([undefined, asJson(h.canary)], asked), asked);
    const [first] = canary.intervals!.map((i) => ('histogram' in i ? i.histogram.buckets : []));
    expect(first.every((b) => b.count === 0)).toBe(true);
  });

  it('fractional counts from increase() are summed whole buckets at a time, then rounded', () => {
    const h = S.healthy.native['3'];
    const { canary } = validate(side([asJson(h.baseline)], INSTANT), side([asJson(h.canary, 1.5)], INSTANT));
    const truth = new Map(h.canary.buckets.length ? S.healthy.atOrBelow.canary.map(([le, n]) => [le, n]) : []);
    for (const b of bucketsOf(canary)) if (truth.has(b.le)) expect(b.count).toBe(Math.round(truth.get(b.le)! * 1.5));
  });
});

describe('the judge on native histograms and on classic buckets of the same resolution', () => {
  const classicSide = (rows: [number | string, number][]): ValuesSide => ({ histogram: { buckets: rows.map(([le, count]) => ({ le: le === '+Inf' ? Infinity : Number(le), count })) } });
  const judge = (baseline: ValuesSide, canary: ValuesSide, extra: Partial<Extract<MetricInput, { kind: 'continuous' }>> = {}) =>
    analyze({ metrics: [{ name: 'latency', kind: 'continuous', quantile: 0.95, margin: { relative: 0.1 }, critical: true, baseline, canary, ...extra }] }).metrics[0];

  it.each([
    ['healthy', 'p95 +10 %', {}],
    ['slower', 'p95 +10 %', {}],
    ['slower', 'p95 +5 %', { margin: { relative: 0.05 } }],
    ['healthy', 'p95 +20 %', { margin: { relative: 0.2 } }],
    ['healthy', 'p50 +5 %', { quantile: 0.5, margin: { relative: 0.05 } }],
    ['slower', 'the share above a bound', { threshold: 128 }],
  ] as const)('%s canary, %s: the same verdict, effect and bounds', (name, _what, extra) => {
    const s = S[name];
    const native = validate(side([asJson(s.native['3'].baseline)], INSTANT), side([asJson(s.native['3'].canary)], INSTANT), INSTANT, 'threshold' in extra ? [extra.threshold] : undefined);
    const fromNative = judge(native.baseline, native.canary, extra);
    const fromClassic = judge(classicSide(s.classic.baseline), classicSide(s.classic.canary), extra);
    expect(fromNative.verdict).toBe(fromClassic.verdict);
    expect(fromNative.effect).toEqual(fromClassic.effect);
    expect(fromNative.baseline).toEqual(fromClassic.baseline);
    expect(fromNative.canary).toEqual(fromClassic.canary);
  });

  it('is decisive on these data (the comparison above is not between two inconclusives)', () => {
    const s = S.slower;
    const native = validate(side([asJson(s.native['3'].baseline)], INSTANT), side([asJson(s.native['3'].canary)], INSTANT));
    // Schema 3 buckets are 9 % wide: bounded by bucket edges, p95 +30 % is known to be above +9 %, so a 5 % margin decides.
    expect(judge(native.baseline, native.canary, { margin: { relative: 0.05 } }).verdict).toBe('fail');
    const h = S.healthy;
    const ok = validate(side([asJson(h.native['3'].baseline)], INSTANT), side([asJson(h.native['3'].canary)], INSTANT));
    expect(judge(ok.baseline, ok.canary, { margin: { relative: 0.2 } }).verdict).toBe('pass');
  });

  it('a coarser baseline (schema 0) gives the verdict both sides give at schema 0, and says what it cost when the buckets cannot decide', () => {
    const s = S.slower;
    const mixed = validate(side([asJson(s.native['0'].baseline)], INSTANT), side([asJson(s.native['3'].canary)], INSTANT));
    const coarse = validate(side([asJson(s.native['0'].baseline)], INSTANT), side([asJson(s.native['0'].canary)], INSTANT));
    expect(judge(mixed.baseline, mixed.canary).verdict).toBe(judge(coarse.baseline, coarse.canary).verdict);
    // Schema 0 buckets are 2x wide: a +10 % margin on p95 can never be decided there.
    const healthy = validate(side([asJson(S.healthy.native['0'].baseline)], INSTANT), side([asJson(S.healthy.native['3'].canary)], INSTANT));
    const result = judge(healthy.baseline, healthy.canary);
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/too coarse to ever tell.*the canary's native histogram \(schema 3\) was compared on coarser buckets: .* the baseline's schema 0 \(each bucket 2x wide\)/);
  });
});

describe('malformed native histograms are faults, never data', () => {
  const good = (): NativeHistogram => asJson(S.healthy.native['3'].canary);
  const base = side([asJson(S.healthy.native['3'].baseline)], INSTANT);
  const broken = (edit: (h: { count: number; sum: number; buckets: NativeBucket[] }) => void): RawSide => {
    const h = good();
    const copy = { count: h.count, sum: h.sum, buckets: h.buckets.map((b) => ({ ...b })) };
    edit(copy);
    return side([copy], INSTANT);
  };
  const codes = (canary: RawSide) => faultsOf(() => validate(base, canary)).map((f) => f.code);

  it.each<[string, (h: { count: number; sum: number; buckets: NativeBucket[] }) => void, string]>([
    ['a NaN count', (h) => void (h.count = NaN), 'native-bad-count'],
    ['an infinite count', (h) => void (h.count = Infinity), 'native-bad-count'],
    ['a NaN bucket count', (h) => void (h.buckets[3] = { ...h.buckets[3], count: NaN }), 'native-bad-count'],
    ['a negative bucket count', (h) => void (h.buckets[3] = { ...h.buckets[3], count: -40 }), 'native-bad-count'],
    ['a negative count', (h) => void (h.count = -3), 'native-bad-count'],
    ['overlapping buckets', (h) => void (h.buckets[4] = { ...h.buckets[4], lower: h.buckets[3].lower }), 'native-overlapping-buckets'],
    ['unsorted buckets', (h) => void h.buckets.reverse(), 'native-overlapping-buckets'],
    ['two buckets sharing an edge value ([a, b] then [b, c])', (h) => void (h.buckets[3] = { ...h.buckets[3], rule: 3 }, h.buckets[4] = { ...h.buckets[4], rule: 3 }), 'native-overlapping-buckets'],
    ['a bucket whose lower edge is above its upper edge', (h) => void (h.buckets[2] = { ...h.buckets[2], lower: h.buckets[2].upper + 1 }), 'native-bad-bucket'],
    ['a bucket with a NaN edge', (h) => void (h.buckets[2] = { ...h.buckets[2], upper: NaN }), 'native-bad-bucket'],
    ['a count above the buckets\' sum', (h) => void (h.count += 25), 'native-count-mismatch'],
    ['a count below the buckets\' sum', (h) => void (h.count -= 1), 'native-count-mismatch'],
  ])('%s', (_name, edit, code) => {
    expect(codes(broken(edit))).toContain(code);
  });

  it('a number where a native histogram was asked for (the metric is a float series)', () => {
    const canary: RawSide = { ...side([], INSTANT), native: { query: 'N', series: [{ metric: {}, samples: [[T, 12]] }] } } as RawSide;
    const [fault] = faultsOf(() => validate(base, canary));
    expect(fault).toMatchObject({ code: 'native-not-histogram', side: 'canary', role: 'native-histogram', value: 12 });
  });

  it('names the bucket and the side in the message', () => {
    const error = (() => {
      try {
        validate(base, broken((h) => void (h.buckets[3] = { ...h.buckets[3], count: -40 })));
      } catch (e) {
        return e as SampleFaultError;
      }
      throw new Error('no fault');
    })();
    const b = good().buckets[3];
    expect(error.message).toContain(`metric "latency" (canary), native-histogram series {}`);
    expect(error.message).toContain(`the count of the native histogram's bucket (${b.lower}, ${b.upper}] is -40`);
  });

  it('two series where the sum() groups to one, and a histogram at an unasked time', () => {
    const h = good();
    const twice: RawSide = { ...side([], INSTANT), native: { query: 'N', series: [{ metric: { pod: 'a' }, samples: [], histograms: [[T, h]] }, { metric: { pod: 'b' }, samples: [], histograms: [[T, h]] }] } } as RawSide;
    expect(codes(twice)).toContain('extra-series');
    const late: RawSide = { ...side([], INSTANT), native: { query: 'N', series: [{ metric: {}, samples: [], histograms: [[T + 30, h]] }] } } as RawSide;
    expect(codes(late)).toContain('unasked-time');
  });

  it('the classic-only part keeps the classic checks (no +Inf bucket)', () => {
    const canary = side([good()], INSTANT, [[64, 10], [128, 20]]);
    expect(codes(canary)).toContain('no-inf-bucket');
  });
});
