import fixtures from '../fixtures/fisher-exact.json';
import { fisherExact } from '../../src/stats/fisher-exact';

const decode = (x: number | string) => (typeof x === 'number' ? x : Number(x));
const relativeError = (actual: number, expected: number) =>
  actual === expected ? 0 : Math.abs(actual - expected) / Math.abs(expected);

describe('fisherExact (scipy.stats.fisher_exact reference)', () => {
  it.each(fixtures.map((c) => [c.label, c]))('%s', (_label, c) => {
    const result = fisherExact(c.canaryEvents, c.canaryTotal, c.baselineEvents, c.baselineTotal);
    const oddsRatio = decode(c.statistic);
    if (Number.isFinite(oddsRatio)) expect(relativeError(result.statistic, oddsRatio)).toBeLessThanOrEqual(1e-15);
    else expect(result.statistic).toBe(oddsRatio);
    expect(relativeError(result.pValue, c.pValue)).toBeLessThanOrEqual(1e-6);
    // scipy itself drifts by ~1e-7 at 1e9 totals; the exact (mpmath) value is the tighter check.
    expect(relativeError(result.pValue, c.exactPValue)).toBeLessThanOrEqual(1e-10);
    expect(result.method).toBe('exact');
  });
});

describe('fisherExact behaviour', () => {
  it('is symmetric in which group is called canary, up to inverting the odds ratio', () => {
    const forward = fisherExact(12, 400, 30, 500);
    const swapped = fisherExact(30, 500, 12, 400);
    expect(swapped.pValue).toBeCloseTo(forward.pValue, 14);
    expect(swapped.statistic).toBeCloseTo(1 / forward.statistic, 14);
  });

  it('does not care whether events or non-events are counted', () => {
    const events = fisherExact(12, 400, 30, 500);
    const nonEvents = fisherExact(388, 400, 470, 500);
    expect(nonEvents.pValue).toBeCloseTo(events.pValue, 14);
  });

  it('keeps p-values in [0, 1]', () => {
    for (const [a, b, c, d] of [[0, 1, 1, 1], [1, 1, 1, 1], [0, 10, 10, 10], [3, 7, 3, 7], [0, 1e6, 1e5, 1e6]]) {
      const { pValue } = fisherExact(a, b, c, d);
      expect(pValue).toBeGreaterThanOrEqual(0);
      expect(pValue).toBeLessThanOrEqual(1);
    }
  });

  // Speed is measured in benchmarks; an enumeration over the whole support would run into the
  // test's timeout here.
  it('answers on million-sized totals', () => {
    for (let i = 0; i < 100; i++) {
      const { pValue } = fisherExact(450 + i, 100000, 5000, 1000000);
      expect(pValue).toBeGreaterThanOrEqual(0);
      expect(pValue).toBeLessThanOrEqual(1);
    }
  });

  it.each([
    [[-1, 10, 1, 10], 'Event counts must not be negative'],
    [[11, 10, 1, 10], 'Events must not exceed their total'],
    [[1, 10, 11, 10], 'Events must not exceed their total'],
    [[0, 0, 1, 10], 'Both totals must be positive'],
    [[1, 10, 0, 0], 'Both totals must be positive'],
    [[1.5, 10, 1, 10], "Fisher's exact test needs whole-number counts"],
    [[NaN, 10, 1, 10], "Fisher's exact test needs whole-number counts"],
  ])('rejects %j', (args, message) => {
    const [a, b, c, d] = args;
    expect(() => fisherExact(a, b, c, d)).toThrow(message);
  });
});
