/**
 * The root search of src/stats/rate-difference-e-process.ts as main had it before issue 22's
 * change (a verbatim copy of its eProcess, plugIns, edge and standardError): one e-process walk
 * over a freshly built array per evaluation, every edge searched to the end. A slow reference
 * for test/stats/rate-difference-edges.test.ts, which asserts that RateDifferenceEdges returns
 * the same numbers. The factors come from the module's exported plugInTilt and logNullMoment;
 * a deliberate change of the factors inside eProcess belongs here too.
 */
import { weightOf } from '../../src/stats/conditional-rate-ratio-e-process';
import { BASELINE_WINDOW, logNullMoment, mantelHaenszelRateDifference, plugInTilt, type DifferenceAlternative, type RateInterval } from '../../src/stats/rate-difference-e-process';

const clampRate = (p: number) => Math.min(1 - 1e-9, Math.max(1e-9, p));

interface PlugIns {
  readonly difference: Float64Array;
  readonly baselineRate: Float64Array;
}

/** rateDifferenceEdge(intervals, alternative, alpha, factorFrom) as main computed it. */
export function referenceEdge(intervals: readonly RateInterval[], alternative: DifferenceAlternative, alpha: number, factorFrom = 0): number {
  return edge(intervals, alternative, Math.log(1 / alpha), factorFrom);
}

function plugIns(intervals: readonly RateInterval[]): PlugIns {
  const difference = new Float64Array(intervals.length).fill(NaN);
  const baselineRate = new Float64Array(intervals.length).fill(NaN);
  let top = 0;
  let weights = 0;
  intervals.forEach((interval, k) => {
    if (weights > 0) {
      difference[k] = top / weights;
      let events = 0;
      let total = 0;
      // The latest BASELINE_WINDOW intervals not left out (weight 0: set aside as misaligned).
      for (let j = k - 1, used = 0; j >= 0 && used < BASELINE_WINDOW; j--) {
        if (weightOf(intervals[j]) === 0) continue;
        events += intervals[j].baselineEvents;
        total += intervals[j].baselineTotal;
        used++;
      }
      baselineRate[k] = clampRate((events + 0.5) / (total + 1));
    }
    const { canaryEvents: c, canaryTotal: nc, baselineEvents: b, baselineTotal: nb } = interval;
    if (nc > 0 && nb > 0 && weightOf(interval) > 0) {
      const w = (nc * nb) / (nc + nb);
      top += w * (c / nc - b / nb);
      weights += w;
    }
  });
  return { difference, baselineRate };
}
function eProcess(intervals: readonly RateInterval[], plugIn: PlugIns, delta: number, alternative: DifferenceAlternative, factorFrom = 0): Float64Array {
  if (!(Number.isFinite(delta) && delta > -1 && delta < 1)) throw new Error('delta must be a difference of rates between -1 and 1');
  const sign = alternative === 'greater' ? 1 : -1;
  const out = new Float64Array(intervals.length);
  let logE = 0;
  // The intervals before factorFrom inform the plug-ins only.
  for (let k = factorFrom; k < intervals.length; k++) {
    const { canaryEvents: c, canaryTotal: nc, baselineEvents: b, baselineTotal: nb } = intervals[k];
    const d = plugIn.difference[k];
    const w = weightOf(intervals[k]);
    // No bet (factor 1) without traffic on both sides, before any data, or while the plug-in
    // points into the null; a tempered factor (weight w) is the factor to the power w.
    if (nc > 0 && nb > 0 && w > 0 && sign * (d - delta) > 0) {
      const qb = plugIn.baselineRate[k];
      const qc = clampRate(qb + d);
      if (sign * (qc - qb - delta) > 0) {
        const tilt = plugInTilt(qc, qb, nc, nb, delta);
        // The null's worst case is on its boundary only for tilts of these signs.
        if (sign * tilt.canary > 0 && sign * tilt.baseline <= 0) logE += w * (tilt.canary * c + tilt.baseline * b - logNullMoment(tilt, nc, nb, delta));
      }
    }
    out[k] = logE;
  }
  return out;
}
function edge(intervals: readonly RateInterval[], alternative: DifferenceAlternative, threshold: number, factorFrom = 0): number {
  // `greater` rejects small deltas (the lower bound), `less` rejects large ones.
  const [far, near] = alternative === 'greater' ? [-1, 1] : [1, -1];
  if (intervals.length <= factorFrom) return far;

  const estimate = mantelHaenszelRateDifference(intervals.slice(factorFrom));
  // No interval with traffic on both sides: no bet anywhere, nothing rejected.
  if (!Number.isFinite(estimate)) return far;
  const prepared = plugIns(intervals);
  const excess = (delta: number) => eProcess(intervals, prepared, delta, alternative, factorFrom)[intervals.length - 1] - threshold;
  const farEnd = far + (near - far) * 1e-9;
  const nearEnd = near - (near - far) * 1e-9;
  let inside = Math.min(Math.max(estimate, -1 + 1e-9), 1 - 1e-9);
  let fInside = excess(inside);
  let out: number;
  let fOut: number;
  if (fInside >= 0) {
    // The estimate itself is rejected: the edge lies towards the near end, if anywhere.
    [out, fOut] = [inside, fInside];
    inside = nearEnd;
    fInside = excess(inside);
    if (fInside >= 0) return inside; // every difference in range is rejected: the end of the range
  } else {
    // Bracket outwards from the estimate in growing steps, from three standard errors
    // (anytime-valid bounds lie a few standard errors out), so that few steps remain for the
    // root; nothing rejected up to the end of the range: no bound.
    const towardsFar = Math.sign(far - near);
    for (let step = 3 * standardError(intervals.slice(factorFrom)); ; step *= 2) {
      let probe = estimate + towardsFar * step;
      if (!((probe - farEnd) * (inside - probe) > 0)) probe = farEnd;
      const fProbe = excess(probe);
      if (fProbe >= 0) {
        [out, fOut] = [probe, fProbe];
        break;
      }
      if (probe === farEnd) return far;
      [inside, fInside] = [probe, fProbe];
    }
  }
  const tolerance = 1e-7;
  let slow = 0;
  for (let i = 0; i < 100 && Math.abs(out - inside) > tolerance; i++) {
    // The secant's root, nudged half the tolerance past it so that the bracket can close from
    // both sides; a bisection when the bracket has not halved in two steps.
    const width = Math.abs(out - inside);
    let probe = inside - (fInside * (out - inside)) / (fOut - fInside) + (Math.sign(out - inside) * tolerance) / 2;
    if (slow >= 2 || !((probe - out) * (inside - probe) > 0)) {
      probe = (out + inside) / 2;
      slow = 0;
    }
    const f = excess(probe);
    if (f >= 0) [out, fOut] = [probe, f];
    else [inside, fInside] = [probe, f];
    slow = Math.abs(out - inside) > width / 2 ? slow + 1 : 0;
  }
  return inside;
}
function standardError(intervals: readonly RateInterval[]): number {
  let events = 0;
  let total = 0;
  let weights = 0;
  for (const i of intervals) {
    events += i.canaryEvents + i.baselineEvents;
    total += i.canaryTotal + i.baselineTotal;
    if (i.canaryTotal > 0 && i.baselineTotal > 0) weights += (i.canaryTotal * i.baselineTotal) / (i.canaryTotal + i.baselineTotal);
  }
  const rate = (events + 1) / (total + 2);
  return weights > 0 ? Math.max(1e-6, Math.sqrt((rate * (1 - rate)) / weights)) : 1;
}
