/**
 * What the per-interval sequential checks share (rates in src/judge/rate-timeline.ts,
 * quantiles in src/judge/quantile-timeline.ts): the fail and pass claims at each look from
 * one-sided e-processes at the margin's boundaries, and the sticky verdict over one or two
 * margins.
 *
 * Each check is a pair of one-sided tests of composite nulls at its margin's boundary, so a
 * claim holds from the first look at which its e-process crosses 1/alpha (Ville's inequality;
 * the running intersection of confidence sequences). Margins are alternatives, as without a
 * timeline (src/judge/margin-check.ts): the metric passes at the first look at which one
 * check's pass claim holds (each at alpha/k), and fails at the first look by which every
 * check's fail claim has held.
 */
import { describeCheck } from './describe';
import type { Check, ErrorRates } from './margin-check';
import { judged, type Resolved } from './metric-context';
import type { Bounds, Direction, Effect, Look, Margin, MetricInput, MetricResult, SideSummary, TestReport, Verdict } from './types';
import { looksToJudge, stickyPhrase } from './timeline';

export interface TimelineDecision {
  readonly verdict: Verdict;
  readonly checks: Check[];
  readonly decisive: Check;
  /** 1-based interval of the first decisive look. */
  readonly decidedAt?: number;
  /** Whether the latest look alone is decisive the same way. */
  readonly still: boolean;
  /** The decisive check's effect at evenly spaced looks and the deciding one (src/judge/look-series.ts). */
  readonly timeline: readonly Look[];
}

/** Per look (0-based), whether a claim holds: crossing once is enough (sticky). */
export interface Claims {
  readonly failing: readonly boolean[];
  readonly passing: readonly boolean[];
}

export interface TimelineCheck {
  readonly claims: Claims;
  /** The effect as reported for a verdict reached at look k (0-based). */
  readonly effectAt: (verdict: Verdict, look: number) => Effect;
  /** The looks (0-based) this check's series lists when it is the decisive check. */
  readonly seriesLooks: readonly number[];
  /** Each listed look's own effect, at the error rates of the verdict standing then. */
  readonly series: (looks: readonly number[], verdictAt: (look: number) => Verdict) => Look[];
}

/**
 * A check's series lists at most this many looks (plus the deciding one): each look's bounds
 * cost root searches on the e-process of its prefix, so on a 2-hour timeline of 1-minute
 * intervals 12 looks add ~8 ms to a rate metric's ~13 ms (BENCHMARKS.md); the looks the
 * verdict rests on (every e-process value) are not limited.
 */
export const MAX_SERIES_LOOKS = 12;

/** The 0-based looks a check's series lists: evenly spaced, the last among them. */
export function seriesLooksOf(intervals: number): number[] {
  return looksToJudge(intervals, MAX_SERIES_LOOKS).map((look) => look - 1);
}

const first = (xs: readonly boolean[]) => {
  const i = xs.indexOf(true);
  return i < 0 ? undefined : i;
};

function min(xs: readonly (number | undefined)[]): number | undefined {
  const defined = xs.filter((x): x is number => x !== undefined);
  return defined.length ? Math.min(...defined) : undefined;
}

/** The error rates of each check: the pass rate is shared among the alternative margins (relative, absolute). */
export function checkRates(rates: ErrorRates, margin: Margin): ErrorRates {
  const margins = (margin.relative !== undefined ? 1 : 0) + (margin.absolute !== undefined ? 1 : 0);
  return { fail: rates.fail, pass: rates.pass / Math.max(1, margins) };
}

/** The sticky verdict over a timeline of `looks` looks from its margins' checks. */
export function decideTimeline(checks: readonly TimelineCheck[], looks: number): TimelineDecision {
  const last = looks - 1;
  const passAt = min(checks.map((c) => first(c.claims.passing)));
  const failAts = checks.map((c) => first(c.claims.failing));
  const failAt = failAts.some((x) => x === undefined) ? undefined : Math.max(...(failAts as number[]));
  const verdict: Verdict = failAt !== undefined && (passAt === undefined || failAt <= passAt) ? 'fail' : passAt !== undefined ? 'pass' : 'inconclusive';
  const decidedAt = verdict === 'fail' ? failAt : verdict === 'pass' ? passAt : undefined;
  const still = verdict === 'fail' ? checks.every((c) => c.claims.failing[last]) : verdict === 'pass' ? checks.some((c) => c.claims.passing[last]) : false;

  const perCheck: Check[] = checks.map((c) => {
    const f = first(c.claims.failing);
    const p = first(c.claims.passing);
    const v: Verdict = f !== undefined && (p === undefined || f <= p) ? 'fail' : p !== undefined ? 'pass' : 'inconclusive';
    return { verdict: v, effect: c.effectAt(v, v === 'fail' ? f! : v === 'pass' ? p! : last) };
  });
  const decisiveIndex = verdict === 'pass' ? checks.findIndex((c) => first(c.claims.passing) === passAt) : 0;
  const seriesLooks = [...new Set([...checks[decisiveIndex].seriesLooks, ...(decidedAt !== undefined ? [decidedAt] : [])])].sort((a, b) => a - b);
  const timeline = checks[decisiveIndex].series(seriesLooks, (k) => (decidedAt !== undefined && k >= decidedAt ? verdict : 'inconclusive'));
  return { verdict, checks: perCheck, decisive: perCheck[decisiveIndex], ...(decidedAt !== undefined ? { decidedAt: decidedAt + 1 } : {}), still, timeline };
}

/** The one-sided alphas a verdict's reported bounds take (as in margin-check.ts). */
export function reportedAlphas(verdict: Verdict, direction: Direction, rates: ErrorRates): [number, number] {
  if (direction === 'increase') return [rates.fail, rates.pass];
  if (direction === 'decrease') return [rates.pass, rates.fail];
  return verdict === 'fail' ? [rates.fail / 2, rates.fail / 2] : [rates.pass, rates.pass];
}

export function intersect(a: Bounds, b: Bounds): Bounds {
  return { lower: Math.max(a.lower, b.lower), upper: Math.min(a.upper, b.upper) };
}

/**
 * The fail and pass claims at each look from one-sided tests at the margin's boundaries:
 * `greater` beyond the upper one, `less` below the lower one (undefined: a boundary no value
 * can cross, so that side never fails and always passes). For `either` the fail alpha is
 * split between the two sides, and a pass needs both one-sided claims, each holding from its
 * first crossing on.
 */
export function marginClaims(
  looks: number,
  crossing: (boundary: number, alternative: 'greater' | 'less', alpha: number) => boolean[],
  upper: number | undefined,
  lower: number | undefined,
  direction: Direction,
  rates: ErrorRates,
): Claims {
  const never: boolean[] = Array(looks).fill(false);
  const always: boolean[] = Array(looks).fill(true);
  const sticky = (xs: readonly boolean[]) => xs.map((_, k) => xs.slice(0, k + 1).includes(true));
  switch (direction) {
    case 'increase':
      return upper === undefined ? { failing: never, passing: always } : { failing: crossing(upper, 'greater', rates.fail), passing: crossing(upper, 'less', rates.pass) };
    case 'decrease':
      return lower === undefined ? { failing: never, passing: always } : { failing: crossing(lower, 'less', rates.fail), passing: crossing(lower, 'greater', rates.pass) };
    case 'either': {
      const up = upper === undefined ? never : crossing(upper, 'greater', rates.fail / 2);
      const down = lower === undefined ? never : crossing(lower, 'less', rates.fail / 2);
      const belowUpper = upper === undefined ? always : sticky(crossing(upper, 'less', rates.pass));
      const aboveLower = lower === undefined ? always : sticky(crossing(lower, 'greater', rates.pass));
      return { failing: up.map((u, k) => u || down[k]), passing: belowUpper.map((b, k) => b && aboveLower[k]) };
    }
  }
}

/**
 * The result of a sticky timeline decision, its reason led by when it was decided: "<when>:
 * <subject>; it changed by ...", or `sentence` of the decisive check in place of the part
 * after the subject's semicolon (a distance is worded differently).
 */
export function judgedTimeline(
  metric: MetricInput,
  resolved: Resolved,
  summaries: { baseline: SideSummary; canary: SideSummary },
  tests: readonly TestReport[],
  timeline: TimelineDecision & { intervals: number },
  subject: string,
  sentence: (decisive: Check) => string = (decisive) => `${subject}; ${describeCheck('it', decisive, resolved.direction)}`,
): MetricResult {
  const { verdict, checks, decisive, decidedAt, intervals, still, timeline: looks } = timeline;
  const when = verdict !== 'inconclusive' && decidedAt !== undefined ? `${stickyPhrase(verdict, decidedAt, intervals, still)}: ` : '';
  const result = judged(metric, resolved, summaries, tests, { verdict, checks, decisive, reason: `${when}${sentence(decisive)}` });
  return { ...result, intervals, ...(decidedAt !== undefined ? { decidedAt } : {}), ...(looks.length ? { timeline: looks } : {}) };
}
