/**
 * The category mix's reported bounds after its root searches were prepared once per category and
 * pruned (issue 22): on seeded timelines (test/fixtures/categorical-timeline-edges.json, written by
 * scripts/categorical-edges-fixture.ts from main's judge before the change) today's judge gives
 * the same verdicts, deciding intervals, bounds and series, number for number; and with the
 * pruning switched off (every edge searched to the end, as before) the same again.
 */
import { analyze } from '../../src/judge/analyze';
import { RateDifferenceEdges } from '../../src/stats/rate-difference-e-process';
import { edgeNumbers, SCENARIOS, scenarioInput } from '../../scripts/categorical-edges-fixture';
import fixture from '../fixtures/categorical-timeline-edges.json';

const scenarioNamed = (name: string) => SCENARIOS.find((s) => s.name === name)!;

describe('categorical timeline bounds: the same as before the searches were pruned', () => {
  it('covers fails, passes and inconclusives', () => {
    const verdicts = new Set(fixture.cases.map((c) => c.expected.verdict));
    expect([...verdicts].sort()).toEqual(['fail', 'inconclusive', 'pass']);
  });

  it.each(fixture.cases.map((c) => [c.scenario, c.seed, c] as const))('%s (seed %d): main\'s numbers exactly', (_name, seed, c) => {
    const got = edgeNumbers(analyze(scenarioInput(scenarioNamed(c.scenario), seed)));
    // Identical, not close: the searches evaluate the same deltas in the same order.
    expect(JSON.parse(JSON.stringify(got))).toEqual(c.expected);
  });

  it('the pruned searches report what full searches report', () => {
    const edge = RateDifferenceEdges.prototype.edge;
    const full = jest.spyOn(RateDifferenceEdges.prototype, 'edge').mockImplementation(function (this: RateDifferenceEdges, alternative, alpha, from, to) {
      return edge.call(this, alternative, alpha, from, to);
    });
    try {
      for (const c of fixture.cases.filter((_, i) => i % 2 === 0)) {
        const input = scenarioInput(scenarioNamed(c.scenario), c.seed);
        const unpruned = edgeNumbers(analyze(input));
        expect(full).toHaveBeenCalled();
        expect(JSON.parse(JSON.stringify(unpruned))).toEqual(c.expected);
      }
    } finally {
      full.mockRestore();
    }
  });
});
