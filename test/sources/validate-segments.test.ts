/**
 * A segmented metric's answers split by the segment label and validated per segment
 * (src/sources/validate/segments.ts). Inputs are frozen: the stage never mutates them.
 */
import { SampleFaultError } from '../../src/sources/validate/faults';
import type { AskedTimes, RawAnswer, RawSide } from '../../src/sources/validate/raw-answer';
import { validateSegmentedMetric } from '../../src/sources/validate/segments';

const T = 1700000600;
const INSTANT: AskedTimes = { times: [T], intervals: false };
type Series = readonly [Record<string, string>, number];
const answer = (query: string, series: readonly Series[]): RawAnswer => ({ query, series: series.map(([metric, value]) => ({ metric, samples: [[T, value]] })) });
const counts = (events: readonly Series[], total: readonly Series[]): RawSide => ({ shape: 'proportion', events: answer('E', events), total: answer('N', total) });

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
const validate = (baseline: RawSide, canary: RawSide) => validateSegmentedMetric(deepFreeze({ name: 'errors', kind: 'proportion' as const, asked: INSTANT, baseline, canary }), 'tenant');

describe('validateSegmentedMetric', () => {
  it('splits by the label, keeps the series without it as the segment "", and pools the sides', () => {
    const result = validate(
      counts([[{ tenant: 'acme' }, 5], [{}, 1]], [[{ tenant: 'acme' }, 1000], [{}, 100]]),
      counts([[{ tenant: 'acme' }, 2]], [[{ tenant: 'acme' }, 100], [{ tenant: 'globex' }, 50]]),
    );
    expect(result.segments).toEqual([
      { value: '', baseline: { events: 1, total: 100 }, canary: { events: 0, total: 0 } },
      { value: 'acme', baseline: { events: 5, total: 1000 }, canary: { events: 2, total: 100 } },
      { value: 'globex', baseline: { events: 0, total: 0 }, canary: { events: 0, total: 50 } },
    ]);
    expect([result.baseline, result.canary]).toEqual([{ events: 6, total: 1100 }, { events: 2, total: 150 }]);
    expect(result.noSeries).toBeUndefined();
  });

  it('refuses the faults of every segment together, each naming its series', () => {
    const attempt = () => validate(counts([[{ tenant: 'acme' }, NaN], [{ tenant: 'globex' }, 1]], [[{ tenant: 'acme' }, 10], [{ tenant: 'globex' }, 10], [{ tenant: 'globex' }, 10]]), counts([], []));
    expect(attempt).toThrow(SampleFaultError);
    try {
      attempt();
    } catch (error) {
      const faults = (error as SampleFaultError).faults;
      expect(faults.map((f) => [f.code, f.series.tenant])).toEqual([
        ['nan', 'acme'],
        ['duplicate-series', 'globex'],
      ]);
      expect((error as Error).message).toMatch(/events series \{tenant="acme"\}.*NaN.*total series \{tenant="globex"\}: the same series came 2 times/);
    }
  });

  it('says when neither side has a series', () => {
    const result = validate(counts([], []), counts([], []));
    expect(result).toMatchObject({ segments: [], noSeries: true, baseline: { events: 0, total: 0 } });
  });
});
