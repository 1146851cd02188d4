/**
 * The label coverage plot (src/report/label-coverage-plot.ts) and its place in the HTML report:
 * coverage per prediction interval and side, the coverage needed, the intervals awaiting labels.
 */
import { analyze } from '../../src/judge/analyze';
import { htmlReport } from '../../src/report/html-report';
import { caption, labelCoverageSpec } from '../../src/report/label-coverage-plot';
import { renderSvg } from '../../src/report/plots';
import type { MetricInput } from '../../src/judge/types';
import { specValues as values } from '../support/spec-values';

/** Twelve one-minute prediction intervals; the latest four have a third of their labels. */
function labelledMetric(delaySeconds = 300): MetricInput {
  const intervals = (accuracy: number) =>
    Array.from({ length: 12 }, (_, i) => {
      const total = i >= 8 ? 700 : 1960;
      return { events: Math.round(total * accuracy), total };
    });
  const side = (accuracy: number) => {
    const list = intervals(accuracy);
    return { events: list.reduce((s, i) => s + i.events, 0), total: list.reduce((s, i) => s + i.total, 0), intervals: list };
  };
  return {
    name: 'accuracy',
    kind: 'proportion',
    direction: 'decrease',
    margin: { absolute: 0.01 },
    intervalSeconds: 60,
    labelled: { predictions: { baseline: Array(12).fill(2000), canary: Array(12).fill(2000) }, minCoverage: 0.95, delaySeconds, ages: Array.from({ length: 12 }, (_, i) => (11 - i) * 60) },
    baseline: side(0.9),
    canary: side(0.9),
  };
}

describe('label coverage plot', () => {
  it('plots each side\'s coverage per interval, the coverage needed and the waiting intervals shaded', async () => {
    const [result] = analyze({ metrics: [labelledMetric()] }).metrics;
    expect(result.labels?.judged).toBe(7);
    const spec = labelCoverageSpec(result)!;
    const data = values(spec);
    const canary = data.filter((d) => d.side === 'canary');
    expect(canary).toHaveLength(12);
    expect(canary[0]).toEqual({ side: 'canary', interval: 1, coverage: 0.98 });
    expect(canary[11]).toEqual({ side: 'canary', interval: 12, coverage: 0.35 });
    expect(data).toContainEqual({ from: 7.5, to: 12.5 });
    expect(data).toContainEqual({ y: 0.95, text: 'needed 95 %' });
    expect(caption(result)).toBe('judged 1-7 of 12; 8-12 await labels (due in about 60 seconds)');
    const svg = await renderSvg(spec);
    expect(svg).toContain('needed 95 %');
    expect(svg).toContain('judged 1-7 of 12');
  });

  it('says "none judged yet" and "overdue"', () => {
    const [pending] = analyze({ metrics: [labelledMetric(3600)] }).metrics;
    expect(caption(pending)).toBe('none judged yet; 1-12 await labels (due in about 49 minutes)');
    const [late] = analyze({ metrics: [{ ...labelledMetric(), labelled: { ...(labelledMetric().labelled!), minCoverage: 0.99 } }] }).metrics;
    expect(caption(late)).toBe('none judged yet; 1-12 await labels (overdue)');
  });

  it('no plot without labels', () => {
    const [plain] = analyze({ metrics: [{ ...labelledMetric(), labelled: undefined }] }).metrics;
    expect(labelCoverageSpec(plain)).toBeUndefined();
  });

  it('the HTML report shows it under the metric, with the rule in words', async () => {
    const input = labelledMetric();
    const result = analyze({ metrics: [input] });
    const html = await htmlReport({ result, inputs: new Map([[input.name, input]]), renderedAt: 1_700_000_000 });
    expect(html).toContain('<div class="labels">');
    expect(html).toContain('Label coverage: the share of each prediction interval');
    expect(html).toContain('5 minutes old and at least 95 % (dashed)');
    expect(html).toContain('7 of 12 were judged');
  });
});
