/**
 * The canary's current weight and since when, from Flagger's own gauge
 * `flagger_canary_weight{workload, namespace}` (percent; Flagger's pkg/metrics/recorder.go sets
 * it on every weight change, for the target and for `<target>-primary`).
 *
 * Why: Flagger's webhooks carry neither the weight nor the iteration (docs/contracts.md), so
 * the traffic-split check (src/judge/traffic-split.ts) would have nothing to compare the
 * canary's share with, and requests a header route forces to the canary (testers) would pass as
 * the model's. The gauge gives the weight; its history gives the step: the traffic is counted
 * over the current weight's own run (a step's counts, not one minute's), starting a settling
 * margin after the first sample that showed it, so neither the previous weight's requests nor
 * the route's propagation enter the count.
 */
import type { Sample } from './prometheus/client';

/** Seconds after the first sample showing a weight before its traffic is counted (route propagation, counter scrapes). */
export const WEIGHT_SETTLING_SECONDS = 30;

export type CurrentWeight =
  | { readonly share: number; readonly since: number; readonly countFrom: number }
  /** `share`: the weight, where it is one but its step is too recent to count the split over. */
  | { readonly none: string; readonly share?: number };

/**
 * The weight at `end` and the start of its run, from the gauge's samples (one per step, oldest
 * first): none, with the reason, when there is no sample at the end (Flagger's metrics not
 * scraped), the value is not a weight, the canary takes all or no traffic (nothing to check),
 * or the weight is too recent to count a full step of it.
 */
export function currentWeight(samples: readonly Sample[], end: number, stepSeconds: number, what: string): CurrentWeight {
  const last = samples.at(-1);
  if (!last || end - last[0] > stepSeconds) return { none: `no ${what} sample at the window's end (Flagger's own metrics are not scraped?)` };
  const weight = last[1];
  if (!(weight >= 0 && weight <= 100)) return { none: `${what} is ${weight}, not a weight in percent` };
  if (weight === 0 || weight === 100) return { none: `the canary's weight is ${weight} %: no split to check` };
  let first = samples.length - 1;
  while (first > 0 && samples[first - 1][1] === weight) first--;
  const since = samples[first][0];
  const countFrom = since + WEIGHT_SETTLING_SECONDS;
  if (end - countFrom < stepSeconds) return { none: `the canary's weight changed to ${weight} % too recently (${Math.round(end - since)} s ago) to count a step of it`, share: weight / 100 };
  return { share: weight / 100, since, countFrom };
}
