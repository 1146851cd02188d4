/**
 * Issue #11, point 5, through the judge with fixed-sample evidence: rate differences with rare
 * events no longer fail canaries that are not worse. Newcombe's bounds failed the first case
 * (one-sided Fisher p = 0.070) and falsely failed 7 % of categorical canaries with rare classes.
 */
import { analyze } from '../../src/judge/analyze';
import { exactDifferenceBounds } from '../../src/stats/exact-difference-bounds';
import type { MetricInput } from '../../src/judge/types';
import { eventProbability, memoised } from '../support/binomial-enumeration';
import { seededRandom } from '../support/random';

const errors = (canaryEvents: number, baselineEvents: number, absolute: number): MetricInput => ({
  name: 'errors',
  kind: 'proportion',
  baseline: { events: baselineEvents, total: 2000 },
  canary: { events: canaryEvents, total: 200 },
  margin: { absolute },
});

describe('proportion with an absolute margin, fixed-sample evidence', () => {
  it('does not fail baseline 20/2000 vs canary 5/200 at margin 0 (Newcombe did; Fisher p = 0.070 one-sided)', () => {
    const result = analyze({ evidence: 'fixed-sample', metrics: [errors(5, 20, 0)] });
    expect(result.metrics[0].verdict).not.toBe('fail');
    expect(result.metrics[0].effect!.lower).toBeLessThanOrEqual(0);
  });

  it('still fails a canary that is clearly worse', () => {
    const result = analyze({ evidence: 'fixed-sample', metrics: [errors(12, 20, 0)] });
    expect(result.metrics[0].verdict).toBe('fail');
  });
});

describe('categorical shares with rare classes, fixed-sample evidence, margin 0', () => {
  const shares = [0.9, 0.04, 0.03, 0.02, 0.01];
  const canaryItems = 50;
  const baselineItems = 1000;
  const alpha = 0.05;

  /**
   * The metric fails when some category's bounds exclude 0 (its share changed), each side at
   * alpha / (2k). Each category's counts are binomial on each side, so the union bound over
   * categories and sides is an exact enumeration of 2x2 experiments: an upper bound on the
   * false-fail rate that needs no simulation.
   */
  it('false-fail rate, bounded by exact enumeration over each category, is at most alpha', () => {
    const perSide = alpha / (2 * shares.length);
    const bounds = memoised((xc, xb) => exactDifferenceBounds(xc, canaryItems, xb, baselineItems, perSide, perSide));
    let failBound = 0;
    for (const share of shares) {
      const experiment = { canaryTotal: canaryItems, baselineTotal: baselineItems, canaryRate: share, baselineRate: share };
      failBound += eventProbability(experiment, (xc, xb) => bounds(xc, xb).lower > 0 || bounds(xc, xb).upper < 0, 1e-6);
    }
    expect(failBound).toBeLessThanOrEqual(alpha);
  });

  it('false-fail rate in a seeded simulation through analyze is at most alpha', () => {
    const uniform = seededRandom(20261129);
    const draw = (n: number): [string, number][] => {
      const counts = shares.map(() => 0);
      for (let i = 0; i < n; i++) {
        let u = uniform();
        let c = 0;
        while (c < shares.length - 1 && u >= shares[c]) u -= shares[c++];
        counts[c]++;
      }
      return counts.map((count, c) => [`class-${c}`, count]);
    };
    const runs = 400;
    let fails = 0;
    for (let r = 0; r < runs; r++) {
      const metric: MetricInput = { name: 'mix', kind: 'categorical', baseline: { counts: draw(baselineItems) }, canary: { counts: draw(canaryItems) }, margin: { absolute: 0 } };
      if (analyze({ evidence: 'fixed-sample', alpha, metrics: [metric] }).metrics[0].verdict === 'fail') fails++;
    }
    // 400 runs: at a true rate of 5 % more than 30 fails has probability below 1 %.
    expect(fails).toBeLessThanOrEqual(30);
  });
});
