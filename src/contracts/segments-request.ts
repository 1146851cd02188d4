/**
 * The request shape of a metric judged per segment (src/judge/segments.ts).
 *
 * Inline, the segments replace the metric's two sides: each segment value carries its own
 * `baseline` and `canary`, in the sides' usual shapes (totals or a timeline):
 *
 *   {"name": "errors", "kind": "proportion", "segmentBy": "tenant",
 *    "segments": {"acme": {"baseline": {"events": 12, "total": 9000}, "canary": {"events": 9, "total": 1000}}, ...}}
 *
 * Keyed per segment rather than per side so that a segment missing a side is a 400 naming it,
 * not a silent one-sided segment. The metric's pooled sides are computed from the segments
 * (src/judge/segment-pooling.ts); giving them too is refused. A template metric names the label
 * instead (`"segmentBy": "tenant"`) and the source splits its answers by it.
 *
 * Strict: unknown keys anywhere are named with their closest match, a segment value is checked
 * like a category (no invisible controls), there are at most MAX_SEGMENTS segments (counted
 * before anything is read), every segment has the same kind of data and the same number of
 * intervals as every other.
 */
import { z } from 'zod';
import { INVISIBLE_CONTROLS } from '../judge/describe';
import { segmentTimelineLength } from '../judge/segment-pooling';
import type { Segment, ValuesInterval } from '../judge/types';
import { expectedGot, lenientNumber } from './lenient-numbers';
import { MAX_SEGMENTS } from './limits';
import { strictObject } from './strict-object';

/** The keys a segmented metric adds to a metric. */
export const SEGMENT_KEYS = ['segmentBy', 'segments', 'segmentCoverage'] as const;

export const segmentBy = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*): the label whose values are the segments')
  .refine((name) => !name.startsWith('__'), 'label names starting with "__" are reserved')
  .meta({ description: 'judge the metric per value of this label (e.g. "tenant"), each segment at its share of the alpha budget; see docs/model-quality.md, "Segments"' });

export const segmentCoverage = lenientNumber
  .refine((x) => x > 0 && x <= 1, 'must lie in (0, 1]: the share of each side\'s traffic the segments a pass needs must hold (0.9 = 90 %)')
  .meta({ description: 'segments only: a pass needs every segment among the largest holding at least this share of each side\'s traffic to pass (default 0.9)' });

const SEGMENT_VALUE_MAX = 200;

/**
 * `{"<value>": {"baseline": side, "canary": side}, ...}` as segments in the order given. Read by
 * hand rather than with z.record: a segment named "__proto__" must not vanish into the prototype.
 */
export function segmentsOf<S extends z.ZodType>(side: S) {
  const both = strictObject({ baseline: side, canary: side }, { expected: 'one segment\'s two sides, {"baseline": {...}, "canary": {...}}, each in the shape of this kind\'s sides' });
  return z.unknown().transform((input, ctx): Segment<z.output<S>>[] => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      ctx.addIssue({ code: 'custom', message: expectedGot('an object of segment value -> {"baseline": ..., "canary": ...}', input) });
      return z.NEVER;
    }
    // Counted before anything is read: 100,000 segments would otherwise cost seconds here.
    const given = Object.keys(input).length;
    if (given > MAX_SEGMENTS) {
      ctx.addIssue({ code: 'custom', message: `got ${given.toLocaleString('en-US')} segments; at most ${MAX_SEGMENTS} segments per metric (a limit of the service)` });
      return z.NEVER;
    }
    if (given === 0) {
      ctx.addIssue({ code: 'custom', message: 'give at least one segment' });
      return z.NEVER;
    }
    const segments: Segment<z.output<S>>[] = [];
    for (const [value, raw] of Object.entries(input)) {
      if (value.length > SEGMENT_VALUE_MAX) ctx.addIssue({ code: 'custom', path: [value], message: `a segment value of at most ${SEGMENT_VALUE_MAX} characters` });
      if (new RegExp(INVISIBLE_CONTROLS.source).test(value)) ctx.addIssue({ code: 'custom', path: [value], message: 'must not contain control or bidirectional formatting characters: a segment value is repeated in reasons' });
      const parsed = both.safeParse(raw, { reportInput: true });
      if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [value, ...issue.path] } as never);
      else {
        const sides = parsed.data as { baseline: z.output<S>; canary: z.output<S> };
        segments.push({ value, baseline: sides.baseline, canary: sides.canary });
      }
    }
    return segments;
  }).meta({ type: 'object', additionalProperties: { type: 'object', required: ['baseline', 'canary'], properties: { baseline: { type: 'object' }, canary: { type: 'object' } } }, description: 'segment value -> that segment\'s {"baseline": side, "canary": side}, in this kind\'s side shapes; replaces the metric\'s own "baseline" and "canary"' });
}

type AnySide = { readonly intervals?: readonly unknown[] } & Partial<ValuesInterval>;

/**
 * What must hold across segments: the same number of intervals on every side of every segment
 * (they cover the same spans of time), and, for values, one kind of data (raw or histograms).
 */
export function consistentSegments(segments: readonly Segment<AnySide>[], ctx: z.RefinementCtx): void {
  const sides = segments.flatMap((s) => [
    { path: [s.value, 'baseline'], side: s.baseline },
    { path: [s.value, 'canary'], side: s.canary },
  ]);
  const length = segmentTimelineLength(sides.map((s) => s.side));
  if (length !== null && typeof length !== 'number') {
    const first = sides[0];
    const odd = sides.find((s) => (s.side.intervals?.length ?? 0) !== (first.side.intervals?.length ?? 0))!;
    const count = (s: (typeof sides)[number]) => (s.side.intervals ? `${s.side.intervals.length} interval${s.side.intervals.length === 1 ? '' : 's'}` : 'cumulative data');
    ctx.addIssue({
      code: 'custom',
      path: ['segments', ...odd.path, 'intervals'],
      message: `segment ${JSON.stringify(odd.path[0])}'s ${odd.path[1]} gives ${count(odd)}, segment ${JSON.stringify(first.path[0])}'s ${first.path[1]} ${count(first)}: every side of every segment gives intervals over the same spans of time, or none does`,
    });
  }
  const kindOf = (side: AnySide) => ('histogram' in side && side.histogram ? 'histogram' : 'values' in side && side.values && side.values.length > 0 ? 'values' : undefined);
  // One side's segments are pooled into one side: all raw values or all histograms.
  for (const name of ['baseline', 'canary'] as const) {
    const kinds = sides.filter((s) => s.path[1] === name).map((s) => ({ ...s, kind: kindOf(s.side) })).filter((s) => s.kind !== undefined);
    const other = kinds.find((s) => s.kind !== kinds[0]?.kind);
    if (!other) continue;
    const what = (kind: string | undefined) => (kind === 'histogram' ? 'a histogram' : 'raw values');
    ctx.addIssue({
      code: 'custom',
      path: ['segments', ...other.path],
      message: `segment ${JSON.stringify(other.path[0])}'s ${name} gives ${what(other.kind)} but segment ${JSON.stringify(kinds[0].path[0])}'s ${what(kinds[0].kind)}: the ${name}'s segments are pooled, so they give the same kind of data`,
    });
  }
}

/** Said for the keys a segmented metric does not take. */
export const SEGMENTED_SIDE_HINT = 'a metric with "segments" takes each segment\'s own "baseline" and "canary" inside "segments"; its pooled sides are computed from them';
/** Said for the segment keys of a metric without "segments". */
export const UNSEGMENTED_HINT = 'applies to a metric judged per segment: give "segments" (inline, each segment\'s "baseline" and "canary") or use a template metric with "segmentBy"';
