/**
 * Continuous metrics (latency, scores): the verdict rests on a quantile of canary vs baseline
 * (p95 by default), with distribution-free order-statistic bounds for each side combined by
 * Bonferroni, or on the mean (`statistic: "mean"`, raw values only) with normal bounds. Mann-Whitney U and Kolmogorov-Smirnov are reported to explain the shape of any
 * difference; they do not decide, because with enough data they flag shifts far below any
 * margin a user cares about.
 */
import { kolmogorovSmirnov } from '../stats/kolmogorov-smirnov';
import { mannWhitneyU } from '../stats/mann-whitney-u';
import { mean, sampleVariance } from 'simple-statistics';
import { quantile } from '../stats/quantile';
import type { WeightedSample } from '../stats/weighted-sample';
import { DEFAULT_QUANTILE } from './defaults';
import { describeCheck } from './describe';
import { checkAgainstMargins, type EffectCandidate } from './margin-check';
import { judged, resolve, withoutEvidence, type MetricContext } from './metric-context';
import { valuesData } from './values-data';
import type { Bounds, Margin, MetricInput, MetricResult, TestReport } from './types';

type ContinuousMetric = Extract<MetricInput, { kind: 'continuous' }>;

export function judgeContinuous(metric: ContinuousMetric, ctx: MetricContext): MetricResult {
  const resolved = resolve(metric);
  const { pair, summaries, tests, gap } = valuesData(metric, resolved.minSamples, rankTests);
  if (gap) return withoutEvidence(metric, resolved, summaries, gap, tests);

  const statistic = metric.quantile ?? DEFAULT_QUANTILE;
  const subject = statistic === 'mean' ? 'the mean' : quantileLabel(statistic);
  let candidates: EffectCandidate[];
  if (statistic === 'mean') {
    if (!('values' in metric.baseline && 'values' in metric.canary)) {
      return withoutEvidence(metric, resolved, summaries, 'the mean needs raw values on both sides: a histogram does not say how values spread inside its buckets', tests);
    }
    candidates = meanCandidates(metric.baseline.values, metric.canary.values, resolved.margin, ctx);
  } else {
    candidates = quantileCandidates(pair.baseline, pair.canary, statistic, subject, resolved.margin, ctx);
  }
  const { verdict, checks } = checkAgainstMargins(candidates, resolved.direction, ctx.rates);
  const decisive = checks.find((c) => c.verdict === verdict) ?? checks[0];
  return judged(metric, resolved, summaries, tests, { verdict, checks, decisive, reason: describeCheck(subject, decisive, resolved.direction) });
}

function quantileCandidates(baseline: WeightedSample, canary: WeightedSample, p: number, subject: string, margin: Margin, ctx: MetricContext): EffectCandidate[] {
  const qb = quantile(baseline, p);
  const qc = quantile(canary, p);
  // Each side's bound takes half the error rate of the combined bound (Bonferroni).
  const sideBounds = (sample: WeightedSample, alphaLower: number, alphaUpper: number): Bounds =>
    ctx.evidence.quantileBounds(sample, p, alphaLower / 2, alphaUpper / 2);
  const candidates: EffectCandidate[] = [];
  if (margin.relative !== undefined) {
    candidates.push({
      measure: `relative shift of ${subject}`,
      unit: 'relative',
      estimate: qb > 0 ? qc / qb - 1 : NaN,
      tolerance: margin.relative,
      bounds: (aL, aU) => {
        const c = sideBounds(canary, aL, aU);
        const b = sideBounds(baseline, aU, aL);
        return { lower: ratioLower(c.lower, b.upper) - 1, upper: ratioUpper(c.upper, b.lower) - 1 };
      },
    });
  }
  if (margin.absolute !== undefined) {
    candidates.push({
      measure: `shift of ${subject}`,
      unit: 'units',
      estimate: qc - qb,
      tolerance: margin.absolute,
      bounds: (aL, aU) => {
        const c = sideBounds(canary, aL, aU);
        const b = sideBounds(baseline, aU, aL);
        return { lower: c.lower - b.upper, upper: c.upper - b.lower };
      },
    });
  }
  return candidates;
}

/**
 * The mean (latency budgets, average model scores): Welch's standard error for the difference,
 * and for a relative margin the log of the ratio of means (delta method), bounded by the
 * evidence's normal-estimate bounds (the mixture SPRT when anytime-valid). The mixture is tuned
 * to the margin itself (tau = the tolerance, at least 1 %), a choice made before the data.
 */
function meanCandidates(baseline: ArrayLike<number>, canary: ArrayLike<number>, margin: Margin, ctx: MetricContext): EffectCandidate[] {
  const b = { n: baseline.length, mean: mean(baseline as number[]), variance: sampleVariance(baseline as number[]) };
  const c = { n: canary.length, mean: mean(canary as number[]), variance: sampleVariance(canary as number[]) };
  const candidates: EffectCandidate[] = [];
  if (margin.relative !== undefined) {
    const positive = b.mean > 0 && c.mean > 0;
    const logRatio = positive ? Math.log(c.mean / b.mean) : NaN;
    const variance = c.variance / (c.n * c.mean * c.mean) + b.variance / (b.n * b.mean * b.mean);
    const tau = Math.max(Math.log1p(margin.relative), 0.01);
    candidates.push({
      measure: 'relative shift of the mean',
      unit: 'relative',
      estimate: positive ? Math.expm1(logRatio) : NaN,
      tolerance: margin.relative,
      bounds: (aL, aU) => {
        if (!positive) return { lower: -Infinity, upper: Infinity };
        const log = ctx.evidence.normalEstimateBounds(logRatio, variance, aL, aU, tau);
        return { lower: Math.expm1(log.lower), upper: Math.expm1(log.upper) };
      },
    });
  }
  if (margin.absolute !== undefined) {
    const difference = c.mean - b.mean;
    const variance = c.variance / c.n + b.variance / b.n;
    const tau = margin.absolute > 0 ? margin.absolute : Math.sqrt(variance) || 1;
    candidates.push({
      measure: 'shift of the mean',
      unit: 'units',
      estimate: difference,
      tolerance: margin.absolute,
      bounds: (aL, aU) => ctx.evidence.normalEstimateBounds(difference, variance, aL, aU, tau),
    });
  }
  return candidates;
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

/** Mann-Whitney U and Kolmogorov-Smirnov, as reported for continuous and distribution metrics. */
export function rankTests(canary: WeightedSample, baseline: WeightedSample): TestReport[] {
  const mw = mannWhitneyU(canary, baseline);
  const ks = kolmogorovSmirnov(canary, baseline);
  return [
    { name: 'mann-whitney-u', statistic: mw.statistic, pValue: mw.pValue, method: mw.method },
    { name: 'kolmogorov-smirnov', statistic: ks.statistic, pValue: ks.pValue, method: ks.method },
  ];
}
