import { cdfPoints } from '../../src/report/plots';

describe('cdfPoints: the CDF plot\'s value axis', () => {
  const histogram = (counts: readonly [number, number][]) => ({ histogram: { buckets: counts.map(([le, count]) => ({ le, count })) } });
  // Istio-like bounds: the mass lies below 500 ms, the buckets run on to 60 s.
  const baseline = histogram([[100, 600], [250, 990], [500, 1000], [1000, 1000], [10000, 1000], [60000, 1000], [Infinity, 1000]]);
  const canary = histogram([[100, 50], [250, 98], [500, 99.95], [1000, 100], [10000, 100], [60000, 100], [Infinity, 100]]);

  it('ends where both sides have reached 99.9 % of their observations, not at the top bucket', () => {
    const points = cdfPoints({ baseline, canary });
    expect(Math.max(...points.map((p) => p.x))).toBe(500);
    expect(points.filter((p) => p.side === 'baseline').map((p) => p.x)).toEqual([100, 250, 500]);
  });

  it('keeps the later side and a threshold beyond the cut in view', () => {
    const slowCanary = histogram([[100, 50], [250, 90], [500, 99], [1000, 99.5], [10000, 100], [60000, 100], [Infinity, 100]]);
    expect(Math.max(...cdfPoints({ baseline, canary: slowCanary }).map((p) => p.x))).toBe(10000);
    expect(Math.max(...cdfPoints({ baseline, canary }, 1000).map((p) => p.x))).toBe(1000);
  });

  it('cuts raw values at the 99.9th percentile of the later side (one outlier does not stretch the axis)', () => {
    const values = Float64Array.from({ length: 2000 }, (_, i) => (i === 1999 ? 60000 : i / 10));
    const points = cdfPoints({ baseline: { values }, canary: { values } });
    expect(Math.max(...points.map((p) => p.x))).toBeLessThan(60000);
    expect(cdfPoints({ baseline: { values: new Float64Array() }, canary: { values: new Float64Array() } })).toEqual([]);
  });

  it('caps a histogram\'s points like raw values (a 100,000-bucket histogram made a 407 MB page)', () => {
    // 100,000 finite buckets, one observation each, then +Inf.
    const buckets = [...Array.from({ length: 100_000 }, (_, i) => ({ le: i + 1, count: i + 1 })), { le: Infinity, count: 100_000 }];
    const points = cdfPoints({ baseline: { histogram: { buckets } }, canary: { histogram: { buckets } } });
    const baselinePoints = points.filter((p) => p.side === 'baseline');
    expect(baselinePoints.length).toBeLessThanOrEqual(402);
    // The axis ends where 99.9 % is reached (bucket 99,900), which is kept.
    expect(Math.max(...baselinePoints.map((p) => p.x))).toBe(99_900);
    expect(baselinePoints.find((p) => p.x === 99_900)?.p).toBeCloseTo(0.999, 10);
  });
});
