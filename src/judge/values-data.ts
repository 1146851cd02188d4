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
    tests: pair.baseline.n > 0 && pair.canary.n > 0 && !pair.disjointBounds ? testsFor(pair.canary, pair.baseline, pair.binned) : [],
    gap: insufficientData(pair.baseline.n, pair.canary.n, minSamples, 'observations') ?? disjointBucketsGap(pair),
  };
}

/** Histograms with no bound in common cannot be ordered against each other at all. */
function disjointBucketsGap(pair: SidePair): string | null {
  if (!pair.disjointBounds) return null;
  const list = (bounds: readonly number[]) => bounds.filter(Number.isFinite).join(', ');
  const bounds = pair.disjointBounds;
  const onlyInf = (['baseline', 'canary'] as const).filter((side) => !bounds[side].some(Number.isFinite));
  if (onlyInf.length) {
    const who = onlyInf.length === 2 ? 'neither side\'s histogram has' : `the ${onlyInf[0]}'s histogram has`;
    return `${who} a bucket bound below +Inf (only the +Inf bucket, which counts every observation), so it says nothing about where the observations lie: give the histogram finite bucket bounds (le), the same on both sides`;
  }
  return (
    `the two sides' histograms share no bucket bound below +Inf (baseline: ${list(pair.disjointBounds.baseline)}; canary: ${list(pair.disjointBounds.canary)}), ` +
    'so no observation of one side can be ordered against the other: give both sides the same bucket bounds'
  );
}
