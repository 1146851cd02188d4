/**
 * An e-process for the shift of a quantile (canary against baseline) from per-interval data,
 * matched in time: valid whatever the traffic split does, and a change of load over time that
 * moves both sides' latencies cannot pose as a canary effect.
 *
 * The test. Before interval i, a threshold q_i is fixed from the baseline's earlier intervals
 * alone (its p-quantile there: predictable; on a histogram, a bracket, below). In interval i the baseline's tail is its count
 * beyond q_i, the canary's its count beyond q_i moved by the shift r under test (q_i (1 + r)
 * for a relative shift, q_i + r for an absolute one). "The canary's p-quantile is shifted by
 * more than r" reads, at the quantile level the baseline has at q_i, as "the canary's tail
 * beyond the moved threshold is heavier than the baseline's beyond q_i": a ratio theta_i(r)
 * of two tail rates above 1. Conditioning on each interval's tail events turns that into the
 * conditional rate-ratio test at theta0 = 1 (src/stats/conditional-rate-ratio-e-process.ts):
 * the interval's split and load cancel within it, as they do for error rates.
 *
 * Tail: the upper one (counts above) for p >= 0.5, the lower one (counts at or below) else, so
 * the events are the rarer side, where the conditional binomial loses least. Both tails test
 * the same r: for a continuous distribution theta_i(r) = 1 at r = Q_c(F_b(q_i)) / q_i - 1 in
 * either, the relative shift at the baseline's level at q_i.
 *
 * Why it stays valid for counts that are binomial rather than Poisson: at theta0 = 1 the
 * canary's count given the interval's events is hypergeometric (Fisher's noncentral one off
 * the null), which is smaller in convex order than the Binomial(E_i, n_ci / (n_ci + n_bi)) the
 * mixture is built on (Hoeffding 1963, Theorem 4), and every mixture factor is convex in the
 * count: each factor has mean at most 1. Under the composite nulls (the canary's tail no
 * heavier, resp. no lighter) the count is stochastically smaller (larger) and the one-sided
 * factors monotone, so the one-sided e-processes are supermartingales there too.
 *
 * Histograms: the baseline's quantile is only known to lie in the bucket (q_i-, q_i+] that
 * holds it. By default (`histogramTest` 'bracket') a histogram's claims are the bracket test's
 * (src/stats/quantile-bracket-e-process.ts): each side read against the level p itself at bucket
 * bounds, over blocks of intervals (the steps of the canary's weight, `withBlocks`) whose sides
 * are weighted alike, the bounds fixed before each block from the baseline before it. Its
 * confidence sequence shrinks to what the buckets can say (one bucket width on each side),
 * where the comparison of tails below stops a bucket short of it on each side; the tails'
 * per-interval thresholds still set the settling (src/judge/quantile-timeline.ts) and the
 * estimate.
 *
 * The comparison of tails on a histogram (`histogramTest` 'tails'; raw values always) brackets
 * the quantile (issue 21). "Shifted by more than r" compares the
 * canary beyond q_i+ (1 + r) with the baseline beyond q_i-: if more than 1 - p of the canary lies
 * beyond q_i+ (1 + r) while at least 1 - p of the baseline lies beyond q_i- (q_i- is at or below
 * its p-quantile), the canary's p-quantile exceeds q_i+ (1 + r), at least (1 + r) times the
 * baseline's. "Less than r" compares the canary beyond q_i- (1 + r) with the baseline beyond
 * q_i+, mirrored. A count beyond a moved threshold inside a bucket is unknown, so each claim
 * also reads the count that makes it hardest: the canary's fewest observations beyond its
 * threshold (buckets wholly beyond) for "more", its most (buckets reaching beyond) for "less";
 * the baseline's counts at bucket bounds are exact. So the test tests the quantile it names:
 * on a bracket wider than the margin (Envoy's (100, 250] against +10 %) neither claim can hold
 * for any shift within the bracket's width, however much data arrive, where reading the
 * upper edge alone would have compared the shares beyond 250 ms (about p99.8 there) and passed
 * a canary whose p95 is 20 % slower but whose far tail is lighter. On raw values both edges are
 * the quantile itself.
 *
 * What it claims when the bracket misses the quantile: the bracket is the baseline's of the
 * intervals before, so under a trend it lags. The claims stay exact statements about the
 * tails at the bracket's edges, which read as statements about the p-quantile wherever the
 * bracket holds it (the bracket test needs no such proviso: the baseline's own statement checks
 * its bound). The null is a product over intervals, as for rates: a fail says that in
 * some intervals the canary's shift exceeded r, a pass that it stayed below r (for an effect
 * constant over time, its shift).
 *
 * References: Lindon, M. & Malek, A. (2022) "Anytime-valid inference for multinomial count
 * data", NeurIPS (the conditional-binomial construction); Howard, Ramdas, McAuliffe & Sekhon
 * (2021) "Time-uniform, nonparametric, nonasymptotic confidence sequences", Ann. Statist.
 * 49(2) (inverting mixtures into confidence sequences); Hoeffding, W. (1963) "Probability
 * inequalities for sums of bounded random variables", JASA 58 (sampling without replacement is
 * dominated in convex order); Ramdas, Grunwald, Vovk & Shafer (2023) "Game-theoretic
 * statistics and safe anytime-valid inference", Statist. Sci. (predictable plug-ins,
 * composite nulls, running intersections).
 *
 * @example
 * const m = matchedQuantile([{ baseline: fromValues(b1), canary: fromValues(c1) }, ...], 0.95, 'relative');
 * logShiftEProcess(m, 0.1, 'greater') // ln E per look: evidence that the p95 rose by more than 10 %
 * // On histograms, read by steps of the canary's weight (the bracket test's blocks):
 * shiftRangeEvidence(withBlocks(matchedQuantile(histograms, 0.95, 'relative'), stepStarts), 0.1, 'greater').logEFrom(0, weights)
 */
import { RateRatioMixture, type RateInterval } from './conditional-rate-ratio-e-process';
import type { LogFactorTable, RangeEvidence } from './e-detector';
import { bernoulliGrid, bracketBlockValue, bracketLogEProcess, type BernoulliGrid, type BracketBlock, type BracketCounts } from './quantile-bracket-e-process';
import type { Bounds } from './quantile-bounds';
import { normalCdf } from './normal';
import { quantile } from './quantile';
import { fromValues, type WeightedSample } from './weighted-sample';

/** Both sides of one interval (the same span of time). */
export interface ShiftInterval {
  readonly baseline: WeightedSample;
  readonly canary: WeightedSample;
}

/** `relative`: the canary's threshold is q (1 + r); `absolute`: q + r. */
export type ShiftScale = 'relative' | 'absolute';
/** `greater`: the canary's quantile is shifted by more than r; `less`: by less. */
export type ShiftAlternative = 'greater' | 'less';

/** The baseline's pooled earlier intervals must expect at least this many tail observations to set a threshold. */
export const MIN_TAIL_FOR_THRESHOLD = 20;

/** Counts beyond x of one side of one interval, by binary search over its sorted points. */
class TailCounter {
  private readonly cumulative: Float64Array;
  constructor(readonly sample: WeightedSample) {
    this.cumulative = new Float64Array(sample.points.length + 1);
    for (let j = 0; j < sample.points.length; j++) this.cumulative[j + 1] = this.cumulative[j] + sample.counts[j];
  }

  get n(): number {
    return this.sample.n;
  }

  /** Observations surely above x (`fewest`) or possibly above it (`most`); the same for raw values. */
  above(x: number, bound: 'fewest' | 'most'): number {
    const keys = bound === 'fewest' && this.sample.lowerEdges ? this.sample.lowerEdges : this.sample.points;
    // A bucket lies wholly above x when its lower edge is at or above x; it reaches above x when its upper bound is.
    const strictlyAbove = keys === this.sample.points;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (strictlyAbove ? keys[mid] <= x : keys[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return this.sample.n - this.cumulative[lo];
  }
}

/** The timeline prepared for the test: counters per side and the predictable thresholds. */
export interface MatchedQuantile {
  readonly level: number;
  readonly scale: ShiftScale;
  /**
   * The upper threshold q_i+ of each interval, from the baseline's earlier intervals (at or above
   * their p-quantile); NaN before any (a relative shift also skips q_i <= 0).
   */
  readonly thresholds: Float64Array;
  /** The lower threshold q_i- (at or below their p-quantile): equal to q_i+ for raw values, the holding bucket's lower edge on a histogram. */
  readonly lowerThresholds: Float64Array;
  /** Each interval's weight (RateInterval.weight: tempering, 0 to leave it out), all 1 unless `withWeights` set them. */
  readonly weights: Float64Array;
  readonly tail: 'upper' | 'lower';
  readonly baseline: readonly TailCounter[];
  readonly canary: readonly TailCounter[];
  /** The widest absolute shift worth searching (data span), for absolute bounds. */
  readonly span: number;
  /** Where the bracket test's blocks start (0 first; `withBlocks`). */
  readonly blockStarts: Int32Array;
  /** Each interval's observations per side. */
  readonly canaryTotals: Float64Array;
  readonly baselineTotals: Float64Array;
  /** The conditional mixtures at theta0 = 1 over these intervals' totals, by rate-ratio side. */
  readonly mixtures: { readonly greater: RateRatioMixture; readonly less: RateRatioMixture };
  /** Histograms: the bracket test's prepared statements (src/stats/quantile-bracket-e-process.ts), which then decide in place of the tails'. */
  readonly bracket?: PreparedBracket;
}

/** How a histogram's shift is tested: `bracket` (each side against the level, at bounds, over ranges: the default), or `tails` (the two-sample comparison of tails per interval, as for raw values). */
export type HistogramTest = 'bracket' | 'tails';

/** The bracket test's preparation: the pools its statements' bounds come from, and each range start's statements once read. */
interface PreparedBracket {
  readonly grid: BernoulliGrid;
  /** The baseline's pool before interval i that sets the bounds of a block read from i (undefined: nothing before it). */
  readonly poolBefore: (i: number) => WeightedSample | undefined;
  /** The first interval whose earlier baseline holds a full pool (MIN_TAIL_FOR_BRACKET): no block reads before it. */
  readonly ready: number;
  readonly epochs: Map<number, Epoch>;
  /** Each block's running tempered sums under the weights of the readings so far (the searches evaluate a reading many times). */
  readonly prefixes: Map<string, BlockPrefix[]>;
}

/** The statements of ranges that start reading at `first`: the candidate baseline bounds per claim, fixed by the baseline before `first`, and the baseline's events beyond them per interval. */
interface Epoch {
  readonly first: number;
  readonly greater: EpochSide;
  readonly less: EpochSide;
}

interface EpochSide {
  /** The candidate bounds b_k (NaN where there is none). */
  readonly bounds: Float64Array;
  /** ln of each candidate's share of the average (`candidateLogWeights`). */
  readonly logWeights: Float64Array;
  /** The baseline's events beyond b_k per interval (the rarer side, read the way that makes its statement hardest), at i * candidates + k. */
  readonly baselineEvents: Float64Array;
}

export function matchedQuantile(intervals: readonly ShiftInterval[], level: number, scale: ShiftScale, histogramTest: HistogramTest = 'bracket'): MatchedQuantile {
  if (!(level > 0 && level < 1)) throw new Error('The quantile level must lie in (0, 1)');
  const baselines = intervals.map((i) => i.baseline);
  const pools = predictablePools(baselines, level);
  const { lower, upper } = bracketsOf(pools, level);
  const totals = intervals.map((i) => ({ canaryTotal: i.canary.n, baselineTotal: i.baseline.n }));
  const tail = level >= 0.5 ? 'upper' : 'lower';
  const baseline = intervals.map((i) => new TailCounter(i.baseline));
  const binned = intervals.some((i) => i.baseline.lowerEdges !== undefined || i.canary.lowerEdges !== undefined);
  const canaryTotals = Float64Array.from(intervals, (i) => i.canary.n);
  const baselineTotals = Float64Array.from(intervals, (i) => i.baseline.n);
  return {
    level,
    scale,
    thresholds: upper,
    lowerThresholds: lower,
    weights: new Float64Array(intervals.length).fill(1),
    tail,
    baseline,
    canary: intervals.map((i) => new TailCounter(i.canary)),
    span: dataSpan(intervals),
    blockStarts: Int32Array.of(0),
    canaryTotals,
    baselineTotals,
    mixtures: { greater: new RateRatioMixture(totals, 1, 'greater'), less: new RateRatioMixture(totals, 1, 'less') },
    ...(binned && histogramTest === 'bracket' ? { bracket: prepareBracket(baselines, level) } : {}),
  };
}

/**
 * The bracket test's bounds come from the baseline's latest earlier intervals that expect this
 * many tail observations (4,000 observations for a p95), and no block reads before that many are
 * in: its bounds must sit around the quantile, and 500 observations (a minute at 1,000 requests
 * a minute, half of them the baseline's) placed a p95 two buckets off, where no candidate could
 * ever make the baseline's statement.
 */
const MIN_TAIL_FOR_BRACKET = 200;

/**
 * The candidate bounds b per claim: the bracket's edge on the claim's side, the next two bounds
 * beyond it, then the bracket's other edge. The minimum of the two statements is only as strong
 * as the weaker: where the baseline's quantile sits near the edge its statement there is weak and
 * a bound further out serves (a bucket more slack); the pool that places the bracket can place it
 * a bucket off (the edge is then on the wrong side of the quantile); a drift inside a block moves
 * the pooled quantile towards the other edge.
 */
const BRACKET_CANDIDATES = 4;
/** The other edge's share, and the least share of each candidate on the claim's side. */
const OTHER_EDGE_SHARE = 0.1;
const FLOOR_SHARE = 0.02;

/**
 * ln of the candidates' shares, fixed before the block from the pool that set its bounds. On the
 * claim's side each candidate b_j gets the chance that it is the first whose baseline statement
 * the pool already makes clearly: with z_j the standard errors by which the pool's share beyond
 * b_j lies on the statement's side, P_j = Phi(z_j - 2), the shares are P_0, (1 - P_0) P_1 and
 * (1 - P_0)(1 - P_1) of the weight left after the floors and the other edge. Predictable, so any
 * shares keep the average an e-value; these put the weight on the least slack the baseline's
 * statement can carry.
 */
function candidateLogWeights(pool: WeightedSample | undefined, bounds: Float64Array, level: number, baselineSide: 'up' | 'down', reading: 'fewest' | 'most'): Float64Array {
  const rate = Math.min(level, 1 - level);
  const clear = [0, 1].map((j) => {
    if (!pool || !(pool.n > 0) || Number.isNaN(bounds[j])) return 0.5;
    const above = new TailCounter(pool).above(bounds[j], reading);
    const share = (level >= 0.5 ? above : pool.n - above) / pool.n;
    const z = ((baselineSide === 'up' ? 1 : -1) * (share - rate)) / Math.sqrt((rate * (1 - rate)) / pool.n);
    return normalCdf(z - 2);
  });
  const spread = 1 - OTHER_EDGE_SHARE - 3 * FLOOR_SHARE;
  const claimSide = [clear[0], (1 - clear[0]) * clear[1], (1 - clear[0]) * (1 - clear[1])].map((p) => FLOOR_SHARE + spread * p);
  return Float64Array.from([...claimSide, OTHER_EDGE_SHARE], Math.log);
}

function prepareBracket(baselines: readonly WeightedSample[], level: number): PreparedBracket {
  const needed = MIN_TAIL_FOR_BRACKET / Math.min(level, 1 - level);
  let ready = 1;
  for (let seen = baselines.length ? baselines[0].n : 0; ready < baselines.length && seen < needed; ready++) seen += baselines[ready].n;
  // Only the blocks' first intervals need a pool: pooled when first asked.
  return { grid: bernoulliGrid(Math.min(level, 1 - level)), poolBefore: (i) => poolBefore(baselines, i, needed), ready, epochs: new Map(), prefixes: new Map() };
}

/**
 * The statements of the blocks that start reading at interval `from` (from 1: the first interval
 * only sets bounds), with bounds from the baseline's pool before it (`candidateBounds`), and the
 * baseline's events beyond them in every interval from there.
 */
function epochOf(m: MatchedQuantile, bracket: PreparedBracket, from: number): Epoch {
  const first = Math.max(from, 1);
  const cached = bracket.epochs.get(first);
  if (cached) return cached;
  const looks = m.thresholds.length;
  const pool = bracket.poolBefore(first);
  const side = (alternative: ShiftAlternative): EpochSide => {
    const K = BRACKET_CANDIDATES;
    const bounds = new Float64Array(K).fill(NaN);
    const baselineEvents = new Float64Array(looks * K);
    if (pool) candidateBounds(pool, m.level, alternative).forEach((b, k) => (bounds[k] = b));
    // The baseline's statement for `greater` (its quantile at most b) counts it beyond b at most; for `less` (above b) at fewest.
    const reading = alternative === 'greater' ? 'most' : 'fewest';
    const baselineSide = (m.tail === 'upper') === (alternative === 'greater') ? 'down' : 'up';
    const logWeights = candidateLogWeights(pool, bounds, m.level, baselineSide, reading);
    for (let i = first; i < looks; i++) {
      const c = m.baseline[i];
      for (let k = 0; k < K; k++) {
        if (Number.isNaN(bounds[k])) continue;
        const above = c.above(bounds[k], reading);
        baselineEvents[i * K + k] = m.tail === 'upper' ? above : c.n - above;
      }
    }
    return { bounds, logWeights, baselineEvents };
  };
  const epoch = { first, greater: side('greater'), less: side('less') };
  bracket.epochs.set(first, epoch);
  return epoch;
}

/**
 * The blocks a range starting at interval `from` reads: one per run of intervals between the
 * timeline's block starts (the steps of the canary's weight), each reading from max(start, 1) (the
 * first interval only sets bounds), with the split of its second interval (its first may hold the
 * step; the totals are the exposure the test conditions on, known when the block is first read).
 */
function blocksFrom(m: MatchedQuantile, from: number, looks: number): BracketBlock[] {
  const all = m.thresholds.length;
  const starts = [from, ...Array.from(m.blockStarts).filter((b) => b > from && b < looks)];
  return starts.map((start, j) => {
    const end = j + 1 < starts.length ? starts[j + 1] : all;
    // The first interval only sets bounds, and none are set from less than a full pool.
    const first = Math.max(start, 1, m.bracket?.ready ?? 1);
    const at = Math.max(first, Math.min(first + 1, end - 1, all - 1));
    const nc = m.canaryTotals[at];
    const nb = m.baselineTotals[at];
    return { start: first, end, ratio: nc > 0 && nb > 0 ? nb / nc : 1 };
  });
}

/** The bracket test's counts over `blocks` for "shifted by more than r" (`greater`) or "by less", each block's statements its own. */
function bracketCounts(m: MatchedQuantile, bracket: PreparedBracket, r: number, alternative: ShiftAlternative, blocks: readonly BracketBlock[], looks: number): BracketCounts {
  const K = BRACKET_CANDIDATES;
  const canaryEvents = new Float64Array(looks * K).fill(NaN);
  const baselineEvents = new Float64Array(looks * K);
  // The canary's statement for `greater` (its quantile above x) counts it beyond x at fewest; for `less` (at most y) at most.
  const reading = alternative === 'greater' ? 'fewest' : 'most';
  for (const block of blocks) {
    const epoch = epochOf(m, bracket, block.start)[alternative];
    const end = Math.min(block.end, looks);
    for (let k = 0; k < K; k++) {
      const b = epoch.bounds[k];
      // No bound; or one a relative shift cannot move (relative margins assume positive data).
      if (Number.isNaN(b) || (m.scale === 'relative' && !(b > 0))) continue;
      const x = moved(m, b, r);
      for (let i = block.start; i < end; i++) {
        const c = m.canary[i];
        const above = c.above(x, reading);
        canaryEvents[i * K + k] = m.tail === 'upper' ? above : c.n - above;
        baselineEvents[i * K + k] = epoch.baselineEvents[i * K + k];
      }
    }
  }
  return {
    candidates: K,
    candidateLogWeights: epochOf(m, bracket, blocks[0]?.start ?? 1)[alternative].logWeights,
    canaryEvents,
    canaryTotals: m.canaryTotals,
    baselineEvents,
    baselineTotals: m.baselineTotals,
    canarySide: (m.tail === 'upper') === (alternative === 'greater') ? 'up' : 'down',
  };
}

/** ln E of the bracket test over the range from `from` after each interval k (0 before it), each interval tempered by `weights`. */
function bracketProcess(m: MatchedQuantile, bracket: PreparedBracket, r: number, alternative: ShiftAlternative, from: number, weights: ArrayLike<number>, looks = m.thresholds.length, everyLook = true): Float64Array {
  const blocks = blocksFrom(m, from, looks).map((b) => ({ ...b, candidateLogWeights: epochOf(m, bracket, b.start)[alternative].logWeights }));
  return bracketLogEProcess(bracket.grid, bracketCounts(m, bracket, r, alternative, blocks, looks), blocks, looks, weights, everyLook);
}

/**
 * One block's running tempered sums under one reading's weights, for the searches that evaluate
 * a range at many shifts: per interval of the block read so far, the canary's tempered counts
 * beyond each bucket of the block's common layout (suffix sums, so a shift's count is one binary
 * search), its tempered total, and the baseline's tempered sums at each claim's candidate bounds
 * (which do not depend on the shift). Built as far as a reading asks, extended by later readings
 * whose weights agree on what is built (the judge's ranges read the settled weights).
 */
interface BlockPrefix {
  readonly start: number;
  readonly end: number;
  readonly ratio: number;
  /** The block's buckets (ascending; every interval's nonempty buckets among them, none overlapping). */
  readonly uppers: Float64Array;
  readonly lowers: Float64Array;
  /** The weight each built interval was read with. */
  readonly weights: Float64Array;
  builtTo: number;
  /** The first interval read (Infinity: none yet). */
  firstRead: number;
  /** Per built interval (row t = interval start + t): the canary's tempered counts in buckets j and above (B + 1 columns). */
  readonly suffix: Float64Array;
  readonly totals: Float64Array;
  /** Per row: the baseline's tempered events and rest at each candidate, `greater` then `less` (4K columns). */
  readonly baseline: Float64Array;
}

/** The buckets a block's canary intervals share, or undefined when they overlap (then the searches read interval by interval). */
function blockLayout(m: MatchedQuantile, start: number, end: number): { uppers: Float64Array; lowers: Float64Array } | undefined {
  const lowerOf = new Map<number, number>();
  for (let i = start; i < end; i++) {
    const { points, lowerEdges } = m.canary[i].sample;
    if (!lowerEdges) return undefined;
    for (let j = 0; j < points.length; j++) {
      const seen = lowerOf.get(points[j]);
      if (seen === undefined) lowerOf.set(points[j], lowerEdges[j]);
      else if (seen !== lowerEdges[j]) return undefined;
    }
  }
  const uppers = Float64Array.from([...lowerOf.keys()].sort((a, b) => a - b));
  const lowers = Float64Array.from(uppers, (u) => lowerOf.get(u)!);
  for (let j = 1; j < uppers.length; j++) if (lowers[j] < uppers[j - 1]) return undefined;
  return { uppers, lowers };
}

/** The block's prefix under `weights`, built to the first `looks` intervals; undefined when its buckets overlap. */
function blockPrefixOf(m: MatchedQuantile, bracket: PreparedBracket, block: BracketBlock, looks: number, weights: ArrayLike<number>): BlockPrefix | undefined {
  const key = `${block.start}:${block.end}:${block.ratio}`;
  const upTo = Math.min(block.end, looks);
  const known = bracket.prefixes.get(key) ?? [];
  let prefix = known.find((p) => {
    for (let i = block.start; i < Math.min(p.builtTo, upTo); i++) if (p.weights[i - block.start] !== weights[i]) return false;
    return true;
  });
  if (!prefix) {
    const layout = blockLayout(m, block.start, block.end);
    if (!layout) return undefined;
    const rows = block.end - block.start;
    const B = layout.uppers.length;
    prefix = { ...block, ...layout, weights: new Float64Array(rows), builtTo: block.start, firstRead: Infinity, suffix: new Float64Array(rows * (B + 1)), totals: new Float64Array(rows), baseline: new Float64Array(rows * 4 * BRACKET_CANDIDATES) };
    // A few readings per block at most (the claims' and the reported bounds'): keep the latest ones.
    bracket.prefixes.set(key, [prefix, ...known].slice(0, 4));
  }
  extendPrefix(m, bracket, prefix, upTo, weights);
  return prefix;
}

/** Reads the block's intervals from where the prefix stops to `upTo` with `weights`. */
function extendPrefix(m: MatchedQuantile, bracket: PreparedBracket, p: BlockPrefix, upTo: number, weights: ArrayLike<number>): void {
  const K = BRACKET_CANDIDATES;
  const B = p.uppers.length;
  const epoch = epochOf(m, bracket, p.start);
  const inBucket = new Float64Array(B);
  for (let i = p.builtTo; i < upTo; i++) {
    const t = i - p.start;
    const row = t * (B + 1);
    const w = weights[i];
    p.weights[t] = w;
    if (t > 0) {
      p.suffix.copyWithin(row, row - (B + 1), row);
      p.totals[t] = p.totals[t - 1];
      p.baseline.copyWithin(t * 4 * K, (t - 1) * 4 * K, t * 4 * K);
    }
    const nc = m.canaryTotals[i];
    const nb = m.baselineTotals[i];
    if (w > 0 && nc > 0 && nb > 0) {
      // As src/stats/quantile-bracket-e-process.ts weights them: v canary observations and ratio * v baseline ones.
      const v = Math.min(nc, nb / p.ratio);
      const wc = (w * v) / nc;
      const wb = (w * v * p.ratio) / nb;
      const { points, counts } = m.canary[i].sample;
      inBucket.fill(0);
      for (let j = 0; j < points.length; j++) inBucket[bucketIndex(p.uppers, points[j])] += counts[j];
      let above = 0;
      for (let j = B - 1; j >= 0; j--) {
        above += wc * inBucket[j];
        p.suffix[row + j] += above;
      }
      p.totals[t] += wc * nc;
      ['greater', 'less'].forEach((alternative, side) => {
        for (let k = 0; k < K; k++) {
          const eb = epoch[alternative as ShiftAlternative].baselineEvents[i * K + k];
          p.baseline[t * 4 * K + side * 2 * K + 2 * k] += wb * eb;
          p.baseline[t * 4 * K + side * 2 * K + 2 * k + 1] += wb * (nb - eb);
        }
      });
      p.firstRead = Math.min(p.firstRead, i);
    }
  }
  p.builtTo = Math.max(p.builtTo, upTo);
}

/** The index of `upper` among ascending `uppers` (present by construction). */
function bucketIndex(uppers: Float64Array, upper: number): number {
  let lo = 0;
  let hi = uppers.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (uppers[mid] < upper) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The canary's tempered observations beyond x in row t: surely (`fewest`: buckets whose lower edge is at or above x) or possibly (`most`: reaching above x). */
function prefixAbove(p: BlockPrefix, t: number, x: number, reading: 'fewest' | 'most'): number {
  const keys = reading === 'fewest' ? p.lowers : p.uppers;
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (reading === 'fewest' ? keys[mid] < x : keys[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return p.suffix[t * (keys.length + 1) + lo];
}

/**
 * ln E of the bracket test over the range from `from` after the first `looks` intervals under the
 * timeline's weights: the blocks' values from their pooled sums (the same numbers as
 * `bracketProcess`, without a pass over the intervals per shift tried).
 */
function bracketLogEValue(m: MatchedQuantile, bracket: PreparedBracket, r: number, alternative: ShiftAlternative, from: number, looks: number): number {
  const K = BRACKET_CANDIDATES;
  const canarySide = (m.tail === 'upper') === (alternative === 'greater') ? 'up' : 'down';
  const reading = alternative === 'greater' ? 'fewest' : 'most';
  const side = alternative === 'greater' ? 0 : 1;
  const sums = new Float64Array(4 * K);
  let total = 0;
  for (const block of blocksFrom(m, from, looks)) {
    const upTo = Math.min(block.end, looks);
    if (block.start >= upTo) continue;
    const p = blockPrefixOf(m, bracket, block, looks, m.weights);
    // Buckets that differ between the block's intervals: read interval by interval.
    if (!p) {
      total += bracketLogEProcess(bracket.grid, bracketCounts(m, bracket, r, alternative, [block], upTo), [block], upTo, m.weights, false)[upTo - 1];
      continue;
    }
    if (p.firstRead >= upTo) continue;
    const t = upTo - 1 - block.start;
    const { bounds, logWeights } = epochOf(m, bracket, block.start)[alternative];
    const canaryTotal = p.totals[t];
    sums.fill(0);
    let bets = false;
    for (let k = 0; k < K; k++) {
      const b = bounds[k];
      if (Number.isNaN(b) || (m.scale === 'relative' && !(b > 0))) continue;
      bets = true;
      const above = prefixAbove(p, t, moved(m, b, r), reading);
      const events = m.tail === 'upper' ? above : canaryTotal - above;
      sums[4 * k] = events;
      sums[4 * k + 1] = canaryTotal - events;
      sums[4 * k + 2] = p.baseline[t * 4 * K + side * 2 * K + 2 * k];
      sums[4 * k + 3] = p.baseline[t * 4 * K + side * 2 * K + 2 * k + 1];
    }
    if (bets) total += bracketBlockValue(bracket.grid, canarySide, sums, logWeights);
  }
  return total;
}

/** The same timeline read in blocks that start where `starts` marks (the steps of the canary's weight): each block's statements fixed before it, its sides weighted alike. */
export function withBlocks(m: MatchedQuantile, starts: readonly boolean[]): MatchedQuantile {
  return { ...m, blockStarts: Int32Array.from([0, ...starts.flatMap((s, i) => (s && i > 0 ? [i] : []))]) };
}

/**
 * The bracket test of shift r as evidence by range (src/stats/e-detector.ts): each range's
 * statements are fixed by the baseline before it, so every start reads its own.
 */
export function shiftRangeEvidence(m: MatchedQuantile, r: number, alternative: ShiftAlternative): RangeEvidence {
  const bracket = m.bracket;
  if (!bracket) throw new Error('Range evidence is the bracket test of histograms');
  return { looks: m.thresholds.length, logEFrom: (from, weights) => bracketProcess(m, bracket, r, alternative, from, weights) };
}

/** The candidate bounds b of a claim from a pooled histogram, in BRACKET_CANDIDATES' order (NaN where there is none). */
function candidateBounds(pool: WeightedSample, level: number, alternative: ShiftAlternative): number[] {
  const j = holdingIndex(pool, level);
  const bounds = [...new Set([...pool.lowerEdges!, ...pool.points])].filter(Number.isFinite).sort((a, b) => a - b);
  const at = (x: number, step: number) => {
    const i = bounds.indexOf(x);
    return i >= 0 && i + step >= 0 && i + step < bounds.length ? bounds[i + step] : NaN;
  };
  const top = pool.points[j];
  const bottom = pool.lowerEdges![j];
  return alternative === 'greater' ? [at(top, 0), at(top, 1), at(top, 2), at(bottom, 0)] : [at(bottom, 0), at(bottom, -1), at(bottom, -2), at(top, 0)];
}

/** The same prepared timeline tested on the other scale (the thresholds, counters and mixtures do not depend on it). */
export function withScale(m: MatchedQuantile, scale: ShiftScale): MatchedQuantile {
  return { ...m, scale };
}

/** The same timeline with each interval's factor tempered by `weights` (0: left out), for its confidence sequence and estimate. */
export function withWeights(m: MatchedQuantile, weights: Float64Array): MatchedQuantile {
  if (weights.length !== m.thresholds.length || weights.some((w) => !(w >= 0 && w <= 1))) throw new Error('One weight in [0, 1] per interval is needed');
  return { ...m, weights };
}

/** Each interval's ln-factors of the one-sided test of shift r, untempered: the input of src/stats/e-detector.ts. */
export function shiftLogFactorTable(m: MatchedQuantile, r: number, alternative: ShiftAlternative): LogFactorTable {
  const { canary, baseline } = tailCounts(m, r, alternative, m.thresholds.length);
  return m.mixtures[rateSide(m, alternative)].logFactorTable(canary, baseline);
}

/**
 * q_i: the baseline's level-quantile over the fewest latest intervals before i that expect
 * MIN_TAIL_FOR_THRESHOLD tail observations (or all before i). A histogram's is the upper bound
 * of the bucket holding it (the highest finite bound when that is +Inf), so that the
 * baseline's count beyond it is exact.
 */
export function predictableThresholds(baselines: readonly WeightedSample[], level: number): Float64Array {
  const { lower, upper } = predictableBrackets(baselines, level);
  return Float64Array.from(upper, (q, i) => (q === Infinity ? lower[i] : q));
}

/**
 * The bracket [q_i-, q_i+] of the baseline's level-quantile over the fewest latest intervals
 * before i that expect MIN_TAIL_FOR_THRESHOLD tail observations (or all before i): for raw
 * values both are that quantile; on a histogram, the edges of the bucket holding it (so the
 * baseline's counts beyond either are exact; q_i+ is +Inf above the highest finite bound).
 */
export function predictableBrackets(baselines: readonly WeightedSample[], level: number): { lower: Float64Array; upper: Float64Array } {
  return bracketsOf(predictablePools(baselines, level), level);
}

/** Per interval, the baseline's fewest latest intervals before it that expect MIN_TAIL_FOR_THRESHOLD tail observations (or all before it), pooled; undefined without any. */
function predictablePools(baselines: readonly WeightedSample[], level: number): (WeightedSample | undefined)[] {
  const needed = MIN_TAIL_FOR_THRESHOLD / Math.min(level, 1 - level);
  return baselines.map((_, i) => poolBefore(baselines, i, needed));
}

/** The latest intervals before i that hold `needed` observations (or all before i), pooled; undefined without any. */
function poolBefore(baselines: readonly WeightedSample[], i: number, needed: number): WeightedSample | undefined {
  const pooled: WeightedSample[] = [];
  let n = 0;
  for (let j = i - 1; j >= 0 && n < needed; j--) if (baselines[j].n > 0) (pooled.push(baselines[j]), (n += baselines[j].n));
  if (n === 0) return undefined;
  return pooled.length === 1 ? pooled[0] : pool(pooled);
}

function bracketsOf(pools: readonly (WeightedSample | undefined)[], level: number): { lower: Float64Array; upper: Float64Array } {
  const lower = new Float64Array(pools.length).fill(NaN);
  const upper = new Float64Array(pools.length).fill(NaN);
  pools.forEach((p, i) => {
    if (!p) return;
    const bracket = bracketOf(p, level);
    lower[i] = bracket.lower;
    upper[i] = bracket.upper;
  });
  return { lower, upper };
}

function bracketOf(sample: WeightedSample, level: number): { lower: number; upper: number } {
  if (!sample.lowerEdges) {
    const q = quantile(sample, level);
    return { lower: q, upper: q };
  }
  const j = holdingIndex(sample, level);
  return { lower: sample.lowerEdges[j], upper: sample.points[j] };
}

/** The index of the bucket holding a histogram's level-quantile (histogram_quantile's rank rule). */
function holdingIndex(sample: WeightedSample, level: number): number {
  let seen = 0;
  const rank = level * sample.n;
  for (let j = 0; j < sample.points.length; j++) {
    seen += sample.counts[j];
    if (seen >= rank) return j;
  }
  return sample.points.length - 1;
}

/** Several samples of one kind as one: raw observations together, or histograms' counts added per bound. */
function pool(samples: readonly WeightedSample[]): WeightedSample {
  if (!samples[0].lowerEdges) {
    const all = new Float64Array(samples.reduce((n, s) => n + s.n, 0));
    let at = 0;
    for (const s of samples) for (let j = 0; j < s.points.length; j++) for (let k = 0; k < s.counts[j]; k++) all[at++] = s.points[j];
    return fromValues(all);
  }
  const counts = new Map<number, number>();
  const lower = new Map<number, number>();
  for (const s of samples) {
    for (let j = 0; j < s.points.length; j++) {
      counts.set(s.points[j], (counts.get(s.points[j]) ?? 0) + s.counts[j]);
      lower.set(s.points[j], Math.max(lower.get(s.points[j]) ?? -Infinity, s.lowerEdges![j]));
    }
  }
  const points = Float64Array.from([...counts.keys()].sort((a, b) => a - b));
  const merged = Float64Array.from(points, (p) => counts.get(p)!);
  return { points, counts: merged, n: merged.reduce((a, b) => a + b, 0), lowerEdges: Float64Array.from(points, (p) => lower.get(p)!) };
}

function dataSpan(intervals: readonly ShiftInterval[]): number {
  let max = 0;
  for (const i of intervals) {
    for (const s of [i.baseline, i.canary]) {
      for (const x of [s.points[0], s.points[s.points.length - 1], s.lowerEdges?.[s.lowerEdges.length - 1]]) {
        if (x !== undefined && Number.isFinite(x)) max = Math.max(max, Math.abs(x));
      }
    }
  }
  return 2 * max || 1;
}

/** The canary's threshold: q moved by r. */
function moved(m: MatchedQuantile, q: number, r: number): number {
  return m.scale === 'relative' ? q * (1 + r) : q + r;
}

/**
 * The per-interval tail counts that test "shifted by more than r" (`greater`) or "by less"
 * (`less`), each read the way that makes its claim hardest, as rate intervals whose ratio
 * exceeds 1 when the canary's tail is heavier. The first `looks` intervals (default all).
 */
export function shiftRateIntervals(m: MatchedQuantile, r: number, alternative: ShiftAlternative, looks = m.thresholds.length): RateInterval[] {
  const { canary, baseline } = tailCounts(m, r, alternative, looks);
  return Array.from({ length: looks }, (_, i) => ({ canaryEvents: canary[i], canaryTotal: m.canary[i].n, baselineEvents: baseline[i], baselineTotal: m.baseline[i].n, weight: m.weights[i] }));
}

/** In the lower tail a larger shift is a lighter tail: the rate-ratio side flips. */
function rateSide(m: MatchedQuantile, alternative: ShiftAlternative): 'greater' | 'less' {
  return (m.tail === 'upper') === (alternative === 'greater') ? 'greater' : 'less';
}

/**
 * The tail counts of `shiftRateIntervals` as two arrays (no objects: the searches count
 * thousands of times). "More than r" pairs the canary beyond its upper threshold moved by r
 * (its fewest there) with the baseline beyond its lower one (its most): if the canary's share
 * beyond q+ (1 + r) exceeds the baseline's beyond q- (at least 1 - p, as q- is at or below the
 * baseline's p-quantile), the canary's p-quantile exceeds q+ (1 + r), at least (1 + r) times the
 * baseline's. "Less than r" pairs the canary beyond q- moved (its most) with the baseline beyond
 * q+, and the argument mirrors. So each claim is about the p-quantile itself wherever the
 * bracket holds it, and a bracket as wide as Envoy's (100, 250] can decide only a shift far
 * beyond its width: the test cannot be confidently wrong about a quantile its buckets cannot
 * place (issue 21). `upperBoth`: both sides at q+ (the estimate's reading).
 */
function tailCounts(m: MatchedQuantile, r: number, alternative: ShiftAlternative, looks: number, upperBoth = false): { canary: Float64Array; baseline: Float64Array } {
  // "More than r": the canary's fewest beyond its threshold against the baseline's most; "less": the reverse.
  const canaryBound = alternative === 'greater' ? 'fewest' : 'most';
  const baselineBound = alternative === 'greater' ? 'most' : 'fewest';
  const canaryAt = upperBoth || alternative === 'greater' ? m.thresholds : m.lowerThresholds;
  const baselineAt = upperBoth || alternative === 'less' ? m.thresholds : m.lowerThresholds;
  const canary = new Float64Array(looks);
  const baseline = new Float64Array(looks);
  for (let i = 0; i < looks; i++) {
    const qc = canaryAt[i];
    const qb = baselineAt[i];
    // No threshold yet; or one a relative shift cannot move (relative margins assume positive data); or left out.
    if (Number.isNaN(qc) || (m.scale === 'relative' && !(m.lowerThresholds[i] > 0)) || m.weights[i] === 0) continue;
    const c = m.canary[i];
    const b = m.baseline[i];
    const cAbove = c.above(moved(m, qc, r), canaryBound);
    const bAbove = b.above(qb, baselineBound);
    canary[i] = m.tail === 'upper' ? cAbove : c.n - cAbove;
    baseline[i] = m.tail === 'upper' ? bAbove : b.n - bAbove;
  }
  return { canary, baseline };
}

/** ln E per look (one value per interval) for "the shift exceeds r" (`greater`) or "falls short of r" (`less`). */
export function logShiftEProcess(m: MatchedQuantile, r: number, alternative: ShiftAlternative): Float64Array {
  if (m.bracket) return bracketProcess(m, m.bracket, r, alternative, 0, m.weights);
  const { canary, baseline } = tailCounts(m, r, alternative, m.thresholds.length);
  return m.mixtures[rateSide(m, alternative)].logEProcess(canary, baseline, undefined, m.weights);
}

/** ln E after the first `looks` intervals. */
export function logShiftEValue(m: MatchedQuantile, r: number, alternative: ShiftAlternative, looks = m.thresholds.length, from = 0): number {
  if (looks === 0) return 0;
  if (m.bracket) return bracketLogEValue(m, m.bracket, r, alternative, from, looks);
  const { canary, baseline } = tailCounts(m, r, alternative, looks);
  return m.mixtures[rateSide(m, alternative)].logEValue(canary, baseline, looks, m.weights);
}

/** The search runs on u = ln(1 + r) for a relative shift, on r itself for an absolute one. */
function toShift(m: MatchedQuantile, u: number): number {
  return m.scale === 'relative' ? Math.expm1(u) : u;
}
function fromShift(m: MatchedQuantile, r: number): number {
  return m.scale === 'relative' ? Math.log1p(r) : r;
}
/** Relative shifts within e^-8 .. e^8 (-99.97 % to x2981); absolute ones within the data's span. */
const LOG_RANGE = 8;
function range(m: MatchedQuantile): number {
  return m.scale === 'relative' ? LOG_RANGE : m.span;
}

/**
 * The confidence sequence for the shift after the first `looks` intervals: the lower bound
 * from `greater` at alphaLower, the upper from `less` at alphaUpper (-1 or -Infinity, and
 * Infinity, when no shift is excluded on that side). `hint`: a previous look's bounds to
 * start the search from (bounds move little from look to look).
 */
export function shiftConfidenceSequence(m: MatchedQuantile, alphaLower: number, alphaUpper: number, looks = m.thresholds.length, hint?: Bounds, from = 0): Bounds {
  const lower = edge(m, 'greater', Math.log(1 / alphaLower), looks, hint && fromShift(m, hint.lower), from);
  const upper = edge(m, 'less', Math.log(1 / alphaUpper), looks, hint && fromShift(m, hint.upper), from);
  return { lower: lower === -Infinity ? toShift(m, -Infinity) : toShift(m, lower), upper: upper === Infinity ? Infinity : toShift(m, upper) };
}

/**
 * One edge of the confidence sequence after the first `looks` intervals: the lower bound
 * (`greater`) or the upper one (`less`) of the shift at `alpha`, searched from `hint` (a nearby
 * shift); -1 or -Infinity, and Infinity, when nothing on that side is rejected.
 */
export function shiftEdge(m: MatchedQuantile, alternative: ShiftAlternative, alpha: number, looks = m.thresholds.length, hint?: number, from = 0): number {
  const u = edge(m, alternative, Math.log(1 / alpha), looks, hint === undefined ? undefined : fromShift(m, hint), from);
  if (alternative === 'greater') return toShift(m, u);
  return u === Infinity ? Infinity : toShift(m, u);
}

/**
 * The edge (on the search scale) of the shifts that `alternative`'s e-value rejects at
 * `threshold`: `greater` rejects the shifts below the lower bound, `less` those above the upper.
 */
function edge(m: MatchedQuantile, alternative: ShiftAlternative, threshold: number, looks: number, hint?: number, from = 0): number {
  const gap = (u: number) => logShiftEValue(m, toShift(m, u), alternative, looks, from) - threshold;
  // 2e-4 in ln(1 + r) for a relative shift (0.02 %), far below what a report shows.
  return boundary(gap, alternative === 'greater' ? -1 : 1, hint, range(m), range(m) * 2.5e-5);
}

/**
 * Where f, non-negative on the side `sign` of it and negative on the other, changes sign within
 * [-reach, reach]: the last negative point found, within `tolerance` of the change; sign *
 * Infinity when f is negative all the way, -sign * reach when it is non-negative all the way.
 * Bracketed by steps growing (from `firstStep`, 1 % of the reach unless the caller knows a scale)
 * from `start` (a previous look's answer; else 0), then narrowed by
 * regula falsi with the Illinois modification, bisecting whenever a step fails to halve the
 * bracket: the functions searched are staircases in the shift (counts change at data points or
 * bucket bounds) but with many small steps, so the secant finds the change in a few
 * evaluations and bisection bounds the worst case.
 */
export function boundary(f: (u: number) => number, sign: 1 | -1, start: number | undefined, reach: number, tolerance: number, firstStep = reach * 0.01): number {
  const from = start !== undefined && Number.isFinite(start) && Math.abs(start) < reach ? start : 0;
  // out: f >= 0; inside: f < 0.
  let out: number;
  let gOut: number;
  let inside: number;
  let gIn: number;
  const gFrom = f(from);
  let step = firstStep;
  if (gFrom >= 0) {
    [out, gOut] = [from, gFrom];
    for (;;) {
      const probe = Math.max(-reach, Math.min(reach, from - sign * step));
      const g = f(probe);
      if (g < 0) {
        [inside, gIn] = [probe, g];
        break;
      }
      [out, gOut] = [probe, g];
      if (Math.abs(probe) >= reach) return probe;
      step *= 4;
    }
  } else {
    [inside, gIn] = [from, gFrom];
    for (;;) {
      const probe = Math.max(-reach, Math.min(reach, from + sign * step));
      const g = f(probe);
      if (g >= 0) {
        [out, gOut] = [probe, g];
        break;
      }
      [inside, gIn] = [probe, g];
      if (Math.abs(probe) >= reach) return sign * Infinity;
      step *= 4;
    }
  }
  let kept: 'out' | 'inside' | undefined;
  while (Math.abs(out - inside) > tolerance) {
    const width = Math.abs(out - inside);
    const secant = inside - (gIn * (out - inside)) / (gOut - gIn);
    const probe = Number.isFinite(secant) && Math.abs(secant - inside) < width && Math.abs(secant - out) < width ? secant : (out + inside) / 2;
    const g = f(probe);
    if (g >= 0) {
      [out, gOut] = [probe, g];
      if (kept === 'inside') gIn /= 2; // the same end kept twice: Illinois
      kept = 'inside';
    } else {
      [inside, gIn] = [probe, g];
      if (kept === 'out') gOut /= 2;
      kept = 'out';
    }
    // A step that did not halve the bracket is followed by a bisection.
    if (Math.abs(out - inside) > width / 2 && Math.abs(out - inside) > tolerance) {
      const mid = (out + inside) / 2;
      const gm = f(mid);
      if (gm >= 0) [out, gOut] = [mid, gm];
      else [inside, gIn] = [mid, gm];
      kept = undefined;
    }
  }
  return inside;
}

/**
 * The matched estimate of the shift: the r at which the Mantel-Haenszel ratio of the tails
 * (canary beyond q_i moved by r, baseline beyond q_i) is 1, each bucket straddling a
 * threshold counted half. NaN without tail events; a range end when nothing crosses. `hint`:
 * a previous look's estimate to start the search from.
 */
export function matchedShiftEstimate(m: MatchedQuantile, looks = m.thresholds.length, hint?: number): number {
  // ln of the ratio, oriented so that it is positive where the canary's shift is larger than u.
  const logRatio = (u: number) => {
    const r = toShift(m, u);
    const fewest = tailCounts(m, r, 'greater', looks, true);
    const most = tailCounts(m, r, 'less', looks, true);
    let top = 0;
    let bottom = 0;
    for (let i = 0; i < looks; i++) {
      const nc = m.canary[i].n;
      const nb = m.baseline[i].n;
      if (nc + nb === 0 || m.weights[i] === 0) continue;
      top += ((fewest.canary[i] + most.canary[i]) / 2) * (nb / (nc + nb));
      bottom += ((fewest.baseline[i] + most.baseline[i]) / 2) * (nc / (nc + nb));
    }
    // The Mantel-Haenszel ratio (as mantelHaenszelRateRatio); upper tail: it falls as the shift grows, lower tail: it rises.
    const log = Math.log(top) - Math.log(bottom);
    return m.tail === 'upper' ? log : -log;
  };
  const reach = range(m);
  if (Number.isNaN(logRatio(-reach)) || Number.isNaN(logRatio(reach))) return NaN;
  const u = boundary(logRatio, -1, hint === undefined ? undefined : fromShift(m, hint), reach, reach * 1e-5);
  return toShift(m, Math.max(-reach, Math.min(reach, u)));
}
