/**
 * The judge's own vocabulary: what an analysis is asked and what it answers. The HTTP
 * contracts parse requests into these types; nothing here knows about HTTP.
 */
import type { Bounds } from '../stats/quantile-bounds';
import type { DataRange } from '../stats/paired-mean-betting-e-process';
import type { TrafficCheck, TrafficInput } from './traffic-split';

export type MetricKind = 'continuous' | 'proportion' | 'distribution' | 'categorical' | 'paired';
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
  /** Labelled quality: the intervals are prediction intervals whose labels arrive late (src/judge/labelled-quality.ts). */
  readonly labelled?: LabelledTimeline;
}

/**
 * A labelled metric's timeline is in PREDICTION time: interval i holds the outcomes labelled so
 * far of the predictions made in interval i (a proportion's `total` the labelled ones, `events`
 * the correct ones; a continuous metric's observations the labelled errors). Labels arrive late,
 * and the early ones are a biased sample, so an interval is judged only once enough of its
 * predictions have labels on both sides (src/judge/label-coverage.ts).
 */
export interface LabelledTimeline {
  /** Predictions made in each interval, oldest first, per side: what the labelled counts are a share of. */
  readonly predictions: { readonly baseline: readonly number[]; readonly canary: readonly number[] };
  /** Judge an interval once at least this share of each side's predictions in it have labels. */
  readonly minCoverage: number;
  /** How long after its predictions an interval's labels are expected in: it is judged no earlier. */
  readonly delaySeconds: number;
  /** Seconds from the end of each interval to the analysis' end (its age), oldest first. */
  readonly ages: readonly number[];
  /** Unix seconds at which each interval's predictions begin, when the source knows (the report's time axis). */
  readonly starts?: readonly number[];
}

/** Label coverage of a labelled metric (src/judge/labelled-quality.ts): what was judged and what awaits labels. */
export interface LabelReport {
  readonly delaySeconds: number;
  readonly minCoverage: number;
  /** Prediction intervals in the window, and how many of them (the oldest) were judged. */
  readonly intervals: number;
  readonly judged: number;
  /** Labelled predictions / predictions over the judged intervals, per side (null: no predictions). */
  readonly coverage: { readonly baseline: number | null; readonly canary: number | null };
  /** The same per interval, oldest first. */
  readonly perInterval: { readonly baseline: readonly (number | null)[]; readonly canary: readonly (number | null)[] };
  /** With intervals awaiting labels: seconds until the first of them is due; null when its labels are overdue (later than the delay). */
  readonly pendingSeconds?: number | null;
}
/**
 * One value of the label a metric is judged by (`segmentBy`), with its own two sides
 * (src/judge/segments.ts). `value` "" is the traffic whose series lack the label.
 */
export interface Segment<Side> {
  readonly value: string;
  readonly baseline: Side;
  readonly canary: Side;
}
/**
 * A metric judged per value of a label: the metric's own `baseline` and `canary` are then the
 * segments pooled (src/judge/segment-pooling.ts), reported beside the per-segment verdicts.
 */
export interface Segmented<Side> {
  /** The label (or, inline, the name) the segments are values of, e.g. "tenant". */
  readonly segmentBy?: string;
  readonly segments?: readonly Segment<Side>[];
  /** The share of each side's traffic the segments a pass needs must hold (default 0.9). */
  readonly segmentCoverage?: number;
}
export type MetricInput =
  | (MetricCommon & Segmented<ValuesSide> & {
      readonly kind: 'continuous';
      readonly quantile?: number | 'mean';
      /** Judge the share of observations above this value (an SLO bound) instead of a quantile. */
      readonly threshold?: number;
      /** The smallest and largest value an observation can take: what the mean's bounds rest on (without it the mean is refused). */
      readonly range?: DataRange;
      readonly baseline: ValuesSide;
      readonly canary: ValuesSide;
    })
  | (MetricCommon & Segmented<ValuesSide> & { readonly kind: 'distribution'; readonly baseline: ValuesSide; readonly canary: ValuesSide })
  | (MetricCommon & Segmented<CountSide> & { readonly kind: 'proportion'; readonly baseline: CountSide; readonly canary: CountSide })
  | (MetricCommon & Segmented<CategoricalSide> & { readonly kind: 'categorical'; readonly baseline: CategoricalSide; readonly canary: CategoricalSide })
  /**
   * A shadow step's paired outcomes (src/judge/paired.ts): outcome -> count
   * (src/judge/paired-outcomes.ts). `margin.absolute` is the disagreement v1 and v2 may show
   * beyond the noise floor.
   */
  | (MetricCommon & Segmented<never> & {
      readonly kind: 'paired';
      /** v1 and v2 on the same requests. */
      readonly canary: CategoricalSide;
      /** v1 against itself (two replicas) on the same or like requests: the noise floor; empty (and not read) when `noiseFloor` is false. */
      readonly baseline: CategoricalSide;
      readonly noiseFloor: boolean;
      /** v2's accuracy may fall at most this far below v1's on the labelled pairs (0.01 = 1 pp); correctness is judged only with it. */
      readonly accuracyMargin?: number;
    });

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
  /**
   * The canary's share of the traffic the routing promises now (default the traffic check's
   * expected share): a timeline's pass waits until its latest interval shows that weight
   * (src/judge/current-weight.ts). Given alone where the split is not counted (Flagger's weight,
   * its step too recent to count).
   */
  readonly canaryWeight?: number;
  /** Error budget of one analysis; see docs/statistics.md. */
  readonly alpha?: number;
  readonly thresholds?: Partial<ScoreThresholds>;
}

/** Per-side description, so a reader sees the data the verdict rests on. */
export type SideSummary =
  | { readonly n: number; readonly mean: number | null; readonly p50: number | null; readonly p90: number | null; readonly p95: number | null; readonly p99: number | null }
  | { readonly n: number; readonly events: number; readonly rate: number | null }
  | { readonly n: number; readonly shares: Record<string, number> }
  /** Paired: `n` compared pairs, `labelled` pairs with ground truth, and every count by outcome (src/judge/paired-outcomes.ts). */
  | { readonly n: number; readonly labelled: number; readonly outcomes: Readonly<Record<string, number>> };

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

/** One check of a paired metric (src/judge/paired.ts): the metric fails when one fails and passes when all pass. */
export interface PairedCheckReport {
  readonly check: 'disagreement' | 'accuracy';
  readonly verdict: Verdict;
  /** Which way is worse for this check: more disagreement, less accuracy. */
  readonly direction: Direction;
  readonly effect?: Effect;
  readonly decidedAt?: number;
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
  /** Paired metrics: every check with its own verdict and effect (`effect` is the decisive one's). */
  readonly pairedChecks?: readonly PairedCheckReport[];
  /** Inconclusive: how much more canary data a decision needs if the effect stays where it is (src/judge/projection.ts). */
  readonly projection?: { readonly toward: 'pass' | 'fail'; readonly moreCanary: number; readonly moreIntervals?: number; readonly moreSeconds?: number };
  /** Judged per segment (`segmentBy`): every segment's result, the alpha budget and the pooled comparison (src/judge/segments.ts). */
  readonly segments?: SegmentsReport;
  /** Labelled metrics: label coverage per side, and the intervals still awaiting labels. */
  readonly labels?: LabelReport;
}

/** One segment's result: the metric judged on that segment's data alone. */
export type SegmentResult = Omit<MetricResult, 'name' | 'critical' | 'weight' | 'segments'> & {
  readonly value: string;
  /** Its share of each side's observations (requests for rates). */
  readonly share: { readonly baseline: number; readonly canary: number };
  /** Whether it had enough data to be judged (minSamples on both sides); if not, inconclusive and named. */
  readonly judged: boolean;
  /** Whether the metric's pass needs this segment's pass (the coverage rule). */
  readonly required: boolean;
};

/** The canary's segments weighted like the baseline's (direct standardisation), against the baseline pooled. */
export interface StandardisedEffect {
  readonly measure: string;
  readonly unit: EffectUnit;
  /** The crude (pooled) estimate, in the same measure. */
  readonly crude: number;
  readonly standardised: number;
}

export interface SegmentsReport {
  readonly by: string;
  /** The one-sided error rate each segment's fail claim was judged at: the metric's fail rate / the number of segments. */
  readonly alphaPerSegment: number;
  /** The rule that combined the segments' verdicts, as a sentence. */
  readonly rule: string;
  readonly coverage: { readonly required: number; readonly baseline: number; readonly canary: number };
  readonly segments: readonly SegmentResult[];
  /** The metric judged on the segments pooled, reported beside them (it decides nothing). */
  readonly pooled: {
    readonly verdict: Verdict;
    readonly reason: string;
    readonly effect?: Effect;
    readonly standardised?: StandardisedEffect;
    /** Total variation distance between the canary's and the baseline's mix of segments. */
    readonly mixDifference: number;
    /** Set when the pooled number is confounded by the mix of segments (Simpson's paradox), saying why. */
    readonly confounded?: string;
    /** Chi-squared test of whether the canary's share of the traffic is the same in every segment. */
    readonly mixTest?: TestReport;
  };
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
