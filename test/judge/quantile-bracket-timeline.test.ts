/**
 * Issue 21 through the judge: on a timeline of histograms the matched p95 test claims what the
 * buckets can say (src/stats/quantile-bracket-e-process.ts). On the resolving buckets the seed
 * ships (about 4.5 % apart) a canary whose p95 is x1.2 fails the default +10 % margin, which the
 * comparison of tails it replaced could never show; on Envoy's default buckets the answer stays
 * inconclusive with the bucket reason, however the canary's shape moved.
 */
import { analyze } from '../../src/judge/analyze';
import type { HistogramBucket, MetricInput, ValuesInterval } from '../../src/judge/types';
import { multinomial, normalFrom, seededUniform } from '../../src/planner/draws';
import { quantileTimelineVerdict } from '../../src/planner/verdicts';
import { normalCdf } from '../../src/stats/normal';
import { ENVOY_DEFAULT_BUCKETS, RESOLVING_LATENCY_BUCKETS } from '../../demo/latency-buckets';

/** Lognormal latency (median ms, sigma), with a share of slow calls (a second lognormal) if given. */
interface Latency {
  readonly median: number;
  readonly sigma: number;
  readonly slow?: { readonly share: number; readonly median: number; readonly sigma: number };
}

const cdf = (l: Latency, x: number) => {
  const body = normalCdf(Math.log(x / l.median) / l.sigma);
  return l.slow ? (1 - l.slow.share) * body + l.slow.share * normalCdf(Math.log(x / l.slow.median) / l.slow.sigma) : body;
};

function probabilities(bounds: readonly number[], l: Latency): Float64Array {
  let previous = 0;
  return Float64Array.from(bounds, (le) => {
    const c = le === Infinity ? 1 : cdf(l, le);
    const p = c - previous;
    previous = c;
    return p;
  });
}

/** A rollout at 10,000 requests a minute, the canary's share 1 % -> 10 % -> 50 % for the given minutes each, one-minute histogram intervals. */
function rollout(seed: number, bounds: readonly number[], baseline: Latency, canary: Latency, minutes: readonly number[]) {
  const uniform = seededUniform(seed);
  const normal = normalFrom(uniform);
  const counts = new Float64Array(bounds.length);
  const side = (n: number, l: Latency): ValuesInterval => {
    multinomial(n, probabilities(bounds, l), counts, uniform, normal);
    let total = 0;
    return { histogram: { buckets: bounds.map((le, i): HistogramBucket => ({ le, count: (total += counts[i]) })) } };
  };
  const out = { baseline: [] as ValuesInterval[], canary: [] as ValuesInterval[] };
  [0.01, 0.1, 0.5].forEach((share, step) => {
    for (let minute = 0; minute < minutes[step]; minute++) {
      const n = Math.round(10_000 * share);
      out.baseline.push(side(10_000 - n, baseline));
      out.canary.push(side(n, canary));
    }
  });
  return out;
}

const total = (intervals: readonly ValuesInterval[]): ValuesInterval => {
  const first = intervals[0] as { histogram: { buckets: HistogramBucket[] } };
  return { histogram: { buckets: first.histogram.buckets.map((b, i) => ({ le: b.le, count: intervals.reduce((s, x) => s + (x as typeof first).histogram.buckets[i].count, 0) })) } };
};

function judgeP95(data: { baseline: ValuesInterval[]; canary: ValuesInterval[] }) {
  const metric: MetricInput = {
    name: 'latency',
    kind: 'continuous',
    critical: true,
    baseline: { ...total(data.baseline), intervals: data.baseline },
    canary: { ...total(data.canary), intervals: data.canary },
  } as MetricInput;
  return analyze({ metrics: [metric], evidence: 'anytime-valid' }).metrics[0];
}

const RESOLVING = [...RESOLVING_LATENCY_BUCKETS, Infinity];
const BASELINE: Latency = { median: 40, sigma: 0.5 }; // p95 91.0 ms, inside (89.6, 93.6]

describe('p95 on the resolving buckets (about 4.5 % apart), default margin +10 %', () => {
  // 7 minutes at 1 % and at 10 %, 20 at 50 %: a p95 x1.2 needs about a quarter of an hour at 5,000 canary requests a minute here.
  const minutes = [7, 7, 20];

  it('fails a canary whose p95 is x1.2 on a fixed-seed timeline, with an interval beyond the margin; the comparison of tails never could', () => {
    const data = rollout(20261208, RESOLVING, BASELINE, { median: 48, sigma: 0.5 }, minutes);
    const m = judgeP95(data);
    expect(m.verdict).toBe('fail');
    expect(m.effect!.lower).toBeGreaterThanOrEqual(0.1);
    expect(m.effect!.upper).toBeGreaterThan(m.effect!.lower);
    // Decided in the 50 % step (intervals 15-34).
    expect(m.decidedAt).toBeGreaterThan(14);
    expect(m.reason).toMatch(/^failed at interval \d+/);
    const tails = quantileTimelineVerdict(data.baseline, data.canary, 0.95, { relative: 0.1 }, 'increase', { fail: 0.05, pass: 0.05 }, 'tails');
    expect(tails.verdict).toBe('inconclusive');
  });

  it('passes a healthy canary on the same buckets, and neither passes nor fails one exactly at the margin', () => {
    const healthy = judgeP95(rollout(20261209, RESOLVING, BASELINE, BASELINE, minutes));
    expect(healthy.verdict).toBe('pass');
    expect(healthy.effect!.upper).toBeLessThanOrEqual(0.1);
    const atMargin = judgeP95(rollout(20261210, RESOLVING, BASELINE, { median: 44, sigma: 0.5 }, minutes));
    expect(atMargin.verdict).toBe('inconclusive');
  });
});

describe("p95 on Envoy's default buckets stays inconclusive with the bucket reason", () => {
  // The shape: a model body (median 70 ms, sigma 0.4) and 3 % slow dependency calls (450 ms): p95 about 158 ms in (100, 250].
  const baseline: Latency = { median: 70, sigma: 0.4, slow: { share: 0.03, median: 450, sigma: 0.5 } };
  it.each([
    ['p95 +20 % with a lighter far tail (body x1.347, 1 % slow calls)', { median: 70 * 1.347, sigma: 0.4, slow: { share: 0.01, median: 450, sigma: 0.5 } }],
    ['an identical canary', baseline],
  ])('%s', (_name, canary) => {
    const m = judgeP95(rollout(20261211, [...ENVOY_DEFAULT_BUCKETS, Infinity], baseline, canary, [7, 7, 7]));
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toMatch(/too coarse to ever tell whether it is within the tolerated \+10%: p95 lies in the bucket \(100, 250\]/);
    expect(m.effect!.lower).toBeLessThanOrEqual(0.1);
    expect(m.effect!.upper).toBeGreaterThanOrEqual(0.1);
  });
});
