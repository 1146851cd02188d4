/**
 * A timeline's pass must rest on the canary's current weight, and the caller may know that
 * weight before the data show it.
 *
 * The gated window (src/judge/interval-settling.ts) finds the current step in the data: the
 * trailing intervals whose canary share is at least half of the latest interval's. Right after
 * a weight step the latest interval does not show the step yet: Argo's analysis step measures
 * at once after setWeight, and Prometheus' latest samples lag the present by up to a scrape
 * interval, so at the 50 % gate's first look the latest interval can still read 10 %, its
 * gated window is the 10 % step, and a canary that is healthy at 10 % and saturates at 50 %
 * would pass the 50 % gate on its 10 % evidence. Where the caller states the weight the
 * routing promises now (`expectedCanaryShare`, or Flagger's weight gauge even when its step is
 * too recent to count the split over), a pass whose latest interval is clearly below half of
 * that weight is withheld (inconclusive, the reason names both shares) until the step's own
 * intervals are in. Withholding a pass never costs validity; the fail side is untouched.
 */
import { clearlyBelowHalf } from './interval-settling';
import { intervalSizes, timelineLength } from './timeline';
import type { MetricInput, MetricResult } from './types';

/** The latest interval with a request on either side, as the gated window reads it. */
function latestShare(metric: MetricInput): { share: number; total: number; interval: number } | undefined {
  const sizes = intervalSizes(metric);
  for (let i = sizes.length - 1; i >= 0; i--) {
    const total = sizes[i].canaryTotal + sizes[i].baselineTotal;
    if (total > 0) return { share: sizes[i].canaryTotal / total, total, interval: i };
  }
  return undefined;
}

const percent = (x: number) => `${Number((x * 100).toPrecision(3))} %`;

/**
 * The metric's result with a pass withheld when the timeline's latest interval is not yet at the
 * current weight (`weight`, the canary's share of the traffic the routing promises now).
 */
export function atCurrentWeight(metric: MetricInput, result: MetricResult, weight: number | undefined): MetricResult {
  if (result.verdict !== 'pass' || weight === undefined || !(weight > 0 && weight < 1) || metric.kind === 'paired' || timelineLength(metric) === 0) return result;
  const latest = latestShare(metric);
  if (!latest || !clearlyBelowHalf(latest.share, latest.total, weight)) return result;
  // No decision stands, so no interval it was reached at.
  const { decidedAt: _decidedAt, ...undecided } = result;
  return {
    ...undecided,
    verdict: 'inconclusive',
    reason:
      `not passed at the current weight yet: the routing gives the canary ${percent(weight)} of the traffic, and the timeline's latest interval (${latest.interval + 1}) ` +
      `still shows ${percent(latest.share)} of ${latest.total.toLocaleString('en-US')} (a step more recent than the data, as at the first look after setWeight while Prometheus' scrapes lag, or traffic not reaching the canary), ` +
      `so this pass would rest on an earlier step's traffic; the step's own intervals decide at a later look. Without this: ${result.reason}`,
  };
}
