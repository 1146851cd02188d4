/** What every per-kind judge needs besides the metric itself. */
import { DEFAULT_DIRECTION, DEFAULT_MARGIN, DEFAULT_MIN_SAMPLES, DEFAULT_THRESHOLD_MARGIN } from './defaults';
import type { Evidence } from './evidence';
import type { ErrorRates } from './margin-check';
import type { Check } from './margin-check';
import type { Direction, Margin, MetricInput, MetricResult, SideSummary, TestReport, Verdict } from './types';

export interface MetricContext {
  readonly evidence: Evidence;
  readonly rates: ErrorRates;
}

/** A metric with the request's gaps filled by the per-kind defaults. */
export interface Resolved {
  readonly direction: Direction;
  readonly margin: Margin;
  readonly critical: boolean;
  readonly weight: number;
  readonly minSamples: number;
}

export function resolve(metric: MetricInput): Resolved {
  const margin = metric.margin && (metric.margin.relative !== undefined || metric.margin.absolute !== undefined)
    ? metric.margin
    : metric.kind === 'continuous' && metric.threshold !== undefined
      ? DEFAULT_THRESHOLD_MARGIN
      : DEFAULT_MARGIN[metric.kind];
  return {
    direction: metric.direction ?? DEFAULT_DIRECTION[metric.kind],
    margin,
    critical: metric.critical ?? false,
    weight: metric.weight ?? 1,
    minSamples: metric.minSamples ?? DEFAULT_MIN_SAMPLES,
  };
}

/** The result of a judged metric: its verdict, the sentence saying why, and every checked effect. */
export function judged(
  metric: MetricInput,
  resolved: Resolved,
  summaries: { baseline: SideSummary; canary: SideSummary },
  tests: readonly TestReport[],
  decision: { verdict: Verdict; reason: string; checks: readonly Check[]; decisive: Check },
): MetricResult {
  return {
    name: metric.name,
    kind: metric.kind,
    verdict: decision.verdict,
    reason: decision.reason,
    critical: resolved.critical,
    weight: resolved.weight,
    direction: resolved.direction,
    ...summaries,
    effect: decision.decisive.effect,
    ...(decision.checks.length > 1 ? { effects: decision.checks.map((c) => c.effect) } : {}),
    tests,
  };
}

/** The result of a metric that could not be judged: never a pass, always with the reason. */
export function withoutEvidence(
  metric: MetricInput,
  resolved: Resolved,
  summaries: { baseline: SideSummary; canary: SideSummary },
  reason: string,
  tests: readonly TestReport[] = [],
): MetricResult {
  return {
    name: metric.name,
    kind: metric.kind,
    verdict: 'inconclusive',
    reason,
    critical: resolved.critical,
    weight: resolved.weight,
    direction: resolved.direction,
    ...summaries,
    tests,
  };
}
