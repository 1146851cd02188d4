/**
 * A segmented metric's answers (`segmentBy`, src/sources/prometheus/templates.ts): every query
 * was grouped by the segment label too, so each answer holds each segment's series. They are
 * split by the label's value (a series without the label is the segment "", the traffic the
 * label does not cover: named like any other, never dropped) and each segment's answers go
 * through the same validation as an unsegmented metric's (validate-metric.ts). Faults of every
 * segment are collected and refused together, each naming its series (the segment label
 * included), so a NaN or a duplicate series in one tenant is a 503 naming it, never a pass.
 *
 * A segment present on one side only comes back with an empty other side (no series: 0/0, no
 * values); the judge names it ("appears on the canary only") and never passes it.
 */
import type { CategoricalSide, CountSide, Segment, ValuesSide } from '../../judge/types';
import { pooledSides } from '../../judge/segment-pooling';
import type { ClientSideFailures } from '../metric-source';
import { MAX_FAULTS_KEPT, SampleFaultError, type SampleFault } from './faults';
import type { RawAnswer, RawMetric, RawSide } from './raw-answer';
import { validateMetric, type ValidatedMetric } from './validate-metric';

export type SegmentedMetric = ValidatedMetric & { readonly segments: readonly Segment<ValuesSide | CountSide | CategoricalSide>[] };

export function validateSegmentedMetric(raw: RawMetric, by: string): SegmentedMetric {
  const values = segmentValues([raw.baseline, raw.canary], by);
  const faults: SampleFault[] = [];
  let faultCount = 0;
  const segments: Segment<ValuesSide | CountSide | CategoricalSide>[] = [];
  const clientSide: { baseline: ClientSideFailures[]; canary: ClientSideFailures[] } = { baseline: [], canary: [] };
  for (const value of values) {
    try {
      const validated = validateMetric({ ...raw, baseline: sideOf(raw.baseline, by, value), canary: sideOf(raw.canary, by, value) });
      segments.push({ value, baseline: validated.baseline, canary: validated.canary });
      if (validated.clientSide) (clientSide.baseline.push(validated.clientSide.baseline), clientSide.canary.push(validated.clientSide.canary));
    } catch (error) {
      if (!(error instanceof SampleFaultError)) throw error;
      faults.push(...error.faults.slice(0, MAX_FAULTS_KEPT - faults.length));
      faultCount += error.count;
    }
  }
  if (faultCount) throw new SampleFaultError(faults, faultCount);
  const pooled = pooledSides(raw.kind, segments as never) as Pick<ValidatedMetric, 'baseline' | 'canary'>;
  const noSeries = values.length === 0 ? { noSeries: true as const } : {};
  const failures = clientSide.baseline.length ? { clientSide: { baseline: addFailures(clientSide.baseline), canary: addFailures(clientSide.canary) } } : {};
  return { kind: raw.kind, ...pooled, ...noSeries, ...failures, segments } as SegmentedMetric;
}

/** Every value of the label in any answer of either side, sorted. */
function segmentValues(sides: readonly RawSide[], by: string): string[] {
  const seen = new Set<string>();
  for (const side of sides) for (const answer of answersOf(side)) for (const series of answer.series) seen.add(valueOf(series.metric, by));
  return [...seen].sort();
}

function valueOf(labels: Readonly<Record<string, string>>, by: string): string {
  return Object.hasOwn(labels, by) ? labels[by] : '';
}

function answersOf(side: RawSide): RawAnswer[] {
  switch (side.shape) {
    case 'histogram':
      return [side.buckets, side.bucketSeries];
    case 'proportion':
      return [side.events, side.total, ...(side.clientFailed ? [side.clientFailed] : [])];
    case 'categorical':
      return [side.categories];
    case 'values':
      return [side.values];
    case 'native-histogram':
      return [side.native, side.classic, side.classicSeries];
  }
}

/** One segment's series of a side's answers (the queries as sent). */
function sideOf(side: RawSide, by: string, value: string): RawSide {
  const only = (answer: RawAnswer): RawAnswer => ({ query: answer.query, series: answer.series.filter((s) => valueOf(s.metric, by) === value) });
  switch (side.shape) {
    case 'histogram':
      return { ...side, buckets: only(side.buckets), bucketSeries: only(side.bucketSeries) };
    case 'proportion':
      return { ...side, events: only(side.events), total: only(side.total), ...(side.clientFailed ? { clientFailed: only(side.clientFailed) } : {}) };
    case 'categorical':
      return { ...side, categories: only(side.categories) };
    case 'values':
      return { ...side, values: only(side.values) };
    case 'native-histogram':
      return { ...side, native: only(side.native), classic: only(side.classic), classicSeries: only(side.classicSeries) };
  }
}

function addFailures(parts: readonly ClientSideFailures[]): ClientSideFailures {
  const flags: Record<string, number> = Object.create(null);
  let count = 0;
  for (const part of parts) {
    count += part.count;
    for (const [flag, n] of Object.entries(part.flags)) flags[flag] = (flags[flag] ?? 0) + n;
  }
  return { count, flags };
}
