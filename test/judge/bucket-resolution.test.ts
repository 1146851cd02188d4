import { analyze } from '../../src/judge/analyze';
import { bucketHolding } from '../../src/judge/bucket-resolution';
import type { HistogramBucket } from '../../src/judge/types';
import { quantileBounds } from '../../src/stats/quantile-bounds';
import { quantileConfidenceSequence } from '../../src/stats/quantile-confidence-sequence';
import { fromBuckets } from '../../src/stats/weighted-sample';
import { seededRandom } from '../support/random';

const cumulative = (les: number[], counts: number[]): HistogramBucket[] => {
  let total = 0;
  return les.map((le, i) => ({ le, count: (total += counts[i]) }));
};
const ENVOY = [25, 50, 100, 250, 500, 1000, Infinity];

describe('bucketHolding', () => {
  it('finds the bucket of the quantile rank, as histogram_quantile does', () => {
    const sample = fromBuckets(ENVOY, [0, 10, 80, 10, 0, 0, 0], 0);
    expect(bucketHolding(sample, 0.5)).toEqual({ lower: 50, upper: 100 });
    expect(bucketHolding(sample, 0.95)).toEqual({ lower: 100, upper: 250 });
    expect(bucketHolding(sample, 0.1)).toEqual({ lower: 25, upper: 50 });
  });
});

describe('the reason when buckets cannot resolve the margin', () => {
  const metric = (margin: object, counts: number[]) => ({
    name: 'latency',
    kind: 'continuous' as const,
    margin,
    baseline: { histogram: { buckets: cumulative(ENVOY, counts) } },
    canary: { histogram: { buckets: cumulative(ENVOY, counts) } },
  });

  it('works in the units of an absolute margin', () => {
    const result = analyze({ metrics: [metric({ absolute: 20 }, [0, 1000, 8000, 1000, 0, 0, 0])] }).metrics[0];
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/within the tolerated \+20: p95 lies in the bucket \(100, 250\] on both sides, so even with unlimited data the interval stays -150 to \+150/);
  });

  it('names a quantile above the highest finite bound', () => {
    const result = analyze({ metrics: [metric({ relative: 0.1 }, [0, 1000, 5000, 2000, 900, 500, 600])] }).metrics[0];
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/p95 lies in the bucket above the highest finite bound 1000 on both sides/);
  });

  it('stays silent when finer buckets could still decide', () => {
    const fine = Array.from({ length: 60 }, (_, i) => 50 * 1.04 ** i);
    const counts = fine.map(() => 2);
    const result = analyze({
      metrics: [{ name: 'latency', kind: 'continuous', baseline: { histogram: { buckets: cumulative([...fine, Infinity], [...counts, 0]) } }, canary: { histogram: { buckets: cumulative([...fine, Infinity], [...counts, 0]) } } }],
    }).metrics[0];
    expect(result.verdict).toBe('inconclusive'); // 120 observations are too few
    expect(result.reason).not.toMatch(/too coarse/);
    expect(result.reason).toMatch(/not yet enough evidence/);
  });
});

/**
 * Coverage whatever the spread inside a bucket: observations of (100, 250] sit in (240, 250],
 * so the true p95 (about 249) lies near the bucket's top, far from where interpolation puts it.
 */
describe('histogram quantile bounds hold for every distribution the buckets allow', () => {
  const alpha = 0.05;
  const truth = 249.5; // of the mixture below, p95 lies in (240, 250]
  function draw(random: () => number, n: number): number[] {
    // 90 % in (50, 100], 10 % in (240, 250]: the p95 is the middle of the upper cluster.
    return Array.from({ length: n }, () => (random() < 0.9 ? 50 + 50 * random() : 240 + 10 * random()));
  }
  const bin = (values: number[]) => {
    const counts = ENVOY.map(() => 0);
    for (const v of values) counts[ENVOY.findIndex((le) => v <= le)]++;
    return fromBuckets(ENVOY, counts, 0);
  };

  it.each([
    ['fixed-sample', quantileBounds],
    ['anytime-valid', quantileConfidenceSequence],
  ] as const)('%s', (_name, bounds) => {
    const random = seededRandom(11);
    let misses = 0;
    let interpolatedMisses = 0;
    const runs = 300;
    for (let r = 0; r < runs; r++) {
      const sample = bin(draw(random, 2000));
      const b = bounds(sample, 0.95, alpha / 2, alpha / 2);
      if (!(b.lower <= truth && truth <= b.upper)) misses++;
      // What interpolating the upper order statistic inside its bucket would give.
      if (!(interpolatedUpper(sample, b.upper) >= truth)) interpolatedMisses++;
    }
    expect(misses / runs).toBeLessThanOrEqual(alpha);
    expect(interpolatedMisses / runs).toBeGreaterThan(0.5);
  });

  /** The old reading: the upper bound's rank interpolated inside (100, 250]. */
  function interpolatedUpper(sample: ReturnType<typeof bin>, upper: number): number {
    if (upper !== 250) return upper;
    const before = sample.counts.slice(0, sample.points.indexOf(250)).reduce((a, b) => a + b, 0);
    const inBucket = sample.counts[sample.points.indexOf(250)];
    const rank = Math.min(sample.n, Math.ceil(0.95 * sample.n + 2 * Math.sqrt(sample.n * 0.95 * 0.05)));
    return 100 + (150 * (rank - before)) / inBucket;
  }
});
