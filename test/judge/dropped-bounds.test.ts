import { analyze } from '../../src/judge/analyze';
import { droppedBoundsNote } from '../../src/judge/dropped-bounds';
import type { HistogramBucket, ValuesSide } from '../../src/judge/types';

const cumulative = (les: number[], counts: number[]): HistogramBucket[] => {
  let total = 0;
  return les.map((le, i) => ({ le, count: (total += counts[i]) }));
};
const ENVOY = [50, 100, 250, Infinity];
const FINE = [50, 100, 105, 110, 250, Infinity];

describe('droppedBoundsNote', () => {
  const envoy: ValuesSide = { histogram: { buckets: cumulative(ENVOY, [100, 800, 100, 0]) } };

  it('is empty when both sides were compared on all their bounds', () => {
    expect(droppedBoundsNote({ baseline: envoy, canary: envoy }, ENVOY)).toBe('');
  });

  it('names the bounds a side dropped (not in every interval) and the ones the other side lacks', () => {
    const baseline: ValuesSide = { ...envoy, droppedBounds: [105, 110] };
    const canary: ValuesSide = { histogram: { buckets: cumulative(FINE, [100, 800, 40, 30, 30, 0]) } };
    expect(droppedBoundsNote({ baseline, canary }, ENVOY)).toBe(
      "; compared only on the bounds every series and interval of both sides has (50, 100, 250): left out were the baseline's bounds 105, 110, which some of its series or intervals lack and the canary's bounds 105, 110, which the baseline lacks (a count is never carried to a bound an interval lacks)",
    );
  });

  it('shortens a long list', () => {
    const baseline: ValuesSide = { ...envoy, droppedBounds: Array.from({ length: 40 }, (_, i) => 101 + i) };
    expect(droppedBoundsNote({ baseline, canary: envoy }, ENVOY)).toMatch(/the baseline's bounds 101, 102, 103, \.\.\., 140 \(40 bounds\), which some of its series or intervals lack/);
  });
});

describe('a quantile whose remaining bounds are too coarse says which were dropped', () => {
  it('appends the note to the "too coarse" reason', () => {
    const counts = [1000, 8000, 1000, 0];
    const result = analyze({
      metrics: [
        {
          name: 'latency',
          kind: 'continuous',
          margin: { relative: 0.1 },
          baseline: { histogram: { buckets: cumulative(ENVOY, counts) }, droppedBounds: [105, 110] },
          canary: { histogram: { buckets: cumulative(ENVOY, counts) } },
        },
      ],
    }).metrics[0];
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/too coarse to ever tell whether it is within the tolerated \+10%: p95 lies in the bucket \(100, 250\] on both sides.*; compared only on the bounds every series and interval of both sides has \(50, 100, 250\): left out were the baseline's bounds 105, 110, which some of its series or intervals lack/);
  });
});
