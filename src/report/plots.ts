/**
 * The report's plots as Vega-Lite specifications, compiled to Vega and rendered to SVG strings
 * on the server by Vega's headless SVG renderer (no canvas, no DOM, no script in the page).
 * Every plot gets its data as inline values; field names are fixed here, never user input.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { quantileLabel } from '../judge/continuous';
import { DEFAULT_QUANTILE } from '../judge/defaults';
import { FORMAT_BY_UNIT } from '../judge/describe';
import type { AnalysisResult, CategoricalSide, CountSide, Direction, EffectUnit, MetricInput, MetricResult, ValuesSide, Verdict } from '../judge/types';
import type { TrafficCheck } from '../judge/traffic-split';
import { wilsonBounds } from '../stats/wilson-bounds';

export const VERDICT_COLOURS: Record<Verdict, string> = { pass: '#1a7f37', fail: '#cf222e', inconclusive: '#b35900' };
export const SIDE_COLOURS = { baseline: '#57606a', canary: '#0969da' } as const;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

const CONFIG = {
  font: FONT,
  view: { stroke: '#d0d7de' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eaeef2' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'top' },
} as const;

/** Renders one Vega-Lite spec to a standalone `<svg>` element. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  // No loader access: every dataset is inline, and nothing may be fetched while rendering.
  const loader = vega.loader({ mode: 'file' });
  loader.load = async () => {
    throw new Error('the report renders inline data only');
  };
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader });
  try {
    const svg = await view.toSVG();
    return svg.replace(/^<svg /, '<svg role="img" ');
  } finally {
    view.finalize();
  }
}

/** Which margins a metric has: distances and category-share changes are unsigned, so only their upper margin exists. */
export function marginSides(direction: Direction, unit: EffectUnit): { harmUp: boolean; harmDown: boolean } {
  const unsigned = unit === 'distance' || unit === 'share';
  return { harmUp: unsigned || direction !== 'decrease', harmDown: !unsigned && direction !== 'increase' };
}

/** The metrics the overall reason names: the ones that decided the verdict. */
export function decisiveMetrics(result: AnalysisResult): Set<string> {
  return new Set(result.metrics.filter((m) => result.reason.includes(`${m.name}: `)).map((m) => m.name));
}

const FOREST_LIMIT = 4;

/**
 * Every metric's decisive effect and interval in units of its own margin, so metrics of
 * different units share one axis: the margin is at ±1, no change at 0. Unbounded ends and
 * effects beyond four margins are drawn at the edge and say so in their label.
 */
export function forestSpec(result: AnalysisResult): TopLevelSpec | undefined {
  const decisive = decisiveMetrics(result);
  const rows = result.metrics
    .filter((m): m is MetricResult & { effect: NonNullable<MetricResult['effect']> } => m.effect !== undefined && m.effect.tolerance > 0)
    .map((m) => {
      const e = m.effect;
      const scale = (x: number) => Math.max(-FOREST_LIMIT, Math.min(FOREST_LIMIT, x / e.tolerance));
      const format = FORMAT_BY_UNIT[e.unit];
      const bound = (x: number) => (Number.isFinite(x) ? format(x) : x > 0 ? '+∞' : '−∞');
      const sides = marginSides(m.direction, e.unit);
      const off = e.estimate / e.tolerance;
      return {
        metric: `${decisive.has(m.name) ? '▶ ' : ''}${m.name}`,
        verdict: m.verdict,
        estimate: scale(e.estimate),
        lower: scale(e.lower),
        upper: scale(e.upper),
        label: `${e.measure}: ${format(e.estimate)} [${bound(e.lower)}, ${bound(e.upper)}], margin ${format(e.tolerance)}`,
        beyondUp: !(e.upper / e.tolerance <= FOREST_LIMIT),
        beyondDown: !(e.lower / e.tolerance >= -FOREST_LIMIT),
        // An estimate beyond the axis is drawn at its edge and labelled with its value, never clipped silently.
        offScale: Math.abs(off) > FOREST_LIMIT ? `estimate ${format(e.estimate)}, off scale ${off > 0 ? '▸' : '◂'}` : '',
        offSide: off > 0 ? FOREST_LIMIT : -FOREST_LIMIT,
        harmUp: sides.harmUp,
        harmDown: sides.harmDown,
      };
    });
  if (!rows.length) return undefined;
  // Each metric's own margins, on its own row: a one-sided metric has no margin below zero,
  // and a distance or a share change (unsigned) none below either.
  const marginTicks = rows.flatMap((r) => [...(r.harmUp ? [{ metric: r.metric, x: 1 }] : []), ...(r.harmDown ? [{ metric: r.metric, x: -1 }] : [])]);
  const margins = [
    ...(rows.some((r) => r.harmUp) ? [{ x: 1, text: '+margin' }] : []),
    ...(rows.some((r) => r.harmDown) ? [{ x: -1, text: '−margin' }] : []),
  ];
  const y = { field: 'metric', type: 'nominal', sort: null, title: null, axis: { labelFontSize: 13, labelFontWeight: 'bold', labelLimit: 220 } } as const;
  const x = { type: 'quantitative', scale: { domain: [-FOREST_LIMIT, FOREST_LIMIT], clamp: true }, title: 'effect in units of its margin (0 = no change, ±1 = the margin)' } as const;
  const colour = { field: 'verdict', type: 'nominal', scale: { domain: ['pass', 'fail', 'inconclusive'], range: [VERDICT_COLOURS.pass, VERDICT_COLOURS.fail, VERDICT_COLOURS.inconclusive] }, title: 'verdict' } as const;
  const forest = {
    width: 440,
    height: { step: 40 },
    layer: [
      { data: { values: [{ x: 0 }] }, mark: { type: 'rule', color: '#8c959f' }, encoding: { x: { field: 'x', ...x } } },
      { data: { values: marginTicks }, mark: { type: 'rule', strokeDash: [6, 4], color: '#24292f', strokeWidth: 1.5 }, encoding: { y, x: { field: 'x', ...x } } },
      { data: { values: margins }, mark: { type: 'text', dy: -4, baseline: 'bottom', fontSize: 11, y: 0 }, encoding: { x: { field: 'x', ...x }, text: { field: 'text' } } },
      {
        data: { values: rows },
        layer: [
          { mark: { type: 'rule', strokeWidth: 5 }, encoding: { y, x: { field: 'lower', ...x }, x2: { field: 'upper' }, color: colour } },
          { mark: { type: 'point', filled: true, size: 120, shape: 'diamond', stroke: 'white', strokeWidth: 1, opacity: 1 }, encoding: { y, x: { field: 'estimate', ...x }, color: colour } },
        ],
      },
      // An interval that goes on beyond the axis (unbounded, or past four margins) ends in an arrow.
      { data: { values: rows.filter((r) => r.beyondUp) }, mark: { type: 'point', shape: 'triangle-right', filled: true, size: 90, dx: 6 }, encoding: { y, x: { datum: FOREST_LIMIT, ...x }, color: colour } },
      { data: { values: rows.filter((r) => r.beyondDown) }, mark: { type: 'point', shape: 'triangle-left', filled: true, size: 90 }, encoding: { y, x: { datum: -FOREST_LIMIT, ...x }, color: colour } },
      { data: { values: rows.filter((r) => r.offScale && r.offSide > 0) }, mark: { type: 'text', align: 'right', dy: -13, fontSize: 11, fontWeight: 'bold' }, encoding: { y, x: { datum: FOREST_LIMIT, ...x }, text: { field: 'offScale' }, color: colour } },
      { data: { values: rows.filter((r) => r.offScale && r.offSide < 0) }, mark: { type: 'text', align: 'left', dy: -13, fontSize: 11, fontWeight: 'bold' }, encoding: { y, x: { datum: -FOREST_LIMIT, ...x }, text: { field: 'offScale' }, color: colour } },
    ],
  };
  // The numbers beside the plot, one row per metric, so no label crosses a line.
  const labels = {
    width: 360,
    height: { step: 40 },
    view: { stroke: null },
    data: { values: rows },
    mark: { type: 'text', align: 'left', fontSize: 11, color: '#24292f', x: 0 },
    encoding: { y: { ...y, axis: null }, text: { field: 'label' } },
  };
  return { hconcat: [forest, labels], spacing: 8, resolve: { scale: { y: 'shared' } } } as unknown as TopLevelSpec;
}

/** Up to `limit` points of an empirical CDF: step positions of the sorted values. */
function empiricalCdf(side: ValuesSide, limit = 400): { x: number; p: number }[] {
  if ('values' in side) {
    const sorted = Array.from(side.values).filter(Number.isFinite).sort((a, b) => a - b);
    const n = sorted.length;
    if (!n) return [];
    const stride = Math.max(1, Math.ceil(n / limit));
    const indices = new Set<number>();
    for (let i = 0; i < n; i += stride) indices.add(i);
    // The point where the axis may end (cdfPoints) and the last one are always drawn.
    indices.add(Math.max(0, Math.ceil(CDF_AXIS_SHARE * n) - 1)).add(n - 1);
    return [...indices].sort((a, b) => a - b).map((i) => ({ x: sorted[i], p: (i + 1) / n }));
  }
  const buckets = side.histogram.buckets;
  const total = buckets.length ? buckets[buckets.length - 1].count : 0;
  if (!(total > 0)) return [];
  const finite = buckets.filter((b) => Number.isFinite(b.le));
  // Capped like raw values: a 100,000-bucket histogram once made a 400 MB page.
  const stride = Math.max(1, Math.ceil(finite.length / limit));
  const kept = finite.filter((b, i) => i % stride === 0 || i === finite.length - 1 || (b.count / total >= CDF_AXIS_SHARE && (i === 0 || finite[i - 1].count / total < CDF_AXIS_SHARE)));
  return kept.map((b) => ({ x: b.le, p: b.count / total }));
}

/** Where both sides' CDFs have reached this share, the plot's value axis ends. */
const CDF_AXIS_SHARE = 0.999;

/**
 * Both sides' CDF points, cut where both have reached CDF_AXIS_SHARE (but never before the
 * threshold): Istio's top buckets (10 s, 30 s, 60 s) or one slow outlier would otherwise squash
 * every curve against the left edge of an axis running to 60,000 ms.
 */
export function cdfPoints(metric: Pick<Extract<MetricInput, { kind: 'continuous' | 'distribution' }>, 'baseline' | 'canary'>, threshold?: number): { x: number; p: number; side: 'baseline' | 'canary' }[] {
  const sides = (['baseline', 'canary'] as const).map((side) => ({ side, points: empiricalCdf(metric[side]) })).filter((s) => s.points.length);
  if (!sides.length) return [];
  const reached = sides.map(({ points }) => (points.find((pt) => pt.p >= CDF_AXIS_SHARE) ?? points[points.length - 1]).x);
  const end = Math.max(...reached, threshold ?? -Infinity);
  return sides.flatMap(({ side, points }) => points.filter((pt) => pt.x <= end).map((pt) => ({ ...pt, side })));
}

/** Overlaid CDFs of both sides, with the judged quantile (a level) or threshold (a value). */
export function cdfSpec(metric: Extract<MetricInput, { kind: 'continuous' | 'distribution' }>): TopLevelSpec | undefined {
  const threshold = metric.kind === 'continuous' ? metric.threshold : undefined;
  const points = cdfPoints(metric, threshold);
  if (!points.length) return undefined;
  const histogram = 'histogram' in metric.baseline;
  const colour = { field: 'side', type: 'nominal', scale: { domain: ['baseline', 'canary'], range: [SIDE_COLOURS.baseline, SIDE_COLOURS.canary] }, title: null } as const;
  const markers: object[] = [];
  if (threshold !== undefined) {
    markers.push({
      data: { values: [{ x: threshold, text: `threshold ${threshold}` }] },
      layer: [
        { mark: { type: 'rule', strokeDash: [6, 4], color: '#24292f' }, encoding: { x: { field: 'x', type: 'quantitative' } } },
        { mark: { type: 'text', align: 'left', dx: 4, y: 8, fontSize: 11 }, encoding: { x: { field: 'x', type: 'quantitative' }, text: { field: 'text' } } },
      ],
    });
  } else if (metric.kind === 'continuous' && metric.quantile !== 'mean') {
    const level = metric.quantile ?? DEFAULT_QUANTILE;
    markers.push({
      data: { values: [{ p: level, text: `judged quantile ${quantileLabel(level)}` }] },
      layer: [
        { mark: { type: 'rule', strokeDash: [6, 4], color: '#24292f' }, encoding: { y: { field: 'p', type: 'quantitative' } } },
        { mark: { type: 'text', align: 'left', x: 4, dy: -6, fontSize: 11 }, encoding: { y: { field: 'p', type: 'quantitative' }, text: { field: 'text' } } },
      ],
    });
  }
  return {
    width: 420,
    height: 220,
    layer: [
      {
        data: { values: points },
        mark: { type: 'line', interpolate: histogram ? 'linear' : 'step-after', strokeWidth: 2 },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: `${valueTitle(metric.name)}${histogram ? ', at the histogram bucket bounds' : ''}`, scale: { zero: false } },
          y: { field: 'p', type: 'quantitative', title: 'share of observations ≤ value', scale: { domain: [0, 1] } },
          color: colour,
        },
      },
      ...markers,
    ],
  } as unknown as TopLevelSpec;
}

/**
 * The axis title of a metric's values, with the unit its name states ("latency-ms" -> "latency-ms
 * (ms)"); a request carries no unit, so a name without one says so.
 */
export function valueTitle(name: string): string {
  const unit = UNIT_SUFFIXES.find(([suffix]) => suffix.test(name))?.[1];
  return unit ? `${name} (${unit})` : `${name} (unit not stated)`;
}

const UNIT_SUFFIXES: readonly [RegExp, string][] = [
  [/(^|[-_. ])(ms|millis|milliseconds)$/i, 'ms'],
  [/(^|[-_. ])(us|µs|microseconds)$/i, 'µs'],
  [/(^|[-_. ])(s|sec|seconds)$/i, 's'],
  [/(^|[-_. ])bytes$/i, 'bytes'],
  [/(^|[-_. ])(ratio|share|score|probability)$/i, '0 to 1'],
];

/** Both sides' rates with 95 % Wilson intervals (for the eye; the verdict's bounds are in the table). */
export function proportionSpec(metric: { baseline: CountSide; canary: CountSide }): TopLevelSpec {
  const rows = (['baseline', 'canary'] as const).map((side) => {
    const { events, total } = metric[side];
    const rate = total > 0 ? events / total : 0;
    const b = total > 0 ? wilsonBounds(events, total, 0.025, 0.025) : { lower: 0, upper: 1 };
    return { side, rate, lower: b.lower, upper: b.upper, label: `${events} / ${total}` };
  });
  const y = { field: 'side', type: 'nominal', title: null, sort: ['baseline', 'canary'], axis: { labelFontSize: 12 } } as const;
  const colour = { field: 'side', type: 'nominal', scale: { domain: ['baseline', 'canary'], range: [SIDE_COLOURS.baseline, SIDE_COLOURS.canary] }, legend: null } as const;
  const x = { type: 'quantitative', title: 'rate, events per request (%; 95 % interval per side)', axis: { format: '.2~%' } } as const;
  return {
    width: 420,
    height: { step: 40 },
    data: { values: rows },
    layer: [
      { mark: { type: 'rule', strokeWidth: 3 }, encoding: { y, x: { field: 'lower', ...x }, x2: { field: 'upper' }, color: colour } },
      { mark: { type: 'point', filled: true, size: 90 }, encoding: { y, x: { field: 'rate', ...x }, color: colour } },
      { mark: { type: 'text', dy: -12, fontSize: 11 }, encoding: { y, x: { field: 'rate', ...x }, text: { field: 'label' } } },
    ],
  } as unknown as TopLevelSpec;
}

/** Shares per category, baseline and canary side by side. */
export function categoricalSpec(metric: { baseline: CategoricalSide; canary: CategoricalSide }): TopLevelSpec | undefined {
  const rows = (['baseline', 'canary'] as const).flatMap((side) => {
    const counts = metric[side].counts;
    const total = counts.reduce((sum, [, n]) => sum + n, 0);
    return counts.map(([category, n]) => ({ side, category, share: total > 0 ? n / total : 0 }));
  });
  if (!rows.length) return undefined;
  return {
    width: { step: 22 },
    height: 200,
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'category', type: 'nominal', title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'side', sort: ['baseline', 'canary'] },
      y: { field: 'share', type: 'quantitative', title: 'share of all counts on that side (%)', axis: { format: '.0%' } },
      color: { field: 'side', type: 'nominal', scale: { domain: ['baseline', 'canary'], range: [SIDE_COLOURS.baseline, SIDE_COLOURS.canary] }, title: null },
    },
  } as unknown as TopLevelSpec;
}

/** Observed canary share of requests against the expected one. */
export function trafficSpec(check: TrafficCheck): TopLevelSpec {
  const rows = [
    { what: 'expected', share: check.expectedCanaryShare },
    ...(check.observedCanaryShare !== null ? [{ what: 'observed', share: check.observedCanaryShare }] : []),
  ];
  return {
    width: 420,
    height: { step: 30 },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'what', type: 'nominal', title: null, sort: ['expected', 'observed'] },
          x: { field: 'share', type: 'quantitative', title: 'canary share of requests', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
          color: { field: 'what', type: 'nominal', scale: { domain: ['expected', 'observed'], range: ['#8c959f', VERDICT_COLOURS[check.verdict]] }, legend: null },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 },
        encoding: { y: { field: 'what', type: 'nominal', sort: ['expected', 'observed'] }, x: { field: 'share', type: 'quantitative' }, text: { field: 'share', type: 'quantitative', format: '.2%' } },
      },
    ],
  } as unknown as TopLevelSpec;
}
