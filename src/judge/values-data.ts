/**
 * What continuous and distribution metrics share before they judge: both sides as weighted
 * samples, their summaries, the explanatory tests (when both sides have data) and the data gate.
 */
import type { WeightedSample } from '../stats/weighted-sample';
import { insufficientData } from './data-gate';
import { toSamplePair, type SidePair } from './side-samples';
import { valuesSummary } from './summaries';
import type { SideSummary, TestReport, ValuesSide } from './types';

export interface ValuesData {
  readonly pair: SidePair;
  readonly summaries: { baseline: SideSummary; canary: SideSummary };
  readonly tests: readonly TestReport[];
  /** Why the data cannot support a verdict, or null. */
  readonly gap: string | null;
}

export function valuesData(
  sides: { baseline: ValuesSide; canary: ValuesSide },
  minSamples: number,
  testsFor: (canary: WeightedSample, baseline: WeightedSample, binned: boolean) => TestReport[],
): ValuesData {
  const pair = toSamplePair(sides.baseline, sides.canary);
  return {
    pair,
    summaries: { baseline: valuesSummary(pair.baseline, pair.baselineMean), canary: valuesSummary(pair.canary, pair.canaryMean) },
    tests: pair.baseline.n > 0 && pair.canary.n > 0 ? testsFor(pair.canary, pair.baseline, pair.binned) : [],
    gap: insufficientData(pair.baseline.n, pair.canary.n, minSamples, 'observations'),
  };
}
