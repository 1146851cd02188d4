import fixtures from '../fixtures/segments.json';
import { analyze } from '../../src/judge/analyze';
import { pooledSides } from '../../src/judge/segment-pooling';
import { requiredSegments } from '../../src/judge/segments';
import type { CategoricalSide, CountSide, MetricInput, MetricResult, Segment, ValuesSide } from '../../src/judge/types';
import { segmentedRollout, tenants, withOneBad } from '../../bench/simulate/segments';

type Kind = MetricInput['kind'];

/** A segmented metric as the request parser builds it: the segments, and the sides pooled from them. */
function segmented<S extends CountSide | ValuesSide | CategoricalSide>(kind: Kind, segments: Segment<S>[], options: Record<string, unknown> = {}): MetricInput {
  return { name: 'm', kind, segmentBy: 'tenant', segments, ...pooledSides(kind, segments as never), ...options } as MetricInput;
}

function judge(metric: MetricInput, evidence: 'anytime-valid' | 'fixed-sample' = 'fixed-sample'): MetricResult {
  return analyze({ metrics: [metric], evidence }).metrics[0];
}

const counts = (events: number, total: number): CountSide => ({ events, total });
const simpson = Object.entries(fixtures.simpson.segments).map(([value, s]) => ({ value, baseline: s.baseline, canary: s.canary }));

describe('segments: Simpson\'s paradox (numpy/scipy reference)', () => {
  const result = judge(segmented('proportion', simpson, { margin: { relative: 0.5 } }));
  const report = result.segments!;

  it('fails the tenant that is worse although the pooled rate is better, naming it', () => {
    expect(result.verdict).toBe('fail');
    expect(result.reason).toMatch(/^fine pooled over all 2 segments but 3x the baseline's rate for tenant="easy" \(90 % of the canary's traffic, 10 % of the baseline's\): /);
    expect(report.pooled.verdict).toBe('pass');
    expect(report.segments.map((s) => s.verdict)).toEqual(['fail', 'fail']);
    expect(result.effect?.measure).toBe('relative change in rate, tenant="easy"');
  });

  it('judges each segment\'s fail at alpha / k and its pass at alpha: the bounds are scipy\'s Clopper-Pearson ones', () => {
    expect(report.alphaPerSegment).toBe(fixtures.simpson.alphaPerSegment);
    for (const expected of fixtures.simpson.perSegment) {
      const segment = report.segments.find((s) => s.value === expected.segment)!;
      expect(segment.effect!.estimate).toBeCloseTo(expected.estimate, 12);
      expect(segment.effect!.lower).toBeCloseTo(expected.lower, 9);
      expect(segment.effect!.upper).toBeCloseTo(expected.upper, 9);
    }
  });

  it('reports the pooled effect beside the standardised one and says the pooled number is confounded', () => {
    expect(report.pooled.effect!.estimate).toBeCloseTo(fixtures.simpson.crudeRelative, 12);
    expect(report.pooled.standardised).toEqual({ measure: 'relative change in rate', unit: 'relative', crude: expect.any(Number), standardised: expect.any(Number) });
    expect(report.pooled.standardised!.crude).toBeCloseTo(fixtures.simpson.crudeRelative, 12);
    expect(report.pooled.standardised!.standardised).toBeCloseTo(fixtures.simpson.standardisedRelative, 12);
    expect(report.pooled.mixDifference).toBeCloseTo(fixtures.simpson.mixDifference, 12);
    expect(report.pooled.mixTest!.statistic).toBeCloseTo(fixtures.simpson.chiSquared.statistic, 3);
    expect(report.pooled.mixTest!.pValue).toBe(fixtures.simpson.chiSquared.pValue);
    expect(report.pooled.confounded).toMatch(/^the pooled relative change in rate \(-48\.4%\) is confounded by the mix of segments: .* by 80\.0 pp .* the canary's is \+101%, the other way \(Simpson's paradox\)/);
    expect(result.reason).toContain('Simpson\'s paradox');
  });

  it('fails with anytime-valid evidence too', () => {
    expect(judge(segmented('proportion', simpson), 'anytime-valid').verdict).toBe('fail');
  });

  it('states the rule and the budget', () => {
    expect(report.rule).toBe(
      'each of the 2 segments by tenant is judged on its own data, its fail at 0.05 / 2 = 0.025 (Bonferroni); the metric fails if any segment fails, passes if every segment among the largest holding at least 90 % of each side\'s traffic passes, and is inconclusive otherwise',
    );
  });
});

describe('segments: the standardised effect of other kinds (numpy reference)', () => {
  const bounds = fixtures.latency.le.map((le) => (le === '+Inf' ? Infinity : Number(le)));
  const histogram = (cumulative: number[]): ValuesSide => ({ histogram: { buckets: bounds.map((le, i) => ({ le, count: cumulative[i] })) } });

  it('latency: p95 pooled, and on the baseline\'s mix', () => {
    const segments = Object.entries(fixtures.latency.segments).map(([value, s]) => ({ value, baseline: histogram(s.baseline), canary: histogram(s.canary) }));
    const report = judge(segmented('continuous', segments, { quantile: 0.95 })).segments!;
    expect(report.pooled.effect!.estimate).toBeCloseTo(fixtures.latency.crudeRelative, 10);
    expect(report.pooled.standardised!.crude).toBeCloseTo(fixtures.latency.crudeRelative, 10);
    expect(report.pooled.standardised!.standardised).toBeCloseTo(fixtures.latency.standardisedRelative, 10);
    expect(report.pooled.confounded).toMatch(/the other way \(Simpson's paradox\)/);
  });

  it('categories: the largest change in a class share', () => {
    const side = (shares: Record<string, number>): CategoricalSide => ({ counts: Object.entries(shares) });
    const segments = Object.entries(fixtures.categorical.segments).map(([value, s]) => ({ value, baseline: side(s.baseline), canary: side(s.canary) }));
    const report = judge(segmented('categorical', segments)).segments!;
    expect(report.pooled.standardised!.crude).toBeCloseTo(fixtures.categorical.crudeLargest, 12);
    expect(report.pooled.standardised!.standardised).toBeCloseTo(fixtures.categorical.standardisedLargest, 12);
    expect(report.pooled.confounded).toMatch(/^the pooled largest change in a category share \(46\.9 pp\) is confounded/);
  });

  it('distributions are not standardised: a different mix is called out as possibly confounding', () => {
    const values = (n: number, shift: number) => ({ values: Array.from({ length: n }, (_, i) => shift + i / n) });
    const segments = [
      { value: 'a', baseline: values(900, 0), canary: values(100, 0) },
      { value: 'b', baseline: values(100, 5), canary: values(900, 5) },
    ];
    const report = judge(segmented('distribution', segments)).segments!;
    expect(report.pooled.standardised).toBeUndefined();
    expect(report.pooled.confounded).toMatch(/^the pooled number may be confounded by the mix of segments \(.* by 80\.0 pp/);
  });
});

describe('segments: the rule', () => {
  const healthy = (share: number) => ({ baseline: counts(Math.round(share * 1e6 * 0.005), share * 1e6), canary: counts(Math.round(share * 1e6 * 0.005), share * 1e6) });

  it('passes when every segment a pass needs passes; a small undecided segment is named, not blocking', () => {
    const segments = [
      { value: 'big', ...healthy(0.8) },
      { value: 'medium', ...healthy(0.15) },
      { value: 'tiny', baseline: counts(0, 300), canary: counts(1, 300) },
    ];
    const result = judge(segmented('proportion', segments));
    expect(result.verdict).toBe('pass');
    expect(result.segments!.segments.map((s) => [s.value, s.verdict, s.required, s.judged])).toEqual([
      ['big', 'pass', true, true],
      ['medium', 'pass', true, true],
      ['tiny', 'inconclusive', false, true],
    ]);
    expect(result.reason).toMatch(/^passes in every segment a pass needs: 2 of 3 segments, holding 100 % of the baseline's and 100 % of the canary's traffic \(at least 90 % of each\); not needed for the pass and not yet passing: tenant="tiny"/);
  });

  it('is inconclusive while a segment a pass needs is undecided, and a lower coverage lets it go', () => {
    const segments = [
      { value: 'big', ...healthy(0.8) },
      { value: 'medium', baseline: counts(150, 150_000), canary: counts(195, 150_000) },
      { value: 'rest', ...healthy(0.05) },
    ];
    const margin = { relative: 0.5 };
    const result = judge(segmented('proportion', segments, { margin }));
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/^not yet passing in tenant="medium" \(15 % of the canary's traffic, 15 % of the baseline's\): /);
    expect(result.effect!.measure).toBe('relative change in rate, tenant="medium"');
    expect(judge(segmented('proportion', segments, { margin, segmentCoverage: 0.8 })).verdict).toBe('pass');
  });

  it('names a segment without enough data, or on one side only, as not judged and never passes on it when needed', () => {
    const segments = [
      { value: 'acme', ...healthy(0.5) },
      { value: 'globex', baseline: counts(0, 0), canary: counts(3, 400_000) },
      { value: 'initech', baseline: counts(0, 12), canary: counts(0, 5) },
    ];
    const result = judge(segmented('proportion', segments));
    expect(result.verdict).toBe('inconclusive');
    const byValue = Object.fromEntries(result.segments!.segments.map((s) => [s.value, s]));
    expect(byValue.globex).toMatchObject({ judged: false, required: true, verdict: 'inconclusive', reason: 'appears on the canary only (400000 observations there, none on the other side): not judged' });
    expect(byValue.initech).toMatchObject({ judged: false, required: false, verdict: 'inconclusive' });
    expect(result.reason).toMatch(/not yet passing in tenant="globex" .*: appears on the canary only/);
    expect(result.reason).toMatch(/also not judged \(too little data\): tenant="globex" .*; tenant="initech" \(the baseline has 12 and the canary has 5 trials, fewer than the 20 required \(minSamples\)\)/);
  });

  it('fails on one bad segment although the pooled rate is within the margin', () => {
    const segments = [
      { value: 'acme', baseline: counts(500, 100_000), canary: counts(2_000, 100_000) },
      ...Array.from({ length: 9 }, (_, i) => ({ value: `t${i}`, ...healthy(0.1) })),
    ];
    const result = judge(segmented('proportion', segments));
    expect(result.segments!.pooled.verdict).toBe('pass');
    expect(result.verdict).toBe('fail');
    expect(result.reason).toMatch(/^fine pooled over all 10 segments but 4x the baseline's rate for tenant="acme" \(10 % of the canary's traffic, 10 % of the baseline's\): the rate is 2% on the canary vs 0\.5% on the baseline/);
    expect(result.segments!.alphaPerSegment).toBeCloseTo(0.005, 15);
  });

  it('is inconclusive without any segment', () => {
    const result = judge({ name: 'm', kind: 'proportion', segmentBy: 'tenant', segments: [], baseline: counts(0, 0), canary: counts(0, 0) });
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toBe('no segment has data: neither side has any data');
  });

  it('leaves its input alone', () => {
    const segments = Object.freeze(simpson.map((s) => Object.freeze({ ...s, baseline: Object.freeze({ ...s.baseline }), canary: Object.freeze({ ...s.canary }) })));
    const metric = Object.freeze(segmented('proportion', segments as never));
    expect(() => judge(metric)).not.toThrow();
  });
});

describe('requiredSegments', () => {
  it('takes the largest segments until each side\'s coverage is met', () => {
    const shares = [
      { baseline: 0.05, canary: 0.3 },
      { baseline: 0.6, canary: 0.5 },
      { baseline: 0.35, canary: 0.2 },
    ];
    // Largest first by the mean of the two shares: 1, 2, then 0 (the canary's 0.7 is short of 0.8).
    expect([...requiredSegments(shares, 0.8)].sort()).toEqual([0, 1, 2]);
    expect([...requiredSegments(shares, 0.7)].sort()).toEqual([1, 2]);
    expect([...requiredSegments(shares, 0.5)].sort()).toEqual([1]);
  });
});

describe('segments over a simulated rollout (per interval, anytime-valid)', () => {
  it('catches 4x the errors for the tenant with 10 % of the traffic that the same data unsegmented pass as within the margin', () => {
    const segments = segmentedRollout(withOneBad(tenants(5), 3, 0.1, 4), 11);
    const result = judge(segmented('proportion', segments), 'anytime-valid');
    expect(result.verdict).toBe('fail');
    expect(result.reason).toMatch(/^fails for tenant="t03" \(.*\), [\d.]+x the baseline's rate there: failed at interval \d+ of 21/);
    expect(result.decidedAt).toBeGreaterThan(7);
    expect(result.timeline!.length).toBeGreaterThan(1);
    const { segments: _s, segmentBy: _b, ...unsegmented } = segmented('proportion', segments) as MetricInput & { segments: unknown; segmentBy: unknown };
    expect(judge(unsegmented as MetricInput, 'anytime-valid').verdict).not.toBe('fail');
  });

  it('fails no healthy rollout of 20 tenants (a light check; the benchmark measures the rate)', () => {
    const fails = Array.from({ length: 8 }, (_, r) => judge(segmented('proportion', segmentedRollout(tenants(20), 500 + r)), 'anytime-valid')).filter((m) => m.verdict === 'fail');
    expect(fails.map((m) => m.reason)).toEqual([]);
  });
});
