import fixtures from '../fixtures/segments.json';
import { directlyStandardised } from '../../src/stats/direct-standardisation';

describe('directlyStandardised (numpy.average reference)', () => {
  it.each(fixtures.directlyStandardised.map((c) => [JSON.stringify(c.values), c]))('%s', (_label, c) => {
    expect(directlyStandardised(Object.freeze([...c.values]), Object.freeze([...c.weights]))).toBeCloseTo(c.expected, 14);
  });

  it('puts the canary on the baseline\'s mix: the Simpson case\'s canary rate', () => {
    const s = fixtures.simpson.segments;
    const rates = [s.easy.canary.events / s.easy.canary.total, s.hard.canary.events / s.hard.canary.total];
    expect(directlyStandardised(rates, [s.easy.baseline.total, s.hard.baseline.total])).toBeCloseTo(fixtures.simpson.standardisedRate, 14);
  });

  it('is NaN without weight and refuses negative or missing weights', () => {
    expect(directlyStandardised([1, 2], [0, 0])).toBeNaN();
    expect(() => directlyStandardised([1, 2], [1, -1])).toThrow('Weights must be finite and non-negative, got -1');
    expect(() => directlyStandardised([1, 2], [1])).toThrow('Every stratum needs a value and a weight');
  });
});
