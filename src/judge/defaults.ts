/**
 * Defaults per metric kind: what the judge assumes when a request is silent. They are the
 * documented defaults of docs/statistics.md; change both together.
 */
import type { Direction, Margin, MetricKind, ScoreThresholds } from './types';

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_THRESHOLDS: ScoreThresholds = { pass: 100, marginal: 75 };
export const DEFAULT_MIN_SAMPLES = 20;
/** p95: the latency figure SLOs are written against. */
export const DEFAULT_QUANTILE = 0.95;

export const DEFAULT_DIRECTION: Record<MetricKind, Direction> = {
  continuous: 'increase',
  proportion: 'increase',
  distribution: 'either',
  categorical: 'either',
  // More disagreement is worse (the accuracy check's own direction is 'decrease').
  paired: 'increase',
};

export const DEFAULT_MARGIN: Record<MetricKind, Margin> = {
  // p95 may rise by 10 %.
  continuous: { relative: 0.1 },
  // The rate may rise to 1.5x, or by 0.1 percentage points (what matters when the baseline has ~0 errors).
  proportion: { relative: 0.5, absolute: 0.001 },
  // Kolmogorov-Smirnov distance of 0.1: drift tools' usual 0.1 threshold.
  distribution: { absolute: 0.1 },
  // No category's share may move by more than 5 percentage points.
  categorical: { absolute: 0.05 },
  // Paired (for callers of analyze(); a request states its margins): v1 and v2 may disagree on 1 % more requests than v1 with itself.
  paired: { absolute: 0.01 },
};

/**
 * The share of observations above a `threshold` is a rate, so it takes the proportion's
 * margins: it may rise to 1.5x, or by 0.1 percentage points.
 */
export const DEFAULT_THRESHOLD_MARGIN: Margin = DEFAULT_MARGIN.proportion;
