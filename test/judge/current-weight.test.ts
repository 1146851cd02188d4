/**
 * A pass rests on the current weight's traffic even where the data do not show the step yet
 * (src/judge/current-weight.ts): Argo measures at once after setWeight and Prometheus' latest
 * samples lag, so the 50 % gate's first look can see a latest interval still at 10 %. Healthy
 * 1 % and 10 % steps pass on their own evidence; the gate's look must not take that pass for
 * the 50 % step's.
 */
import { analyze } from '../../src/judge/analyze';
import { prefixMetric } from '../../src/judge/timeline';
import type { CountInterval, MetricInput } from '../../src/judge/types';

const PER_MINUTE = 100_000;
const RATE = 0.01;

/** Each minute's canary share: 7 at 1 %, 7 at 10 %, then `after`. */
function timeline(after: readonly number[]): MetricInput {
  const shares = [...Array(7).fill(0.01), ...Array(7).fill(0.1), ...after];
  const side = (share: (s: number) => number): CountInterval[] => shares.map((s) => ({ events: Math.round(share(s) * PER_MINUTE * RATE), total: Math.round(share(s) * PER_MINUTE) }));
  const baseline = side((s) => 1 - s);
  const canary = side((s) => s);
  return prefixMetric<MetricInput>({ name: 'errors', kind: 'proportion', margin: { relative: 0.5 }, baseline: { events: 0, total: 0, intervals: baseline }, canary: { events: 0, total: 0, intervals: canary } }, shares.length);
}

/** The gate's first look: 5 s of the 50 % step inside the latest minute (55 s at 10 %). */
const FIRST_LOOK_SHARE = (55 * 0.1 + 5 * 0.5) / 60;

describe('a pass at the current weight', () => {
  it('without the weight, the gate\'s first look passes on the 10 % step (the data do not show the step)', () => {
    const result = analyze({ metrics: [timeline([FIRST_LOOK_SHARE])] });
    expect(result.metrics[0].verdict).toBe('pass');
  });

  it('with the weight the routing promises, that pass is withheld and the reason names both shares', () => {
    const result = analyze({ metrics: [timeline([FIRST_LOOK_SHARE])], canaryWeight: 0.5 });
    const m = result.metrics[0];
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toMatch(/^not passed at the current weight yet: the routing gives the canary 50 % of the traffic, and the timeline's latest interval \(15\) still shows 13.3 % of 100,000/);
    expect(m.reason).toMatch(/Without this: /);
    // The pass it withholds had a decidedAt; an undecided metric has none.
    expect(analyze({ metrics: [timeline([FIRST_LOOK_SHARE])] }).metrics[0].decidedAt).toBeDefined();
    expect(m.decidedAt).toBeUndefined();
    expect(result.verdict).toBe('inconclusive');
  });

  it('the traffic check\'s expected share is that weight by default', () => {
    const result = analyze({ metrics: [timeline([FIRST_LOOK_SHARE])], traffic: { expectedCanaryShare: 0.5, baseline: 50_000, canary: 50_000 } });
    expect(result.metrics[0].verdict).toBe('inconclusive');
  });

  it('once the latest interval shows the step, the step\'s own intervals decide', () => {
    // The step inside interval 15, then 50 % minutes: a pass on them stands with the weight given.
    const result = analyze({ metrics: [timeline([0.3, 0.5, 0.5, 0.5])], canaryWeight: 0.5 });
    expect(result.metrics[0].verdict).toBe('pass');
    expect(result.metrics[0].reason).toMatch(/on intervals 15-17 \(the traffic at the canary's current weight/);
  });

  it('a share clearly below half the weight withholds; one consistent with half does not', () => {
    // 25 % of 100,000 is not clearly below half of 50 %; 20 % is.
    expect(analyze({ metrics: [timeline([0.3, 0.5, 0.5, 0.25])], canaryWeight: 0.5 }).metrics[0].verdict).toBe('pass');
    const below = analyze({ metrics: [timeline([0.3, 0.5, 0.5, 0.2])], canaryWeight: 0.5 }).metrics[0];
    expect(below.verdict).toBe('inconclusive');
    expect(below.reason).toMatch(/^not passed at the current weight yet: .* still shows 20 % of 100,000/);
  });

  it('never touches a fail, nor a weight of 0 or 1, nor fixed-sample evidence', () => {
    const harmful = timeline([FIRST_LOOK_SHARE]);
    const worse = { ...harmful, canary: { ...harmful.canary, intervals: (harmful.canary.intervals as CountInterval[]).map((i) => ({ ...i, events: i.events * 3 })) } } as MetricInput;
    const failed = analyze({ metrics: [prefixMetric(worse, 15)], canaryWeight: 0.5 });
    expect(failed.metrics[0].verdict).toBe('fail');
    expect(analyze({ metrics: [timeline([FIRST_LOOK_SHARE])], canaryWeight: 1 }).metrics[0].verdict).toBe('pass');
    expect(analyze({ metrics: [timeline([FIRST_LOOK_SHARE])], canaryWeight: 0 }).metrics[0].verdict).toBe('pass');
    const fixed = analyze({ metrics: [timeline([FIRST_LOOK_SHARE])], canaryWeight: 0.5, evidence: 'fixed-sample' }).metrics[0];
    expect(fixed.reason).not.toMatch(/not passed at the current weight/);
  });
});
