/**
 * The validation stage alone (src/sources/validate/): raw answers in, the judge's sides or the
 * faults out. Inputs are frozen to show the stage never mutates what the fetcher handed over.
 */
import { formatFault, MAX_FAULTS_KEPT, SampleFaultError, type SampleFault } from '../../src/sources/validate/faults';
import type { AskedTimes, RawAnswer, RawMetric, RawSide } from '../../src/sources/validate/raw-answer';
import { validateMetric } from '../../src/sources/validate/validate-metric';

const T = 1700000600;
const INSTANT: AskedTimes = { times: [T], intervals: false };
const STEP = 60;
const grid = (n: number): AskedTimes => ({ times: Array.from({ length: n }, (_, k) => T + (k + 1) * STEP), intervals: true });

type Series = readonly [Record<string, string>, readonly (readonly [number, number])[]];
const answer = (query: string, series: readonly Series[]): RawAnswer => ({ query, series: series.map(([metric, samples]) => ({ metric, samples })) });
/** Instant series: one sample at T. */
const at = (labels: Record<string, string>, value: number): Series => [labels, [[T, value]]];

const counts = (events: readonly Series[], total: readonly Series[]): RawSide => ({ shape: 'proportion', events: answer('E', events), total: answer('N', total) });
/** Bucket counts, and how many series have each bound: one each (the samples' times), unless given. */
const histogram = (series: readonly Series[], seriesPerBound?: readonly Series[]): RawSide => ({
  shape: 'histogram',
  buckets: answer('B', series),
  bucketSeries: answer('S', seriesPerBound ?? series.map(([labels, samples]) => [labels, samples.map(([t]) => [t, 1] as const)] as const)),
});
const categories = (series: readonly Series[]): RawSide => ({ shape: 'categorical', by: 'class', categories: answer('C', series) });
const HEALTHY_COUNTS = counts([at({}, 5)], [at({}, 1000)]);
const HEALTHY_HISTOGRAM = histogram([at({ le: '100' }, 90), at({ le: '+Inf' }, 100)]);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function validate(kind: RawMetric['kind'], canary: RawSide, baseline: RawSide, asked: AskedTimes = INSTANT) {
  return validateMetric(deepFreeze({ name: 'm', kind, asked, baseline, canary }));
}

/** The faults the stage throws, or fails the test when it does not. */
function faultsOf(run: () => unknown): readonly SampleFault[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SampleFaultError);
    expect((error as SampleFaultError).reason).toBe('invalid-samples');
    return (error as SampleFaultError).faults;
  }
  throw new Error('expected the validation stage to refuse the answers');
}

describe('counts (proportion)', () => {
  it('one sum() series per query: rounded counts, none means 0', () => {
    expect(validate('proportion', counts([], [at({}, 99.6)]), counts([at({}, 12.4999)], [at({}, 9899.6)]))).toEqual({
      kind: 'proportion',
      baseline: { events: 12, total: 9900 },
      canary: { events: 0, total: 100 },
    });
  });

  it.each<[string, number, Partial<SampleFault>]>([
    ['NaN (or a stale marker)', NaN, { code: 'nan' }],
    ['+Inf', Infinity, { code: 'infinite', value: Infinity }],
    ['-Inf', -Infinity, { code: 'infinite', value: -Infinity }],
    ['a counter that went down', -40, { code: 'negative-count', value: -40 }],
  ])('an events count that is %s is a fault, placed, never zero', (_name, value, fault) => {
    const faults = faultsOf(() => validate('proportion', counts([at({}, value)], [at({}, 1000)]), HEALTHY_COUNTS));
    expect(faults).toEqual([{ metric: 'm', side: 'canary', role: 'events', query: 'E', series: {}, at: T, ...fault }]);
  });

  it('a sum() answered with copies of its series is duplicate-series; with different series extra-series', () => {
    const copies = faultsOf(() => validate('proportion', counts([at({}, 5), at({}, 5), at({}, 5)], [at({}, 1000)]), HEALTHY_COUNTS));
    expect(copies).toEqual([expect.objectContaining({ code: 'duplicate-series', copies: 3, side: 'canary', role: 'events' })]);
    const split = faultsOf(() => validate('proportion', HEALTHY_COUNTS, counts([at({}, 5)], [at({ pod: 'a' }, 600), at({ pod: 'b' }, 400)])));
    expect(split).toEqual([expect.objectContaining({ code: 'extra-series', count: 2, series: { pod: 'a' }, other: { pod: 'b' }, side: 'baseline', role: 'total' })]);
  });

  it('requests the callers\' proxies failed are added to events and total, and reported by flags; a NaN there is a fault', () => {
    const withFailed = (flags: readonly Series[]): RawSide => ({ shape: 'proportion', events: answer('E', [at({}, 5)]), total: answer('N', [at({}, 1000)]), clientFailed: answer('F', flags) });
    expect(validate('proportion', withFailed([at({ response_flags: 'UH' }, 7), at({ response_flags: 'URX,UF' }, 3)]), withFailed([]))).toEqual({
      kind: 'proportion',
      baseline: { events: 5, total: 1000 },
      canary: { events: 15, total: 1010 },
      clientSide: { baseline: { count: 0, flags: {} }, canary: { count: 10, flags: { UH: 7, 'URX,UF': 3 } } },
    });
    const faults = faultsOf(() => validate('proportion', withFailed([at({ response_flags: 'UH' }, NaN)]), withFailed([])));
    expect(faults).toEqual([expect.objectContaining({ code: 'nan', role: 'client-failed', query: 'F', series: { response_flags: 'UH' }, side: 'canary' })]);
  });

  it('events above the total: clamped within the slack of separate extrapolation, a fault beyond it', () => {
    expect(validate('proportion', counts([at({}, 1009)], [at({}, 1000)]), HEALTHY_COUNTS)).toMatchObject({ canary: { events: 1000, total: 1000 } });
    const faults = faultsOf(() => validate('proportion', counts([at({}, 1020)], [at({}, 1000)]), HEALTHY_COUNTS));
    expect(faults).toEqual([expect.objectContaining({ code: 'events-exceed-total', events: 1020, total: 1000, at: T })]);
  });

  it('a timeline: one interval per asked time; a missing sample counts 0; unasked and repeated times are faults', () => {
    const g = grid(3);
    const [t1, t2, t3] = g.times;
    const side = counts([[{}, [[t1, 1], [t3, 2]]]], [[{}, [[t1, 100], [t2, 100], [t3, 100]]]]);
    expect(validate('proportion', side, side, g)).toMatchObject({
      canary: { events: 3, total: 300, intervals: [{ events: 1, total: 100 }, { events: 0, total: 100 }, { events: 2, total: 100 }] },
    });
    // A backend answers within a millisecond of the asked times (it keeps milliseconds).
    const rounded = counts([], [[{}, [[t1 + 0.0004, 100]]]]);
    expect(validate('proportion', rounded, rounded, g)).toMatchObject({ canary: { total: 100 } });
    const shifted = counts([], [[{}, [[t1 + 30, 100], [t2, 100], [t2, 100]]]]);
    const faults = faultsOf(() => validate('proportion', shifted, side, g));
    expect(faults.map((f) => [f.code, f.at])).toEqual([
      ['unasked-time', t1 + 30],
      ['duplicate-timestamp', t2],
    ]);
  });
});

describe('histograms', () => {
  it('sums a bound written two ways, sorts, rounds, mends a fall that extrapolation explains', () => {
    // 126.3 -> 122.0: Prometheus 2.42 on a canary series that started within the range.
    const side = histogram([at({ le: '+Inf' }, 1203.4), at({ le: '1' }, 3), at({ le: '1.0' }, 4), at({ le: '10' }, 126.3), at({ le: '20' }, 122.0), at({ le: '30' }, 130)]);
    expect(validate('continuous', side, HEALTHY_HISTOGRAM).canary).toEqual({
      histogram: { buckets: [{ le: 1, count: 7 }, { le: 10, count: 126 }, { le: 20, count: 126 }, { le: 30, count: 130 }, { le: Infinity, count: 1203 }] },
    });
  });

  it('leaves out a bound fewer series have than +Inf: pods with and without the bucket annotation in one sum', () => {
    const counts = [at({ le: '100' }, 1000), at({ le: '105' }, 700), at({ le: '250' }, 1500), at({ le: '+Inf' }, 1600)];
    const seriesPerBound = [at({ le: '100' }, 2), at({ le: '105' }, 1), at({ le: '250' }, 2), at({ le: '+Inf' }, 2)];
    expect(validate('continuous', histogram(counts, seriesPerBound), HEALTHY_HISTOGRAM).canary).toEqual({
      histogram: { buckets: [{ le: 100, count: 1000 }, { le: 250, count: 1500 }, { le: Infinity, count: 1600 }] },
      droppedBounds: [105],
    });
  });

  it('counts without series counts for +Inf cannot be checked: a fault', () => {
    const faults = faultsOf(() => validate('continuous', histogram([at({ le: '100' }, 9), at({ le: '+Inf' }, 10)], [at({ le: '100' }, 1)]), HEALTHY_HISTOGRAM));
    expect(faults).toEqual([expect.objectContaining({ code: 'no-inf-bucket', role: 'bucket-series', query: 'S', side: 'canary' })]);
  });

  it.each<[string, readonly Series[], Partial<SampleFault>]>([
    ['a NaN bucket', [at({ le: '5' }, NaN), at({ le: '+Inf' }, 4)], { code: 'nan', series: { le: '5' } }],
    ['an infinite bucket', [at({ le: '5' }, Infinity), at({ le: '+Inf' }, 4)], { code: 'infinite', series: { le: '5' } }],
    ['a negative bucket', [at({ le: '5' }, -3), at({ le: '+Inf' }, 4)], { code: 'negative-count', series: { le: '5' } }],
    ['no le', [at({}, 4)], { code: 'missing-le', series: {} }],
    ['a NaN le', [at({ le: 'NaN' }, 1), at({ le: '+Inf' }, 4)], { code: 'bad-le', le: 'NaN' }],
    ['no +Inf bucket', [at({ le: '5' }, 1), at({ le: '10' }, 4)], { code: 'no-inf-bucket', series: { le: '10' } }],
    ['a copy of a bucket', [at({ le: '5' }, 1), at({ le: '5' }, 1), at({ le: '+Inf' }, 4)], { code: 'duplicate-series', copies: 2, role: 'buckets' }],
    ['two series for one bound', [at({ le: '5', pod: 'a' }, 1), at({ le: '5', pod: 'b' }, 1), at({ le: '+Inf' }, 4)], { code: 'extra-series', count: 2, role: 'buckets' }],
    [
      'a cumulative count that falls beyond what extrapolation explains',
      [at({ le: '100' }, 1000), at({ le: '107' }, 300), at({ le: '250' }, 1500), at({ le: '+Inf' }, 1600)],
      { code: 'non-monotone-buckets', le: 107, count: 300, lowerLe: 100, lowerCount: 1000, series: { le: '107' } },
    ],
    ['+Inf far below a finite bucket', [at({ le: '100' }, 1000), at({ le: '+Inf' }, 200)], { code: 'inf-below-finite', count: 200, lowerLe: 100, lowerCount: 1000 }],
  ])('%s is a fault', (_name, series, fault) => {
    // Series counts of one each, so that only the bucket counts are at fault.
    const seriesPerBound = [...new Set(series.map(([labels]) => labels.le))].filter((le) => le === '+Inf' || Number.isFinite(Number(le))).map((le) => at({ le: le! }, 1));
    const faults = faultsOf(() => validate('continuous', histogram(series, seriesPerBound), HEALTHY_HISTOGRAM));
    expect(faults).toEqual([expect.objectContaining({ side: 'canary', role: 'buckets', query: 'B', ...fault })]);
  });

  it('a timeline keeps the bounds every interval with data shares: no count is carried to a bound an interval lacks', () => {
    const g = grid(3);
    const [t1, t2, t3] = g.times;
    // Interval 1 from pods with a bucket annotation (fine bounds), interval 2 from pods with
    // Envoy's defaults only, interval 3 without traffic.
    const baseline = histogram([
      [{ le: '100' }, [[t1, 50], [t2, 50]]],
      [{ le: '105' }, [[t1, 70]]],
      [{ le: '110' }, [[t1, 80]]],
      [{ le: '250' }, [[t1, 95], [t2, 95]]],
      [{ le: '+Inf' }, [[t1, 100], [t2, 100]]],
    ]);
    const validated = validate('continuous', HEALTHY_HISTOGRAM_TIMELINE(g), baseline, g);
    const bounds = (counts: number[]) => ({ histogram: { buckets: [100, 250, Infinity].map((le, i) => ({ le, count: counts[i] })) } });
    expect(validated.baseline).toEqual({ ...bounds([100, 190, 200]), intervals: [bounds([50, 95, 100]), bounds([50, 95, 100]), bounds([0, 0, 0])], droppedBounds: [105, 110] });
    expect(validated.canary).not.toHaveProperty('droppedBounds');
  });

  it('a side without any bucket series is empty values; neither side: noSeries', () => {
    expect(validate('distribution', histogram([]), histogram([]))).toEqual({ kind: 'distribution', baseline: { values: [] }, canary: { values: [] }, noSeries: true });
    const g = grid(2);
    expect(validate('continuous', histogram([]), HEALTHY_HISTOGRAM_TIMELINE(g), g).canary).toEqual({ values: [], intervals: [{ values: [] }, { values: [] }] });
  });
});

function HEALTHY_HISTOGRAM_TIMELINE(g: AskedTimes): RawSide {
  return histogram([
    [{ le: '100' }, g.times.map((t) => [t, 90] as const)],
    [{ le: '+Inf' }, g.times.map((t) => [t, 100] as const)],
  ]);
}

describe('categories', () => {
  it('one series per category, sorted; a series without the label is ""; a label named like a prototype key is data', () => {
    const side = categories([at({ class: 'dog' }, 490.4), at({ class: 'cat' }, 509.6), at({ class: 'constructor' }, 1), at({}, 2)]);
    expect(validate('categorical', side, side).canary).toEqual({ counts: [['', 2], ['cat', 510], ['constructor', 1], ['dog', 490]] });
  });

  it.each<[string, readonly Series[], Partial<SampleFault>]>([
    ['a NaN count', [at({ class: 'cat' }, 50), at({ class: 'dog' }, NaN)], { code: 'nan', series: { class: 'dog' } }],
    ['a negative count', [at({ class: 'cat' }, -7)], { code: 'negative-count', value: -7 }],
    ['a category twice', [at({ class: 'cat' }, 5), at({ class: 'cat' }, 5)], { code: 'duplicate-series', copies: 2 }],
  ])('%s is a fault', (_name, series, fault) => {
    const faults = faultsOf(() => validate('categorical', categories(series), categories([at({ class: 'cat' }, 1)])));
    expect(faults).toEqual([expect.objectContaining({ side: 'canary', role: 'categories', ...fault })]);
  });
});

describe('custom query values', () => {
  const range: AskedTimes = { times: [T, T + 10, T + 20], intervals: false };
  const values = (series: readonly Series[]): RawSide => ({ shape: 'values', values: answer('Q', series) });

  it('every sample is a value; NaN is a step without a value and dropped', () => {
    const side = values([[{ pod: 'a' }, [[T, 41.5], [T + 10, NaN], [T + 20, -3]]], [{ pod: 'b' }, [[T, 55]]]]);
    expect(validate('distribution', side, side, range).canary).toEqual({ values: [41.5, -3, 55] });
  });

  it('±Inf and copies of a series are faults', () => {
    const faults = faultsOf(() => validate('continuous', values([[{ pod: 'a' }, [[T, Infinity]]], [{ pod: 'b' }, [[T, 1]]], [{ pod: 'b' }, [[T, 1]]]]), values([]), range));
    expect(faults.map((f) => f.code)).toEqual(['duplicate-series', 'infinite']);
  });
});

describe('fault reports', () => {
  it('every fault of both sides is collected; at most MAX_FAULTS_KEPT kept, the message names three and counts the rest', () => {
    const many = histogram(Array.from({ length: 30 }, (_, i) => at({ le: String(i + 1) }, NaN)).concat([at({ le: '+Inf' }, 1)]));
    let error: SampleFaultError | undefined;
    try {
      validate('continuous', many, HEALTHY_HISTOGRAM);
    } catch (e) {
      error = e as SampleFaultError;
    }
    expect(error?.count).toBe(30);
    expect(error?.faults).toHaveLength(MAX_FAULTS_KEPT);
    expect(error?.message).toMatch(/\(and 27 more\)$/);
  });

  it('a fault reads as place, then what is wrong', () => {
    const [fault] = faultsOf(() => validate('proportion', counts([at({}, NaN)], [at({}, 1000)]), HEALTHY_COUNTS));
    expect(formatFault(fault)).toBe(
      'metric "m" (canary), events series {} at 2023-11-14T22:23:20.000Z: the sample is NaN (a NaN counter or a stale marker): a count that is not a number is not zero',
    );
  });
});
