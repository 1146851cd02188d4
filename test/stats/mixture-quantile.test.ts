import fixtures from '../fixtures/segments.json';
import { mixtureQuantile } from '../../src/stats/mixture-quantile';
import { quantile } from '../../src/stats/quantile';
import { fromBuckets, fromValues } from '../../src/stats/weighted-sample';

const bounds = fixtures.latency.le.map((le) => (le === '+Inf' ? Infinity : Number(le)));
const binned = (cumulative: readonly number[]) => fromBuckets(bounds, cumulative.map((c, i) => c - (i ? cumulative[i - 1] : 0)), 0);

describe('mixtureQuantile, raw values (numpy inverted_cdf on the weighted mixture)', () => {
  it.each(fixtures.mixtureQuantileRaw.map((c) => [`weights ${c.weights} p${c.p}`, c]))('%s', (_label, c) => {
    expect(mixtureQuantile(c.samples.map(fromValues), c.weights, c.p)).toBe(c.expected);
  });
});

describe('mixtureQuantile, binned (histogram_quantile on the mixed cumulative shares)', () => {
  const segments = fixtures.latency.segments;
  const sides = (side: 'baseline' | 'canary') => [binned(segments.fast[side]), binned(segments.slow[side])];
  const sizes = (side: 'baseline' | 'canary') => [segments.fast[side].at(-1)!, segments.slow[side].at(-1)!];

  it('pooled by each side\'s own sizes and standardised to the baseline\'s', () => {
    expect(mixtureQuantile(sides('baseline'), sizes('baseline'), 0.95)).toBeCloseTo(fixtures.latency.baselineP95, 10);
    expect(mixtureQuantile(sides('canary'), sizes('canary'), 0.95)).toBeCloseTo(fixtures.latency.crudeCanaryP95, 10);
    expect(mixtureQuantile(sides('canary'), sizes('baseline'), 0.95)).toBeCloseTo(fixtures.latency.standardisedCanaryP95, 10);
  });

  it('weighted by the samples\' own sizes is the quantile of the pooled histogram', () => {
    const pooled = segments.fast.canary.map((c, i) => c + segments.slow.canary[i]);
    expect(mixtureQuantile(sides('canary'), sizes('canary'), 0.95)).toBeCloseTo(quantile(binned(pooled), 0.95), 10);
  });

  it('refuses raw beside binned, clashing bounds and empty mixtures', () => {
    expect(() => mixtureQuantile([fromValues([1, 2]), binned([1, 2, 3, 4, 5, 6])], [1, 1], 0.5)).toThrow('Cannot mix raw and binned samples');
    expect(() => mixtureQuantile([fromBuckets([10, Infinity], [1, 1], 0), fromBuckets([20, Infinity], [0, 1], 0)], [1, 1], 0.5)).toThrow('share their bucket bounds');
    expect(() => mixtureQuantile([fromValues([1])], [0], 0.5)).toThrow('empty mixture');
  });
});
