/**
 * Every number agrees with its verdict (issue 23, item 5): the interval a metric reports is the
 * one that decided it. For every metric of an analysis:
 *
 *   pass => the reported interval lies within the margin on the side(s) the margin constrains
 *           (the harmful side for `increase` / `decrease`, both for `either`; only the upper one
 *           for unsigned measures, a distance or the largest change in a category share);
 *   fail => it lies beyond the margin (the whole interval past it on the harmful side);
 *   inconclusive: no constraint.
 *
 * Checked where a reader or a machine meets the interval: the JSON `effect` (what the Grafana
 * gauges `canary_judge_metric_effect_lower/upper/margin` export and the text report prints),
 * every alternative margin's `effects` entry for a fail (a fail needs every one of them), the
 * HTML report's forest-plot bar (src/report/plots.ts, in units of the margin), the timeline
 * plot's bar at the deciding look and its band at every later look, where the verdict stands
 * (src/report/timeline-plot.ts), and the
 * "(confidence interval A to B)" the reason quotes.
 */
import { FORMAT_BY_UNIT } from '../../src/judge/describe';
import type { AnalysisResult, Direction, Effect, EffectUnit, MetricResult, Verdict } from '../../src/judge/types';
import { forestSpec } from '../../src/report/plots';

/** Where a reported interval is read. */
export const PLACES = ['effect', 'effects', 'forest bar', 'deciding look', 'later looks', 'reason'] as const;
export type Place = (typeof PLACES)[number];

export interface Disagreement {
  readonly metric: string;
  readonly kind: string;
  readonly place: Place;
  readonly detail: string;
}

/** Per kind: metrics checked, how many were pass or fail (constrained), violations, and the first violation seen. */
export interface KindCounts {
  checked: number;
  decided: number;
  violations: number;
  example?: string;
}
export type AgreementCounts = Record<string, KindCounts>;

/** The kind a metric is counted under: a rate, a quantile, the mean, a threshold share, a distribution, a category mix. */
export function kindOf(metric: MetricResult): string {
  const measure = metric.effect?.measure ?? '';
  switch (metric.kind) {
    case 'proportion':
      return 'rate';
    case 'categorical':
      return 'category mix';
    case 'distribution':
      return `distribution (${measure || 'no effect'})`;
    case 'continuous':
      return measure.includes('share above') ? 'threshold share' : measure.includes('mean') ? 'mean' : measure ? 'quantile' : 'continuous (no effect)';
    case 'paired':
      return `paired (${measure || 'no effect'})`;
  }
}

/** JSON carries an unbounded side as null. */
const bound = (x: number | null | undefined, unbounded: number) => (typeof x === 'number' ? x : unbounded);

/** Which sides of the margin constrain a verdict: unsigned measures only grow with harm. */
export function constrainedSides(direction: Direction, unit: EffectUnit): { up: boolean; down: boolean } {
  if (unit === 'distance' || unit === 'share') return { up: true, down: false };
  return { up: direction !== 'decrease', down: direction !== 'increase' };
}

/**
 * Whether [lower, upper] agrees with `verdict` against the margin `tolerance` (in the same units;
 * a tiny slack for bounds found by root searches that land on the margin itself).
 */
export function agrees(verdict: Verdict, direction: Direction, unit: EffectUnit, lower: number, upper: number, tolerance: number): boolean {
  if (verdict === 'inconclusive') return true;
  const slack = 1e-9 * Math.max(Math.abs(tolerance), 1e-6);
  const { up, down } = constrainedSides(direction, unit);
  if (verdict === 'pass') return (!up || upper <= tolerance + slack) && (!down || lower >= -tolerance - slack);
  // A fail: the whole interval beyond the margin on a harmful side.
  return (up && lower >= tolerance - slack) || (down && upper <= -tolerance + slack);
}

const shown = (e: { lower: number; upper: number }, unit: EffectUnit) => `[${FORMAT_BY_UNIT[unit](e.lower)}, ${FORMAT_BY_UNIT[unit](e.upper)}]`;

/** What in one analysis contradicts its verdicts (empty when every number agrees). */
export function disagreements(result: AnalysisResult): Disagreement[] {
  const out: Disagreement[] = [];
  const forest = forestRows(result);
  for (const m of result.metrics) {
    const e = m.effect;
    if (!e || m.verdict === 'inconclusive') continue;
    const kind = kindOf(m);
    const add = (place: Place, detail: string) => out.push({ metric: m.name, kind, place, detail: `${m.verdict} ${detail}, margin ${FORMAT_BY_UNIT[e.unit](e.tolerance)} (${m.direction})` });
    const check = (place: Place, x: { lower: number | null; upper: number | null }, effect: Effect = e) => {
      const lower = bound(x.lower, -Infinity);
      const upper = bound(x.upper, Infinity);
      if (!agrees(m.verdict, m.direction, effect.unit, lower, upper, effect.tolerance)) add(place, `${effect.measure} ${shown({ lower, upper }, effect.unit)}`);
    };
    check('effect', e);
    // A fail needs every alternative margin's check to fail: each reported one lies beyond its margin.
    if (m.verdict === 'fail') for (const other of m.effects ?? []) check('effects', other, other);
    const bar = forest.get(m.name);
    if (!bar && e.tolerance > 0) add('forest bar', 'missing from the forest plot');
    if (bar && !agrees(m.verdict, m.direction, e.unit, bar.lower, bar.upper, 1)) add('forest bar', `bar ${bar.lower.toFixed(3)} to ${bar.upper.toFixed(3)} margins`);
    // The timeline plot's bar at the deciding look, and its band at every later look (where the verdict stands).
    if (m.timeline?.length && m.decidedAt !== undefined) {
      if (!m.timeline.some((look) => look.interval === m.decidedAt)) add('deciding look', `at interval ${m.decidedAt} is not in the series the plot draws`);
      for (const look of m.timeline) {
        if (look.interval === m.decidedAt) check('deciding look', look);
        else if (look.interval > m.decidedAt) check('later looks', look);
      }
    }
    const quoted = reasonInterval(m.reason);
    if (quoted && !reasonMatches(quoted, e)) add('reason', `reason says "${quoted}", effect ${shown(e, e.unit)}`);
  }
  return out;
}

/** The forest plot's bars as the HTML report draws them (margins at ±1, cut at ±4), by metric name. */
function forestRows(result: AnalysisResult): Map<string, { lower: number; upper: number }> {
  const spec = forestSpec(result) as unknown as { hconcat?: { layer?: { data?: { values?: unknown[] } ; layer?: unknown[] }[] }[]; layer?: unknown[] } | undefined;
  const rows = new Map<string, { lower: number; upper: number }>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const values = (node as { data?: { values?: unknown[] } }).data?.values;
    for (const v of values ?? []) {
      const row = v as { metric?: string; lower?: number; upper?: number; estimate?: number };
      if (typeof row.metric === 'string' && typeof row.lower === 'number' && typeof row.upper === 'number' && typeof row.estimate === 'number') rows.set(row.metric.replace(/^▶ /, ''), { lower: row.lower, upper: row.upper });
    }
    for (const child of Object.values(node)) if (child && typeof child === 'object') visit(child);
  };
  visit(spec);
  return rows;
}

/** "A to B" of the first "(confidence interval A to B)" in a reason. */
function reasonInterval(reason: string): string | undefined {
  return /\(confidence interval (.+?) to (.+?)\)/.exec(reason)?.slice(1, 3).join(' to ');
}

/** The reason quotes the effect's bounds (a distance's or share's lower bound shown from 0). */
function reasonMatches(quoted: string, e: Effect): boolean {
  const format = FORMAT_BY_UNIT[e.unit];
  const candidates = [`${format(e.lower)} to ${format(e.upper)}`, `${format(Math.max(0, e.lower))} to ${format(e.upper)}`];
  return candidates.includes(quoted);
}

/** Adds one analysis to per-kind counts (`prefix` names the method or evidence, say "timeline"). */
export function countAgreement(counts: AgreementCounts, result: AnalysisResult, prefix = ''): void {
  const found = disagreements(result);
  for (const m of result.metrics) {
    const key = `${prefix}${kindOf(m)}`;
    const c = (counts[key] ??= { checked: 0, decided: 0, violations: 0 });
    c.checked++;
    if (m.verdict !== 'inconclusive' && m.effect) c.decided++;
    const mine = found.filter((d) => d.metric === m.name);
    if (mine.length) {
      c.violations++;
      c.example ??= mine.map((d) => `${d.place}: ${d.detail}`).join('; ');
    }
  }
}

export function mergeAgreement(into: AgreementCounts, from: AgreementCounts): AgreementCounts {
  for (const [key, c] of Object.entries(from)) {
    const x = (into[key] ??= { checked: 0, decided: 0, violations: 0 });
    x.checked += c.checked;
    x.decided += c.decided;
    x.violations += c.violations;
    x.example ??= c.example;
  }
  return into;
}
