/** The per-side figures every metric reports, so a reader sees what the verdict rests on. */
import { quantile } from '../stats/quantile';
import type { WeightedSample } from '../stats/weighted-sample';
import type { CategoricalSide, CountSide, SideSummary } from './types';

export function valuesSummary(sample: WeightedSample, mean: number | null): SideSummary {
  const q = (p: number) => (sample.n > 0 ? quantile(sample, p) : null);
  return { n: sample.n, mean, p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99) };
}

export function countSummary(side: CountSide): SideSummary {
  return { n: side.total, events: side.events, rate: side.total > 0 ? side.events / side.total : null };
}

export function categoricalSummary(side: CategoricalSide): SideSummary {
  const n = side.counts.reduce((sum, [, count]) => sum + count, 0);
  // A null-prototype record: category names are user data and may be "__proto__".
  const shares: Record<string, number> = Object.create(null);
  for (const [category, count] of side.counts) shares[category] = n > 0 ? count / n : 0;
  return { n, shares };
}
