/**
 * Continuous metrics (latency, scores): the verdict rests on a quantile of canary vs baseline
 * (p95 by default), with distribution-free order-statistic bounds for each side combined by
 * Bonferroni. Mann-Whitney U and Kolmogorov-Smirnov are reported to explain the shape of any
 * difference; they do not decide, because with enough data they flag shifts far below any
 * margin a user cares about.
 */
import { kolmogorovSmirnov } from '../stats/kolmogorov-smirnov';
import { mannWhitneyU } from '../stats/mann-whitney-u';
import { quantile } from '../stats/quantile';
import type { WeightedSample } from '../stats/weighted-sample';
import { DEFAULT_QUANTILE } from './defaults';
import { describeCheck } from './describe';
import { insufficientData } from './data-gate';
import { checkAgainstMargins, type EffectCandidate } from './margin-check';
import { resolve, withoutEvidence, type MetricContext } from './metric-context';
import { toSamplePair } from './side-samples';
import { valuesSummary } from './summaries';
import type { Bounds, MetricInput, MetricResult, TestReport } from './types';

type ContinuousMetric = Extract<MetricInput, { kind: 'continuous' }>;

export function judgeContinuous(metric: ContinuousMetric, ctx: MetricContext): MetricResult {
  const resolved = resolve(metric);
  const pair = toSamplePair(metric.baseline, metric.canary);
  const summaries = {
    baseline: valuesSummary(pair.baseline, pair.baselineMean),
    canary: valuesSummary(pair.canary, pair.canaryMean),
  };
  const tests = pair.baseline.n > 0 && pair.canary.n > 0 ? rankTests(pair.canary, pair.baseline) : [];
  const gap = insufficientData(pair.baseline.n, pair.canary.n, resolved.minSamples, 'observations');
  if (gap) return withoutEvidence(metric, resolved, summaries, gap, tests);

  const p = metric.quantile ?? DEFAULT_QUANTILE;
  const subject = quantileLabel(p);
  const qb = quantile(pair.baseline, p);
  const qc = quantile(pair.canary, p);
  // Each side's bound takes half the error rate of the combined bound (Bonferroni).
  const sideBounds = (sample: WeightedSample, alphaLower: number, alphaUpper: number): Bounds =>
    ctx.evidence.quantileBounds(sample, p, alphaLower / 2, alphaUpper / 2);

  const candidates: EffectCandidate[] = [];
  if (resolved.margin.relative !== undefined) {
    candidates.push({
      measure: `relative shift of ${subject}`,
      estimate: qb > 0 ? qc / qb - 1 : NaN,
      tolerance: resolved.margin.relative,
      unit: 'relative',
      bounds: (aL, aU) => {
        const c = sideBounds(pair.canary, aL, aU);
        const b = sideBounds(pair.baseline, aU, aL);
        return { lower: ratioLower(c.lower, b.upper) - 1, upper: ratioUpper(c.upper, b.lower) - 1 };
      },
    });
  }
  if (resolved.margin.absolute !== undefined) {
    candidates.push({
      measure: `shift of ${subject}`,
      estimate: qc - qb,
      tolerance: resolved.margin.absolute,
      unit: 'units',
      bounds: (aL, aU) => {
        const c = sideBounds(pair.canary, aL, aU);
        const b = sideBounds(pair.baseline, aU, aL);
        return { lower: c.lower - b.upper, upper: c.upper - b.lower };
      },
    });
  }
  const { verdict, checks } = checkAgainstMargins(candidates, resolved.direction, ctx.rates);
  const decisive = checks.find((c) => c.verdict === verdict) ?? checks[0];
  return {
    name: metric.name,
    kind: metric.kind,
    verdict,
    reason: describeCheck(subject, decisive, resolved.direction),
    critical: resolved.critical,
    weight: resolved.weight,
    direction: resolved.direction,
    ...summaries,
    effect: decisive.effect,
    ...(checks.length > 1 ? { effects: checks.map((c) => c.effect) } : {}),
    tests,
  };
}

export function quantileLabel(p: number): string {
  return `p${Number((p * 100).toPrecision(6))}`;
}

/** Lower bound of c/b from a lower bound of c and an upper bound of b (relative margins assume positive data). */
function ratioLower(canaryLower: number, baselineUpper: number): number {
  if (!(baselineUpper > 0) || !(canaryLower >= 0)) return -Infinity;
  return canaryLower / baselineUpper;
}

function ratioUpper(canaryUpper: number, baselineLower: number): number {
  if (!(baselineLower > 0)) return Infinity;
  return canaryUpper / baselineLower;
}

function rankTests(canary: WeightedSample, baseline: WeightedSample): TestReport[] {
  const mw = mannWhitneyU(canary, baseline);
  const ks = kolmogorovSmirnov(canary, baseline);
  return [
    { name: 'mann-whitney-u', statistic: mw.statistic, pValue: mw.pValue, method: mw.method },
    { name: 'kolmogorov-smirnov', statistic: ks.statistic, pValue: ks.pValue, method: ks.method },
  ];
}
