/**
 * The three-way verdict rule against a margin.
 *
 * fail = the whole confidence interval lies beyond the tolerated effect in the harmful
 * direction; pass = it lies within the tolerance; otherwise inconclusive. The two claims get
 * different error rates: a fail is judged at the analysis' Bonferroni share (so adding metrics
 * does not multiply false rollbacks), a pass at the full alpha (a canary must pass every
 * metric, an intersection-union test, which keeps the false-pass rate at alpha without
 * splitting). For `either`, each tail takes half of the fail rate, and pass needs both sides
 * (two one-sided tests).
 */
import type { Bounds, Direction, Effect, EffectUnit, Verdict } from './types';

export interface ErrorRates {
  /** One-sided error rate for declaring a failure. */
  readonly fail: number;
  /** One-sided error rate for declaring a pass. */
  readonly pass: number;
}

/** An effect measure with its estimate and a way to bound it at given one-sided alphas. */
export interface EffectCandidate {
  readonly measure: string;
  readonly unit: EffectUnit;
  readonly estimate: number;
  readonly tolerance: number;
  readonly bounds: (alphaLower: number, alphaUpper: number) => Bounds;
}

export interface Check {
  readonly verdict: Verdict;
  readonly effect: Effect;
}

export function checkAgainstMargin(candidate: EffectCandidate, direction: Direction, rates: ErrorRates): Check {
  const tol = candidate.tolerance;
  const effect = (b: Bounds): Effect => ({
    measure: candidate.measure,
    unit: candidate.unit,
    estimate: candidate.estimate,
    lower: b.lower,
    upper: b.upper,
    tolerance: tol,
  });
  switch (direction) {
    case 'increase': {
      const b = candidate.bounds(rates.fail, rates.pass);
      return { verdict: b.lower > tol ? 'fail' : b.upper <= tol ? 'pass' : 'inconclusive', effect: effect(b) };
    }
    case 'decrease': {
      const b = candidate.bounds(rates.pass, rates.fail);
      return { verdict: b.upper < -tol ? 'fail' : b.lower >= -tol ? 'pass' : 'inconclusive', effect: effect(b) };
    }
    case 'either': {
      const forFail = candidate.bounds(rates.fail / 2, rates.fail / 2);
      if (forFail.lower > tol || forFail.upper < -tol) return { verdict: 'fail', effect: effect(forFail) };
      const forPass = candidate.bounds(rates.pass, rates.pass);
      const within = forPass.lower >= -tol && forPass.upper <= tol;
      return { verdict: within ? 'pass' : 'inconclusive', effect: effect(forPass) };
    }
  }
}

/**
 * Several margins (say relative and absolute) are alternatives: the change is tolerated if it
 * is within either. So the metric passes when one check passes and fails only when every
 * check fails. Passing on any of k checks would add their false-pass rates, so each pass
 * check gets alpha/k.
 */
export function checkAgainstMargins(candidates: readonly EffectCandidate[], direction: Direction, rates: ErrorRates): { verdict: Verdict; checks: Check[] } {
  const shared: ErrorRates = { fail: rates.fail, pass: rates.pass / candidates.length };
  const checks = candidates.map((c) => checkAgainstMargin(c, direction, shared));
  const verdict: Verdict = checks.some((c) => c.verdict === 'pass')
    ? 'pass'
    : checks.every((c) => c.verdict === 'fail')
      ? 'fail'
      : 'inconclusive';
  return { verdict, checks };
}
