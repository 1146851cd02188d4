/**
 * The mean scenario set (issue 21, item 4; `--scenario means`): a latency metric judged on its
 * mean (`statistic: "mean"`), raw values, lognormal latencies capped at the request timeout
 * (Envoy's default route timeout, 15 s: a request that times out is observed at the timeout, so
 * the declared range [0, 15000] is the data's true range).
 *
 * Rollouts (21 one-minute looks at 10,000 requests/minute, 1 % -> 10 % -> 50 %, every look
 * judged, anytime-valid): both sides' median follows load from 1 to 1.5x over the rollout.
 * - `mean timeline`: the per-minute values as `intervals` (pairs matched in time, betting);
 * - the yardstick of the efficiency ratio: the timeline judged once at look 21 with fixed-sample
 *   evidence (valid for that single look only).
 *
 * Single looks (300 draws each, fixed-sample evidence, as the issue measured them): skewed
 * lognormal latency (sigma 1.2 and 1.5), 50 canary values against 500 baseline values, the
 * canary identical or exactly at the +10 % margin of the mean.
 * - `fixed-sample, range`: the betting bounds given the range [0, 15000];
 * - `fixed-sample, no range`: refused (inconclusive with the reason), by design.
 */
import { analyze } from '../../src/judge/analyze';
import type { MetricInput, ValuesInterval, Verdict } from '../../src/judge/types';
import { normalSampler, seededRandom } from '../../test/support/random';
import { countAgreement, mergeAgreement, type AgreementCounts } from './agreement';
import { canaryShareAt, LOOKS, rolloutSeed } from './rollout';

export const TIMEOUT_MS = 15_000;

export interface MeanScenario {
  readonly name: string;
  readonly role: 'healthy' | 'harmful' | 'at-margin';
  /** A rollout judged at every look, or single fixed-sample looks. */
  readonly shape: 'rollout' | 'look';
  /** The canary's mean (and median) over the baseline's. */
  readonly factor: number;
  readonly medianMs: number;
  readonly sigma: number;
  /** Rollouts: both sides' median rises linearly to this factor at the last look. */
  readonly load?: number;
  readonly requestsPerMinute?: number;
  /** Single looks: observations per side. */
  readonly canaryN?: number;
  readonly baselineN?: number;
  /** The margin judged (default: the continuous default, +10 %). */
  readonly margin?: { readonly relative: number };
  readonly stream: number;
}

export const MEAN_SCENARIOS: readonly MeanScenario[] = [
  { name: 'mean-aa-load', role: 'healthy', shape: 'rollout', factor: 1, medianMs: 40, sigma: 0.5, load: 1.5, requestsPerMinute: 10_000, stream: 41 },
  { name: 'mean+30%-load', role: 'harmful', shape: 'rollout', factor: 1.3, medianMs: 40, sigma: 0.5, load: 1.5, requestsPerMinute: 10_000, stream: 42 },
  { name: 'mean-skewed-aa-s1.2', role: 'healthy', shape: 'look', factor: 1, medianMs: 40, sigma: 1.2, canaryN: 50, baselineN: 500, stream: 43 },
  { name: 'mean-skewed-aa-s1.5', role: 'healthy', shape: 'look', factor: 1, medianMs: 40, sigma: 1.5, canaryN: 50, baselineN: 500, stream: 44 },
  { name: 'mean-skewed+10%-s1.2', role: 'at-margin', shape: 'look', factor: 1.1, medianMs: 40, sigma: 1.2, canaryN: 50, baselineN: 500, stream: 45 },
  { name: 'mean-skewed+10%-s1.5', role: 'at-margin', shape: 'look', factor: 1.1, medianMs: 40, sigma: 1.5, canaryN: 50, baselineN: 500, stream: 46 },
  // Zero margin, 50 values a side: any confident difference fails, so a liberal bound fails identical canaries.
  { name: 'mean-skewed-aa-zero-s1.2', role: 'healthy', shape: 'look', factor: 1, medianMs: 40, sigma: 1.2, canaryN: 50, baselineN: 50, margin: { relative: 0 }, stream: 47 },
  { name: 'mean-skewed-aa-zero-s1.5', role: 'healthy', shape: 'look', factor: 1, medianMs: 40, sigma: 1.5, canaryN: 50, baselineN: 50, margin: { relative: 0 }, stream: 48 },
];

/**
 * Rollouts judge the timeline only: at 10,000 requests/minute each look pairs and bets on up to
 * 43,000 pairs and searches the series' bounds, and pooled (cumulative) values are shown going
 * wrong under load by test/stats/paired-mean-betting-e-process.test.ts.
 */
export const MEAN_ROLLOUT_METHODS = ['mean timeline'] as const;
export const MEAN_LOOK_METHODS = ['fixed-sample, range', 'fixed-sample, no range'] as const;
export type MeanMethod = (typeof MEAN_ROLLOUT_METHODS)[number] | (typeof MEAN_LOOK_METHODS)[number];

export interface MeanOutcome {
  /** Rollouts (or looks) with a pass at some look before any fail. */
  passed: number;
  /** With a fail at some look (a rollback). */
  failed: number;
  runs: number;
  /** Rollouts: the first look of each pass and rollback, for medians. */
  passLooks: number[];
  failLooks: number[];
}

export interface MeanScenarioResult {
  readonly outcomes: Partial<Record<MeanMethod, MeanOutcome>>;
  /** Rollouts: the fixed-sample yardstick at look 21 (pass / fail counts). */
  readonly fixedSample?: { passed: number; failed: number };
  readonly judgeMs: number;
  readonly looks: number;
  /** Whether every analysis' reported numbers agree with its verdict, by method (./agreement.ts). */
  readonly agreement: AgreementCounts;
}

const RANGE = { min: 0, max: TIMEOUT_MS };

function lognormalDraws(n: number, medianMs: number, sigma: number, normal: () => number): number[] {
  return Array.from({ length: n }, () => Math.min(TIMEOUT_MS, medianMs * Math.exp(sigma * normal())));
}

/** A lognormal's median that moves its mean by `factor` is the median times `factor`. */
function meanMetric(baseline: ValuesInterval[], canary: ValuesInterval[], timeline: boolean, range: boolean, margin?: { readonly relative: number }): MetricInput {
  const pooled = (side: ValuesInterval[]) => ({ values: side.flatMap((i) => ('values' in i ? Array.from(i.values) : [])) });
  return {
    name: 'latency',
    kind: 'continuous',
    quantile: 'mean',
    critical: true,
    ...(margin ? { margin } : {}),
    ...(range ? { range: RANGE } : {}),
    baseline: { ...pooled(baseline), ...(timeline ? { intervals: baseline } : {}) },
    canary: { ...pooled(canary), ...(timeline ? { intervals: canary } : {}) },
  };
}

const emptyOutcome = (runs: number): MeanOutcome => ({ passed: 0, failed: 0, runs, passLooks: [], failLooks: [] });

export function runMeanScenario(scenario: MeanScenario, runs: number, seed: number, first = 0, stride = 1): MeanScenarioResult {
  return scenario.shape === 'rollout' ? runRollouts(scenario, runs, seed, first, stride) : runLooks(scenario, runs, seed, first, stride);
}

function runRollouts(scenario: MeanScenario, runs: number, seed: number, first: number, stride: number): MeanScenarioResult {
  const outcomes = Object.fromEntries(MEAN_ROLLOUT_METHODS.map((m) => [m, emptyOutcome(0)])) as Record<(typeof MEAN_ROLLOUT_METHODS)[number], MeanOutcome>;
  const fixedSample = { passed: 0, failed: 0 };
  const agreement: AgreementCounts = {};
  let judgeMs = 0;
  let looks = 0;
  for (let r = first; r < runs; r += stride) {
    const normal = normalSampler(seededRandom(rolloutSeed(seed, scenario.stream, r)));
    const baseline: ValuesInterval[] = [];
    const canary: ValuesInterval[] = [];
    const state = Object.fromEntries(MEAN_ROLLOUT_METHODS.map((m) => [m, { pass: 0, fail: 0 }])) as Record<(typeof MEAN_ROLLOUT_METHODS)[number], { pass: number; fail: number }>;
    for (let look = 1; look <= LOOKS; look++) {
      const load = 1 + ((scenario.load ?? 1) - 1) * ((look - 1) / (LOOKS - 1));
      const perMinute = scenario.requestsPerMinute ?? 10_000;
      const canaryN = Math.round(perMinute * canaryShareAt(look));
      baseline.push({ values: lognormalDraws(perMinute - canaryN, scenario.medianMs * load, scenario.sigma, normal) });
      canary.push({ values: lognormalDraws(canaryN, scenario.medianMs * load * scenario.factor, scenario.sigma, normal) });
      for (const method of MEAN_ROLLOUT_METHODS) {
        const s = state[method];
        if (s.fail) continue; // rolled back
        const t = process.hrtime.bigint();
        const result = analyze({ metrics: [meanMetric(baseline, canary, method === 'mean timeline', true)] });
        const verdict = result.verdict;
        judgeMs += Number(process.hrtime.bigint() - t) / 1e6;
        countAgreement(agreement, result, `${method}, `);
        looks++;
        if (verdict === 'fail') s.fail = look;
        else if (verdict === 'pass' && !s.pass) s.pass = look;
      }
    }
    for (const method of MEAN_ROLLOUT_METHODS) {
      const o = outcomes[method];
      o.runs++;
      if (state[method].fail) (o.failed++, o.failLooks.push(state[method].fail));
      if (state[method].pass && (!state[method].fail || state[method].pass < state[method].fail)) (o.passed++, o.passLooks.push(state[method].pass));
    }
    const yardstick = analyze({ metrics: [meanMetric(baseline, canary, true, true)], evidence: 'fixed-sample' });
    countAgreement(agreement, yardstick, 'fixed-sample at look 21, ');
    const once: Verdict = yardstick.verdict;
    if (once === 'pass') fixedSample.passed++;
    if (once === 'fail') fixedSample.failed++;
  }
  return { outcomes, fixedSample, judgeMs, looks, agreement };
}

function runLooks(scenario: MeanScenario, runs: number, seed: number, first: number, stride: number): MeanScenarioResult {
  const outcomes = Object.fromEntries(MEAN_LOOK_METHODS.map((m) => [m, emptyOutcome(0)])) as Record<(typeof MEAN_LOOK_METHODS)[number], MeanOutcome>;
  const agreement: AgreementCounts = {};
  let judgeMs = 0;
  let looks = 0;
  for (let r = first; r < runs; r += stride) {
    const normal = normalSampler(seededRandom(rolloutSeed(seed, scenario.stream, r)));
    const baseline = [{ values: lognormalDraws(scenario.baselineN!, scenario.medianMs, scenario.sigma, normal) }];
    const canary = [{ values: lognormalDraws(scenario.canaryN!, scenario.medianMs * scenario.factor, scenario.sigma, normal) }];
    for (const method of MEAN_LOOK_METHODS) {
      const t = process.hrtime.bigint();
      const result = analyze({ metrics: [meanMetric(baseline, canary, false, method === 'fixed-sample, range', scenario.margin)], evidence: 'fixed-sample' });
      const verdict = result.verdict;
      judgeMs += Number(process.hrtime.bigint() - t) / 1e6;
      countAgreement(agreement, result, `${method}, `);
      looks++;
      const o = outcomes[method];
      o.runs++;
      if (verdict === 'pass') o.passed++;
      if (verdict === 'fail') o.failed++;
    }
  }
  return { outcomes, judgeMs, looks, agreement };
}

/** Adds another worker's share of a scenario's runs. */
export function mergeMeanResults(a: MeanScenarioResult, b: MeanScenarioResult): MeanScenarioResult {
  const outcomes: Partial<Record<MeanMethod, MeanOutcome>> = { ...a.outcomes };
  for (const [method, o] of Object.entries(b.outcomes) as [MeanMethod, MeanOutcome][]) {
    const x = outcomes[method];
    outcomes[method] = x
      ? { passed: x.passed + o.passed, failed: x.failed + o.failed, runs: x.runs + o.runs, passLooks: [...x.passLooks, ...o.passLooks], failLooks: [...x.failLooks, ...o.failLooks] }
      : o;
  }
  const fixedSample = a.fixedSample && b.fixedSample ? { passed: a.fixedSample.passed + b.fixedSample.passed, failed: a.fixedSample.failed + b.fixedSample.failed } : (a.fixedSample ?? b.fixedSample);
  return { outcomes, ...(fixedSample ? { fixedSample } : {}), judgeMs: a.judgeMs + b.judgeMs, looks: a.looks + b.looks, agreement: mergeAgreement(mergeAgreement({}, a.agreement), b.agreement) };
}
