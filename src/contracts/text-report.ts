/**
 * The analysis as a table for people using curl (`?format=text` or `Accept: text/plain`) and
 * for the CLI: the verdict first, one row per metric, then each metric's reason in full.
 */
import { FORMAT_BY_UNIT } from '../judge/describe';
import { segmentLabel } from '../judge/segments';
import type { AnalysisResult, Effect, MetricResult } from '../judge/types';

export function textReport(result: AnalysisResult): string {
  const header = [
    `verdict: ${result.verdict.toUpperCase()}   score: ${result.score}   evidence: ${result.evidence}   alpha: ${result.alpha}`,
    `reason:  ${result.reason}`,
    '',
  ];
  const rows = [
    ['metric', 'kind', 'verdict', 'effect', 'estimate', 'interval', 'tolerance'],
    ...result.metrics.flatMap((m) => [
      [m.name + (m.critical ? ' (critical)' : ''), m.kind, m.verdict, ...effectCells(m.effect)],
      // A metric with two margins (relative and absolute) was checked against both, and
      // either allowance suffices: the decisive one first, then an "or" row for each other.
      ...otherEffects(m.effect, m.effects).map((e) => ['', '', 'or', ...effectCells(e)]),
      ...segmentRows(m),
    ]),
  ];
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  const table = rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col])).join('  ').trimEnd());
  const reasons = result.metrics.map((m) => `- ${m.name}: ${m.verdict}: ${m.reason}`);
  const tests = result.metrics.flatMap((m) =>
    m.tests.map((t) => `  ${m.name} ${t.name}: statistic ${round(t.statistic)}${t.pValue !== undefined ? `, p ${round(t.pValue)}` : ''}${t.threshold !== undefined ? ` (threshold ${t.threshold})` : ''}`),
  );
  return [...header, ...table, '', ...reasons, ...(tests.length ? ['', 'tests:', ...tests] : []), ''].join('\n');
}

/** A segmented metric's segments, one row each, then its pooled comparison (reported, not the verdict). */
function segmentRows(m: MetricResult): string[][] {
  const report = m.segments;
  if (!report) return [];
  return [
    ...report.segments.map((s) => [`  ${segmentLabel(report.by, s.value)}`, '', `${s.verdict}${s.judged ? '' : ' (not judged)'}`, ...effectCells(s.effect)]),
    ['  pooled (not the verdict)', '', report.pooled.verdict, ...effectCells(report.pooled.effect)],
  ];
}

function effectCells(effect: Effect | undefined): string[] {
  if (!effect) return ['-', '-', '-', '-'];
  return [effect.measure, format(effect, effect.estimate), `[${format(effect, effect.lower)}, ${format(effect, effect.upper)}]`, format(effect, effect.tolerance)];
}

/** The checked effects besides the decisive one (compared by value: the CLI's come from JSON). */
function otherEffects(decisive: Effect | undefined, all: readonly Effect[] | undefined): readonly Effect[] {
  if (!decisive || !all) return [];
  return all.filter((e) => e.measure !== decisive.measure || e.unit !== decisive.unit || e.tolerance !== decisive.tolerance);
}

function format(effect: Effect, x: number): string {
  return FORMAT_BY_UNIT[effect.unit](x);
}

function round(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x);
}
