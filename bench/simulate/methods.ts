/**
 * The three ways of deciding a rollout that the benchmark compares, each asked once per look:
 *
 * - canary-judge: one analysis per look over all data so far (cumulative), four metrics,
 *   latency and errors critical, default alpha and thresholds, the given evidence;
 * - Kayenta-style: the same classic tests at every look on the cumulative data, no correction
 *   for repeated looks (p < 0.05 in the harmful direction makes a metric High);
 * - Flagger-style: absolute thresholds on the canary's last minute only (success rate >= 99 %,
 *   p99 <= 500 ms), rolled back after 5 failed checks.
 */
import { analyze } from '../../src/judge/analyze';
import type { Evidence } from '../../src/judge/evidence';
import type { HistogramBucket, Margin, MetricInput, Verdict } from '../../src/judge/types';
import { chiSquaredHomogeneity } from '../../src/stats/chi-squared';
import { fisherExact } from '../../src/stats/fisher-exact';
import { kolmogorovSmirnov } from '../../src/stats/kolmogorov-smirnov';
import { mannWhitneyU } from '../../src/stats/mann-whitney-u';
import { quantile } from '../../src/stats/quantile';
import { fromBuckets, type WeightedSample } from '../../src/stats/weighted-sample';
import { countAgreement, type AgreementCounts } from './agreement';
import { canaryShareAt, CLASSES, SCORE_BOUNDS, type RolloutData, type Scenario, type SideCounts } from './rollout';

export const METRIC_NAMES = ['latency', 'errors', 'score', 'class'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** An inconclusive metric's time-to-decision projection (src/judge/projection.ts). */
export interface LookProjection {
  readonly moreCanary: number;
  readonly moreIntervals?: number;
}

/** What a method says at one look; `metrics` and `projections` (canary-judge only) explain it. */
export interface LookResult {
  readonly verdict: Verdict;
  readonly metrics?: Readonly<Record<MetricName, Verdict>>;
  readonly projections?: Readonly<Partial<Record<MetricName, LookProjection>>>;
  /** canary-judge only: whether every metric's reported numbers agree with its verdict (./agreement.ts). */
  readonly agreement?: AgreementCounts;
}

/** A method keeps per-rollout state (Flagger's failed-check counter), so one instance per rollout. */
export type LookJudge = (data: RolloutData) => LookResult;

export interface Method {
  readonly name: string;
  start(scenario: Scenario): LookJudge;
}

// ---------------------------------------------------------------- canary-judge

/** The cumulative histogram buckets of a side, as Prometheus `_bucket` counts. */
function cumulativeBuckets(bounds: readonly number[], counts: Float64Array): HistogramBucket[] {
  const buckets: HistogramBucket[] = new Array(bounds.length);
  let total = 0;
  for (let i = 0; i < bounds.length; i++) {
    total += counts[i];
    buckets[i] = { le: bounds[i], count: total };
  }
  return buckets;
}

const ZERO_MARGINS: Record<MetricName, Margin> = {
  latency: { relative: 0 },
  errors: { relative: 0 },
  score: { absolute: 0 },
  class: { absolute: 0 },
};

export function canaryJudgeMetrics(data: RolloutData, margins: Scenario['margins']): MetricInput[] {
  const b = data.baseline;
  const c = data.canary;
  const margin = (name: MetricName) => (margins === 'zero' ? { margin: ZERO_MARGINS[name] } : {});
  const classCounts = (side: SideCounts) => CLASSES.map((name, i) => [name, side.classes[i]] as const);
  return [
    {
      name: 'latency',
      kind: 'continuous',
      critical: true,
      ...margin('latency'),
      baseline: { histogram: { buckets: cumulativeBuckets(data.latencyBounds, b.latency) } },
      canary: { histogram: { buckets: cumulativeBuckets(data.latencyBounds, c.latency) } },
    },
    {
      name: 'errors',
      kind: 'proportion',
      critical: true,
      ...margin('errors'),
      baseline: { events: b.errors, total: b.requests },
      canary: { events: c.errors, total: c.requests },
    },
    {
      name: 'score',
      kind: 'distribution',
      ...margin('score'),
      baseline: { histogram: { buckets: cumulativeBuckets(SCORE_BOUNDS, b.score) } },
      canary: { histogram: { buckets: cumulativeBuckets(SCORE_BOUNDS, c.score) } },
    },
    {
      name: 'class',
      kind: 'categorical',
      ...margin('class'),
      baseline: { counts: classCounts(b) },
      canary: { counts: classCounts(c) },
    },
  ];
}

/**
 * The same four metrics with every minute as an interval (`intervals`), as the Prometheus
 * source fetches them: errors tested per interval, sticky verdicts for all.
 */
export function canaryJudgeTimelineMetrics(data: RolloutData, margins: Scenario['margins']): MetricInput[] {
  const cumulative = canaryJudgeMetrics(data, margins);
  const classCounts = (side: SideCounts) => CLASSES.map((name, i) => [name, side.classes[i]] as const);
  const intervals = (name: MetricName, side: 'baseline' | 'canary') =>
    data.minutes.map((minute) => {
      const m = minute[side];
      switch (name) {
        case 'latency':
          return { histogram: { buckets: cumulativeBuckets(data.latencyBounds, m.latency) } };
        case 'errors':
          return { events: m.errors, total: m.requests };
        case 'score':
          return { histogram: { buckets: cumulativeBuckets(SCORE_BOUNDS, m.score) } };
        case 'class':
          return { counts: classCounts(m) };
      }
    });
  return cumulative.map((metric) => {
    const name = metric.name as MetricName;
    return {
      ...metric,
      baseline: { ...metric.baseline, intervals: intervals(name, 'baseline') },
      canary: { ...metric.canary, intervals: intervals(name, 'canary') },
    } as MetricInput;
  });
}

export function canaryJudge(evidence: Evidence, timeline = false, name = timeline ? 'canary-judge timeline' : 'canary-judge'): Method {
  return {
    name,
    start: (scenario) => (data) => {
      // With header-routed testers, what the shipped templates send: the step's weight, and the
      // latest minute's requests (trafficLookback: the timeline step).
      const latest = data.minutes.at(-1);
      const traffic = scenario.testers && latest ? { expectedCanaryShare: canaryShareAt(data.look), baseline: latest.baseline.requests, canary: latest.canary.requests } : undefined;
      const weight = scenario.weightSent ? { canaryWeight: canaryShareAt(data.look) } : {};
      const result = analyze({ metrics: (timeline ? canaryJudgeTimelineMetrics : canaryJudgeMetrics)(data, scenario.margins), ...(traffic ? { traffic } : {}), ...weight }, evidence);
      const metrics = {} as Record<MetricName, Verdict>;
      const projections: Partial<Record<MetricName, LookProjection>> = {};
      for (const m of result.metrics) {
        metrics[m.name as MetricName] = m.verdict;
        if (m.projection) projections[m.name as MetricName] = m.projection;
      }
      const agreement: AgreementCounts = {};
      countAgreement(agreement, result);
      return { verdict: result.verdict, metrics, projections, agreement };
    },
  };
}

// ---------------------------------------------------------------- Kayenta-style

export const CLASSIC_ALPHA = 0.05;
/** Kayenta's marginal score threshold: below it the analysis fails. */
const KAYENTA_MARGINAL = 75;

function histogramSample(bounds: readonly number[], counts: Float64Array): WeightedSample {
  return fromBuckets(bounds, counts, 0);
}

export const kayentaStyle: Method = {
  name: 'kayenta-style',
  start: () => (data) => {
    const b = data.baseline;
    const c = data.canary;
    const latencyC = histogramSample(data.latencyBounds, c.latency);
    const latencyB = histogramSample(data.latencyBounds, b.latency);
    const latencyHigh =
      mannWhitneyU(latencyC, latencyB).pValue < CLASSIC_ALPHA && quantile(latencyC, 0.5) > quantile(latencyB, 0.5);
    const errorsHigh =
      fisherExact(c.errors, c.requests, b.errors, b.requests).pValue < CLASSIC_ALPHA && c.errors / c.requests > b.errors / b.requests;
    const scoreHigh = kolmogorovSmirnov(histogramSample(SCORE_BOUNDS, c.score), histogramSample(SCORE_BOUNDS, b.score)).pValue < CLASSIC_ALPHA;
    const classHigh = chiSquaredHomogeneity(c.classes, b.classes).pValue < CLASSIC_ALPHA;
    const high = [latencyHigh, errorsHigh, scoreHigh, classHigh];
    const score = (100 * high.filter((h) => !h).length) / high.length;
    // Latency and errors are critical: High there fails outright, as in canary-judge's setup.
    const fail = latencyHigh || errorsHigh || score < KAYENTA_MARGINAL;
    return { verdict: fail ? 'fail' : 'pass' };
  },
};

// ---------------------------------------------------------------- Flagger-style

export const FLAGGER_MIN_SUCCESS_RATE = 0.99;
export const FLAGGER_MAX_P99_MS = 500;
export const FLAGGER_THRESHOLD = 5;

export const flaggerStyle: Method = {
  name: 'flagger-style',
  start: () => {
    let failedChecks = 0;
    return (data) => {
      const minute = data.lastMinuteCanary;
      const successRate = minute.requests > 0 ? 1 - minute.errors / minute.requests : NaN;
      // histogram_quantile(0.99, ...) of the last minute; no data is a failed check in Flagger.
      const p99 = minute.requests > 0 ? quantile(histogramSample(data.latencyBounds, minute.latency), 0.99) : NaN;
      const ok = successRate >= FLAGGER_MIN_SUCCESS_RATE && p99 <= FLAGGER_MAX_P99_MS;
      if (!ok) failedChecks++;
      if (failedChecks >= FLAGGER_THRESHOLD) return { verdict: 'fail' };
      return { verdict: ok ? 'pass' : 'inconclusive' };
    };
  },
};
