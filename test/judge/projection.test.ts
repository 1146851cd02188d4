import { describeDuration, describeProjection, projectDecision, withProjection } from '../../src/judge/projection';
import type { Effect, MetricResult } from '../../src/judge/types';

const effect = (estimate: number, lower: number, upper: number, tolerance: number): Effect => Object.freeze({ measure: 'change in rate', unit: 'rate', estimate, lower, upper, tolerance });

describe('projectDecision', () => {
  it('projects toward a pass: the upper half-width must shrink below the gap to the margin (1/sqrt(n))', () => {
    // half-width 0.6 must reach 0.3: 4x the data, 3x more.
    expect(projectDecision(effect(0.2, -0.4, 0.8, 0.5), 'increase', 1000)).toEqual({ toward: 'pass', moreCanary: 3000 });
  });

  it('projects toward a fail when the estimate lies beyond the margin, and counts intervals with a timeline', () => {
    // lower half-width 1.0, gap 0.5: 4x, 3,000 more; 200 per interval: 15 intervals.
    expect(projectDecision(effect(1, 0, 3, 0.5), 'increase', 1000, 200)).toEqual({ toward: 'fail', moreCanary: 3000, moreIntervals: 15 });
  });

  it('mirrors for decrease, takes the wider side for either, and says nothing at the margin or without a bound', () => {
    expect(projectDecision(effect(-0.2, -0.8, 0.4, 0.5), 'decrease', 100)?.toward).toBe('pass');
    expect(projectDecision(effect(0, -0.6, 0.3, 0.5), 'either', 100)).toEqual({ toward: 'pass', moreCanary: 44 }); // (0.6/0.5)^2 - 1
    expect(projectDecision(effect(0.5, 0, 1, 0.5), 'increase', 100)).toBeNull();
    expect(projectDecision(effect(0.2, -0.4, Infinity, 0.5), 'increase', 100)).toBeNull();
    expect(projectDecision(effect(0.499, -0.4, 1, 0.5), 'increase', 100)).toBeNull(); // > 100x the data
  });

  it('projects a relative change on the log of the ratio, where its bounds are about symmetric', () => {
    const ratio: Effect = { measure: 'relative change in rate', unit: 'relative', estimate: 0, lower: -0.5, upper: 1, tolerance: 0.5 };
    // upper half-width ln 2, gap ln 1.5: (ln 2 / ln 1.5)^2 - 1 = 1.92 times the data more.
    expect(projectDecision(ratio, 'increase', 1000)).toEqual({ toward: 'pass', moreCanary: 1900 });
  });

  it('turns intervals into time when their length is known', () => {
    expect(projectDecision(effect(1, 0, 3, 0.5), 'increase', 1000, 200, 60)).toEqual({ toward: 'fail', moreCanary: 3000, moreIntervals: 15, moreSeconds: 900 });
    expect(describeProjection({ toward: 'fail', moreCanary: 3000, moreIntervals: 15, moreSeconds: 900 }, 'requests')).toBe(
      "a fail needs about 3,000 more canary requests (about 15 minutes at the latest interval's canary traffic) if the effect stays where it is",
    );
  });

  it('words durations in the unit a person reads', () => {
    expect([30, 60, 89, 90, 600, 5340, 5400, 9000].map(describeDuration)).toEqual([
      'about 30 seconds',
      'about 60 seconds',
      'about 89 seconds',
      'about 2 minutes',
      'about 10 minutes',
      'about 89 minutes',
      'about 1.5 hours',
      'about 2.5 hours',
    ]);
  });

  it('words it as a projection', () => {
    expect(describeProjection({ toward: 'pass', moreCanary: 4100, moreIntervals: 8 }, 'requests')).toBe(
      "a pass needs about 4,100 more canary requests (about 8 more intervals at the latest interval's canary traffic) if the effect stays where it is",
    );
  });

  it('is added to inconclusive metrics only', () => {
    const base = { name: 'e', kind: 'proportion', critical: true, weight: 1, direction: 'increase', baseline: { n: 1, events: 0, rate: 0 }, canary: { n: 1000, events: 1, rate: 0.001 }, tests: [], effect: effect(0.2, -0.4, 0.8, 0.5) } as const;
    const open = withProjection({ ...base, verdict: 'inconclusive', reason: 'r' } as MetricResult, 250);
    expect(open.projection).toEqual({ toward: 'pass', moreCanary: 3000, moreIntervals: 12 });
    expect(open.reason).toMatch(/^r; a pass needs about 3,000 more canary requests \(about 12 more intervals/);
    expect(withProjection({ ...base, verdict: 'pass', reason: 'r' } as MetricResult).projection).toBeUndefined();
  });
});
