/** The forest plot's Vega-Lite spec (src/report/plots.ts): each metric's own margins, off-scale estimates, unit titles. */
import { analyze } from '../../src/judge/analyze';
import { forestSpec, renderSvg, valueTitle } from '../../src/report/plots';
import type { AnalysisResult, MetricResult } from '../../src/judge/types';

type Layer = { data?: { values: Record<string, unknown>[] }; layer?: Layer[]; hconcat?: Layer[]; mark?: { type: string } };
const values = (spec: unknown): Record<string, unknown>[] => {
  const out: Record<string, unknown>[] = [];
  const walk = (l: Layer) => {
    if (l.data) out.push(...l.data.values);
    l.layer?.forEach(walk);
    l.hconcat?.forEach(walk);
  };
  walk(spec as Layer);
  return out;
};

function result(metrics: Partial<MetricResult>[]): AnalysisResult {
  return {
    verdict: 'inconclusive',
    score: 50,
    reason: 'x',
    alpha: 0.05,
    evidence: 'anytime-valid',
    metrics: metrics.map((m, i) => ({
      name: `m${i}`,
      kind: 'proportion',
      verdict: 'inconclusive',
      reason: '',
      critical: false,
      weight: 1,
      direction: 'increase',
      baseline: { n: 1, events: 0, rate: 0 },
      canary: { n: 1, events: 0, rate: 0 },
      effect: { measure: 'relative change in rate', unit: 'relative', estimate: 0.1, lower: -0.2, upper: 0.4, tolerance: 0.5 },
      tests: [],
      ...m,
    })) as MetricResult[],
  } as AnalysisResult;
}

describe('forestSpec', () => {
  it('draws on each row only the margins that metric has', () => {
    const spec = forestSpec(
      result([
        { name: 'errors', direction: 'increase' },
        { name: 'score', kind: 'distribution', direction: 'either', effect: { measure: 'KS distance', unit: 'distance', estimate: 0.02, lower: 0, upper: 0.05, tolerance: 0.1 } },
        { name: 'latency', kind: 'continuous', direction: 'either' },
      ]),
    )!;
    const ticks = values(spec).filter((d) => 'metric' in d && 'x' in d && !('verdict' in d));
    expect(ticks).toEqual([
      { metric: 'errors', x: 1 },
      // A distance is unsigned: its only margin is above zero, whatever the direction.
      { metric: 'score', x: 1 },
      { metric: 'latency', x: 1 },
      { metric: 'latency', x: -1 },
    ]);
    // Without a two-sided metric, no "−margin" label at all.
    const oneSided = values(forestSpec(result([{ name: 'errors' }]))!).filter((d) => typeof d.text === 'string').map((d) => d.text);
    expect(oneSided).toEqual(['+margin']);
  });

  it('labels an estimate beyond four margins with its value instead of clipping it silently', async () => {
    const spec = forestSpec(
      result([
        { name: 'up', effect: { measure: 'relative change in rate', unit: 'relative', estimate: 23.8, lower: -0.74, upper: Infinity, tolerance: 0.5 } },
        { name: 'down', direction: 'either', effect: { measure: 'relative change in rate', unit: 'relative', estimate: -0.9, lower: -0.95, upper: -0.85, tolerance: 0.1 } },
        { name: 'inside' },
      ]),
    )!;
    const labels = [...new Set(values(spec).filter((d) => d.offScale).map((d) => `${d.metric}: ${d.offScale}`))];
    expect(labels).toEqual(['up: estimate +2380%, off scale ▸', 'down: estimate -90%, off scale ◂']);
    const svg = await renderSvg(spec);
    expect(svg).toContain('estimate +2380%, off scale ▸');
    expect(svg).toContain('estimate -90%, off scale ◂');
  });

  it('works from what the judge returns', () => {
    const judged = analyze({ metrics: [{ name: 'errors', kind: 'proportion', baseline: { events: 10, total: 10_000 }, canary: { events: 40, total: 1_000 } }] });
    const row = values(forestSpec(judged)!).find((d) => String(d.metric).endsWith('errors') && 'verdict' in d)!;
    expect(row.offScale).toMatch(/^estimate \+\d+%, off scale ▸$/);
  });
});

describe('valueTitle', () => {
  it.each([
    ['latency-ms', 'latency-ms (ms)'],
    ['request_duration_seconds', 'request_duration_seconds (s)'],
    ['prediction-score', 'prediction-score (0 to 1)'],
    ['latency', 'latency (unit not stated)'],
    ['items', 'items (unit not stated)'],
  ])('%s -> %s', (name, title) => expect(valueTitle(name)).toBe(title));
});
