/**
 * A rate judged on a timeline reports its change matched by interval (Mantel-Haenszel), which
 * can differ in sign from the totals shown beside it (issue 23: "the rate is 0.937 % on the
 * canary vs 0.948 % on the baseline; it changed by +5.01 %"). The reason says which is which,
 * and why they differ when they point opposite ways.
 *
 * Constructed so that they do: the canary serves 1 % of the traffic while both sides' error rate
 * is 2 %, then 50 % while it is 0.5 %, with 5 % more errors than the baseline in every interval.
 * Summed, the canary's rate is far below the baseline's (most of its traffic came when errors
 * were rare); matched, it is +5 %.
 */
import { eventText } from '../../src/contracts/flagger-webhook';
import { analyze } from '../../src/judge/analyze';
import type { CountInterval, MetricInput } from '../../src/judge/types';

function timeline(ratio: number): { baseline: CountInterval[]; canary: CountInterval[] } {
  const baseline: CountInterval[] = [];
  const canary: CountInterval[] = [];
  for (let minute = 0; minute < 12; minute++) {
    const early = minute < 6;
    const canaryTotal = early ? 1_000 : 50_000;
    const baselineTotal = 100_000 - canaryTotal;
    const rate = early ? 0.02 : 0.005;
    canary.push({ events: Math.round(canaryTotal * rate * ratio), total: canaryTotal });
    baseline.push({ events: Math.round(baselineTotal * rate), total: baselineTotal });
  }
  return { baseline, canary };
}

const sum = (xs: readonly CountInterval[]) => xs.reduce((a, x) => ({ events: a.events + x.events, total: a.total + x.total }), { events: 0, total: 0 });

function judged(ratio: number) {
  const { baseline, canary } = timeline(ratio);
  const metric: MetricInput = { name: 'errors', kind: 'proportion', baseline: { ...sum(baseline), intervals: baseline }, canary: { ...sum(canary), intervals: canary } };
  return analyze({ metrics: [metric] }).metrics[0];
}

describe('a rate timeline explains its matched change beside the totals', () => {
  it('says the totals point the other way when they differ in sign from the matched change', () => {
    const m = judged(1.05);
    // The totals: (6 x 21 + 6 x 263) / 306,000 = 0.557 % on the canary against (6 x 1,980 + 6 x 250) / 894,000 = 1.50 % on the baseline.
    expect(m.canary).toMatchObject({ rate: 1704 / 306_000 });
    expect(m.baseline).toMatchObject({ rate: 13_380 / 894_000 });
    // The matched change, on the intervals at the canary's current weight: +5 %.
    expect(m.effect!.measure).toBe('relative change in rate');
    expect(m.effect!.estimate).toBeCloseTo(0.05, 2);
    expect(m.reason).toContain('the rate is 0.557% on the canary vs 1.5% on the baseline over the timeline; matched by interval, it changed by +5');
    expect(m.reason).toContain('(each interval\'s canary against the same interval\'s baseline); the totals point the other way');
    expect(m.reason).toContain('the totals point the other way because they pool intervals whose split differs while the rate moved on both sides');
  });

  it('says nothing of it when the totals and the matched change agree', () => {
    const m = judged(3);
    expect(m.verdict).toBe('fail');
    // Totals and matched change both up (whichever margin's change the fail reports).
    expect(m.effect!.estimate).toBeGreaterThan(0);
    expect((m.canary as { rate: number }).rate).toBeGreaterThan((m.baseline as { rate: number }).rate);
    expect(m.reason).toContain('matched by interval');
    expect(m.reason).not.toContain('the totals point the other way');
  });

  it('keeps the finding within the 300 characters of a Flagger event, before the explanation', () => {
    const { baseline, canary } = timeline(40);
    const result = analyze({ metrics: [{ name: 'error-rate', kind: 'proportion', critical: true, baseline: { ...sum(baseline), intervals: baseline }, canary: { ...sum(canary), intervals: canary } }] });
    expect(result.verdict).toBe('fail');
    expect(eventText(result.verdict, result.reason)).toMatch(/it changed by \+[\d,.]+ ?(%|pp) \(confidence interval [^)]*\), beyond the tolerated \+[\d.]+ ?(%|pp)/);
  });
});
