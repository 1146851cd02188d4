/**
 * The guard against Simpson's paradox beside a segmented metric's pooled comparison.
 *
 * Pooled over segments, the canary's figure mixes the segments in the canary's own proportions
 * and the baseline's in the baseline's. When the canary's share of traffic differs between
 * segments (header routes send one tenant, a region's gateway weighs differently, the canary
 * receives mostly easy requests), the pooled comparison can point the other way from every
 * segment: worse in each tenant, better pooled. So beside the pooled (crude) effect the judge
 * reports the canary standardised to the baseline's mix of segments (direct standardisation,
 * src/stats/direct-standardisation.ts; the mixture quantile for quantiles,
 * src/stats/mixture-quantile.ts): the canary's per-segment figures weighted by the baseline's
 * traffic in each segment, against the baseline pooled. Both are point estimates in the units of
 * the pooled effect; neither decides anything (the per-segment verdicts do).
 *
 * The pooled number is said to be confounded when the crude and standardised effects point
 * different ways, or differ by more than half the margin: the mix of segments then moves the
 * pooled figure by as much as a change the margin cares about. The mix difference itself is the
 * total variation distance between the two sides' mixes (src/stats/total-variation.ts), and a
 * chi-squared test says whether the canary's share of the traffic differs by segment.
 * Distributions (a KS distance of mixtures) are not standardised: their pooled number is called
 * confounded when the mixes differ by more than MIX_DIFFERENCE_NOTED.
 */
import { chiSquaredHomogeneity } from '../stats/chi-squared';
import { directlyStandardised } from '../stats/direct-standardisation';
import { mixtureQuantile } from '../stats/mixture-quantile';
import { totalVariationDistance } from '../stats/total-variation';
import { countAtOrBelow } from '../stats/weighted-sample';
import { DEFAULT_QUANTILE } from './defaults';
import { FORMAT_BY_UNIT } from './describe';
import { toSamplePair } from './side-samples';
import type { CategoricalSide, CountSide, Effect, MetricInput, Segment, SegmentsReport, StandardisedEffect, TestReport, ValuesSide } from './types';

/** A mix difference (total variation) beyond which an unstandardised pooled number is called confounded. */
export const MIX_DIFFERENCE_NOTED = 0.05;

type Pooled = SegmentsReport['pooled'];

/** Segments with their observations per side (requests for rates). */
export interface SizedSegment {
  readonly segment: Segment<MetricInput['baseline']>;
  readonly n: { readonly baseline: number; readonly canary: number };
  readonly label: string;
}

/** The pooled comparison's guard: mix difference, its test, the standardised effect, and whether the pooled number is confounded. */
export function simpsonGuard(metric: MetricInput, segments: readonly SizedSegment[], pooledEffect: Effect | undefined): Pick<Pooled, 'standardised' | 'mixDifference' | 'confounded' | 'mixTest'> {
  const present = segments.filter((s) => s.n.baseline + s.n.canary > 0);
  const b = present.map((s) => s.n.baseline);
  const c = present.map((s) => s.n.canary);
  const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
  if (!(sum(b) > 0 && sum(c) > 0)) return { mixDifference: 0 };
  const mixDifference = totalVariationDistance(c, b);
  const chi = present.length > 1 ? chiSquaredHomogeneity(c, b) : undefined;
  const mixTest: TestReport | undefined = chi && { name: 'chi-squared', statistic: chi.statistic, pValue: chi.pValue, method: `${chi.method}, ${chi.dof} degrees of freedom: is the canary's share of the traffic the same in every segment?` };
  const mixText = `the canary's mix of segments differs from the baseline's by ${(mixDifference * 100).toPrecision(3)} pp of traffic (total variation)`;
  const standardised = pooledEffect ? standardisedEffect(metric, present, pooledEffect) : undefined;
  const base = { mixDifference, ...(mixTest ? { mixTest } : {}), ...(standardised ? { standardised } : {}) };
  if (standardised && pooledEffect) {
    const { crude, standardised: std } = standardised;
    const format = FORMAT_BY_UNIT[standardised.unit];
    const opposite = Math.sign(crude) * Math.sign(std) < 0 && Math.abs(crude) > 1e-9 && Math.abs(std) > 1e-9;
    const apart = Math.abs(std - crude) > pooledEffect.tolerance / 2;
    if (Number.isFinite(crude) && Number.isFinite(std) && (opposite || apart)) {
      return {
        ...base,
        confounded:
          `the pooled ${standardised.measure} (${format(crude)}) is confounded by the mix of segments: ${mixText}, and on the baseline's mix the canary's is ${format(std)}` +
          `${opposite ? ', the other way (Simpson\'s paradox)' : ''}; read the segments, not the pooled number`,
      };
    }
    return base;
  }
  if (mixDifference > MIX_DIFFERENCE_NOTED) return { ...base, confounded: `the pooled number may be confounded by the mix of segments (${mixText}) and is not standardised for this kind; read the segments, not the pooled number` };
  return base;
}

/**
 * The canary's effect standardised to the baseline's mix of segments, and the crude one, in the
 * pooled effect's measure; undefined where the kind has no standardised figure or no segment has
 * data on both sides.
 */
function standardisedEffect(metric: MetricInput, segments: readonly SizedSegment[], pooled: Effect): StandardisedEffect | undefined {
  const both = segments.filter((s) => s.n.baseline > 0 && s.n.canary > 0);
  if (!both.length) return undefined;
  const weights = { baseline: both.map((s) => s.n.baseline), canary: both.map((s) => s.n.canary) };
  const compare = (c: number, b: number) => (pooled.unit === 'relative' ? (b > 0 ? c / b - 1 : NaN) : c - b);
  const scalar = (x: (side: 'baseline' | 'canary', s: SizedSegment) => number): StandardisedEffect | undefined => {
    const xs = { baseline: both.map((s) => x('baseline', s)), canary: both.map((s) => x('canary', s)) };
    if ([...xs.baseline, ...xs.canary].some((v) => !Number.isFinite(v))) return undefined;
    const baseline = directlyStandardised(xs.baseline, weights.baseline);
    return {
      measure: pooled.measure,
      unit: pooled.unit,
      crude: compare(directlyStandardised(xs.canary, weights.canary), baseline),
      standardised: compare(directlyStandardised(xs.canary, weights.baseline), baseline),
    };
  };
  switch (metric.kind) {
    case 'proportion':
      return scalar((side, s) => rate(s.segment[side] as CountSide));
    case 'categorical':
      return categoricalStandardised(both, weights, pooled);
    case 'distribution':
      return undefined;
    case 'continuous': {
      if (pooled.unit !== 'relative' && pooled.unit !== 'units' && pooled.unit !== 'rate') return undefined;
      const pairs = both.map((s) => toSamplePair(s.segment.baseline as ValuesSide, s.segment.canary as ValuesSide));
      const at = (side: 'baseline' | 'canary', s: SizedSegment) => pairs[both.indexOf(s)][side];
      const threshold = metric.threshold;
      if (threshold !== undefined) return scalar((side, s) => 1 - countAtOrBelow(at(side, s), threshold) / at(side, s).n);
      const statistic = metric.quantile ?? DEFAULT_QUANTILE;
      if (statistic === 'mean') return scalar((side, s) => pairs[both.indexOf(s)][side === 'baseline' ? 'baselineMean' : 'canaryMean'] ?? NaN);
      try {
        const samples = { baseline: pairs.map((p) => p.baseline), canary: pairs.map((p) => p.canary) };
        const baseline = mixtureQuantile(samples.baseline, weights.baseline, statistic);
        return {
          measure: pooled.measure,
          unit: pooled.unit,
          crude: compare(mixtureQuantile(samples.canary, weights.canary, statistic), baseline),
          standardised: compare(mixtureQuantile(samples.canary, weights.baseline, statistic), baseline),
        };
      } catch {
        // Segments binned on different bounds (or raw beside binned) have no common mixture.
        return undefined;
      }
    }
  }
}

function rate(side: CountSide): number {
  return side.total > 0 ? side.events / side.total : NaN;
}

/** The largest change in a category's share, crude and on the baseline's mix of segments. */
function categoricalStandardised(both: readonly SizedSegment[], weights: { baseline: number[]; canary: number[] }, pooled: Effect): StandardisedEffect {
  const categories = [...new Set(both.flatMap((s) => [...(s.segment.baseline as CategoricalSide).counts, ...(s.segment.canary as CategoricalSide).counts].map(([c]) => c)))];
  const shares = (side: 'baseline' | 'canary') =>
    both.map((s) => {
      const counts = new Map((s.segment[side] as CategoricalSide).counts);
      const n = s.n[side];
      return categories.map((c) => (counts.get(c) ?? 0) / n);
    });
  const b = shares('baseline');
  const c = shares('canary');
  const largest = (canaryWeights: number[]) => {
    let largestChange = 0;
    categories.forEach((_, j) => {
      const change = directlyStandardised(c.map((row) => row[j]), canaryWeights) - directlyStandardised(b.map((row) => row[j]), weights.baseline);
      largestChange = Math.max(largestChange, Math.abs(change));
    });
    return largestChange;
  };
  return { measure: pooled.measure, unit: pooled.unit, crude: largest(weights.canary), standardised: largest(weights.baseline) };
}
