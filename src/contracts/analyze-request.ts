/**
 * The public request contract of `POST /v1/analyze` (fields may be added, never renamed).
 * Parsing turns lenient JSON (numbers as strings, fractional counts from Prometheus'
 * increase()) into the judge's types and lists every problem it finds, with its path.
 */
import { z } from 'zod';
import type { AnalysisInput, HistogramBucket, MetricInput } from '../judge/types';
import { describe, lenientBoolean, lenientNumber, numberArray, readNumber } from './lenient-numbers';

const nonNegative = lenientNumber.refine((x) => x >= 0, 'must not be negative');
/** Counts may be fractional when they come from increase(); they are rounded to whole observations. */
const count = nonNegative.transform(Math.round);
const positive = lenientNumber.refine((x) => x > 0, 'must be positive');

const direction = z.enum(['increase', 'decrease', 'either']);
const margin = z
  .object({ relative: nonNegative.optional(), absolute: nonNegative.optional() })
  .refine((m) => m.relative !== undefined || m.absolute !== undefined, 'give margin.relative and/or margin.absolute');

const common = {
  name: z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters'),
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
    ctx.addIssue({ code: 'custom', message: `expected a bucket bound (a number or "+Inf"), got ${describe(input)}` });
    return z.NEVER;
  }
  return value;
});

const histogram = z
  .object({
    buckets: z.array(z.object({ le: bucketBound, count })).min(1, 'needs at least the +Inf bucket'),
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

const valuesSide = z
  .object({ values: numberArray.optional(), histogram: histogram.optional() })
  .superRefine((side, ctx) => {
    if ((side.values === undefined) === (side.histogram === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of "values" or "histogram"' });
    }
  })
  .transform((side) =>
    side.values !== undefined
      ? { values: side.values }
      : { histogram: { buckets: side.histogram!.buckets as HistogramBucket[], ...(side.histogram!.sum !== undefined ? { sum: side.histogram!.sum } : {}) } },
  );

const countSide = z
  .object({ events: count, total: count })
  .refine((s) => s.events <= s.total, { message: 'events must not exceed total', path: ['events'] });

/**
 * Category counts as ordered pairs. Read by hand rather than with z.record, which copies into
 * a plain object where a category named "__proto__" would vanish into the prototype.
 */
const categoryCounts = z.unknown().transform((input, ctx): [string, number][] => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    ctx.addIssue({ code: 'custom', message: `expected an object of category -> count, got ${describe(input)}` });
    return z.NEVER;
  }
  const pairs: [string, number][] = [];
  for (const [category, raw] of Object.entries(input)) {
    const value = readNumber(raw);
    if (value === undefined || value < 0) ctx.addIssue({ code: 'custom', path: [category], message: `expected a non-negative count, got ${describe(raw)}` });
    else pairs.push([category, Math.round(value)]);
  }
  return pairs;
});

const categoricalSide = z.object({ counts: categoryCounts });

/** "p95", "p99.9": a quantile level strictly between 0 and 100. */
const statistic = z
  .string()
  .regex(/^p\d{1,2}(\.\d+)?$/, 'expected a quantile such as "p50", "p95" or "p99.9"')
  .transform((s) => Number(s.slice(1)) / 100)
  .refine((p) => p > 0 && p < 1, 'the quantile must lie strictly between p0 and p100');

/** Distances and share changes have no meaningful relative margin. */
const absoluteOnlyMargin = (what: string) =>
  margin.optional().superRefine((m, ctx) => {
    if (m?.relative !== undefined) ctx.addIssue({ code: 'custom', path: ['relative'], message: `a relative margin is not defined for this kind: give margin.absolute as ${what}` });
    if (m?.absolute !== undefined && m.absolute > 1) ctx.addIssue({ code: 'custom', path: ['absolute'], message: `must be at most 1 (${what})` });
  });

const metric = z.discriminatedUnion('kind', [
  z.object({ ...common, kind: z.literal('continuous'), statistic: statistic.optional(), baseline: valuesSide, canary: valuesSide }),
  z.object({ ...common, kind: z.literal('distribution'), margin: absoluteOnlyMargin('a Kolmogorov-Smirnov distance in [0, 1]'), baseline: valuesSide, canary: valuesSide }),
  z.object({ ...common, kind: z.literal('proportion'), baseline: countSide, canary: countSide }),
  z.object({ ...common, kind: z.literal('categorical'), margin: absoluteOnlyMargin('a change of a category share in [0, 1]'), baseline: categoricalSide, canary: categoricalSide }),
]);

export const analyzeRequestSchema = z
  .object({
    metrics: z.array(metric).min(1, 'give at least one metric').max(100, 'at most 100 metrics per analysis'),
    alpha: lenientNumber.refine((a) => a > 0 && a <= 0.5, 'must lie in (0, 0.5]').optional(),
    thresholds: z
      .object({
        pass: lenientNumber.refine((x) => x >= 0 && x <= 100, 'must lie in [0, 100]').optional(),
        marginal: lenientNumber.refine((x) => x >= 0 && x <= 100, 'must lie in [0, 100]').optional(),
      })
      .optional(),
  })
  .superRefine((request, ctx) => {
    const seen = new Map<string, number>();
    request.metrics.forEach((m, i) => {
      const first = seen.get(m.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['metrics', i, 'name'], message: `duplicate metric name ${JSON.stringify(m.name)} (also metrics[${first}])` });
      else seen.set(m.name, i);
    });
  });

export type AnalyzeRequest = z.output<typeof analyzeRequestSchema>;

export function toAnalysisInput(request: AnalyzeRequest): AnalysisInput {
  const metrics = request.metrics.map((m): MetricInput => {
    if (m.kind === 'continuous') {
      const { statistic: quantile, ...rest } = m;
      return { ...rest, ...(quantile !== undefined ? { quantile } : {}) };
    }
    return m;
  });
  return { metrics, alpha: request.alpha, thresholds: request.thresholds };
}
