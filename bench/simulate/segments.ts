/**
 * Segmented rollouts for `npm run bench:segments` and the light simulation tests: the decision
 * benchmark's rollout (21 one-minute looks at 10,000 requests a minute, the canary's share 1 % ->
 * 10 % -> 50 %, 7 minutes each) with the traffic split over k tenants, each with its own error
 * rate, errors drawn per tenant, side and minute (binomial, seeded).
 */
import type { CountSide, Segment } from '../../src/judge/types';
import { binomial, normalFrom, seededUniform } from '../../src/planner/draws';

export interface Tenant {
  readonly name: string;
  /** Its share of the requests (the shares sum to 1). */
  readonly share: number;
  /** The baseline's error rate in this tenant. */
  readonly errorRate: number;
  /** The canary's error rate over the baseline's in this tenant (1: healthy). */
  readonly ratio: number;
  /** The canary's share of this tenant's requests over the rollout's (1: the same split as every tenant). */
  readonly canaryTilt?: number;
}

export const MINUTES = 21;
export const REQUESTS_PER_MINUTE = 10_000;
const STEPS = [0.01, 0.1, 0.5];

export function canaryShareAt(minute: number): number {
  return STEPS[Math.min(STEPS.length - 1, Math.floor(minute / 7))];
}

/**
 * k tenants with Zipf-like shares (1/(i+1), normalised) and error rates spread from 0.2 % to 2 %
 * (the largest tenant the cleanest), so that pooling mixes different rates.
 */
export function tenants(k: number): Tenant[] {
  const raw = Array.from({ length: k }, (_, i) => 1 / (i + 1));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((r, i) => ({ name: `t${String(i).padStart(2, '0')}`, share: r / total, errorRate: k === 1 ? 0.005 : 0.002 + (0.018 * i) / (k - 1), ratio: 1 }));
}

/**
 * The same tenants with tenant `bad` given `share` of the traffic (the others scaled to the rest),
 * a typical baseline error rate of 0.5 %, and the canary's error rate `ratio` times that there.
 */
export function withOneBad(list: readonly Tenant[], bad: number, share: number, ratio: number): Tenant[] {
  const others = list.reduce((sum, t, i) => sum + (i === bad ? 0 : t.share), 0);
  return list.map((t, i) => (i === bad ? { ...t, share, errorRate: 0.005, ratio } : { ...t, share: (t.share * (1 - share)) / others }));
}

/** One rollout's per-tenant timelines: requests and errors per minute on each side. */
export function segmentedRollout(list: readonly Tenant[], seed: number): Segment<CountSide>[] {
  const uniform = seededUniform(seed);
  const normal = normalFrom(uniform);
  return list.map((t) => {
    const baseline = [];
    const canary = [];
    for (let m = 0; m < MINUTES; m++) {
      const requests = Math.round(REQUESTS_PER_MINUTE * t.share);
      const share = Math.min(0.95, canaryShareAt(m) * (t.canaryTilt ?? 1));
      const c = binomial(requests, share, uniform, normal);
      const b = requests - c;
      canary.push({ events: binomial(c, Math.min(1, t.errorRate * t.ratio), uniform, normal), total: c });
      baseline.push({ events: binomial(b, t.errorRate, uniform, normal), total: b });
    }
    return { value: t.name, baseline: side(baseline), canary: side(canary) };
  });
}

function side(intervals: { events: number; total: number }[]): CountSide {
  return { events: intervals.reduce((s, i) => s + i.events, 0), total: intervals.reduce((s, i) => s + i.total, 0), intervals };
}
