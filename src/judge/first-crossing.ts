/**
 * The decision for kinds whose claims come from e-processes over a run of intervals read whole
 * (the mean by betting, src/judge/mean-timeline.ts; the KS distance matched in time,
 * src/judge/distribution-timeline.ts), rather than from per-interval factor tables that the
 * settling and the e-detector of src/judge/timeline-checks.ts weight and restart.
 *
 * A claim holds from the first look at which its e-process crosses 1/alpha (Ville's
 * inequality; the running intersection of confidence sequences). Margins are alternatives, as
 * without a timeline (src/judge/margin-check.ts): a metric fails once every check's fail claim
 * has held, and passes once one check's pass claim holds (the pass rate shared among them).
 *
 * Verdicts follow the canary (issue 21), as the per-interval kinds' do:
 * - a fail at any look stands, whatever passed before it: the fail e-process runs over the
 *   whole timeline, and an earlier pass never hides it;
 * - a pass rests on the traffic at the canary's current weight: the checks are rebuilt on the
 *   gated window alone (the trailing intervals whose canary share is at least half of the
 *   latest's, src/judge/interval-settling.ts), whose e-processes start at its first interval
 *   and are valid at its own level whatever came before (the earlier intervals do not enter
 *   them). A canary healthy at 1 % and slower at 50 % cannot pass the 50 % gate on its 1 %
 *   evidence.
 * Unlike the per-interval kinds these read the latest interval as it is (no interval is set
 * aside or tempered): their data are observations the caller sent, not counters whose minutes
 * scrape offsets misalign.
 */
import { gatedWindowStarts } from './interval-settling';
import type { Check, ErrorRates } from './margin-check';
import type { Claims, TimelineDecision } from './timeline-checks';
import type { Direction, Effect, Look, Margin, Verdict } from './types';

export interface CrossingCheck {
  readonly claims: Claims;
  /** The effect as reported for a verdict reached at look k (0-based). */
  readonly effectAt: (verdict: Verdict, look: number) => Effect;
  /** The looks (0-based) this check's series lists when it is the decisive check. */
  readonly seriesLooks: readonly number[];
  /** Each listed look's own effect, at the error rates of the verdict standing then. */
  readonly series: (looks: readonly number[], verdictAt: (look: number) => Verdict) => Look[];
}

/** A decision over a run of looks; `decidedAt` is 1-based within the run. */
export type CrossingDecision = Omit<TimelineDecision, 'range' | 'settling' | 'readsLatest'>;

const first = (xs: readonly boolean[]) => {
  const i = xs.indexOf(true);
  return i < 0 ? undefined : i;
};

/** The error rates of each check: the pass rate is shared among the alternative margins (relative, absolute). */
export function checkRates(rates: ErrorRates, margin: Margin): ErrorRates {
  const margins = (margin.relative !== undefined ? 1 : 0) + (margin.absolute !== undefined ? 1 : 0);
  return { fail: rates.fail, pass: rates.pass / Math.max(1, margins) };
}

/** The one-sided alphas a verdict's reported bounds take (as in margin-check.ts). */
export function reportedAlphas(verdict: Verdict, direction: Direction, rates: ErrorRates): [number, number] {
  if (direction === 'increase') return [rates.fail, rates.pass];
  if (direction === 'decrease') return [rates.pass, rates.fail];
  return verdict === 'fail' ? [rates.fail / 2, rates.fail / 2] : [rates.pass, rates.pass];
}

/**
 * The fail and pass claims at each look from one-sided tests at the margin's boundaries:
 * `greater` beyond the upper one, `less` below the lower one (undefined: a boundary no value
 * can cross, so that side never fails and always passes). For `either` the fail alpha is
 * split between the two sides, and a pass needs both one-sided claims, each holding from its
 * first crossing on.
 */
export function crossingClaims(
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
 * The verdict over a run of `looks` looks from its margins' checks: fail once every check's
 * fail claim has held (whatever passed before), else pass at the first look at which one
 * check's pass claim holds, else inconclusive.
 */
export function decideByFirstCrossing(checks: readonly CrossingCheck[], looks: number): CrossingDecision {
  const last = looks - 1;
  const failAts = checks.map((c) => first(c.claims.failing));
  const failAt = failAts.some((x) => x === undefined) ? undefined : Math.max(...(failAts as number[]));
  // A check whose fail claim has held carries no pass (its evidence shows its margin crossed).
  const passAts = checks.map((c, i) => (failAts[i] === undefined ? first(c.claims.passing) : undefined)).filter((x): x is number => x !== undefined);
  const passAt = passAts.length ? Math.min(...passAts) : undefined;
  const verdict: Verdict = failAt !== undefined ? 'fail' : passAt !== undefined ? 'pass' : 'inconclusive';
  const decidedAt = verdict === 'fail' ? failAt : verdict === 'pass' ? passAt : undefined;
  const still = verdict === 'fail' ? checks.every((c) => c.claims.failing[last]) : verdict === 'pass' ? checks.some((c, i) => failAts[i] === undefined && c.claims.passing[last]) : false;

  const perCheck: Check[] = checks.map((c) => {
    const f = first(c.claims.failing);
    const p = first(c.claims.passing);
    const v: Verdict = f !== undefined ? 'fail' : p !== undefined ? 'pass' : 'inconclusive';
    return { verdict: v, effect: c.effectAt(v, v === 'fail' ? f! : v === 'pass' ? p! : last) };
  });
  const decisiveIndex = verdict === 'pass' ? checks.findIndex((c, i) => failAts[i] === undefined && first(c.claims.passing) === passAt) : verdict === 'fail' ? failAts.indexOf(failAt) : 0;
  const seriesLooks = [...new Set([...checks[decisiveIndex].seriesLooks, ...(decidedAt !== undefined ? [decidedAt] : [])])].sort((a, b) => a - b);
  const timeline = checks[decisiveIndex].series(seriesLooks, (k) => (decidedAt !== undefined && k >= decidedAt ? verdict : 'inconclusive'));
  return { verdict, checks: perCheck, decisive: perCheck[decisiveIndex], ...(decidedAt !== undefined ? { decidedAt: decidedAt + 1 } : {}), still, timeline };
}

/**
 * The verdict that follows the canary over a timeline whose intervals hold `sizes`
 * observations a side: the fail from `decideFrom(0)` (the whole timeline) at any look; else
 * the pass of `decideFrom(start)` on the gated window's intervals alone (start..end), judged as
 * a run of its own; else inconclusive, reporting the window's effect (what more data at this
 * weight add to). Fixed-sample evidence (`sequential` false) reads one look of the whole
 * timeline: two looks would be two tests.
 */
export function followTheCanary(
  decideFrom: (start: number) => CrossingDecision,
  sizes: readonly { canaryTotal: number; baselineTotal: number }[],
  sequential: boolean,
): TimelineDecision {
  const looks = sizes.length;
  const whole = decideFrom(0);
  const windowStart = gatedWindowStarts(sizes);
  // Fixed-sample evidence reads the whole timeline as one look.
  const start = sequential && looks > 0 ? windowStart[looks - 1] : 0;
  if (looks) windowStart[looks - 1] = start;
  const settling = readEveryInterval(windowStart);
  if (whole.verdict === 'fail') return { ...whole, range: { from: 0, to: looks - 1, claim: 'fail' }, settling, readsLatest: true };
  const range = { from: start, to: looks - 1, claim: 'pass' as const };
  if (start === 0) return { ...whole, range, settling, readsLatest: true };
  const window = decideFrom(start);
  const shifted = window.timeline.map((look) => ({ ...look, interval: look.interval + start }));
  if (window.verdict === 'pass') return { ...window, decidedAt: window.decidedAt! + start, timeline: shifted, range, settling, readsLatest: true };
  // The window's own fail claim is not a test this rule makes (the whole timeline's is): inconclusive.
  const undecided = (c: Check): Check => ({ ...c, verdict: 'inconclusive' });
  const { decidedAt: _decidedAt, ...rest } = window;
  return { ...rest, verdict: 'inconclusive', checks: window.checks.map(undecided), decisive: undecided(window.decisive), still: false, timeline: shifted, range, settling, readsLatest: true };
}

/** The settling of intervals read as they are: each at full weight, the given gated windows, none set aside. */
function readEveryInterval(windowStart: Int32Array) {
  const looks = windowStart.length;
  return {
    settled: new Float64Array(looks).fill(1),
    windowStart,
    stepStart: Array.from({ length: looks }, (_, k) => k > 0 && windowStart[k] === k),
    setAside: Array<undefined>(looks).fill(undefined),
    dispersion: 1,
  };
}
