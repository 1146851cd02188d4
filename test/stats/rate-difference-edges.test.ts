/**
 * RateDifferenceEdges (src/stats/rate-difference-e-process.ts): a series' edges over many ranges
 * from plug-ins computed once, each search walking its range alone, and stopped early where the
 * caller has said the edge is moot. Against main's search before the change
 * (test/support/rate-difference-edge-reference.ts, a fresh array and a full search per edge) on
 * seeded random series with steps of the split, rate trends, gaps in traffic, tempered and
 * set-aside intervals: the same numbers exactly (the same deltas are evaluated in the same order),
 * and a pruned search returns either the full search's edge or, when that edge is moot, a moot value.
 */
import { RateDifferenceEdges, rateDifferenceConfidenceSequence, rateDifferenceEdge, type RateInterval } from '../../src/stats/rate-difference-e-process';
import { binomial } from '../../bench/simulate/binomial';
import { normalSampler, seededRandom } from '../support/random';
import { referenceEdge } from '../support/rate-difference-edge-reference';

/** A random series: traffic steps (some intervals without one side's traffic), a baseline rate that trends, an effect that may start late, weights 1, fractional or 0. */
function randomSeries(seed: number): RateInterval[] {
  const uniform = seededRandom(seed);
  const normal = normalSampler(uniform);
  const n = 20 + Math.floor(uniform() * 160);
  const perMinute = [60, 400, 2000][Math.floor(uniform() * 3)];
  const base = 0.005 + uniform() * 0.3;
  const effect = (uniform() - 0.5) * 0.1;
  const effectFrom = Math.floor(uniform() * n);
  const trend = (uniform() - 0.5) * base;
  const out: RateInterval[] = [];
  for (let i = 0; i < n; i++) {
    const share = uniform() < 0.05 ? 0 : [0.01, 0.1, 0.5][Math.min(2, Math.floor((3 * i) / n))];
    const nc = Math.round(perMinute * share);
    const nb = uniform() < 0.03 ? 0 : perMinute - nc;
    const pb = Math.min(0.95, Math.max(0.001, base + (trend * i) / n));
    const pc = Math.min(0.99, Math.max(0, pb + (i >= effectFrom ? effect : 0)));
    const u = uniform();
    const weight = u < 0.1 ? 0 : u < 0.3 ? 0.2 + 0.8 * uniform() : u < 0.6 ? undefined : 1;
    out.push({ canaryEvents: binomial(nc, pc, uniform, normal), canaryTotal: nc, baselineEvents: binomial(nb, pb, uniform, normal), baselineTotal: nb, ...(weight !== undefined ? { weight } : {}) });
  }
  return out;
}

/** A few ranges of a series: from its start, from a restart inside it, a short one at its end. */
function rangesOf(n: number, uniform: () => number): [number, number][] {
  const a = Math.floor(uniform() * n);
  const b = a + Math.floor(uniform() * (n - a));
  return [
    [0, n - 1],
    [a, n - 1],
    [a, b],
    [Math.max(0, n - 3), n - 1],
  ];
}

const ALPHAS = [0.05, 0.0025, 1e-5];
const SEEDS = Array.from({ length: 24 }, (_, i) => 1009 + 31 * i);

describe('RateDifferenceEdges', () => {
  it.each(SEEDS)('gives main\'s edges, number for number, over every range (seed %d)', (seed) => {
    const series = randomSeries(seed);
    const edges = new RateDifferenceEdges(series);
    const pick = seededRandom(seed + 1);
    for (const [from, to] of rangesOf(series.length, pick)) {
      for (const alternative of ['greater', 'less'] as const) {
        const alpha = ALPHAS[Math.floor(pick() * ALPHAS.length)];
        const expected = referenceEdge(series.slice(0, to + 1), alternative, alpha, from);
        expect(edges.edge(alternative, alpha, from, to)).toBe(expected);
        if (to === series.length - 1) expect(rateDifferenceEdge(series, alternative, alpha, from)).toBe(expected);
      }
    }
  });

  it('gives main\'s confidence sequence', () => {
    for (const seed of SEEDS.slice(0, 6)) {
      const series = randomSeries(seed);
      expect(rateDifferenceConfidenceSequence(series, 0.01, 0.04)).toEqual({ lower: referenceEdge(series, 'greater', 0.01), upper: referenceEdge(series, 'less', 0.04) });
    }
  });

  it('has no edge for an empty range or one without traffic on both sides', () => {
    const series: RateInterval[] = [
      { canaryEvents: 3, canaryTotal: 100, baselineEvents: 1, baselineTotal: 100 },
      { canaryEvents: 0, canaryTotal: 0, baselineEvents: 4, baselineTotal: 100 },
    ];
    const edges = new RateDifferenceEdges(series);
    expect(edges.edge('greater', 0.05, 1, 0)).toBe(-1);
    expect(edges.edge('less', 0.05, 1, 0)).toBe(1);
    expect(edges.edge('greater', 0.05, 1, 1)).toBe(-1);
    expect(edges.edge('less', 0.05, 1, 1)).toBe(1);
    expect(rateDifferenceEdge(series, 'greater', 0.05, 2)).toBe(-1);
  });

  it('stops a search only where its edge is moot, and returns a moot value then', () => {
    let stopped = 0;
    let searched = 0;
    for (const seed of SEEDS) {
      const series = randomSeries(seed);
      const edges = new RateDifferenceEdges(series);
      const pick = seededRandom(seed + 2);
      for (const [from, to] of rangesOf(series.length, pick)) {
        for (const alternative of ['greater', 'less'] as const) {
          const full = edges.edge(alternative, 0.01, from, to);
          // Moot spans around the edge, beside it, and half-open ones as the largest-bound callers pass.
          const spread = 0.2 * pick();
          const centre = full + (pick() - 0.5) * 0.2;
          const moots = [
            { lower: centre - spread, upper: centre + spread },
            { lower: -Infinity, upper: centre },
            { lower: centre, upper: Infinity },
          ];
          for (const moot of moots) {
            const got = edges.edge(alternative, 0.01, from, to, moot);
            if (full >= moot.lower && full <= moot.upper) {
              expect(got).toBeGreaterThanOrEqual(moot.lower);
              expect(got).toBeLessThanOrEqual(moot.upper);
              if (got !== full) stopped++;
            } else {
              expect(got).toBe(full);
              searched++;
            }
          }
        }
      }
    }
    // Both branches were exercised.
    expect(stopped).toBeGreaterThan(20);
    expect(searched).toBeGreaterThan(20);
  });
});
