/**
 * Inline cumulative totals whose split evidently changed (issue 21): an A/A whose canary went
 * 1 % -> 10 % -> 50 % while a shared outage hit the last three minutes. Summed over the window,
 * the canary's rate looks 2.3x the baseline's (more of its traffic fell in the outage); with the
 * traffic check showing its share over the window far from its current weight, the totals'
 * fail becomes a reason, and the same data per interval are judged as the A/A they are.
 */
import { analyze } from '../../src/judge/analyze';
import { prefixMetric } from '../../src/judge/timeline';
import type { CountInterval, MetricInput } from '../../src/judge/types';

function outageAtTheEnd(): { baseline: CountInterval[]; canary: CountInterval[] } {
  const baseline: CountInterval[] = [];
  const canary: CountInterval[] = [];
  for (let minute = 0; minute < 21; minute++) {
    const canaryTotal = 10_000 * [0.01, 0.1, 0.5][Math.floor(minute / 7)];
    const rate = minute >= 18 ? 0.05 : 0.005;
    canary.push({ events: Math.round(canaryTotal * rate), total: canaryTotal });
    baseline.push({ events: Math.round((10_000 - canaryTotal) * rate), total: 10_000 - canaryTotal });
  }
  return { baseline, canary };
}

const sum = (xs: readonly CountInterval[]) => xs.reduce((a, x) => ({ events: a.events + x.events, total: a.total + x.total }), { events: 0, total: 0 });

describe('cumulative totals across a changed split', () => {
  const { baseline, canary } = outageAtTheEnd();
  const totals: MetricInput = { name: 'errors', kind: 'proportion', baseline: sum(baseline), canary: sum(canary) };
  const traffic = { expectedCanaryShare: 0.5, baseline: sum(baseline).total, canary: sum(canary).total };

  it('fails on the totals alone (Simpson: the outage fell on more of the canary\'s traffic)', () => {
    const result = analyze({ metrics: [totals] });
    expect(result.metrics[0].verdict).toBe('fail');
    expect(result.metrics[0].effect!.estimate).toBeGreaterThan(1);
  });

  it('with the traffic check showing the split changed, the fail becomes a reason naming the shares and the way out', () => {
    const result = analyze({ metrics: [totals], traffic });
    const m = result.metrics[0];
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toMatch(/^not judged on these totals: the canary had 20.3% of the requests over the window against the 50% it has now, so the split changed within the window/);
    expect(m.reason).toMatch(/send the data per interval \("intervals", or "timelineStep" for Prometheus\) or a window within the current step\. On the totals alone: the rate is/);
    expect(result.verdict).toBe('inconclusive');
    // Even when a mismatch is asked to fail the analysis, no metric claims a fail it has no evidence for.
    const strict = analyze({ metrics: [totals], traffic: { ...traffic, onMismatch: 'fail' } });
    expect(strict.metrics[0].verdict).toBe('inconclusive');
  });

  it('the same data per interval are an A/A: no fail, whatever the traffic check says of the totals', () => {
    const perInterval = prefixMetric<MetricInput>({ name: 'errors', kind: 'proportion', baseline: { events: 0, total: 0, intervals: baseline }, canary: { events: 0, total: 0, intervals: canary } }, 21);
    expect(analyze({ metrics: [perInterval] }).metrics[0].verdict).not.toBe('fail');
    expect(analyze({ metrics: [perInterval], traffic }).metrics[0].verdict).not.toBe('fail');
  });
});
