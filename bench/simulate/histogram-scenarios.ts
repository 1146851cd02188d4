/**
 * The histogram scenario set (issue 11): lognormal latency with sigma 0.3 and 0.5, medians
 * that put the baseline's p95 at several positions among Envoy's default buckets (inside a
 * bucket, at a bound), canaries at x1.0, x1.05 and x1.2, over the seed's rollout (10,000
 * requests per minute, 1 % -> 10 % -> 50 %, 21 one-minute looks, cumulative histograms).
 *
 * Each minute is drawn once, on the union of every layout's bounds, and read three ways:
 * - `p95 envoy`: the default profile's latency metric (p95, +10 %, critical, anytime-valid) on
 *   Envoy's default buckets, what most clusters have;
 * - `p95 resolving`: the same on the bounds the seed ships in its pod annotation
 *   (demo/latency-buckets.ts);
 * - `threshold envoy`: the share above the Envoy bound nearest the baseline's p95 (the bound
 *   whose true baseline share above is closest to 5 % on the logit scale), default margins;
 * - `threshold envoy timeline`: the same, fed the per-minute histograms as `intervals`, so the
 *   share's ratio is judged by the per-interval conditional e-process (issue 12).
 */
import { analyze } from '../../src/judge/analyze';
import type { Evidence } from '../../src/judge/evidence';
import type { HistogramBucket, MetricInput, Verdict } from '../../src/judge/types';
import { normalCdf } from '../../src/stats/normal';
import { ENVOY_DEFAULT_BUCKETS, RESOLVING_LATENCY_BUCKETS } from '../../demo/latency-buckets';
import { normalSampler, seededRandom } from '../../test/support/random';
import { countAgreement, type AgreementCounts } from './agreement';
import { multinomial } from './binomial';
import { canaryShareAt, LOOKS, REQUESTS_PER_MINUTE, rolloutSeed } from './rollout';

export interface HistogramScenario {
  readonly name: string;
  readonly medianMs: number;
  readonly sigma: number;
  readonly factor: number;
  /** Where the baseline's p95 sits among Envoy's bounds. */
  readonly position: string;
}

const POSITIONS: readonly { medianMs: number; sigma: number }[] = [
  { medianMs: 40, sigma: 0.3 },
  { medianMs: 108.6, sigma: 0.3 },
  { medianMs: 152.6, sigma: 0.3 },
  { medianMs: 15, sigma: 0.5 },
  { medianMs: 60, sigma: 0.5 },
  { medianMs: 110, sigma: 0.5 },
];
const FACTORS = [1, 1.05, 1.2] as const;
const Z95 = 1.6448536269514722;

export const HISTOGRAM_SCENARIOS: readonly HistogramScenario[] = POSITIONS.flatMap(({ medianMs, sigma }) =>
  FACTORS.map((factor) => ({ name: `hist-m${medianMs}-s${sigma}-x${factor}`, medianMs, sigma, factor, position: positionOf(medianMs * Math.exp(Z95 * sigma)) })),
);

function positionOf(p95: number): string {
  const finite = ENVOY_DEFAULT_BUCKETS;
  const at = finite.find((le) => Math.abs(le / p95 - 1) < 0.005);
  if (at !== undefined) return `p95 ${p95.toFixed(0)} at the bound ${at}`;
  const above = finite.findIndex((le) => le > p95);
  return `p95 ${p95.toFixed(0)} inside (${finite[above - 1]}, ${finite[above]}]`;
}

export const HISTOGRAM_METHODS = ['p95 envoy', 'p95 resolving', 'threshold envoy', 'threshold envoy timeline'] as const;
export type HistogramMethod = (typeof HISTOGRAM_METHODS)[number];

const UNION = [...new Set([...ENVOY_DEFAULT_BUCKETS, ...RESOLVING_LATENCY_BUCKETS])].sort((a, b) => a - b).concat(Infinity);

function bucketProbabilities(medianMs: number, sigma: number): Float64Array {
  const cdf = (x: number) => (x === Infinity ? 1 : normalCdf(Math.log(x / medianMs) / sigma));
  let previous = 0;
  return Float64Array.from(UNION, (le) => {
    const c = cdf(le);
    const p = c - previous;
    previous = c;
    return p;
  });
}

/** The Envoy bound whose true baseline share above is nearest 5 % on the logit scale. */
export function thresholdFor(scenario: HistogramScenario): { bound: number; share: number } {
  const logit = (p: number) => Math.log(p / (1 - p));
  let best = { bound: NaN, share: NaN, distance: Infinity };
  for (const le of ENVOY_DEFAULT_BUCKETS) {
    const share = 1 - normalCdf(Math.log(le / scenario.medianMs) / scenario.sigma);
    if (!(share > 0 && share < 1)) continue;
    const distance = Math.abs(logit(share) - logit(0.05));
    if (distance < best.distance) best = { bound: le, share, distance };
  }
  return { bound: best.bound, share: best.share };
}

/** Cumulative `_bucket` counts of the union-bin counts, read at a layout's bounds. */
function onLayout(counts: Float64Array, layout: readonly number[]): HistogramBucket[] {
  const out: HistogramBucket[] = [];
  let cumulative = 0;
  let next = 0;
  for (let i = 0; i < UNION.length; i++) {
    cumulative += counts[i];
    if (next < layout.length && UNION[i] === layout[next]) out.push({ le: layout[next++], count: cumulative });
  }
  out.push({ le: Infinity, count: cumulative });
  return out;
}

export interface HistogramOutcome {
  /** Rollouts with a pass at some look (before any fail). */
  passed: number;
  /** Rollouts with a fail at some look (a rollback). */
  failed: number;
  rollouts: number;
  /** Whether every look's reported numbers agree with its verdict (./agreement.ts). */
  agreement: AgreementCounts;
}

export function runHistogramScenario(scenario: HistogramScenario, rollouts: number, seed: number, evidence: Evidence, stream: number): Record<HistogramMethod, HistogramOutcome> {
  const baseline = bucketProbabilities(scenario.medianMs, scenario.sigma);
  const canary = bucketProbabilities(scenario.medianMs * scenario.factor, scenario.sigma);
  const threshold = thresholdFor(scenario).bound;
  const outcomes = Object.fromEntries(HISTOGRAM_METHODS.map((m) => [m, { passed: 0, failed: 0, rollouts, agreement: {} }])) as Record<HistogramMethod, HistogramOutcome>;
  const minute = new Float64Array(UNION.length);
  for (let r = 0; r < rollouts; r++) {
    const uniform = seededRandom(rolloutSeed(seed, stream, r));
    const normal = normalSampler(uniform);
    const sides = { baseline: new Float64Array(UNION.length), canary: new Float64Array(UNION.length) };
    const minutes = { baseline: [] as Float64Array[], canary: [] as Float64Array[] };
    const state = Object.fromEntries(HISTOGRAM_METHODS.map((m) => [m, { pass: false, fail: false }])) as Record<HistogramMethod, { pass: boolean; fail: boolean }>;
    for (let look = 1; look <= LOOKS; look++) {
      const canaryRequests = Math.round(REQUESTS_PER_MINUTE * canaryShareAt(look));
      for (const [side, n, probabilities] of [['baseline', REQUESTS_PER_MINUTE - canaryRequests, baseline], ['canary', canaryRequests, canary]] as const) {
        multinomial(n, probabilities, minute, uniform, normal);
        for (let i = 0; i < minute.length; i++) sides[side][i] += minute[i];
        minutes[side].push(minute.slice());
      }
      for (const method of HISTOGRAM_METHODS) {
        const s = state[method];
        if (s.fail) continue;
        const verdict = judge(method, sides, minutes, threshold, evidence, outcomes[method].agreement);
        if (verdict === 'fail') s.fail = true;
        else if (verdict === 'pass') s.pass = true;
      }
    }
    for (const method of HISTOGRAM_METHODS) {
      if (state[method].fail) outcomes[method].failed++;
      // Judging stops at a fail, so a pass seen came before any fail (Argo would promote on it).
      if (state[method].pass) outcomes[method].passed++;
    }
  }
  return outcomes;
}

function judge(
  method: HistogramMethod,
  sides: { baseline: Float64Array; canary: Float64Array },
  minutes: { baseline: readonly Float64Array[]; canary: readonly Float64Array[] },
  threshold: number,
  evidence: Evidence,
  agreement: AgreementCounts,
): Verdict {
  const layout = method === 'p95 resolving' ? RESOLVING_LATENCY_BUCKETS : ENVOY_DEFAULT_BUCKETS;
  const timeline = method === 'threshold envoy timeline';
  const side = (name: 'baseline' | 'canary') => ({
    histogram: { buckets: onLayout(sides[name], layout) },
    ...(timeline ? { intervals: minutes[name].map((m) => ({ histogram: { buckets: onLayout(m, layout) } })) } : {}),
  });
  const metric: MetricInput = {
    name: 'latency',
    kind: 'continuous',
    critical: true,
    ...(method.startsWith('threshold') ? { threshold } : { quantile: 0.95, margin: { relative: 0.1 } }),
    baseline: side('baseline'),
    canary: side('canary'),
  };
  const result = analyze({ metrics: [metric], evidence: evidence.name as 'anytime-valid' | 'fixed-sample' });
  countAgreement(agreement, result);
  return result.verdict;
}
