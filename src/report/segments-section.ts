/**
 * A segmented metric on the report page: a forest plot with one row per segment (its effect
 * and interval against the margin, in units of the margin like the page's main forest), the
 * pooled comparison as the last row (drawn, but marked as not the verdict), the rule and the
 * Simpson guard in words, and every segment's numbers as a table, the ones not judged included.
 */
import { FORMAT_BY_UNIT } from '../judge/describe';
import { segmentLabel } from '../judge/segments';
import type { AnalysisResult, EffectUnit, MetricResult, SegmentsReport } from '../judge/types';
import { forestSpec, renderSvg } from './plots';

/** The pooled row's name in the plot and the table. */
export const POOLED_ROW = 'pooled, no verdict';

export async function segmentsSection(metric: MetricResult, escape: (text: string) => string): Promise<string> {
  const report = metric.segments;
  if (!report) return '';
  const spec = forestSpec(forestInput(metric, report));
  const svg = spec ? await renderSvg(spec) : '';
  const pooled = report.pooled;
  const standardised = pooled.standardised
    ? `<p class="numbers">pooled ${escape(pooled.standardised.measure)}: ${fmt(pooled.standardised.unit, pooled.standardised.crude)}; on the baseline's mix of segments (standardised): ${fmt(pooled.standardised.unit, pooled.standardised.standardised)}; the sides' mixes differ by ${(pooled.mixDifference * 100).toPrecision(3)} pp</p>`
    : `<p class="numbers">the sides' mixes of segments differ by ${(pooled.mixDifference * 100).toPrecision(3)} pp</p>`;
  const rows = report.segments
    .map((s) => {
      const e = s.effect;
      const cells = [
        segmentLabel(report.by, s.value),
        `${pct(s.share.canary)} / ${pct(s.share.baseline)}`,
        `${s.verdict}${s.judged ? '' : ' (not judged)'}${s.required ? '' : ' · not needed for a pass'}`,
        e ? `${fmt(e.unit, e.estimate)} [${fmt(e.unit, e.lower)}, ${fmt(e.unit, e.upper)}]` : '–',
      ];
      return `<tr class="${s.verdict}">${cells.map((c) => `<td>${escape(c)}</td>`).join('')}<td class="why">${escape(s.reason)}</td></tr>`;
    })
    .join('');
  return `<div class="segments">
<h4>Per segment (${escape(report.by)})</h4>
<p class="help">${escape(report.rule)}. One row per segment: the diamond is the segment's estimated change, the bar its interval, dashed its margin; the last row is the segments pooled, reported beside them and never the verdict.</p>
${svg ? `<figure>${svg}</figure>` : '<p>No segment has an effect to plot yet.</p>'}
${standardised}
${pooled.confounded ? `<p class="confounded"><strong>Pooled number confounded:</strong> ${escape(pooled.confounded)}</p>` : ''}
<details><summary>the ${report.segments.length} segments as numbers</summary>
<table class="looks segments"><thead><tr><th>segment</th><th>share canary / baseline</th><th>verdict</th><th>effect [interval]</th><th>why</th></tr></thead><tbody>${rows}</tbody></table>
</details>
</div>`;
}

/** The segments (and the pooled row) as the metrics of a forest plot. */
function forestInput(metric: MetricResult, report: SegmentsReport): AnalysisResult {
  const row = (name: string, verdict: MetricResult['verdict'], effect: MetricResult['effect']): MetricResult => ({ ...metric, name, verdict, effect, segments: undefined });
  const metrics = [
    ...report.segments.map((s) => row(segmentLabel(report.by, s.value), s.verdict, s.effect)),
    row(POOLED_ROW, report.pooled.verdict, report.pooled.effect),
  ];
  return { verdict: metric.verdict, score: 0, reason: '', alpha: 0, evidence: '', metrics };
}

function fmt(unit: EffectUnit, x: number | null): string {
  if (x === null) return 'unbounded';
  return Number.isFinite(x) ? FORMAT_BY_UNIT[unit](x) : x > 0 ? '+∞' : '−∞';
}

function pct(x: number): string {
  return `${Number((x * 100).toPrecision(3))} %`;
}
