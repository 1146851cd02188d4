/**
 * A metric judged per segment: per value of a label (tenant, region, request type, input
 * class), each segment's canary against the same segment's baseline, with the metric's own
 * judge (every kind, with or without a timeline).
 *
 * The alpha budget. The metric's fail rate (its Bonferroni share of the analysis' alpha,
 * src/judge/analyze.ts) is split evenly over its k segments: each segment's fail claim is made
 * at alpha_fail / k (Bonferroni; Dunn 1961). Each segment's bounds are anytime-valid
 * (confidence sequences and e-processes, valid at every look at once), and a union bound over
 * time-uniform guarantees is itself time-uniform, so the chance that any segment of a healthy
 * canary is ever falsely failed, at any look of the rollout, stays below alpha_fail however
 * often the rollout looks and whenever it stops (Howard, Ramdas, McAuliffe & Sekhon 2021, Ann.
 * Stat. 49(2), section 3; Ramdas, Grünwald, Vovk & Shafer 2023, "Game-theoretic statistics and
 * safe anytime-valid inference", Stat. Sci. 38(4), section 4 on combining e-processes).
 * k is the number of segments the data have at this look; the budget is exact when the set of
 * segments is fixed (inline requests, a label with a stable set of values), and a segment that
 * first appears late raises k from then on. Each pass claim keeps the full pass rate: the metric
 * passes only when every segment it needs passes, an intersection-union test (Berger 1982,
 * Technometrics 24(4)), whose false-pass rate is at most that of any one of them.
 *
 * The rule:
 * - fail if any segment fails (the reason names it, beside the pooled figure: "fine pooled over
 *   all 5 segments but 4x the baseline's rate for tenant=\"acme\"");
 * - pass if every segment a pass needs passes: the largest segments, by their share of the
 *   traffic (the mean of their shares on the two sides), taken until they hold at least the
 *   coverage (`segmentCoverage`, default 90 %) of each side's traffic. The smaller segments are
 *   still judged and can still fail the metric; an inconclusive one does not block the pass, and
 *   the reason names it;
 * - inconclusive otherwise. A segment without enough data on a side (fewer than minSamples, or
 *   present on one side only) is not judged: inconclusive for that segment, named, never dropped;
 *   if a pass needs it, the metric is inconclusive.
 *
 * The pooled comparison (all segments summed, src/judge/segment-pooling.ts) is judged at the
 * metric's own rates and reported beside the segments with the guard against Simpson's paradox
 * (src/judge/standardised-effect.ts); it decides nothing.
 */
import { FORMAT_BY_UNIT, quoted, significant } from './describe';
import { resolve, type MetricContext } from './metric-context';
import { simpsonGuard, type SizedSegment } from './standardised-effect';
import type { Effect, MetricInput, MetricResult, SegmentResult, SegmentsReport } from './types';

/** A pass needs the largest segments holding at least this share of each side's traffic, unless `segmentCoverage` says otherwise. */
export const DEFAULT_SEGMENT_COVERAGE = 0.9;
/** Segments spelt out in a reason; the rest are counted. */
const NAMED_IN_REASON = 3;

export type JudgeOne = (metric: MetricInput, ctx: MetricContext) => MetricResult;

/** `tenant="acme"`: a segment as a PromQL matcher would select it ("" is the traffic without the label). */
export function segmentLabel(by: string, value: string): string {
  return `${by}=${quoted(value)}`;
}

export function judgeSegments(metric: MetricInput, ctx: MetricContext, judgeOne: JudgeOne): MetricResult {
  const segments = metric.segments ?? [];
  const by = metric.segmentBy ?? 'segment';
  const k = Math.max(1, segments.length);
  const coverage = metric.segmentCoverage ?? DEFAULT_SEGMENT_COVERAGE;
  const { minSamples } = resolve(metric);
  const { segments: _segments, segmentBy: _by, segmentCoverage: _coverage, ...plain } = metric;
  const pooled = judgeOne(plain as MetricInput, ctx);
  const alphaPerSegment = ctx.rates.fail / k;
  const segmentCtx: MetricContext = { ...ctx, rates: { fail: alphaPerSegment, pass: ctx.rates.pass } };

  const judged = segments.map((segment) => {
    const label = segmentLabel(by, segment.value);
    const result = judgeOne({ ...plain, name: `${metric.name} ${label}`, baseline: segment.baseline, canary: segment.canary } as MetricInput, segmentCtx);
    return { segment, label, result, n: { baseline: result.baseline.n, canary: result.canary.n } };
  });
  const totals = { baseline: sum(judged.map((s) => s.n.baseline)), canary: sum(judged.map((s) => s.n.canary)) };
  const shareOf = (n: SizedSegment['n']) => ({ baseline: totals.baseline > 0 ? n.baseline / totals.baseline : 0, canary: totals.canary > 0 ? n.canary / totals.canary : 0 });
  const required = requiredSegments(judged.map((s) => shareOf(s.n)), coverage);

  const results: (SegmentResult & { label: string })[] = judged.map((s, i) => {
    const { name: _name, critical: _critical, weight: _weight, segments: _own, ...rest } = s.result;
    const enough = s.n.baseline >= minSamples && s.n.canary >= minSamples;
    const oneSided = (s.n.baseline === 0) !== (s.n.canary === 0);
    const reason = oneSided ? `appears on the ${s.n.baseline === 0 ? 'canary' : 'baseline'} only (${s.n.baseline || s.n.canary} observations there, none on the other side): not judged` : rest.reason;
    return { ...rest, reason, value: s.segment.value, label: s.label, share: shareOf(s.n), judged: enough, required: required.has(i) };
  });

  const guard = simpsonGuard(metric, judged, pooled.effect);
  const pooledReport: SegmentsReport['pooled'] = { verdict: pooled.verdict, reason: pooled.reason, ...(pooled.effect ? { effect: pooled.effect } : {}), ...guard };
  const rule =
    `each of the ${segments.length} segments by ${by} is judged on its own data, its fail at ${significant(ctx.rates.fail, 3)} / ${k} = ${significant(alphaPerSegment, 3)} (Bonferroni${ctx.evidence.sequential ? '; the bounds are anytime-valid, so the budget holds at every look' : ''}); ` +
    `the metric fails if any segment fails, passes if every segment among the largest holding at least ${percent(coverage)} of each side's traffic passes, and is inconclusive otherwise`;
  const report: SegmentsReport = {
    by,
    alphaPerSegment,
    rule,
    coverage: { required: coverage, baseline: sum(results.filter((r) => r.required).map((r) => r.share.baseline)), canary: sum(results.filter((r) => r.required).map((r) => r.share.canary)) },
    segments: results.map(({ label: _label, ...r }) => r),
    pooled: pooledReport,
  };
  const { verdict, reason, deciding } = decide(results, report, pooled, segments.length);
  const from = deciding?.result;
  return {
    name: metric.name,
    kind: metric.kind,
    verdict,
    reason,
    critical: pooled.critical,
    weight: pooled.weight,
    direction: pooled.direction,
    baseline: pooled.baseline,
    canary: pooled.canary,
    tests: pooled.tests,
    ...(from?.effect ? { effect: named(from.effect, deciding!.label) } : {}),
    ...(from?.effects ? { effects: from.effects.map((e) => named(e, deciding!.label)) } : {}),
    ...(from?.intervals !== undefined ? { intervals: from.intervals } : {}),
    ...(from?.decidedAt !== undefined && verdict !== 'inconclusive' ? { decidedAt: from.decidedAt } : {}),
    ...(from?.timeline ? { timeline: from.timeline } : {}),
    ...(from?.projection && verdict === 'inconclusive' ? { projection: from.projection } : {}),
    segments: report,
  };
}

type Judged = SegmentResult & { label: string };

function decide(results: readonly Judged[], report: SegmentsReport, pooled: MetricResult, count: number): { verdict: MetricResult['verdict']; reason: string; deciding?: { result: Judged; label: string } } {
  const pooledText = pooledSentence(report.pooled, count);
  const notJudged = results.filter((r) => !r.judged);
  const notJudgedText = notJudged.length ? `; not judged (too little data): ${list(notJudged.map((r) => `${r.label} (${r.reason})`))}` : '';
  const failed = results.filter((r) => r.verdict === 'fail');
  if (failed.length) {
    const first = [...failed].sort((a, b) => (a.decidedAt ?? Infinity) - (b.decidedAt ?? Infinity) || weightOf(b) - weightOf(a))[0];
    const others = failed.filter((r) => r !== first);
    const times = multiple(first.effect);
    const lead =
      pooled.verdict === 'pass'
        ? `fine pooled over all ${count} segments but ${times || 'failing'} for ${first.label} (${shares(first)})`
        : `fails for ${first.label} (${shares(first)})${times ? `, ${times} there` : ''}`;
    const more = others.length ? `; also failing: ${list(others.map((r) => `${r.label}: ${r.reason}`))}` : '';
    return { verdict: 'fail', reason: `${lead}: ${first.reason}${more}; ${pooledText}`, deciding: { result: first, label: first.label } };
  }
  if (!results.length) return { verdict: 'inconclusive', reason: `no segment has data: ${pooled.reason}` };
  const needed = results.filter((r) => r.required);
  const open = needed.filter((r) => r.verdict !== 'pass');
  if (!open.length) {
    const last = [...needed].sort((a, b) => (b.decidedAt ?? 0) - (a.decidedAt ?? 0) || closeness(b) - closeness(a))[0];
    const optional = results.filter((r) => !r.required && r.judged && r.verdict !== 'pass');
    const optionalText = optional.length ? `; not needed for the pass and not yet passing: ${list(optional.map((r) => `${r.label} (${shares(r)})`))}` : '';
    const { baseline, canary } = report.coverage;
    return {
      verdict: 'pass',
      reason: `passes in every segment a pass needs: ${needed.length} of ${count} segments, holding ${percent(baseline)} of the baseline's and ${percent(canary)} of the canary's traffic (at least ${percent(report.coverage.required)} of each)${optionalText}${notJudgedText}; ${pooledText}`,
      deciding: { result: last, label: last.label },
    };
  }
  const blocking = [...open].sort((a, b) => weightOf(b) - weightOf(a));
  return {
    verdict: 'inconclusive',
    reason: `not yet passing in ${list(blocking.map((r) => `${r.label} (${shares(r)}): ${r.reason}`))}${notJudgedText.replace(/^; /, '; also ')}; ${pooledText}`,
    deciding: { result: blocking[0], label: blocking[0].label },
  };
}

/**
 * The segments a pass needs: the largest by their mean share of the two sides' traffic, until
 * they hold at least `coverage` of each side's traffic.
 */
export function requiredSegments(shares: readonly { baseline: number; canary: number }[], coverage: number): Set<number> {
  const order = shares.map((s, i) => ({ i, size: (s.baseline + s.canary) / 2 })).sort((a, b) => b.size - a.size || a.i - b.i);
  const required = new Set<number>();
  let baseline = 0;
  let canary = 0;
  for (const { i } of order) {
    if (baseline >= coverage - 1e-12 && canary >= coverage - 1e-12) break;
    required.add(i);
    baseline += shares[i].baseline;
    canary += shares[i].canary;
  }
  return required;
}

function pooledSentence(pooled: SegmentsReport['pooled'], count: number): string {
  const effect = pooled.effect;
  const figure = effect ? `${effect.measure} ${FORMAT_BY_UNIT[effect.unit](effect.estimate)} (confidence interval ${FORMAT_BY_UNIT[effect.unit](effect.lower)} to ${FORMAT_BY_UNIT[effect.unit](effect.upper)}), ${pooled.verdict}` : pooled.reason;
  return `pooled over all ${count} segments (reported beside them, not the verdict): ${figure}${pooled.confounded ? `; ${pooled.confounded}` : ''}`;
}

/** "4x the baseline's rate" for a relative effect, empty otherwise. */
function multiple(effect: Effect | undefined): string {
  if (!effect || effect.unit !== 'relative' || !Number.isFinite(effect.estimate)) return '';
  const subject = effect.measure.replace(/^relative (change in|shift of) /, '');
  return `${significant(1 + effect.estimate, 2)}x the baseline's ${subject}`;
}

function named(effect: Effect, label: string): Effect {
  return { ...effect, measure: `${effect.measure}, ${label}` };
}

function shares(r: Judged): string {
  return `${percent(r.share.canary)} of the canary's traffic, ${percent(r.share.baseline)} of the baseline's`;
}

function weightOf(r: Judged): number {
  return r.share.baseline + r.share.canary;
}

/** How close a passing segment's interval comes to its margin (1: at the margin). */
function closeness(r: Judged): number {
  const e = r.effect;
  return e && e.tolerance > 0 ? Math.max(Math.abs(e.upper), Math.abs(e.lower)) / e.tolerance : 0;
}

function list(items: readonly string[]): string {
  const shown = items.slice(0, NAMED_IN_REASON).join('; ');
  return items.length > NAMED_IN_REASON ? `${shown}; and ${items.length - NAMED_IN_REASON} more (see "segments")` : shown;
}

function percent(x: number): string {
  return `${Number((x * 100).toPrecision(3))} %`;
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, x) => a + x, 0);
}
