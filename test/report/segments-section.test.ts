/** A segmented metric on the report page (src/report/segments-section.ts): a forest row per segment, the pooled row, the Simpson guard. */
import fixtures from '../fixtures/segments.json';
import { analyze } from '../../src/judge/analyze';
import { pooledSides } from '../../src/judge/segment-pooling';
import type { MetricInput } from '../../src/judge/types';
import { htmlReport, escapeHtml } from '../../src/report/html-report';
import { POOLED_ROW, segmentsSection } from '../../src/report/segments-section';
import { textReport } from '../../src/contracts/text-report';

const segments = Object.entries(fixtures.simpson.segments).map(([value, s]) => ({ value, baseline: s.baseline, canary: s.canary }));
const metric = { name: 'errors', kind: 'proportion', segmentBy: 'tenant', segments: [...segments, { value: 'tiny', baseline: { events: 0, total: 3 }, canary: { events: 0, total: 0 } }], ...pooledSides('proportion', segments) } as MetricInput;
const result = analyze({ metrics: [metric], evidence: 'fixed-sample' });

describe('segments on the report page', () => {
  it('draws one forest row per segment with an effect, then the pooled row, and lists every segment', async () => {
    const html = await segmentsSection(result.metrics[0], escapeHtml);
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    for (const row of ['tenant=&quot;easy&quot;', 'tenant=&quot;hard&quot;', POOLED_ROW]) expect(svg).toContain(row);
    // The segment without data has no effect to draw, but its row in the table says why.
    expect(svg).not.toContain('tiny');
    expect(html).toMatch(/<tr class="inconclusive"><td>tenant=&quot;tiny&quot;<\/td><td>0 % \/ [\d.]+ %<\/td><td>inconclusive \(not judged\) · not needed for a pass<\/td><td>–<\/td><td class="why">neither side|<td class="why">appears on the baseline only/);
    expect(html).toContain('<strong>Pooled number confounded:</strong> the pooled relative change in rate (-48.4%)');
    expect(html).toContain("on the baseline's mix of segments (standardised): +101%");
  });

  it('is part of the metric\'s section on the page, and of the text report', async () => {
    const page = await htmlReport({ result, renderedAt: 0 });
    expect(page).toContain('<h4>Per segment (tenant)</h4>');
    const text = textReport(result);
    expect(text).toMatch(/\n {2}tenant="easy" +fail +relative change in rate +\+200% /);
    expect(text).toMatch(/\n {2}pooled \(not the verdict\) +pass +relative change in rate +-48\.4% /);
  });

  it('adds nothing for a metric without segments', async () => {
    const plain = analyze({ metrics: [{ name: 'e', kind: 'proportion', baseline: { events: 1, total: 100 }, canary: { events: 1, total: 100 } }] });
    expect(await segmentsSection(plain.metrics[0], escapeHtml)).toBe('');
  });
});
