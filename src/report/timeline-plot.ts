/**
 * The timeline plot of a metric judged on a timeline: the effect's confidence interval at each
 * look the judge evaluated (a band narrowing as intervals accumulate), the estimate, the margin
 * line(s) and the look that decided, marked and labelled ("FAIL at interval 8 of 21"). It reads
 * only the judge's result (`timeline`, `decidedAt`, `effect`), as the JSON answer carries them,
 * so the CLI draws it from a service's answer too (where unbounded ends arrive as null).
 */
import type { TopLevelSpec } from 'vega-lite';
import { FORMAT_BY_UNIT } from '../judge/describe';
import type { EffectUnit, MetricResult } from '../judge/types';
import { marginSides, VERDICT_COLOURS } from './plots';

const BAND = '#0969da';
const WORDS = { pass: 'PASS', fail: 'FAIL', inconclusive: 'no decision' } as const;

/** A bound as it comes from the judge (Infinity) or from JSON (null): null when unbounded. */
const finite = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** Vega expression formatting an axis value in the effect's unit (the judge's own formatter can't run inside Vega). */
const AXIS_LABEL: Record<EffectUnit, string> = {
  relative: "(datum.value > 0 ? '+' : '') + format(datum.value, '.3~%')",
  rate: "(datum.value > 0 ? '+' : '') + format(datum.value * 100, '.3~f') + ' pp'",
  share: "format(datum.value * 100, '.3~f') + ' pp'",
  distance: "format(datum.value, '.3~f')",
  units: "(datum.value > 0 ? '+' : '') + format(datum.value, '.4~s')",
};

/** What the effect axis counts in, said in words on its title. */
export const UNIT_WORDS: Record<EffectUnit, string> = {
  relative: '% change against the baseline',
  rate: 'percentage points',
  share: 'percentage points',
  distance: 'a distance from 0 to 1',
  units: "the metric's own unit",
};

export interface TimelineRow {
  readonly interval: number;
  readonly estimate: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
}

/** The rows to plot and tabulate, or undefined when the metric has no series with a margin. */
export function timelineRows(metric: MetricResult): TimelineRow[] | undefined {
  if (!metric.timeline?.length || !metric.effect || !(metric.effect.tolerance > 0)) return undefined;
  return metric.timeline.map((look) => ({ interval: look.interval, estimate: finite(look.estimate), lower: finite(look.lower), upper: finite(look.upper) }));
}

/** "FAIL at interval 8 of 21" / "no decision after 21 intervals". */
export function decisionLabel(metric: MetricResult): string {
  if (metric.decidedAt === undefined || metric.verdict === 'inconclusive') return `no decision after ${metric.intervals} intervals`;
  return `${WORDS[metric.verdict]} at interval ${metric.decidedAt} of ${metric.intervals}`;
}

/**
 * The y axis spans the margins and the estimates with room around them, at most a few margins
 * wide: the first looks' intervals are wide (often unbounded) and would flatten the rest. Ends
 * beyond the axis are cut at its edge (the caption says so; the table has the numbers).
 */
function yDomain(rows: readonly TimelineRow[], tolerance: number, harmUp: boolean, harmDown: boolean, unit: EffectUnit): [number, number] {
  const estimates = rows.map((r) => r.estimate).filter((x): x is number => x !== null);
  const decisive = rows.slice(-Math.max(2, Math.ceil(rows.length / 2)));
  const bounds = decisive.flatMap((r) => [r.lower, r.upper]).filter((x): x is number => x !== null);
  const limit = Math.max(3 * tolerance, ...estimates.map((x) => 1.3 * Math.abs(x)));
  const values = [0, ...(harmUp ? [tolerance] : []), ...(harmDown ? [-tolerance] : []), ...estimates, ...bounds].map((x) => Math.max(-limit, Math.min(limit, x)));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  // A relative change cannot fall below -100 %, nor a distance or share below 0.
  const floor = unit === 'relative' ? -1 : unit === 'distance' || unit === 'share' ? 0 : -Infinity;
  const pad = 0.08 * (hi - lo || tolerance);
  lo = Math.max(floor, lo - pad);
  hi += pad;
  return [lo, hi];
}

export { marginSides };

export function timelineSpec(metric: MetricResult): TopLevelSpec | undefined {
  const rows = timelineRows(metric);
  const effect = metric.effect;
  if (!rows || !effect) return undefined;
  const tol = effect.tolerance;
  const { harmUp, harmDown } = marginSides(metric.direction, effect.unit);
  const [lo, hi] = yDomain(rows, tol, harmUp, harmDown, effect.unit);
  const clip = (x: number | null, unbounded: number) => Math.max(lo, Math.min(hi, x ?? unbounded));
  const plotted = rows.map((r) => ({ interval: r.interval, estimate: r.estimate === null ? null : clip(r.estimate, 0), lower: clip(r.lower, -Infinity), upper: clip(r.upper, Infinity) }));
  const last = metric.intervals ?? rows.at(-1)!.interval;
  const format = FORMAT_BY_UNIT[effect.unit];
  const x = { field: 'interval', type: 'quantitative', title: 'look: the intervals so far', scale: { domain: [1, Math.max(2, last)], nice: false }, axis: { tickMinStep: 1, format: 'd' } } as const;
  const y = { type: 'quantitative', title: [effect.measure, `(${UNIT_WORDS[effect.unit]})`], scale: { domain: [lo, hi], nice: false, zero: false }, axis: { labelExpr: AXIS_LABEL[effect.unit] } } as const;
  // Bounds beyond the axis (unbounded, or wider than it) end in an arrow at its edge.
  const beyond = (r: TimelineRow, side: 'upper' | 'lower') => (side === 'upper' ? r.upper === null || r.upper > hi : r.lower === null || r.lower < lo);
  const arrows = [
    ...rows.filter((r) => beyond(r, 'upper')).map((r) => ({ interval: r.interval, y: hi, shape: 'triangle-up' })),
    ...rows.filter((r) => beyond(r, 'lower')).map((r) => ({ interval: r.interval, y: lo, shape: 'triangle-down' })),
  ];
  const margins = [
    ...(harmUp ? [{ y: tol, text: `margin ${format(tol)}` }] : []),
    ...(harmDown ? [{ y: -tol, text: `margin ${format(-tol)}` }] : []),
  ];
  const decided = metric.decidedAt !== undefined && metric.verdict !== 'inconclusive' ? rows.find((r) => r.interval === metric.decidedAt) : undefined;
  const colour = VERDICT_COLOURS[metric.verdict];
  const layers: object[] = [
    { data: { values: [{ y: 0 }] }, mark: { type: 'rule', color: '#8c959f' }, encoding: { y: { field: 'y', ...y } } },
    {
      data: { values: plotted },
      layer: [
        { mark: { type: 'area', color: BAND, opacity: 0.16 }, encoding: { x, y: { field: 'lower', ...y }, y2: { field: 'upper' } } },
        { mark: { type: 'line', color: BAND, strokeWidth: 1.2 }, encoding: { x, y: { field: 'lower', ...y } } },
        { mark: { type: 'line', color: BAND, strokeWidth: 1.2 }, encoding: { x, y: { field: 'upper', ...y } } },
        { mark: { type: 'line', color: '#24292f', strokeWidth: 1.5, point: { filled: true, size: 18, color: '#24292f' } }, encoding: { x, y: { field: 'estimate', ...y } } },
      ],
    },
    ...(['triangle-up', 'triangle-down'] as const).map((shape) => ({
      data: { values: arrows.filter((a) => a.shape === shape) },
      mark: { type: 'point', shape, filled: true, size: 40, color: BAND, opacity: 0.8 },
      encoding: { x, y: { field: 'y', ...y } },
    })),
    {
      data: { values: margins },
      layer: [
        { mark: { type: 'rule', strokeDash: [6, 4], color: '#24292f', strokeWidth: 1.5 }, encoding: { y: { field: 'y', ...y } } },
        { mark: { type: 'text', align: 'left', baseline: 'bottom', dy: -3, x: 4, fontSize: 11, fontWeight: 'bold', color: '#24292f' }, encoding: { y: { field: 'y', ...y }, text: { field: 'text' } } },
      ],
    },
  ];
  if (decided) {
    // The deciding look: a rule across the plot, its interval as a thick bar in the verdict's
    // colour, and the label at the top, so "when and why" reads at a glance.
    const at = { interval: decided.interval, lower: clip(decided.lower, -Infinity), upper: clip(decided.upper, Infinity), text: decisionLabel(metric) };
    const rightHalf = decided.interval > (rows[0].interval + last) / 2;
    layers.push({
      data: { values: [at] },
      layer: [
        { mark: { type: 'rule', color: colour, strokeWidth: 1.5, strokeDash: [2, 3] }, encoding: { x } },
        { mark: { type: 'rule', color: colour, strokeWidth: 6, opacity: 0.9 }, encoding: { x, y: { field: 'lower', ...y }, y2: { field: 'upper' } } },
        // Above the plot's frame, so it never sits on a margin's label or the band.
        { mark: { type: 'text', color: colour, fontSize: 13, fontWeight: 'bold', baseline: 'bottom', y: -5, align: rightHalf ? 'right' : 'left', dx: rightHalf ? 4 : -4 }, encoding: { x, text: { field: 'text' } } },
      ],
    });
  } else {
    layers.push({ data: { values: [{ text: decisionLabel(metric) }] }, mark: { type: 'text', color: colour, fontSize: 13, fontWeight: 'bold', baseline: 'bottom', align: 'right', x: 'width', y: -5 }, encoding: { text: { field: 'text' } } });
  }
  return { width: 420, height: 220, layer: layers } as unknown as TopLevelSpec;
}
