/**
 * The label coverage of a labelled metric over its prediction intervals, per side: the share of
 * each interval's predictions labelled so far, the coverage the judge needs (dashed), and the
 * intervals it judged apart from those still awaiting labels (shaded). It reads only the judge's
 * result (`labels`, src/judge/labelled-quality.ts), as the JSON answer carries it.
 */
import type { TopLevelSpec } from 'vega-lite';
import { describeDuration } from '../judge/projection';
import type { MetricResult } from '../judge/types';
import { SIDE_COLOURS, VERDICT_COLOURS } from './plots';

export function labelCoverageSpec(metric: MetricResult): TopLevelSpec | undefined {
  const labels = metric.labels;
  if (!labels || labels.intervals === 0) return undefined;
  const rows = (['baseline', 'canary'] as const).flatMap((side) =>
    labels.perInterval[side].flatMap((coverage, i) => (coverage === null ? [] : [{ side, interval: i + 1, coverage: Math.min(1, coverage) }])),
  );
  const x = { field: 'interval', type: 'quantitative', title: 'prediction interval (oldest first)', scale: { domain: [1, Math.max(2, labels.intervals)], nice: false }, axis: { tickMinStep: 1, format: 'd' } } as const;
  const y = { type: 'quantitative', title: 'labelled / predictions', scale: { domain: [0, 1] }, axis: { format: '.0%' } } as const;
  const colour = { field: 'side', type: 'nominal', scale: { domain: ['baseline', 'canary'], range: [SIDE_COLOURS.baseline, SIDE_COLOURS.canary] }, title: null } as const;
  const waiting = labels.intervals - labels.judged;
  const layers: object[] = [
    // The intervals still awaiting labels, shaded.
    ...(waiting > 0 ? [{ data: { values: [{ from: labels.judged + 0.5, to: labels.intervals + 0.5 }] }, mark: { type: 'rect', color: VERDICT_COLOURS.inconclusive, opacity: 0.1 }, encoding: { x: { ...x, field: 'from' }, x2: { field: 'to' } } }] : []),
    {
      data: { values: [{ y: labels.minCoverage, text: `needed ${Number((labels.minCoverage * 100).toPrecision(3))} %` }] },
      layer: [
        { mark: { type: 'rule', strokeDash: [6, 4], color: '#24292f', strokeWidth: 1.5 }, encoding: { y: { field: 'y', ...y } } },
        { mark: { type: 'text', align: 'left', baseline: 'top', dy: 3, x: 4, fontSize: 11, color: '#24292f' }, encoding: { y: { field: 'y', ...y }, text: { field: 'text' } } },
      ],
    },
    { data: { values: rows }, mark: { type: 'line', point: { filled: true, size: 16 }, strokeWidth: 1.5 }, encoding: { x, y: { field: 'coverage', ...y }, color: colour } },
    { data: { values: [{ text: caption(metric) }] }, mark: { type: 'text', fontSize: 12, fontWeight: 'bold', baseline: 'bottom', align: 'right', x: 'width', y: -5, color: waiting > 0 ? VERDICT_COLOURS.inconclusive : '#24292f' }, encoding: { text: { field: 'text' } } },
  ];
  return { width: 420, height: 180, layer: layers } as unknown as TopLevelSpec;
}

/** "judged 1-30 of 40; 31-40 await labels (due in about 1 minute)". */
export function caption(metric: MetricResult): string {
  const labels = metric.labels!;
  if (labels.judged === labels.intervals) return `all ${labels.intervals} intervals judged`;
  const judged = labels.judged > 0 ? `judged 1-${labels.judged} of ${labels.intervals}; ` : 'none judged yet; ';
  const due = labels.pendingSeconds === null || labels.pendingSeconds === undefined ? 'overdue' : `due in ${describeDuration(labels.pendingSeconds)}`;
  return `${judged}${labels.judged + 1}-${labels.intervals} await labels (${due})`;
}
