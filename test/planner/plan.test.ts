/**
 * The rollout planner on synthetic stable histories: more traffic needs shorter steps, the
 * Rollout's own step length is reported with what it gets, and it says so when the buckets can
 * never decide or there is nothing to plan from.
 */
import { normalCdf } from '../../src/stats/normal';
import { planRollout, PlanError, type PlanOptions } from '../../src/planner/plan';
import type { StableHistory } from '../../src/planner/history';
import { planText } from '../../src/planner/plan-text';
import { ENVOY_DEFAULT_BUCKETS, RESOLVING_LATENCY_BUCKETS } from '../../demo/latency-buckets';

function history(requestsPerMinute: number, bounds: readonly number[] = [...RESOLVING_LATENCY_BUCKETS, Infinity]): StableHistory {
  return historyAt(requestsPerMinute, 40, bounds);
}

/** A stable of lognormal latency (median ms, sigma 0.5) on `bounds`. */
function historyAt(requestsPerMinute: number, median: number, bounds: readonly number[] = [...RESOLVING_LATENCY_BUCKETS, Infinity]): StableHistory {
  let previous = 0;
  const counts = bounds.map((le) => {
    const c = le === Infinity ? 1 : normalCdf(Math.log(le / median) / 0.5);
    const p = c - previous;
    previous = c;
    return Math.round(p * 1e6);
  });
  return {
    intervalSeconds: 60,
    requests: Array.from({ length: 120 }, (_, i) => Math.round(requestsPerMinute * (1 + 0.2 * Math.sin(i / 7)))),
    errors: Array.from({ length: 120 }, () => Math.round(requestsPerMinute * 0.005)),
    latency: { bounds, counts },
  };
}

const options: PlanOptions = {
  steps: [0.01, 0.1, 0.5],
  minutesPerStep: 7,
  alpha: 0.05,
  metricCount: 4,
  runs: 40,
  // +30 % p95, which 10-minute steps decide at 10,000 requests a minute: against a +10 % margin a
  // p95 x1.2 leaves the buckets (about 4.5 % apart) about a bucket to show it in, and takes about
  // 15 minutes a step here (the bucket limit below).
  harm: { errorFactor: 3, latencyFactor: 1.3 },
  metrics: [
    { name: 'error-rate', kind: 'error-rate', margin: { relative: 0.5, absolute: 0.001 } },
    { name: 'latency', kind: 'latency', margin: { relative: 0.1 }, quantile: 0.95 },
  ],
};

describe('planRollout', () => {
  it('at 10,000 requests/minute steps of about 10 minutes are enough; at 1,000 they are not, and it says how long', () => {
    const busy = planRollout(history(10_000), options);
    expect(busy.neededMinutesPerStep).not.toBeNull();
    // A pass rests on the 50 % step's own minutes (the gated window), read once settled.
    expect(busy.neededMinutesPerStep!).toBeLessThanOrEqual(10);
    for (const m of busy.metrics) {
      expect(m.given.failShare).toBeGreaterThanOrEqual(0.9);
      expect(m.needed!.passShare).toBeGreaterThanOrEqual(0.8);
    }
    const quiet = planRollout(history(1_000), options);
    const errors = quiet.metrics.find((m) => m.metric.kind === 'error-rate')!;
    expect(errors.given.failShare).toBeLessThan(0.9);
    expect(errors.needed!.minutesPerStep).toBeGreaterThan(7);
    expect(errors.needed!.failShare).toBeGreaterThanOrEqual(0.9);
    expect(quiet.neededMinutesPerStep!).toBeGreaterThanOrEqual(errors.needed!.minutesPerStep);
    // The text names the answer and each metric's margins.
    const text = planText(quiet);
    expect(text).toMatch(/this traffic needs [\d.]+ (minutes|hours) per step .*; the Rollout gives 7 minutes: lengthen its steps/);
    expect(text).toMatch(/error-rate \(0\.\d+ % errors; margin 1\.5x or \+0\.1 pp; harmful: 3x errors\)/);
    expect(text).toMatch(/margins decidable at 7 minutes per step: /);
  });

  it('decidable margins: a healthy canary passes from some margin up, a harmful one fails up to some margin below its harm', () => {
    const plan = planRollout(history(10_000), options);
    const latency = plan.metrics.find((m) => m.metric.kind === 'latency')!;
    expect(latency.margins.smallestPassing).not.toBeNull();
    expect(latency.margins.largestFailing).not.toBeNull();
    expect(1 + latency.margins.largestFailing!).toBeLessThan(1.2);
    expect(latency.margins.smallestPassing!).toBeLessThanOrEqual(latency.margins.largestFailing!);
  });

  it('on Envoy\'s default buckets the p95 margin can never be decided, and the plan says why instead of a step length', () => {
    const plan = planRollout(history(10_000, [...ENVOY_DEFAULT_BUCKETS, Infinity]), { ...options, metrics: [options.metrics[1]] });
    const latency = plan.metrics[0];
    expect(latency.needed).toBeNull();
    expect(latency.note).toMatch(/too coarse to ever/);
    expect(plan.neededMinutesPerStep).toBeNull();
    expect(planText(plan)).toMatch(/never decidable on these data/);
  });

  it('names the buckets, not "more than 4 hours", when they and not the traffic keep a p95 x1.2 from failing', () => {
    // The stable's p95 (93.1 ms) a half percent below the bound 93.6: a fail must show it below that bound.
    const nearBound = historyAt(1_000, 40.9);
    const plan = planRollout(nearBound, { ...options, runs: 20, maxMinutesPerStep: 60, harm: { latencyFactor: 1.2 }, metrics: [options.metrics[1]] });
    const latency = plan.metrics[0];
    expect(latency.needed).toBeNull();
    expect(latency.limit!.alone).toBe(true);
    expect(latency.limit!.text).toMatch(/^p95 \(93\.1\d* ms\) lies in \(89\.6, 93\.6\], 4\.5 % wide; to fail p95 x1\.2 at \+10 % the data must place the stable's p95 below 93\.6 ms \(it sits 0\.5\d* % below\)/);
    expect(latency.limit!.text).toMatch(/Add bounds near 93\.1\d* and 111\.\d+ ms \(about 1 % apart there\) or widen the margin$/);
    const text = planText(plan);
    expect(text).toMatch(/needs: not within 60 minutes per step, and the buckets, not the traffic, are the limit: /);
    expect(text).not.toMatch(/more than 60 minutes per step/);
    expect(text).toMatch(/this traffic cannot decide every metric within the longest step tried: the buckets, not the traffic, limit latency/);
  });

  it('refuses a history without traffic, steps outside (0, 1) and an empty metric list', () => {
    expect(() => planRollout({ ...history(0), requests: Array(10).fill(0), errors: Array(10).fill(0) }, options)).toThrow(PlanError);
    expect(() => planRollout(history(1000), { ...options, steps: [0.5, 1] })).toThrow('strictly between 0 and 1');
    expect(() => planRollout(history(1000), { ...options, metrics: [] })).toThrow('no error-rate or latency metric');
  });

  it('is reproducible: the same seed gives the same plan', () => {
    const a = planRollout(history(2_000), { ...options, metrics: [options.metrics[0]], runs: 20 });
    const b = planRollout(history(2_000), { ...options, metrics: [options.metrics[0]], runs: 20 });
    expect(a).toEqual(b);
  });
});
