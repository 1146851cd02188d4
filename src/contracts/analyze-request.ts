/**
 * The public request contract of `POST /v1/analyze` (fields may be added, never renamed).
 * A metric either carries its data inline (`kind` + `baseline`/`canary` sides) or names a
 * Prometheus `template`, in which case the request gives label selectors per side and a time
 * window. Parsing turns lenient JSON (numbers as strings, fractional counts from Prometheus'
 * increase()) into typed values and lists every problem it finds, with its path.
 */
import { z } from 'zod';
import { INVISIBLE_CONTROLS } from '../judge/describe';
import type { CategoricalInterval, CategoricalSide, CountSide, HistogramBucket, MetricInput, ValuesInterval, ValuesSide } from '../judge/types';
import { outcomeInterval, type PairOutcome } from '../judge/paired-outcomes';
import { sumCategoricalIntervals, sumCountIntervals, sumValuesIntervals } from '../judge/timeline';
import { TEMPLATE_NAMES, type TemplateMetric } from '../sources/metric-source';
import { tenantId } from '../sources/prometheus/backend-config';
import { expectedGot, lenientBoolean, lenientNumber, numberArray, readNumber, stringMap } from './lenient-numbers';
import { strictObject } from './strict-object';
import { unknownKeyMessage } from './closest-key';
import { parseDurationSeconds, parseInstant } from './time-window';
import { MAX_CATEGORIES, MAX_INTERVALS, MAX_METRICS, MAX_WINDOW_SECONDS } from './limits';
import { consistentSegments, SEGMENT_KEYS, SEGMENTED_SIDE_HINT, segmentBy, segmentCoverage, segmentsOf, UNSEGMENTED_HINT } from './segments-request';
import { pooledSides } from '../judge/segment-pooling';
import { checkInlineLabelled, checkTemplateLabelled, DEFAULT_LABELLED_MARGIN, inlineLabelledKeys, inlineLabelledTimeline, labelledKeys, labelledTemplateDefaults, withoutPredictions } from './labelled-request';

const nonNegative = lenientNumber.refine((x) => x >= 0, 'must not be negative');
/** Counts may be fractional when they come from increase(); they are rounded to whole observations. */
const count = nonNegative.refine((x) => x <= Number.MAX_SAFE_INTEGER, 'must be at most 2^53 - 1').transform(Math.round);
const positive = lenientNumber.refine((x) => x > 0, 'must be positive');

const direction = z.enum(['increase', 'decrease', 'either']);
/**
 * Margins are fractions (0.1 = 10 %). Someone meaning 10 % who writes 10 would tolerate
 * +1000 %, and the judge would pass nearly anything: a relative margin above 1 (+100 %) is
 * refused unless the same object says `allowLargeRelative: true` (say, an error rate that may
 * triple: `relative: 2`).
 */
export const LARGEST_PLAIN_RELATIVE_MARGIN = 1;
const margin = strictObject({ relative: nonNegative.optional(), absolute: nonNegative.optional(), allowLargeRelative: lenientBoolean.optional() })
  .superRefine((m, ctx) => {
    if (m.relative !== undefined && m.relative > LARGEST_PLAIN_RELATIVE_MARGIN && m.allowLargeRelative !== true) {
      ctx.addIssue({
        code: 'custom',
        path: ['relative'],
        message: `got ${m.relative}, a tolerated change of +${round(m.relative * 100)} %: margins are fractions (0.1 = 10 %); for a margin above 1 (+100 %) on purpose, add "allowLargeRelative": true to this margin`,
      });
    }
  })
  .refine((m) => m.relative !== undefined || m.absolute !== undefined, 'give margin.relative and/or margin.absolute')
  .transform(({ allowLargeRelative: _optIn, ...m }) => m);

function round(x: number): number {
  return Number(x.toPrecision(6));
}

const common = {
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'at most 200 characters')
    .refine((name) => !new RegExp(INVISIBLE_CONTROLS.source).test(name), 'must not contain control or bidirectional formatting characters (U+202E and the like): a name is repeated in reasons and Kubernetes events, where they would make it read as something else'),
  direction: direction.optional(),
  margin: margin.optional(),
  critical: lenientBoolean.optional(),
  weight: positive.optional(),
  minSamples: count.refine((x) => x >= 1, 'must be at least 1').optional(),
};

const bucketBound = z.unknown().transform((input, ctx): number => {
  if (input === '+Inf' || input === 'Inf' || input === '+inf') return Infinity;
  const value = readNumber(input);
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: expectedGot('a bucket bound (a number or "+Inf")', input) });
    return z.NEVER;
  }
  return value;
}).meta({ description: 'upper bound of the bucket (Prometheus "le"), "+Inf" for the last', anyOf: [{ type: 'number' }, { type: 'string' }] });

const histogram = strictObject({
    buckets: z.array(strictObject({ le: bucketBound, count })).min(1, 'needs at least the +Inf bucket'),
    sum: lenientNumber.optional(),
  })
  .superRefine((h, ctx) => {
    h.buckets.forEach((bucket, i) => {
      if (i === 0) return;
      const previous = h.buckets[i - 1];
      if (!(bucket.le > previous.le)) ctx.addIssue({ code: 'custom', path: ['buckets', i, 'le'], message: 'bucket bounds must be strictly increasing' });
      if (bucket.count < previous.count) ctx.addIssue({ code: 'custom', path: ['buckets', i, 'count'], message: 'bucket counts must be cumulative (never decreasing), as _bucket series are' });
    });
    if (h.buckets.at(-1)?.le !== Infinity) ctx.addIssue({ code: 'custom', path: ['buckets'], message: 'the last bucket must be le "+Inf"' });
  });

/** Keys that belong to another kind's side: said plainly instead of "did you mean". */
const KIND_OF_SIDE_KEY: Record<string, string> = {
  values: 'a side of kind "continuous" or "distribution" takes "values" or "histogram"',
  histogram: 'a side of kind "continuous" or "distribution" takes "values" or "histogram"',
  events: 'a side of kind "proportion" takes "events" and "total"',
  total: 'a side of kind "proportion" takes "events" and "total"',
  counts: 'a side of kind "categorical" takes "counts"',
  agree: 'a side of kind "paired" takes its pairs by outcome ("agree", "disagree", "v1_only_correct", ...)',
  disagree: 'a side of kind "paired" takes its pairs by outcome ("agree", "disagree", "v1_only_correct", ...)',
};
const sideHints = (kind: string, own: string[]) =>
  Object.fromEntries(Object.entries(KIND_OF_SIDE_KEY).filter(([key]) => !own.includes(key)).map(([key, belongs]) => [key, `${belongs}; this metric is kind "${kind}", whose sides take ${own.map((k) => `"${k}"`).join(' and ')}`]));

/** A timeline of at most a day of 1-minute intervals (src/contracts/limits.ts). */
export { MAX_INTERVALS };
/** An array longer than a limit: the message names the limit and how many were given. */
const atMost = (limit: number, what: string) => ({
  error: (issue: { input?: unknown }) => `${Array.isArray(issue.input) ? `got ${issue.input.length.toLocaleString('en-US')} ${what}; ` : ''}at most ${limit.toLocaleString('en-US')} ${what} (a limit of the service)`,
});
const TIMELINE_HINT = 'oldest first, baseline and canary aligned by index (interval i covers the same span of time on both sides)';

const valuesInterval = strictObject({ values: numberArray.optional(), histogram: histogram.optional(), predictions: count.optional() }, { expected: 'one interval\'s data, {"values": [...]} or {"histogram": {"buckets": [...]}}' })
  .superRefine((side, ctx) => {
    if ((side.values === undefined) === (side.histogram === undefined)) {
      ctx.addIssue({ code: 'custom', message: `give exactly one of "values" or "histogram", got ${side.values === undefined ? 'neither' : 'both'}` });
    }
  })
  .transform((side): ValuesInterval => ({
    ...(side.values !== undefined
      ? { values: side.values }
      : { histogram: { buckets: side.histogram!.buckets as HistogramBucket[], ...(side.histogram!.sum !== undefined ? { sum: side.histogram!.sum } : {}) } }),
    // Labelled quality: moved to the metric's labelled timeline (src/contracts/labelled-request.ts).
    ...(side.predictions !== undefined ? { predictions: side.predictions } : {}),
  }) as ValuesInterval);

const valuesSide = (kind: string) =>
  strictObject(
    { values: numberArray.optional(), histogram: histogram.optional(), intervals: z.array(valuesInterval).min(1, 'give at least one interval').max(MAX_INTERVALS, atMost(MAX_INTERVALS, 'intervals')).optional() },
    { hints: sideHints(kind, ['values', 'histogram', 'intervals']), expected: 'this side\'s data, {"values": [...]} or {"histogram": {"buckets": [...]}}, or a timeline {"intervals": [...]}' },
  )
  .superRefine((side, ctx) => {
    if (side.intervals !== undefined && (side.values !== undefined || side.histogram !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['intervals'], message: `give either cumulative "values" or "histogram", or "intervals" (${TIMELINE_HINT}), not both` });
      return;
    }
    if (side.intervals === undefined && (side.values === undefined) === (side.histogram === undefined)) {
      ctx.addIssue({ code: 'custom', message: `give exactly one of "values" or "histogram", got ${side.values === undefined ? 'neither' : 'both'}` });
      return;
    }
    const intervals = side.intervals;
    if (!intervals) return;
    const first = intervals[0];
    intervals.forEach((interval, i) => {
      if ('values' in first !== 'values' in interval) {
        ctx.addIssue({ code: 'custom', path: ['intervals', i], message: `interval ${i} gives ${'values' in interval ? '"values"' : 'a "histogram"'} but interval 0 gives ${'values' in first ? '"values"' : 'a "histogram"'}: every interval of a side has the same kind of data` });
      } else if ('histogram' in first && 'histogram' in interval && !sameBounds(first.histogram.buckets, interval.histogram.buckets)) {
        ctx.addIssue({ code: 'custom', path: ['intervals', i, 'histogram', 'buckets'], message: `interval ${i}'s bucket bounds differ from interval 0's: every interval of a side has the same bounds` });
      }
    });
  })
  .transform((side): ValuesSide => {
    if (side.intervals) return { ...sumValuesIntervals(side.intervals), intervals: side.intervals };
    return side.values !== undefined
      ? { values: side.values }
      : { histogram: { buckets: side.histogram!.buckets as HistogramBucket[], ...(side.histogram!.sum !== undefined ? { sum: side.histogram!.sum } : {}) } };
  });

function sameBounds(a: readonly HistogramBucket[], b: readonly HistogramBucket[]): boolean {
  return a.length === b.length && a.every((bucket, i) => bucket.le === b[i].le);
}

const countInterval = strictObject({ events: count, total: count, predictions: count.optional() }, { expected: 'one interval\'s counts, {"events": n, "total": n}' })
  .superRefine((s, ctx) => {
    if (s.events > s.total) ctx.addIssue({ code: 'custom', path: ['events'], message: `events must not exceed total, got events ${s.events} > total ${s.total}` });
  });

const countSide = strictObject(
    { events: count.optional(), total: count.optional(), intervals: z.array(countInterval).min(1, 'give at least one interval').max(MAX_INTERVALS, atMost(MAX_INTERVALS, 'intervals')).optional() },
    { hints: sideHints('proportion', ['events', 'total', 'intervals']), expected: 'this side\'s counts, {"events": n, "total": n} or {"intervals": [{"events": n, "total": n}, ...]}' },
  )
  .superRefine((s, ctx) => {
    if (s.intervals !== undefined) {
      if (s.events !== undefined || s.total !== undefined) ctx.addIssue({ code: 'custom', path: ['intervals'], message: `give either "events" and "total" (cumulative) or "intervals" (${TIMELINE_HINT}), not both` });
      return;
    }
    if (s.events === undefined || s.total === undefined) {
      for (const key of ['events', 'total'] as const) if (s[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'missing: expected a finite number (a count), or give "intervals" instead of "events" and "total"' });
      return;
    }
    if (s.events > s.total) ctx.addIssue({ code: 'custom', path: ['events'], message: `events must not exceed total, got events ${s.events} > total ${s.total}` });
  })
  .transform((s): CountSide =>
    s.intervals
      ? { ...sumCountIntervals(s.intervals), intervals: s.intervals }
      : { events: s.events!, total: s.total! },
  );

/**
 * Category counts as ordered pairs. Read by hand rather than with z.record, which copies into
 * a plain object where a category named "__proto__" would vanish into the prototype.
 */
const categoryCounts = z.unknown().transform((input, ctx): [string, number][] => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    ctx.addIssue({ code: 'custom', message: expectedGot('an object of category -> count', input) });
    return z.NEVER;
  }
  // Counted before anything is read: 200,000 categories would otherwise cost seconds here.
  const given = Object.keys(input).length;
  if (given > MAX_CATEGORIES) {
    ctx.addIssue({ code: 'custom', message: `${given.toLocaleString('en-US')} categories exceed the limit of ${MAX_CATEGORIES.toLocaleString('en-US')} categories per metric (a limit of the service)` });
    return z.NEVER;
  }
  const pairs: [string, number][] = [];
  for (const [category, raw] of Object.entries(input)) {
    const value = readNumber(raw);
    if (value === undefined || value < 0 || value > Number.MAX_SAFE_INTEGER) ctx.addIssue({ code: 'custom', path: [category], message: expectedGot('a non-negative count up to 2^53 - 1', raw) });
    else pairs.push([category, Math.round(value)]);
  }
  return pairs;
}).meta({ type: 'object', additionalProperties: { anyOf: [{ type: 'number' }, { type: 'string' }] }, description: 'category -> count' });

const categoricalSide = strictObject(
    { counts: categoryCounts.optional(), intervals: z.array(strictObject({ counts: categoryCounts }, { expected: 'one interval\'s counts, {"counts": {"category": n, ...}}' })).min(1, 'give at least one interval').max(MAX_INTERVALS, atMost(MAX_INTERVALS, 'intervals')).optional() },
    { hints: sideHints('categorical', ['counts', 'intervals']), expected: 'this side\'s counts, {"counts": {"category": n, ...}} or {"intervals": [{"counts": {...}}, ...]}' },
  )
  .superRefine((s, ctx) => {
    if ((s.counts === undefined) === (s.intervals === undefined)) ctx.addIssue({ code: 'custom', message: `give exactly one of "counts" or "intervals" (${TIMELINE_HINT}), got ${s.counts === undefined ? 'neither' : 'both'}` });
  })
  .transform((s): CategoricalSide => {
    if (!s.intervals) return { counts: s.counts! };
    return { ...sumCategoricalIntervals(s.intervals), intervals: s.intervals };
  });

/** Both sides carry a timeline of the same length, or neither does: a 400 naming the mismatch. */
function alignedTimelines(m: { baseline: { intervals?: readonly unknown[] }; canary: { intervals?: readonly unknown[] } }, ctx: z.RefinementCtx): void {
  const b = m.baseline.intervals?.length;
  const c = m.canary.intervals?.length;
  if (b === undefined && c === undefined) return;
  if (b === undefined || c === undefined) {
    const [has, lacks] = b === undefined ? ['canary', 'baseline'] : ['baseline', 'canary'];
    ctx.addIssue({ code: 'custom', path: [lacks, 'intervals'], message: `missing: the ${has} gives "intervals" (${b ?? c}), the ${lacks} cumulative data; give both sides intervals, ${TIMELINE_HINT}` });
  } else if (b !== c) {
    ctx.addIssue({ code: 'custom', path: ['canary', 'intervals'], message: `the baseline has ${b} intervals and the canary ${c}: intervals are ${TIMELINE_HINT}, so both sides need as many` });
  }
}

/**
 * A paired side's pairs by outcome (src/judge/paired-outcomes.ts): compared pairs as "agree" /
 * "disagree", labelled pairs as "both_correct" / "both_wrong" / "v1_only_correct" /
 * "v2_only_correct"; an outcome left out counts 0.
 */
const pairCountsShape = {
  agree: count.optional(),
  disagree: count.optional(),
  both_correct: count.optional(),
  both_wrong: count.optional(),
  v1_only_correct: count.optional(),
  v2_only_correct: count.optional(),
} satisfies Record<PairOutcome, unknown>;
const PAIR_KEYS = Object.keys(pairCountsShape) as PairOutcome[];
const PAIRS_EXPECTED = '{"agree": n, "disagree": n} and, with labels, "both_correct", "both_wrong", "v1_only_correct", "v2_only_correct"';

const pairInterval = strictObject(pairCountsShape, { expected: `one interval's pairs by outcome, ${PAIRS_EXPECTED}` }).transform((counts): CategoricalInterval => outcomeInterval(counts));

const pairSide = (which: string) =>
  strictObject(
    { ...pairCountsShape, intervals: z.array(pairInterval).min(1, 'give at least one interval').max(MAX_INTERVALS, atMost(MAX_INTERVALS, 'intervals')).optional() },
    { hints: sideHints('paired', [...PAIR_KEYS, 'intervals']), expected: `${which}: its pairs by outcome, ${PAIRS_EXPECTED}, or a timeline {"intervals": [{...}, ...]}` },
  )
    .superRefine((side, ctx) => {
      const given = PAIR_KEYS.filter((key) => side[key] !== undefined);
      if (side.intervals !== undefined && given.length) ctx.addIssue({ code: 'custom', path: ['intervals'], message: `give either cumulative counts (${given.map((k) => `"${k}"`).join(', ')}) or "intervals" (${TIMELINE_HINT}), not both` });
      if (side.intervals === undefined && !given.length) ctx.addIssue({ code: 'custom', message: `give the pairs by outcome, ${PAIRS_EXPECTED}, or "intervals"` });
    })
    .transform(({ intervals, ...counts }): CategoricalSide => (intervals ? { ...sumCategoricalIntervals(intervals), intervals } : outcomeInterval(counts)));

/** The disagreement margin: a difference of rates (the v1-v2 disagreement beyond the noise floor). */
const disagreementMargin = margin.optional().superRefine((m, ctx) => {
  if (m?.relative !== undefined) ctx.addIssue({ code: 'custom', path: ['relative'], message: `got ${m.relative}: a paired metric's margin is absolute, the share of requests v1 and v2 may answer differently beyond the noise floor (0.01 = 1 percentage point): give margin.absolute` });
  if (m?.absolute !== undefined && m.absolute > 1) ctx.addIssue({ code: 'custom', path: ['absolute'], message: `got ${m.absolute}: the disagreement margin is a difference of rates, at most 1 (0.01 = 1 percentage point)` });
});
/** How much accuracy v2 may lose against v1 on the labelled pairs. */
const accuracyMargin = nonNegative
  .refine((x) => x <= 1, 'must be at most 1: accuracy points as a fraction (0.01 = v2 may lose 1 percentage point)')
  .meta({ description: 'paired: how much accuracy v2 may lose against v1 on the same labelled requests, as a fraction (0.01 = 1 percentage point); correctness is judged only with it' });
const PAIRED_MARGINS = 'give "margin": {"absolute": ...} (the share of requests v1 and v2 may answer differently beyond the noise floor) and/or "accuracyMargin" (the accuracy v2 may lose): a paired metric judges what its margins name';
const PAIRED_DIRECTION = "a paired metric's directions are fixed: more disagreement and less accuracy are worse";

/** "p95", "p99.9": a quantile level strictly between 0 and 100; or "mean". */
const statistic = z
  .string()
  .regex(/^(p\d{1,2}(\.\d+)?|mean)$/, 'expected "mean" or a quantile such as "p50", "p95" or "p99.9"')
  .transform((s): number | 'mean' => (s === 'mean' ? 'mean' : Number(s.slice(1)) / 100))
  .refine((p) => p === 'mean' || (p > 0 && p < 1), 'the quantile must lie strictly between p0 and p100');

/** The SLO bound of a continuous metric: judge the share of observations above it. */
const threshold = lenientNumber.refine(Number.isFinite, 'must be a finite number').meta({ description: 'judge the share of observations above this value (an SLO bound; on histograms, one of the bucket bounds) instead of a quantile' });
const thresholdWithStatistic = 'give either "statistic" (a quantile or the mean) or "threshold" (the share above a value), not both';

/** What the mean's bounds rest on: the smallest and largest value an observation can take. */
const finite = lenientNumber.refine(Number.isFinite, 'must be a finite number');
const dataRange = strictObject({ min: finite, max: finite }, { expected: 'the smallest and largest value an observation can take, {"min": 0, "max": 15000} (e.g. 0 and the request timeout)' })
  .refine((r) => r.max > r.min, { path: ['max'], message: 'must exceed min' })
  .meta({ description: 'statistic "mean" only: the smallest and largest value an observation can take (e.g. 0 and the request timeout); the mean of data without a known range has no valid bound, so without it the mean is inconclusive' });
const rangeWithoutMean = 'a range applies to the mean only (statistic "mean"): quantiles and thresholds need none';

/** Every observation of a side outside the declared range, named by its path (the first few). */
function outsideRange(side: ValuesSide, range: { min: number; max: number }, path: (string | number)[], ctx: z.RefinementCtx): void {
  const lists: [ArrayLike<number>, (string | number)[]][] = side.intervals
    ? side.intervals.flatMap((interval, i) => ('values' in interval ? [[interval.values, [...path, 'intervals', i, 'values']] as [ArrayLike<number>, (string | number)[]]] : []))
    : 'values' in side
      ? [[side.values, [...path, 'values']]]
      : [];
  let named = 0;
  for (const [values, at] of lists) {
    for (let j = 0; j < values.length && named < 3; j++) {
      if (values[j] >= range.min && values[j] <= range.max) continue;
      ctx.addIssue({ code: 'custom', path: [...at, j], message: `got ${values[j]}, outside the declared range [${range.min}, ${range.max}] on which the mean's bounds rest: widen "range" to what the data can really take` });
      named++;
    }
  }
}

/** Distances and share changes have no meaningful relative margin. */
const absoluteOnlyMargin = (what: string) =>
  margin.optional().superRefine((m, ctx) => {
    if (m?.relative !== undefined) ctx.addIssue({ code: 'custom', path: ['relative'], message: `got ${m.relative}: a relative margin is not defined for this kind: give margin.absolute as ${what}` });
    if (m?.absolute !== undefined && m.absolute > 1) ctx.addIssue({ code: 'custom', path: ['absolute'], message: `must be at most 1 (${what}), got ${m.absolute}` });
  });

/** A proportion's absolute margin is a difference of rates: 1 would be +100 percentage points. */
const proportionMargin = margin.optional().superRefine((m, ctx) => {
  if (m?.absolute !== undefined && m.absolute > 1) ctx.addIssue({ code: 'custom', path: ['absolute'], message: `got ${m.absolute}: an absolute margin of a proportion is a difference of rates, at most 1 (0.001 = 0.1 percentage points)` });
});

/** Inline data from a template metric's point of view: the sides' data go with "kind", not "template". */
const INLINE_DATA_HINT = 'a metric with "template" is fetched from Prometheus and takes no inline data: give label selectors in the request\'s "baseline.labels" and "canary.labels", or drop "template" and give "kind" to send data inline';

const inlineShapes = {
  continuous: { ...common, ...inlineLabelledKeys, kind: z.literal('continuous'), statistic: statistic.optional(), threshold: threshold.optional(), range: dataRange.optional(), baseline: valuesSide('continuous'), canary: valuesSide('continuous') },
  distribution: { ...common, ...inlineLabelledKeys, kind: z.literal('distribution'), margin: absoluteOnlyMargin('a Kolmogorov-Smirnov distance in [0, 1]'), baseline: valuesSide('distribution'), canary: valuesSide('distribution') },
  proportion: { ...common, ...inlineLabelledKeys, kind: z.literal('proportion'), margin: proportionMargin, baseline: countSide, canary: countSide },
  categorical: { ...common, kind: z.literal('categorical'), margin: absoluteOnlyMargin('a change of a category share in [0, 1]'), baseline: categoricalSide, canary: categoricalSide },
  paired: {
    name: common.name,
    critical: common.critical,
    weight: common.weight,
    minSamples: common.minSamples,
    kind: z.literal('paired'),
    margin: disagreementMargin,
    accuracyMargin: accuracyMargin.optional(),
    canary: pairSide('v1 and v2 on the same requests'),
    baseline: pairSide('the noise floor, v1 against itself (two replicas) on the same or like requests; leave it out to judge without one').optional(),
  },
};
/** A continuous metric's options checked against its sides (each named by its path: a side, or a segment's side). */
function continuousChecks(m: { statistic?: number | 'mean'; threshold?: number; range?: { min: number; max: number } }, sides: readonly { path: (string | number)[]; name: string; side: ValuesSide }[], ctx: z.RefinementCtx): void {
  if (m.statistic !== undefined && m.threshold !== undefined) ctx.addIssue({ code: 'custom', path: ['threshold'], message: thresholdWithStatistic });
  if (m.range !== undefined && m.statistic !== 'mean') ctx.addIssue({ code: 'custom', path: ['range'], message: rangeWithoutMean });
  if (m.range !== undefined && m.statistic === 'mean' && m.range.max > m.range.min) for (const { side, path } of sides) outsideRange(side, m.range, path, ctx);
  if (m.threshold === undefined) return;
  for (const { side, name } of sides) {
    const histogram = 'histogram' in side ? side.histogram : undefined;
    if (histogram && !histogram.buckets.some((b) => b.le === m.threshold)) {
      const finite = histogram.buckets.map((b) => b.le).filter(Number.isFinite);
      const nearest = [finite.filter((le) => le < m.threshold!).at(-1), finite.find((le) => le > m.threshold!)].filter((le) => le !== undefined);
      ctx.addIssue({ code: 'custom', path: ['threshold'], message: `got ${m.threshold}, which is not a bucket bound of the ${name} histogram (nearest: ${nearest.join(' and ')}): a histogram counts the observations above its bounds only` });
    }
  }
}

/** The segment keys, on a metric without "segments": said plainly. */
const UNSEGMENTED_HINTS = { hints: Object.fromEntries(SEGMENT_KEYS.filter((key) => key !== 'segments').map((key) => [key, `"${key}" ${UNSEGMENTED_HINT}`])) };

const inlineMetric = z.discriminatedUnion('kind', [
  strictObject(inlineShapes.continuous, UNSEGMENTED_HINTS).superRefine((m, ctx) => {
    alignedTimelines(m, ctx);
    checkInlineLabelled(m, ctx);
    continuousChecks(m, (['baseline', 'canary'] as const).map((side) => ({ path: [side], name: side, side: m[side] })), ctx);
  }),
  strictObject(inlineShapes.distribution, UNSEGMENTED_HINTS).superRefine((m, ctx) => (alignedTimelines(m, ctx), checkInlineLabelled(m, ctx))),
  strictObject(inlineShapes.proportion, UNSEGMENTED_HINTS).superRefine((m, ctx) => (alignedTimelines(m, ctx), checkInlineLabelled(m, ctx))),
  strictObject(inlineShapes.categorical, UNSEGMENTED_HINTS).superRefine(alignedTimelines),
  strictObject(inlineShapes.paired, { hints: { direction: PAIRED_DIRECTION } }).superRefine((m, ctx) => {
    if (m.baseline) alignedTimelines({ baseline: m.baseline, canary: m.canary }, ctx);
    if (m.margin === undefined && m.accuracyMargin === undefined) ctx.addIssue({ code: 'custom', path: ['margin'], message: `missing: ${PAIRED_MARGINS}` });
  }),
]);

/**
 * An inline metric judged per segment (src/contracts/segments-request.ts): the kind's own
 * options, and `segments` in place of the two sides, each segment's sides in the kind's shapes.
 */
function segmentedShape<Shape extends Record<string, z.ZodType> & { baseline: z.ZodType }>(shape: Shape) {
  // Labelled quality is not judged per segment: its options are refused as unknown keys here.
  const { baseline: side, canary: _canary, labelDelay: _delay, minLabelCoverage: _coverage, intervalLength: _length, ...options } = shape as Shape & Record<'labelDelay' | 'minLabelCoverage' | 'intervalLength', unknown>;
  return { ...options, segmentBy: segmentBy.optional(), segmentCoverage: segmentCoverage.optional(), segments: segmentsOf(side as Shape['baseline']) };
}
const SEGMENTED_HINTS = { hints: { baseline: SEGMENTED_SIDE_HINT, canary: SEGMENTED_SIDE_HINT } };
const segmentedInlineMetric = z.discriminatedUnion('kind', [
  strictObject(segmentedShape(inlineShapes.continuous), SEGMENTED_HINTS).superRefine((m, ctx) => {
    consistentSegments(m.segments, ctx);
    const sides = m.segments.flatMap((s) => (['baseline', 'canary'] as const).map((side) => ({ path: ['segments', s.value, side], name: `segment ${JSON.stringify(s.value)}'s ${side}`, side: s[side] })));
    continuousChecks(m, sides, ctx);
  }),
  strictObject(segmentedShape(inlineShapes.distribution), SEGMENTED_HINTS).superRefine((m, ctx) => consistentSegments(m.segments, ctx)),
  strictObject(segmentedShape(inlineShapes.proportion), SEGMENTED_HINTS).superRefine((m, ctx) => consistentSegments(m.segments, ctx)),
  strictObject(segmentedShape(inlineShapes.categorical), SEGMENTED_HINTS).superRefine((m, ctx) => consistentSegments(m.segments, ctx)),
]);

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = z.string().regex(LABEL_NAME, 'expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)');
const metricName = z.string().regex(METRIC_NAME, 'expected a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)');

/** Label selectors. Values are escaped when the query is built; names are checked here. */
export const labelsSchema = stringMap(1024)
  .superRefine((labels, ctx) => {
    for (const name of Object.keys(labels)) {
      if (!LABEL_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)' });
      else if (name.startsWith('__')) ctx.addIssue({ code: 'custom', path: [name], message: 'label names starting with "__" are reserved (they would change which metric is queried)' });
    }
  })
  .transform((labels) => labels as Readonly<Record<string, string>>);

/** `labelsFrom`: this metric's label name -> the request's label name it takes its value from. */
const labelMapping = stringMap(200).superRefine((mapping, ctx) => {
  for (const [target, source] of Object.entries(mapping)) {
    for (const name of [target, source]) {
      if (!LABEL_NAME.test(name) || name.startsWith('__')) ctx.addIssue({ code: 'custom', path: [target], message: `${JSON.stringify(name)} is not a label name a selector may use ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__")` });
    }
  }
}).meta({ type: 'object', additionalProperties: { type: 'string', pattern: LABEL_NAME.source }, propertyNames: { pattern: LABEL_NAME.source }, description: "this metric's label -> the request's label whose value it takes, per side" });

/** Istio's `reporter`: "waypoint" for sidecar-less (ambient) pods, reported only by waypoints. */
export const REPORTERS = ['destination', 'source', 'waypoint'] as const;

const durationSeconds = z.string().meta({ description: 'a Prometheus duration such as "30s", "10m" or "1h30m"' }).transform((text, ctx) => {
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined) {
    ctx.addIssue({ code: 'custom', message: expectedGot('a duration such as "30s", "10m" or "1h30m"', text) });
    return z.NEVER;
  }
  return seconds;
});

/** A window (or step) longer than MAX_WINDOW_SECONDS: the message names the limit and the value. */
const withinMaxWindow = (seconds: number, ctx: z.RefinementCtx) => {
  if (seconds > MAX_WINDOW_SECONDS) ctx.addIssue({ code: 'custom', message: `got ${seconds.toLocaleString('en-US')} s; at most ${MAX_WINDOW_SECONDS / 86400} days (${MAX_WINDOW_SECONDS.toLocaleString('en-US')} s, a limit of the service: a canary judged on more than a week of data is judged on its previous revisions)` });
};
const boundedDuration = durationSeconds.superRefine(withinMaxWindow);

const instant = z.unknown().transform((input, ctx) => {
  const seconds = parseInstant(input);
  if (seconds === undefined) {
    ctx.addIssue({ code: 'custom', message: expectedGot('an RFC 3339 time or unix seconds', input) });
    return z.NEVER;
  }
  return seconds;
}).meta({ description: 'RFC 3339 time or unix seconds', anyOf: [{ type: 'string', format: 'date-time' }, { type: 'number' }, { type: 'string' }] });

/** A template metric's own side: label selectors only, never data (that goes with "kind"). */
const INLINE_DATA_KEYS = ['values', 'histogram', 'events', 'total', 'counts', 'intervals'];
const templateSide = strictObject({ labels: labelsSchema }, { hints: Object.fromEntries(INLINE_DATA_KEYS.map((key) => [key, INLINE_DATA_HINT])) });

/** A metric fetched from Prometheus by template; the same judge options as inline metrics. */
const templateShape = {
    ...common,
    template: z.enum(TEMPLATE_NAMES),
    kind: z.enum(['continuous', 'distribution']).optional(),
    statistic: statistic.optional(),
    threshold: threshold.optional(),
    range: dataRange.optional(),
    metric: metricName.optional(),
    native: lenientBoolean.optional().meta({ description: 'template histogram: read Prometheus native histograms (the series named "metric"), merging in the classic buckets of series that have none (docs/native-histograms.md)' }),
    by: labelName.refine((name) => !name.startsWith('__'), 'label names starting with "__" are reserved (__name__ would break the metric down by metric name)').optional(),
    events: metricName.optional(),
    total: metricName.optional(),
    query: z.string().min(1).max(4000, 'at most 4000 characters').optional(),
    segmentBy: segmentBy.optional(),
    segmentCoverage: segmentCoverage.optional(),
    step: durationSeconds.optional(),
    optional: lenientBoolean.optional(),
    // shadow-pairs: the accuracy margin, and whether the baseline side is the noise floor (v1 against itself).
    accuracyMargin: accuracyMargin.optional(),
    noiseFloor: lenientBoolean.optional().meta({ description: 'shadow-pairs: false when there is no noise floor (v1 against itself) to read on the baseline side; default true' }),
    // This metric's own side labels (replacing the request's), or a mapping from them.
    baseline: templateSide.optional(),
    canary: templateSide.optional(),
    labelsFrom: labelMapping.optional(),
    // Labelled templates (src/contracts/labelled-request.ts).
    ...labelledKeys,
    predictions: metricName.optional().meta({ description: 'labelled templates: the counter of predictions by prediction time (default model_predictions_total)' }),
    predictedAt: labelName.optional().meta({ description: 'labelled templates: the label holding each count\'s prediction time, unix seconds of its start (default predicted_at)' }),
};
/** Inline segments on a template metric: its segments come from Prometheus. */
const TEMPLATE_SEGMENTS_HINT = 'a template metric\'s segments come from Prometheus: give "segmentBy" with the label whose values are the segments (e.g. "tenant"); "segments" carries inline data, for a metric with "kind" instead of "template"';
export const templateMetricSchema = strictObject(templateShape, { hints: { segments: TEMPLATE_SEGMENTS_HINT } })
  .superRefine((m, ctx) => {
    segmentChecks(m, ctx);
    const withoutFloor = m.template === 'shadow-pairs' && m.noiseFloor === false;
    if (withoutFloor && m.baseline !== undefined) ctx.addIssue({ code: 'custom', path: ['baseline'], message: '"noiseFloor": false reads no noise floor, so the baseline side would be ignored: drop "baseline" or "noiseFloor"' });
    else if ((m.baseline === undefined) !== (m.canary === undefined) && !(withoutFloor && m.canary !== undefined)) ctx.addIssue({ code: 'custom', path: [m.baseline ? 'canary' : 'baseline'], message: 'give both "baseline.labels" and "canary.labels" for this metric, or neither' });
    if (m.baseline !== undefined && m.labelsFrom !== undefined) ctx.addIssue({ code: 'custom', path: ['labelsFrom'], message: 'give either this metric\'s own "baseline"/"canary" labels or "labelsFrom", not both' });
    const need = (field: 'metric' | 'by' | 'events' | 'total' | 'query') => {
      if (m[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `template ${m.template} needs "${field}"` });
    };
    if (m.template === 'histogram' || m.template === 'categorical') need('metric');
    if (m.native !== undefined && m.template !== 'histogram') ctx.addIssue({ code: 'custom', path: ['native'], message: `template ${m.template} has no native histograms; "native" applies to template histogram (istio-latency reads Envoy's classic buckets: Envoy has no native histograms)` });
    if (m.native === true && m.metric?.endsWith('_bucket')) ctx.addIssue({ code: 'custom', path: ['metric'], message: `a native histogram is one series named without "_bucket": give ${JSON.stringify(m.metric.slice(0, -'_bucket'.length))}` });
    if (m.template === 'categorical') need('by');
    if (m.template === 'proportion') (need('events'), need('total'));
    if (m.template === 'query') {
      need('query');
      if (m.query !== undefined && !m.query.includes('{{labels}}')) ctx.addIssue({ code: 'custom', path: ['query'], message: 'the query must contain {{labels}} where each side\'s label matchers go' });
    }
    checkTemplateLabelled(m, ctx);
    const natural = m.template === 'istio-error-rate' || m.template === 'istio-requests' || m.template === 'proportion' || m.template === 'labelled-accuracy' ? 'proportion' : m.template === 'categorical' ? 'categorical' : m.template === 'shadow-pairs' ? 'paired' : 'continuous';
    if (m.template === 'shadow-pairs') {
      if (m.margin === undefined && m.accuracyMargin === undefined) ctx.addIssue({ code: 'custom', path: ['margin'], message: `missing: ${PAIRED_MARGINS}` });
      if (m.margin?.absolute !== undefined && m.margin.absolute > 1) ctx.addIssue({ code: 'custom', path: ['margin', 'absolute'], message: `got ${m.margin.absolute}: the disagreement margin is a difference of rates, at most 1 (0.01 = 1 percentage point)` });
      if (m.direction !== undefined) ctx.addIssue({ code: 'custom', path: ['direction'], message: PAIRED_DIRECTION });
    } else {
      for (const key of ['accuracyMargin', 'noiseFloor'] as const) if (m[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" applies to template shadow-pairs (paired shadow comparison) only` });
    }
    const judgedAs = m.kind ?? natural;
    // (It used to name the given kind as the template's, e.g. "istio-latency is always judged as distribution".)
    if (m.kind !== undefined && !['histogram', 'query', 'labelled-error'].includes(m.template)) ctx.addIssue({ code: 'custom', path: ['kind'], message: `got "${m.kind}": template ${m.template} is always judged as ${natural}; "kind" applies to the histogram and query templates` });
    if (m.statistic !== undefined && judgedAs !== 'continuous') ctx.addIssue({ code: 'custom', path: ['statistic'], message: 'a statistic applies to continuous metrics only' });
    if (m.threshold !== undefined && judgedAs !== 'continuous') ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'a threshold applies to continuous metrics only' });
    if (m.threshold !== undefined && m.statistic !== undefined) ctx.addIssue({ code: 'custom', path: ['threshold'], message: thresholdWithStatistic });
    if (m.range !== undefined && m.statistic !== 'mean') ctx.addIssue({ code: 'custom', path: ['range'], message: rangeWithoutMean });
    if (judgedAs !== 'continuous' && judgedAs !== 'proportion' && m.margin?.relative !== undefined) ctx.addIssue({ code: 'custom', path: ['margin', 'relative'], message: 'a relative margin is not defined for this kind: give margin.absolute' });
  })
  .transform(({ statistic: quantile, step, labelDelay, ...rest }): TemplateMetric => ({
    ...rest,
    ...labelledTemplateDefaults(rest),
    ...(quantile !== undefined ? { quantile } : {}),
    ...(step !== undefined ? { stepSeconds: step } : {}),
    ...(labelDelay !== undefined ? { labelDelaySeconds: labelDelay } : {}),
  }));

/** A template's `segmentBy` against the template's own labels: each is a 400 naming it. */
/** Templates whose judges (labelled quality, paired outcomes) do not run per segment. */
const NOT_SEGMENTED_TEMPLATES: readonly string[] = ['labelled-accuracy', 'labelled-error', 'shadow-pairs'];

function segmentChecks(m: { template: string; segmentBy?: string; segmentCoverage?: number; by?: string; native?: boolean }, ctx: z.RefinementCtx): void {
  if (m.segmentCoverage !== undefined && m.segmentBy === undefined) ctx.addIssue({ code: 'custom', path: ['segmentCoverage'], message: `"segmentCoverage" ${UNSEGMENTED_HINT}` });
  if (m.segmentBy === undefined) return;
  // Its queries sum the native histograms whole (sum(...)): no label to split them by.
  if (m.native === true) ctx.addIssue({ code: 'custom', path: ['segmentBy'], message: 'native histograms are not judged per segment (yet): give each segment its own metric, with the segment\'s label in its "labels", or read the classic buckets' });
  if (NOT_SEGMENTED_TEMPLATES.includes(m.template)) ctx.addIssue({ code: 'custom', path: ['segmentBy'], message: `template ${m.template} is not judged per segment (yet): give each segment its own metric, with the segment's label in its "labels"` });
  if (m.template === 'query') ctx.addIssue({ code: 'custom', path: ['segmentBy'], message: 'a custom "query" decides its own aggregation, so the judge cannot add the label to it: use a built-in template (histogram, proportion, categorical, istio-*) or send the segments inline' });
  if (m.segmentBy === 'le') ctx.addIssue({ code: 'custom', path: ['segmentBy'], message: '"le" is a histogram\'s bucket bound, not a segment' });
  if (m.by !== undefined && m.segmentBy === m.by) ctx.addIssue({ code: 'custom', path: ['segmentBy'], message: `"${m.by}" is already the label the categories are read from ("by"): segment by another label` });
}

/** One metric of a request: inline data, or a Prometheus template (documentation and dispatch). */
export const metricSchema = z.union([templateMetricSchema, inlineMetric, segmentedInlineMetric]);

/** Every key any metric may have: what an unrecognisable metric's keys are checked against. */
const METRIC_KEYS = [...new Set([...Object.values(inlineShapes).flatMap((shape) => Object.keys(shape)), ...Object.keys(templateShape), ...SEGMENT_KEYS])];

/**
 * A metric without "template" is inline and dispatched on "kind". When "kind" is missing or
 * unknown zod stops at it, and a misspelt key (say "templte") would go unnamed: name every
 * key no metric has, with its closest match.
 */
function unknownMetricKeys(raw: unknown): { path: string[]; message: string }[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  return Object.keys(raw).filter((key) => !METRIC_KEYS.includes(key)).map((key) => ({ path: [key], message: unknownKeyMessage(key, METRIC_KEYS) }));
}

/** Keys sent at the top level that belong elsewhere: said plainly, with where they go. */
const METRIC_KEY_AT_TOP = 'this key belongs to a metric: put each metric in "metrics": [{"name": ..., "kind": ..., ...}]';
const FLAGGER_KEY_AT_TOP = 'this looks like a Flagger webhook payload: Flagger calls POST /v1/flagger/{type}';
const TOP_LEVEL_HINTS: Record<string, string> = {
  ...Object.fromEntries(['name', 'kind', 'template', 'margin', 'direction', 'statistic', 'critical', 'weight', 'minSamples', 'values', 'histogram', 'events', 'total', 'counts', 'intervals', 'accuracyMargin', 'noiseFloor', ...SEGMENT_KEYS].map((k) => [k, METRIC_KEY_AT_TOP])),
  ...Object.fromEntries(['namespace', 'metadata', 'phase', 'checksum'].map((k) => [k, FLAGGER_KEY_AT_TOP])),
};

/** A Kubernetes object name or namespace: it becomes a label of the verdict gauges and a query parameter of the report link. */
const kubernetesName = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/, 'expected a Kubernetes name (letters, digits, ".", "-", "_"; at most 253)');

/**
 * A pod-template hash: Argo's `rollouts-pod-template-hash` (`valueFrom.podTemplateHashValue`) or
 * a Deployment's `pod-template-hash`, the last part of the ReplicaSet's name.
 */
const podTemplateHash = z
  .string()
  .regex(/^[a-z0-9]{1,32}$/, 'expected a pod-template hash (the last part of the ReplicaSet\'s name, e.g. "7c9d8f6b4"; Argo: valueFrom.podTemplateHashValue Latest or Stable)')
  .meta({ description: "this side's pod-template hash: the side is that ReplicaSet's pods (Argo: valueFrom.podTemplateHashValue Latest for the canary, Stable for the baseline)" });

const side = strictObject(
  {
    labels: labelsSchema.default({}),
    revision: podTemplateHash.optional(),
    sourceLabels: labelsSchema.optional().meta({
      description: 'this side\'s requests as the callers\' proxies report them (reporter="source"), e.g. {"destination_service_name": "model-canary"}: requests routed to it that failed before it answered (no healthy upstream, refused or reset connections, timeouts) count as errors',
    }),
  },
  { expected: 'this side\'s label selectors, {"labels": {"name": "value"}}, and optionally "revision" (its pod-template hash) and "sourceLabels"' },
);

export const analyzeRequestSchema = strictObject({
    metrics: z.array(z.unknown()).max(MAX_METRICS, atMost(MAX_METRICS, 'metrics per analysis')).optional(),
    profile: z.string().min(1).max(200).optional(),
    /** The tenant to read (its header, e.g. X-Scope-OrgID), only one of the backend's tenant.allowed (docs/backends/). */
    tenant: tenantId.optional(),
    evidence: z.enum(['anytime-valid', 'fixed-sample']).optional(),
    /**
     * The canary's share of the traffic the routing promises (the step's weight). An empty string
     * means none: an Argo template cannot leave a key out for the steps without a weight.
     * "flagger": the weight Flagger set, read from its gauge `flagger_canary_weight` for the
     * canary's `destination_workload` (src/sources/flagger-weight.ts), counted over that weight's step.
     */
    expectedCanaryShare: z
      .union([z.literal(''), z.literal('flagger'), lenientNumber.refine((x) => x > 0 && x < 1, 'must lie strictly between 0 and 1')])
      .transform((x) => (x === '' ? undefined : x))
      .optional(),
    /**
     * Series with these label values are left out of both sides (`name!="value"`), e.g. the
     * requests a header route forces to the canary: `{"x_canary_version": "v2"}`, with the
     * Telemetry dimension of docs/prometheus-and-istio.md.
     */
    exclude: labelsSchema.optional(),
    traffic: strictObject({ baseline: count, canary: count }).optional(),
    trafficLookback: boundedDuration.optional(),
    onTrafficMismatch: z.enum(['inconclusive', 'fail']).optional(),
    alpha: lenientNumber.refine((a) => a > 0 && a <= 0.5, 'must lie in (0, 0.5]').optional(),
    thresholds: strictObject({
        pass: lenientNumber.refine((x) => x >= 0 && x <= 100, 'must lie in [0, 100]').optional(),
        marginal: lenientNumber.refine((x) => x >= 0 && x <= 100, 'must lie in [0, 100]').optional(),
    }).optional(),
    labels: labelsSchema.optional(),
    reporter: z.enum(REPORTERS).optional(),
    baseline: side.optional(),
    canary: side.optional(),
    lookback: boundedDuration.optional(),
    /** Fetch template metrics as a timeline, one interval per step (per-interval tests, sticky verdicts). */
    timelineStep: boundedDuration.refine((s) => s >= 1, 'must be at least 1s').optional(),
    /** "canary": the window starts when the canary's Istio request series first had traffic (at most maxAge ago); implies a 1m timeline. */
    since: z.enum(['canary']).optional(),
    /**
     * How revisions are told apart: "pods" (default) by the ReplicaSet in each series' `pod`
     * label; "labels" when the sides' labels change with every revision (series without pods).
     */
    revisionFrom: z.enum(['pods', 'labels']).optional(),
    maxAge: boundedDuration.refine((s) => s >= 60, 'must be at least 1m').optional(),
    start: instant.optional(),
    end: instant.optional(),
    rollout: strictObject({ namespace: kubernetesName, name: kubernetesName }, { expected: 'the analysis key, {"namespace": "shop", "name": "checkout"} (the Rollout\'s or Canary\'s own)' }).optional(),
}, { hints: TOP_LEVEL_HINTS })
  .transform((request, ctx) => {
    const metrics = (request.metrics ?? []).map((raw, i) => {
      const isTemplate = typeof raw === 'object' && raw !== null && 'template' in raw;
      // A paired metric is not judged per segment: its own schema names "segments" as a key it does not take.
      const isSegmented = !isTemplate && typeof raw === 'object' && raw !== null && 'segments' in raw && (raw as { kind?: unknown }).kind !== 'paired';
      // reportInput: the issues keep what was given, which issuesFromZod quotes.
      const parsed = (isTemplate ? templateMetricSchema : isSegmented ? segmentedInlineMetric : inlineMetric).safeParse(raw, { reportInput: true });
      if (!parsed.success) {
        for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['metrics', i, ...issue.path] } as never);
        const kindUnreadable = parsed.error.issues.some((issue) => issue.code === 'invalid_union' && issue.path.length === 1 && issue.path[0] === 'kind');
        if (!isTemplate && kindUnreadable) for (const issue of unknownMetricKeys(raw)) ctx.addIssue({ code: 'custom', path: ['metrics', i, ...issue.path], message: issue.message });
        return undefined;
      }
      if (isTemplate) return { from: 'template' as const, metric: parsed.data as TemplateMetric };
      if (isSegmented) return { from: 'inline' as const, metric: toSegmentedInput(parsed.data as z.output<typeof segmentedInlineMetric>) };
      return { from: 'inline' as const, metric: toMetricInput(parsed.data as z.output<typeof inlineMetric>) };
    });
    return { ...request, metrics: metrics.filter((m) => m !== undefined) };
  })
  .superRefine((request, ctx) => {
    const seen = new Map<string, number>();
    request.metrics.forEach((m, i) => {
      const first = seen.get(m.metric.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['metrics', i, 'name'], message: `duplicate metric name ${JSON.stringify(m.metric.name)} (also metrics[${first}])` });
      else seen.set(m.metric.name, i);
    });
    // A segment label that tells the sides apart leaves every segment on one side only.
    request.metrics.forEach((m, i) => {
      const by = m.from === 'template' ? m.metric.segmentBy : undefined;
      if (by === undefined || m.from !== 'template') return;
      const sides = [request.baseline?.labels, request.canary?.labels, m.metric.baseline?.labels, m.metric.canary?.labels];
      if (sides.some((labels) => labels !== undefined && Object.hasOwn(labels, by))) ctx.addIssue({ code: 'custom', path: ['metrics', i, 'segmentBy'], message: `"${by}" is a label of the side selectors, which tells the baseline from the canary: every segment would be on one side only; segment by a label both sides share (tenant, region, request type)` });
    });
    const fromPrometheus = request.metrics.some((m) => m.from === 'template') || request.metrics.length === 0 || (request.expectedCanaryShare !== undefined && !request.traffic);
    if (request.traffic && request.expectedCanaryShare === undefined) ctx.addIssue({ code: 'custom', path: ['expectedCanaryShare'], message: '"traffic" counts are checked against "expectedCanaryShare": give it too' });
    if (request.traffic && request.expectedCanaryShare === 'flagger') ctx.addIssue({ code: 'custom', path: ['expectedCanaryShare'], message: '"flagger" reads the weight from Prometheus, where the requests are counted too: give a number with inline "traffic" counts' });
    if (fromPrometheus) {
      const why =
        request.metrics.length === 0 && request.profile === undefined
          ? `no "metrics" were given, so the default profile ("default": Istio latency and error rate, fetched from Prometheus) was chosen; its metrics`
          : request.metrics.length === 0
            ? `the metrics of profile ${JSON.stringify(request.profile)}, fetched from Prometheus,`
            : request.metrics.some((m) => m.from === 'template')
              ? 'template metrics, fetched from Prometheus,'
              : 'the traffic-split check counts requests in Prometheus (no "traffic" counts given) and';
      for (const side of ['baseline', 'canary'] as const) {
        if (!request[side]) ctx.addIssue({ code: 'custom', path: [side], message: `missing: ${why} need "baseline.labels" and "canary.labels" to tell the two sides apart, e.g. {"labels": {"destination_version": "v1"}}` });
      }
      if (request.start !== undefined && request.lookback !== undefined) ctx.addIssue({ code: 'custom', path: ['lookback'], message: 'give either "lookback" or "start", not both' });
      if (request.since !== undefined && request.start !== undefined) ctx.addIssue({ code: 'custom', path: ['since'], message: 'give either "since" (the window follows the canary) or "start", not both' });
      if (request.revisionFrom === 'labels') {
        for (const side of ['baseline', 'canary'] as const) {
          if (request[side]?.revision !== undefined) ctx.addIssue({ code: 'custom', path: [side, 'revision'], message: 'a pod-template hash selects the revision by its pods; "revisionFrom": "labels" says the labels alone do: give one or the other' });
        }
      }
      if (request.start !== undefined && request.end !== undefined && request.start >= request.end) ctx.addIssue({ code: 'custom', path: ['start'], message: '"start" must be before "end"' });
      else if (request.start !== undefined && request.end !== undefined) withinMaxWindow(request.end - request.start, { addIssue: (issue) => ctx.addIssue({ ...(issue as object), path: ['start'] } as never) } as z.RefinementCtx);
    } else {
      if (request.metrics.length === 0) ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'give at least one metric' });
      // Keys that only steer a Prometheus fetch would be ignored with inline data: say so.
      for (const key of PROMETHEUS_ONLY_KEYS) {
        if (request[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" applies to metrics fetched from Prometheus (templates or a profile); every metric here carries its data inline, so it would be ignored` });
      }
    }
  });

/** Request keys that only steer fetching from Prometheus. */
const PROMETHEUS_ONLY_KEYS = ['tenant', 'labels', 'baseline', 'canary', 'reporter', 'lookback', 'start', 'end', 'since', 'maxAge', 'timelineStep', 'trafficLookback', 'revisionFrom', 'exclude'] as const;

export type AnalyzeRequest = z.output<typeof analyzeRequestSchema>;

/** A segmented inline metric, with its pooled sides computed from the segments. */
function toSegmentedInput(m: z.output<typeof segmentedInlineMetric>): MetricInput {
  const { statistic, ...rest } = m as typeof m & { statistic?: number | 'mean' };
  const pooled = pooledSides(m.kind, m.segments as never);
  return { ...rest, ...(statistic !== undefined ? { quantile: statistic } : {}), ...pooled } as MetricInput;
}

function toMetricInput(parsed: z.output<typeof inlineMetric>): MetricInput {
  const m = parsed.kind === 'categorical' || parsed.kind === 'paired' ? parsed : withLabelledTimeline(parsed);
  if (m.kind === 'continuous') {
    const { statistic: quantile, ...rest } = m;
    return { ...rest, ...(quantile !== undefined ? { quantile } : {}) };
  }
  if (m.kind === 'paired') {
    // No floor given: an empty baseline as long as the canary's timeline, never read.
    const none = m.canary.intervals ? { counts: [], intervals: m.canary.intervals.map(() => ({ counts: [] })) } : { counts: [] };
    return { ...m, noiseFloor: m.baseline !== undefined, baseline: m.baseline ?? none };
  }
  return m;
}

/** A labelled metric's options become its labelled timeline (src/contracts/labelled-request.ts); others pass unchanged. */
function withLabelledTimeline<M extends Exclude<z.output<typeof inlineMetric>, { kind: 'categorical' | 'paired' }>>(m: M): M {
  const { labelDelay: _delay, minLabelCoverage: _coverage, intervalLength, ...rest } = m;
  const labelled = inlineLabelledTimeline(m);
  if (!labelled) return rest as M;
  const side = <S extends { intervals?: readonly object[] }>(s: S): S => ({ ...s, intervals: s.intervals!.map(withoutPredictions) });
  return {
    ...rest,
    ...(m.kind === 'proportion' && m.margin === undefined ? { margin: DEFAULT_LABELLED_MARGIN } : {}),
    intervalSeconds: intervalLength,
    labelled,
    baseline: side(m.baseline),
    canary: side(m.canary),
  } as unknown as M;
}
