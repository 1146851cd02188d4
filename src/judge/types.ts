/**
 * The judge's own vocabulary: what an analysis is asked and what it answers. The HTTP
 * contracts parse requests into these types; nothing here knows about HTTP.
 */
import type { Bounds } from '../stats/quantile-bounds';
import type { DataRange } from '../stats/paired-mean-betting-e-process';
import type { TrafficCheck, TrafficInput } from './traffic-split';

export type MetricKind = 'continuous' | 'proportion' | 'distribution' | 'categorical';
/** Which way is worse: `increase` means a bigger canary value is a regression. */
export type Direction = 'increase' | 'decrease' | 'either';
export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** Allowed change in the metric's own units; when both are set, either allowance suffices. */
export interface Margin {
  readonly relative?: number;
  readonly absolute?: number;
}

/** One Prometheus `_bucket` sample: cumulative count of observations <= le. */
export interface HistogramBucket {
  readonly le: number;
  readonly count: number;
}

/**
 * The timeline of a side: the same data per interval, oldest first, baseline and canary
 * aligned by index (interval i covers the same span of time on both sides). When a side has
 * `intervals`, its cumulative fields are their sum, so every judge can still read the totals;
 * the sequential tests and sticky verdicts read the intervals.
 */
export interface Timeline<Interval> {
  readonly intervals?: readonly Interval[];
}

export type ValuesInterval =
  | { readonly values: ArrayLike<number> }
  | { readonly histogram: { readonly buckets: readonly HistogramBucket[]; readonly sum?: number } };
/**
 * Bucket bounds a source left out of a side's histograms because not every series (pod) or
 * interval had them (a count is never carried to a bound an interval lacks): the reason names them when the
 * bounds that remain are too coarse for the margin (src/judge/dropped-bounds.ts).
 */
export interface DroppedBounds {
  readonly droppedBounds?: readonly number[];
  /**
   * What reading the side's native histograms cost in resolution (merged into a coarser schema's
   * or a wider zero bucket's buckets, or into classic buckets during a migration), as clauses for
   * the same reasons (src/sources/validate/native-histograms.ts).
   */
  readonly reducedResolution?: readonly string[];
}
export type ValuesSide = ValuesInterval & Timeline<ValuesInterval> & DroppedBounds;
export interface CountInterval {
  readonly events: number;
  readonly total: number;
}
export interface CountSide extends CountInterval, Timeline<CountInterval> {}
/** Category counts as ordered pairs (never a plain object, so no key can collide with its prototype). */
export interface CategoricalInterval {
  readonly counts: ReadonlyArray<readonly [string, number]>;
}
export interface CategoricalSide extends CategoricalInterval, Timeline<CategoricalInterval> {}

interface MetricCommon {
  readonly name: string;
  readonly direction?: Direction;
  readonly margin?: Margin;
  readonly critical?: boolean;
  readonly weight?: number;
  readonly minSamples?: number;
  /** How long each interval of the timeline lasts (seconds), when known: the projection then speaks in time. */
  readonly intervalSeconds?: number;
  /** What the data's source knows beyond the numbers (the client-side failures counted), appended to the metric's reason. */
  readonly note?: string;
}
export type MetricInput =
  | (MetricCommon & {
      readonly kind: 'continuous';
      readonly quantile?: number | 'mean';
      /** Judge the share of observations above this value (an SLO bound) instead of a quantile. */
      readonly threshold?: number;
      /** The smallest and largest value an observation can take: what the mean's bounds rest on (without it the mean is refused). */
      readonly range?: DataRange;
      readonly baseline: ValuesSide;
      readonly canary: ValuesSide;
    })
  | (MetricCommon & { readonly kind: 'distribution'; readonly baseline: ValuesSide; readonly canary: ValuesSide })
  | (MetricCommon & { readonly kind: 'proportion'; readonly baseline: CountSide; readonly canary: CountSide })
  | (MetricCommon & { readonly kind: 'categorical'; readonly baseline: CategoricalSide; readonly canary: CategoricalSide });

export interface ScoreThresholds {
  /** Score at or above which the analysis may pass (100: every metric must pass). */
  readonly pass: number;
  /** Score below which an analysis with a failing metric fails. */
  readonly marginal: number;
}

/** Which guarantee the bounds carry: valid at every look, or for a single look only. */
export type EvidenceName = 'anytime-valid' | 'fixed-sample';

export interface AnalysisInput {
  readonly metrics: readonly MetricInput[];
  /** Default anytime-valid: rollouts look again and again at growing data. */
  readonly evidence?: EvidenceName;
  /** Sample-ratio-mismatch check of the traffic split, when the expected share is known. */
  readonly traffic?: TrafficInput;
  /** Error budget of one analysis; see docs/statistics.md. */
  readonly alpha?: number;
  readonly thresholds?: Partial<ScoreThresholds>;
}

/** Per-side description, so a reader sees the data the verdict rests on. */
export type SideSummary =
  | { readonly n: number; readonly mean: number | null; readonly p50: number | null; readonly p90: number | null; readonly p95: number | null; readonly p99: number | null }
  | { readonly n: number; readonly events: number; readonly rate: number | null }
  | { readonly n: number; readonly shares: Record<string, number> };

/**
 * How to read an effect's numbers: `relative` a fraction (0.1 = +10 %), `rate` a difference of
 * proportions (0.001 = 0.1 percentage points), `share` an unsigned difference of proportions,
 * `distance` a unitless distance in [0, 1], `units` the metric's own units.
 */
export type EffectUnit = 'relative' | 'rate' | 'share' | 'distance' | 'units';

export interface Effect {
  readonly measure: string;
  readonly unit: EffectUnit;
  readonly estimate: number;
  /** Confidence bounds the verdict used; infinite means "no bound yet" (null in JSON). */
  readonly lower: number;
  readonly upper: number;
  /** The largest tolerated effect in the measure's units (the margin). */
  readonly tolerance: number;
}

/**
 * One look of a timeline: the effect (in the measure and units of the metric's `effect`) as
 * the judge computed it from the first `interval` intervals alone, before the sticky rule.
 */
export interface Look {
  /** 1-based: the look after this many intervals. */
  readonly interval: number;
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

export interface TestReport {
  readonly name: string;
  readonly statistic: number;
  readonly pValue?: number;
  readonly threshold?: number;
  readonly method?: string;
}

export interface MetricResult {
  readonly name: string;
  readonly kind: MetricKind;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly critical: boolean;
  readonly weight: number;
  readonly direction: Direction;
  readonly baseline: SideSummary;
  readonly canary: SideSummary;
  readonly effect?: Effect;
  /** All checked effects when more than one margin applies. */
  readonly effects?: readonly Effect[];
  readonly tests: readonly TestReport[];
  /** With a timeline: how many intervals (looks) there were. */
  readonly intervals?: number;
  /** With a timeline: the interval (1-based) of the first look at which the verdict was reached. */
  readonly decidedAt?: number;
  /**
   * With a timeline and anytime-valid evidence: the effect at the looks the judge evaluated,
   * oldest first (src/judge/look-series.ts): at most 33, the deciding and the latest among them.
   */
  readonly timeline?: readonly Look[];
  /** Inconclusive: how much more canary data a decision needs if the effect stays where it is (src/judge/projection.ts). */
  readonly projection?: { readonly toward: 'pass' | 'fail'; readonly moreCanary: number; readonly moreIntervals?: number; readonly moreSeconds?: number };
}

export interface AnalysisResult {
  readonly verdict: Verdict;
  readonly score: number;
  readonly reason: string;
  readonly alpha: number;
  readonly evidence: string;
  readonly metrics: readonly MetricResult[];
  /** Data-quality checks beside the metrics (the traffic split). */
  readonly checks?: readonly TrafficCheck[];
}

export type { Bounds, DataRange };
