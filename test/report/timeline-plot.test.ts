/** The timeline plot's Vega-Lite spec (src/report/timeline-plot.ts): margins, the deciding look, unbounded ends. */
import { renderSvg } from '../../src/report/plots';
import { decisionLabel, timelineSpec } from '../../src/report/timeline-plot';
import type { MetricResult } from '../../src/judge/types';
import { specValues as values, type Layer } from '../support/spec-values';

function metric(over: Partial<MetricResult> = {}): MetricResult {
  return {
    name: 'errors',
    kind: 'proportion',
    verdict: 'fail',
    reason: 'failed at interval 3 of 4',
    critical: true,
    weight: 1,
    direction: 'increase',
    baseline: { n: 1000, events: 5, rate: 0.005 },
    canary: { n: 1000, events: 15, rate: 0.015 },
    effect: { measure: 'relative change in rate', unit: 'relative', estimate: 2, lower: 0.8, upper: 3.4, tolerance: 0.5 },
    tests: [],
    intervals: 4,
    decidedAt: 3,
    timeline: [
      { interval: 1, estimate: 2, lower: -1, upper: Infinity },
      { interval: 2, estimate: 2.1, lower: 0.1, upper: 9 },
      { interval: 3, estimate: 2, lower: 0.6, upper: 4 },
      { interval: 4, estimate: 2, lower: 0.8, upper: 3.4 },
    ],
    ...over,
  };
}

describe('timelineSpec', () => {
  it('draws the deciding look labelled, the harmful margin only, and cuts unbounded ends at the axis', async () => {
    const spec = timelineSpec(metric())!;
    const data = values(spec);
    expect(data.filter((d) => typeof d.text === 'string' && /^margin/.test(d.text as string)).map((d) => d.text)).toEqual(['margin +50%']);
    expect(data.some((d) => d.text === 'FAIL at interval 3 of 4')).toBe(true);
    // Every plotted number is finite (no Infinity or null reaches Vega).
    for (const d of data) for (const v of Object.values(d)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
    const svg = await renderSvg(spec);
    expect(svg).toContain('FAIL at interval 3 of 4');
    expect(svg).toContain('margin +50%');
  });

  it('ends bounds beyond the axis in arrows at its edge, and titles the axis with its unit', () => {
    const spec = timelineSpec(metric()) as unknown as { layer: Layer[] };
    const arrows = spec.layer.filter((l) => l.mark?.shape?.startsWith('triangle'));
    const up = arrows.find((l) => l.mark?.shape === 'triangle-up')!.data!.values;
    // Look 1 is unbounded above; the others' upper bounds (+900 %, +400 %, +340 %) run past an
    // axis that ends a little above the largest estimate's +210 %.
    expect(up.map((d) => d.interval)).toEqual([1, 2, 3, 4]);
    const down = arrows.find((l) => l.mark?.shape === 'triangle-down')!.data!.values;
    // Look 1's -100 % lies below an axis set by the later, narrower looks.
    expect(down.map((d) => d.interval)).toEqual([1]);
    const y = JSON.stringify(spec).match(/"title":\["relative change in rate","\(% change against the baseline\)"\]/);
    expect(y).not.toBeNull();
  });

  it('either direction: both margins; unsigned measures (distance, share): the upper one only', () => {
    const either = values(timelineSpec(metric({ direction: 'either' }))!).map((d) => d.text).filter((t) => /^margin/.test(String(t)));
    expect(either).toEqual(['margin +50%', 'margin -50%']);
    const distance = metric({ direction: 'either', effect: { measure: 'KS distance', unit: 'distance', estimate: 0.2, lower: 0.1, upper: 0.3, tolerance: 0.1 } });
    expect(values(timelineSpec(distance)!).map((d) => d.text).filter((t) => /^margin/.test(String(t)))).toEqual(['margin 0.1']);
  });

  it('says "no decision" when undecided, reads JSON nulls as unbounded, and draws nothing without a series', async () => {
    const open = metric({ verdict: 'inconclusive', decidedAt: undefined, timeline: [{ interval: 1, estimate: 2, lower: null as unknown as number, upper: null as unknown as number }, { interval: 4, estimate: 2, lower: 0.1, upper: 3 }] });
    expect(decisionLabel(open)).toBe('no decision after 4 intervals');
    const svg = await renderSvg(timelineSpec(open)!);
    expect(svg).toContain('no decision after 4 intervals');
    expect(svg).not.toMatch(/NaN/);
    expect(timelineSpec(metric({ timeline: undefined }))).toBeUndefined();
    expect(timelineSpec(metric({ effect: undefined }))).toBeUndefined();
  });
});
