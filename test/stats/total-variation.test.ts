import fixtures from '../fixtures/segments.json';
import { totalVariationDistance } from '../../src/stats/total-variation';

describe('totalVariationDistance (numpy reference)', () => {
  it.each(fixtures.totalVariation.map((c) => [JSON.stringify(c.p), c]))('%s', (_label, c) => {
    expect(totalVariationDistance(Object.freeze([...c.p]), Object.freeze([...c.q]))).toBeCloseTo(c.expected, 14);
  });

  it('is 0 for the same mix at any scale, 1 for disjoint mixes, and refuses empty ones', () => {
    expect(totalVariationDistance([1, 3], [10, 30])).toBe(0);
    expect(totalVariationDistance([1, 0], [0, 5])).toBe(1);
    expect(() => totalVariationDistance([0, 0], [1, 1])).toThrow('Neither distribution can be empty');
  });
});
