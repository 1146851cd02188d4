/**
 * Exact enumeration of a two-sample binomial experiment, for tests of error rates: the
 * probability of an event is the sum over outcomes of P(outcome) * [event]. Outcomes outside
 * a window holding all but `outsideMass` of each side's probability are not visited and are
 * counted as if the event happened there, so a reported rate is never below the true one.
 */

/** Binomial(n, p) probabilities for 0..n, from the mode outwards by the pmf ratio, normalised. */
export function binomialPmf(n: number, p: number): Float64Array {
  const pmf = new Float64Array(n + 1);
  if (p <= 0 || p >= 1) {
    pmf[p <= 0 ? 0 : n] = 1;
    return pmf;
  }
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const odds = p / (1 - p);
  pmf[mode] = 1;
  for (let k = mode; k < n; k++) pmf[k + 1] = (pmf[k] * (n - k) * odds) / (k + 1);
  for (let k = mode; k > 0; k--) pmf[k - 1] = (pmf[k] * k) / ((n - k + 1) * odds);
  let total = 0;
  for (let k = 0; k <= n; k++) total += pmf[k];
  for (let k = 0; k <= n; k++) pmf[k] /= total;
  return pmf;
}

/** The narrowest [lo, hi] trimmed from both ends while each trimmed tail holds at most half of outsideMass. */
export function window(pmf: Float64Array, outsideMass: number): { lo: number; hi: number; outside: number } {
  let lo = 0;
  let below = 0;
  while (lo < pmf.length - 1 && below + pmf[lo] <= outsideMass / 2) below += pmf[lo++];
  let hi = pmf.length - 1;
  let above = 0;
  while (hi > lo && above + pmf[hi] <= outsideMass / 2) above += pmf[hi--];
  return { lo, hi, outside: below + above };
}

export interface Experiment {
  readonly canaryTotal: number;
  readonly baselineTotal: number;
  readonly canaryRate: number;
  readonly baselineRate: number;
}

/**
 * P(event) under the experiment, with the unvisited mass added in full. `event` receives the
 * outcome (canary events, baseline events) and may be expensive: callers memoise it.
 */
export function eventProbability(e: Experiment, event: (canaryEvents: number, baselineEvents: number) => boolean, outsideMass = 0): number {
  const pc = binomialPmf(e.canaryTotal, e.canaryRate);
  const pb = binomialPmf(e.baselineTotal, e.baselineRate);
  const wc = window(pc, outsideMass);
  const wb = window(pb, outsideMass);
  let inside = 0;
  let probability = 0;
  for (let xc = wc.lo; xc <= wc.hi; xc++) {
    for (let xb = wb.lo; xb <= wb.hi; xb++) {
      const mass = pc[xc] * pb[xb];
      inside += mass;
      if (event(xc, xb)) probability += mass;
    }
  }
  return probability + Math.max(0, 1 - inside);
}

/** Memoises a function of a 2x2 table's event counts (totals fixed by the caller). */
export function memoised<T>(f: (canaryEvents: number, baselineEvents: number) => T): (canaryEvents: number, baselineEvents: number) => T {
  const cache = new Map<number, T>();
  return (xc, xb) => {
    const key = xc * 4294967296 + xb;
    let value = cache.get(key);
    if (value === undefined) cache.set(key, (value = f(xc, xb)));
    return value;
  };
}
