/**
 * Properties the judge must keep for any input, checked on generated data (fast-check).
 */
import fc from 'fast-check';
import { analyze } from '../../src/judge/analyze';
import type { MetricInput } from '../../src/judge/types';

const smallValues = (min: number, max: number) =>
  fc.oneof(
    fc.array(fc.integer({ min: 0, max: 20 }), { minLength: min, maxLength: max }), // heavy ties
    fc.array(fc.double({ min: 0.001, max: 1000, noNaN: true }), { minLength: min, maxLength: max }),
  );

const countSide = fc.integer({ min: 0, max: 5000 }).chain((total) => fc.record({ events: fc.integer({ min: 0, max: total }), total: fc.constant(total) }));

const categorical = fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 2, maxLength: 5 });
const toCounts = (xs: number[]) => ({ counts: xs.map((c, i) => [`class-${i}`, c] as [string, number]) });

const anyMetric: fc.Arbitrary<MetricInput> = fc.oneof(
  fc.record({ name: fc.constant('c'), kind: fc.constant('continuous' as const), baseline: smallValues(0, 60).map((values) => ({ values })), canary: smallValues(0, 60).map((values) => ({ values })) }),
  fc.record({ name: fc.constant('d'), kind: fc.constant('distribution' as const), baseline: smallValues(0, 60).map((values) => ({ values })), canary: smallValues(0, 60).map((values) => ({ values })) }),
  fc.record({ name: fc.constant('p'), kind: fc.constant('proportion' as const), baseline: countSide, canary: countSide }),
  fc.record({ name: fc.constant('k'), kind: fc.constant('categorical' as const), baseline: categorical.map(toCounts), canary: categorical.map(toCounts) }),
);

describe('judge properties', () => {
  it('reports every p-value inside [0, 1] and every verdict from the three states', () => {
    fc.assert(
      fc.property(anyMetric, (metric) => {
        const result = analyze({ metrics: [metric] });
        expect(['pass', 'fail', 'inconclusive']).toContain(result.verdict);
        for (const test of result.metrics[0].tests) {
          if (test.pValue !== undefined) {
            expect(test.pValue).toBeGreaterThanOrEqual(0);
            expect(test.pValue).toBeLessThanOrEqual(1);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never passes a metric with an empty or thin side, nor the analysis around it', () => {
    const thin = fc.record({
      kind: fc.constantFrom('continuous', 'distribution', 'proportion', 'categorical'),
      thinSide: fc.constantFrom('baseline', 'canary'),
      thinN: fc.integer({ min: 0, max: 19 }),
      seedValue: fc.double({ min: 1, max: 100, noNaN: true }),
    });
    fc.assert(
      fc.property(thin, ({ kind, thinSide, thinN, seedValue }) => {
        const plenty = 5000;
        const side = (n: number) => {
          switch (kind) {
            case 'continuous':
            case 'distribution':
              return { values: Array.from({ length: n }, (_, i) => seedValue + (i % 50)) };
            case 'proportion':
              return { events: Math.floor(n / 100), total: n };
            default:
              return toCounts([Math.ceil(n / 2), Math.floor(n / 2)]);
          }
        };
        const metric = {
          name: 'm',
          kind,
          baseline: side(thinSide === 'baseline' ? thinN : plenty),
          canary: side(thinSide === 'canary' ? thinN : plenty),
        } as MetricInput;
        const result = analyze({ metrics: [metric], thresholds: { pass: 0 } });
        expect(result.metrics[0].verdict).toBe('inconclusive');
        expect(result.verdict).not.toBe('pass');
      }),
      { numRuns: 300 },
    );
  });

  it('flips the sign of the effect when canary and baseline swap', () => {
    const pair = fc.oneof(
      fc.record({
        kind: fc.constant('continuous' as const),
        margin: fc.constantFrom({ relative: 0.1 }, { absolute: 1 }),
        a: smallValues(25, 80),
        b: smallValues(25, 80),
      }),
      fc.record({
        kind: fc.constant('proportion' as const),
        margin: fc.constantFrom({ relative: 0.5 }, { absolute: 0.01 }),
        a: countSide.filter((s) => s.total >= 20 && s.events > 0),
        b: countSide.filter((s) => s.total >= 20 && s.events > 0),
      }),
    );
    fc.assert(
      fc.property(pair, ({ kind, margin, a, b }) => {
        const build = (baseline: unknown, canary: unknown) =>
          analyze({
            metrics: [
              kind === 'continuous'
                ? { name: 'm', kind, margin, baseline: { values: baseline as number[] }, canary: { values: canary as number[] } }
                : { name: 'm', kind, margin, baseline: baseline as { events: number; total: number }, canary: canary as { events: number; total: number } },
            ],
          }).metrics[0];
        const forward = build(a, b).effect!;
        const backward = build(b, a).effect!;
        if (!Number.isFinite(forward.estimate) || !Number.isFinite(backward.estimate)) return;
        expect(Math.sign(backward.estimate) + 0).toBe(-Math.sign(forward.estimate) + 0);
        if (forward.unit !== 'relative') expect(backward.estimate).toBeCloseTo(-forward.estimate, 12);
      }),
      { numRuns: 300 },
    );
  });
});
