import { countAtOrBelow, fromBuckets, fromValues } from '../../src/stats/weighted-sample';

describe('weighted samples', () => {
  it('sorts raw values and folds ties into counts without touching the input', () => {
    const values = Object.freeze([3, 1, 3, 2, 3]);
    const sample = fromValues(values);
    expect(Array.from(sample.points)).toEqual([1, 2, 3]);
    expect(Array.from(sample.counts)).toEqual([1, 1, 3]);
    expect(sample.n).toBe(5);
    expect(sample.lowerEdges).toBeUndefined();
    expect(values).toEqual([3, 1, 3, 2, 3]);
  });

  it('keeps every observation in order for raw values, ties repeated with their point\'s sign', () => {
    expect(Array.from(fromValues([3, 1, 3, 2, 3]).observations!)).toEqual([1, 2, 3, 3, 3]);
    const signedZeros = fromValues([0, -0, 1]);
    expect(Array.from(signedZeros.points)).toEqual([-0, 1]);
    expect(Array.from(signedZeros.observations!)).toEqual([-0, -0, 1]);
    const distinct = fromValues([2, 1]);
    expect(distinct.observations).toBe(distinct.points);
    expect(fromBuckets([10, Infinity], [1, 1]).observations).toBeUndefined();
  });

  it('keeps true lower edges when empty buckets are dropped', () => {
    const sample = fromBuckets([10, 20, 50, Infinity], [4, 0, 6, 1], 0);
    expect(Array.from(sample.points)).toEqual([10, 50, Infinity]);
    expect(Array.from(sample.counts)).toEqual([4, 6, 1]);
    expect(Array.from(sample.lowerEdges!)).toEqual([0, 20, 50]);
    expect(sample.n).toBe(11);
  });

  it('counts observations at or below a value', () => {
    const sample = fromValues([1, 2, 2, 5]);
    expect([0, 1, 2, 4, 5, 9].map((x) => countAtOrBelow(sample, x))).toEqual([0, 1, 3, 3, 4, 4]);
  });

  it('handles an empty sample', () => {
    expect(fromValues([]).n).toBe(0);
    expect(fromBuckets([Infinity], [0]).n).toBe(0);
  });
});
