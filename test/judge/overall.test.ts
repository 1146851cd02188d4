import { overallVerdict } from '../../src/judge/overall';
import type { MetricResult, Verdict } from '../../src/judge/types';

const metric = (name: string, verdict: Verdict, options: { critical?: boolean; weight?: number } = {}): MetricResult => ({
  name,
  kind: 'proportion',
  verdict,
  reason: `${name} is ${verdict}`,
  critical: options.critical ?? false,
  weight: options.weight ?? 1,
  direction: 'increase',
  baseline: { n: 1, events: 0, rate: 0 },
  canary: { n: 1, events: 0, rate: 0 },
  tests: [],
});
const defaults = { pass: 100, marginal: 75 };

describe('overallVerdict', () => {
  it('fails on any critical failure, naming it', () => {
    const result = overallVerdict([metric('a', 'pass'), metric('b', 'fail', { critical: true })], defaults);
    expect(result).toEqual({ verdict: 'fail', score: 50, reason: 'critical metric b: b is fail' });
  });

  it('fails when some metric fails and the weighted score drops below marginal', () => {
    // (0*3 + 1*1) / 4 = 25
    expect(overallVerdict([metric('a', 'fail', { weight: 3 }), metric('b', 'pass')], defaults).verdict).toBe('fail');
  });

  it('does not fail on missing evidence alone: all inconclusive scores 50 and stays inconclusive', () => {
    const result = overallVerdict([metric('a', 'inconclusive'), metric('b', 'inconclusive')], { pass: 100, marginal: 90 });
    expect(result.verdict).toBe('inconclusive');
    expect(result.score).toBe(50);
  });

  it('holds back a pass while a critical metric is not yet passing', () => {
    const result = overallVerdict([metric('a', 'pass'), metric('b', 'inconclusive', { critical: true })], { pass: 50, marginal: 0 });
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/^critical metric not yet passing, b/);
  });

  it('passes at or above the pass threshold with Kayenta-style weights', () => {
    const metrics = [metric('a', 'pass', { weight: 3 }), metric('b', 'inconclusive')];
    expect(overallVerdict(metrics, { pass: 87.5, marginal: 75 })).toEqual(expect.objectContaining({ verdict: 'pass', score: 87.5 }));
    expect(overallVerdict(metrics, { pass: 90, marginal: 75 }).verdict).toBe('inconclusive');
  });

  it('never passes without a single passing metric, whatever the threshold', () => {
    expect(overallVerdict([metric('a', 'inconclusive')], { pass: 0, marginal: 0 }).verdict).toBe('inconclusive');
  });
});
