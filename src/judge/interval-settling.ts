/**
 * Which intervals of a timeline a per-interval test may read, with what weight, and which
 * traffic a pass must rest on: real clusters' minutes are not the clean, aligned minutes the
 * per-interval tests assume.
 *
 * The per-interval tests compare each interval's canary counts with the baseline's of the
 * same minutes, assuming that within an interval the shared rate and the split do not move
 * together. Three things break that (issue 21):
 * - A weight step inside an interval (Argo's setWeight is not on the query grid): the
 *   interval's split is a mix, and a shared change of rate in part of it (an outage) falls on
 *   the canary's share of that part, not of the interval. Such an interval is "mixed": its
 *   share differs clearly from both neighbours'. It is set aside.
 * - Per-side scrape offsets (each pod scraped at its own moment, up to a scrape interval): the
 *   canary's interval covers a window shifted from the baseline's, so where the shared rate
 *   jumps (an outage begins or ends) one side counts more of it. Intervals next to a clear
 *   change of the counted rate (a ratio beyond JUMP_RATIO, significant as Poisson counts) are
 *   set aside.
 * - The latest interval: the change an offset drags into the canary's window may begin in the
 *   next interval, an outage may end inside it unseen in its average, and a query ending near
 *   the present reads its last scrapes before they are all in (so the same minute reads
 *   differently a few seconds later). So no claim reads the latest interval: every claim
 *   reads settled intervals, those whose next interval is in too, and a verdict lags the data
 *   by one interval (the price of never resting on a minute that may still move).
 * - Clustered events (sticky routing): each interval's factor is tempered by 1/phi, phi the
 *   index of dispersion of the counts so far (src/stats/count-dispersion.ts).
 * Only quantities the tests condition on (each side's exposure, the pooled events of the
 * interval and of its neighbours) decide what is read, so on clean minutes the rate tests keep
 * their exact validity; on misaligned minutes what is read is what misalignment cannot bias
 * much.
 *
 * The gated window: a pass claim rests on the traffic the gate gates, the trailing run of
 * intervals whose canary share is at least half of the latest's (not clearly below it): at
 * Argo's 50 % step that is the 50 % step alone, on Flagger's 5 % increments at 50 % the
 * intervals at 25 % and more, and before any step all of them. A canary that is healthy at
 * 10 % and saturates at 50 % cannot pass the 50 % gate on its 10 % evidence. Where that run
 * starts is marked as a step start, so the fail side's change-point prior
 * (src/stats/e-detector.ts) puts weight there.
 */
import { CountDispersion, pairStatistic, type Count } from '../stats/count-dispersion';

/** One interval as the settling reads it: each side's exposure, and the count whose steadiness matters. */
export interface SettlingInterval {
  readonly canaryTotal: number;
  readonly baselineTotal: number;
  /** Events counted for this interval (pooled over both sides, or the baseline's alone), over `exposure`. */
  readonly events: number;
  readonly exposure: number;
  /**
   * The interval before counted the way this one is (a quantile's tail beyond this interval's
   * threshold, which moves), for the pair's comparison; default the interval before's `events`.
   */
  readonly previousEvents?: number;
}

export interface Settling {
  /** Per interval: its weight (1/phi, or 0: set aside) once the interval after it is in; the last interval's is 0 (not settled yet). */
  readonly settled: Float64Array;
  /** Per look (0-based): the first interval of the gated window then. */
  readonly windowStart: Int32Array;
  /** Per interval: a gated window starts here (the canary's share stepped up at least twofold). */
  readonly stepStart: boolean[];
  /** Per interval: why it is set aside ('mixed', 'rate-change'), if it is. */
  readonly setAside: readonly (SetAside | undefined)[];
  /** The index of dispersion the latest interval is tempered by. */
  readonly dispersion: number;
}

export type SetAside = 'mixed' | 'rate-change';

/** A change of the pooled rate is clear beyond this ratio (either way) ... */
export const JUMP_RATIO = 1.5;
/** ... and this many standard errors (scaled by the dispersion). */
export const JUMP_Z = 4;
/** Two shares differ clearly beyond this many standard errors ... */
export const SHARE_Z = 4;
/** ... and this relative difference (so that huge traffic does not split a step at noise). */
export const SHARE_RELATIVE = 0.05;

const share = (i: SettlingInterval) => {
  const n = i.canaryTotal + i.baselineTotal;
  return n > 0 ? i.canaryTotal / n : NaN;
};

/** Whether two intervals' canary shares differ clearly (two-proportion z, and a relative difference). */
export function sharesDiffer(a: SettlingInterval, b: SettlingInterval): boolean {
  const na = a.canaryTotal + a.baselineTotal;
  const nb = b.canaryTotal + b.baselineTotal;
  if (!(na > 0 && nb > 0)) return false;
  const sa = a.canaryTotal / na;
  const sb = b.canaryTotal / nb;
  const pooled = (a.canaryTotal + b.canaryTotal) / (na + nb);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb));
  return Math.abs(sa - sb) > SHARE_Z * se && Math.abs(sa - sb) > SHARE_RELATIVE * Math.max(sa, sb);
}

/** Whether the counted rate changes clearly between two consecutive intervals (significance scaled by `dispersion`). */
function rateChanges(a: Count, b: Count, dispersion: number): boolean {
  if (!(a.exposure > 0 && b.exposure > 0)) return false;
  const ra = (a.events + 0.5) / a.exposure;
  const rb = (b.events + 0.5) / b.exposure;
  if (Math.max(ra / rb, rb / ra) < JUMP_RATIO) return false;
  const p = pairStatistic(a, b);
  return p !== null && p >= JUMP_Z * JUMP_Z * dispersion;
}

/** Intervals i - 1 and i, counted the way interval i is. */
function pairAt(intervals: readonly SettlingInterval[], i: number): [Count, Count] {
  const before = intervals[i - 1];
  const at = intervals[i];
  return [
    { events: at.previousEvents ?? before.events, exposure: before.exposure },
    { events: at.events, exposure: at.exposure },
  ];
}

export function settle(intervals: readonly SettlingInterval[]): Settling {
  const n = intervals.length;
  const differs = Array.from({ length: n }, (_, i) => i > 0 && sharesDiffer(intervals[i - 1], intervals[i]));
  // The dispersion each interval is tempered by: pairs up to and including it, but not across a
  // weight step (a canary whose rate differs moves the pooled rate there: a change, not noise).
  const dispersion = new Float64Array(n);
  const estimate = new CountDispersion();
  for (let i = 0; i < n; i++) {
    if (i > 0 && !differs[i]) estimate.add(...pairAt(intervals, i));
    dispersion[i] = estimate.value;
  }
  // A change of rate between i - 1 and i, judged as if the counts were Poisson: clustered counts
  // then set more intervals aside than their noise calls for, which costs evidence, never validity
  // (an outage's edge must not pass for cluster noise).
  const jump = Array.from({ length: n }, (_, i) => i > 0 && rateChanges(...pairAt(intervals, i), 1));

  const settled = new Float64Array(n);
  const setAside: (SetAside | undefined)[] = Array(n).fill(undefined);
  for (let i = 0; i + 1 < n; i++) {
    const mixed = differs[i] && differs[i + 1];
    const rateChange = jump[i] || jump[i + 1];
    settled[i] = mixed || rateChange ? 0 : 1 / dispersion[i];
    if (mixed) setAside[i] = 'mixed';
    else if (rateChange) setAside[i] = 'rate-change';
  }

  const windowStart = new Int32Array(n);
  const stepStart: boolean[] = Array(n).fill(false);
  for (let k = 0; k < n; k++) {
    windowStart[k] = gatedWindowStart(intervals, k);
    if (k > 0 && windowStart[k] === k) stepStart[k] = true;
  }
  return { settled, windowStart, stepStart, setAside, dispersion: n ? dispersion[n - 1] : 1 };
}

/** Each look's gated window start (0-based) from each interval's two sides' sizes alone. */
export function gatedWindowStarts(sizes: readonly Pick<SettlingInterval, 'canaryTotal' | 'baselineTotal'>[]): Int32Array {
  const intervals = sizes.map((s) => ({ ...s, events: 0, exposure: 0 }));
  return Int32Array.from(intervals, (_, k) => gatedWindowStart(intervals, k));
}

/**
 * The first interval of the trailing run, ending at `look`, whose canary share is not clearly
 * below half of the latest share (a one-sided z of SHARE_Z). Intervals without a request on
 * either side say nothing of the weight (a quiet minute, a scrape gap, the end of a window past
 * the traffic): they neither end the run nor set the latest share. A canary without requests
 * while the baseline has them is at weight 0: its window is that interval alone.
 */
function gatedWindowStart(intervals: readonly SettlingInterval[], look: number): number {
  let latest = look;
  while (latest > 0 && intervals[latest].canaryTotal + intervals[latest].baselineTotal === 0) latest--;
  const weight = share(intervals[latest]);
  if (!(weight > 0)) return look;
  let start = latest;
  for (let j = latest - 1; j >= 0; j--) {
    const i = intervals[j];
    const total = i.canaryTotal + i.baselineTotal;
    if (total === 0) continue;
    if (clearlyBelowHalf(i.canaryTotal / total, total, weight)) break;
    start = j;
  }
  return start;
}

/** Whether a canary share counted over `total` requests is clearly below half of `weight` (a one-sided z of SHARE_Z). */
export function clearlyBelowHalf(share: number, total: number, weight: number): boolean {
  const half = weight / 2;
  return share < half - SHARE_Z * Math.sqrt((half * (1 - half)) / total);
}

/** "intervals 15-21" / "interval 21" (1-based), for reasons. */
export function intervalRange(from: number, to: number): string {
  return from === to ? `interval ${from + 1}` : `intervals ${from + 1}-${to + 1}`;
}

/** What was set aside, for a reason: "interval 15 (a weight step inside it), intervals 9-10 (a shared change of rate)". */
export function setAsideText(settling: Settling, from: number, to: number): string | null {
  const groups: { why: SetAside; from: number; to: number }[] = [];
  for (let i = from; i <= to; i++) {
    const why = settling.setAside[i];
    if (!why) continue;
    const last = groups.at(-1);
    if (last && last.why === why && last.to === i - 1) last.to = i;
    else groups.push({ why, from: i, to: i });
  }
  if (!groups.length) return null;
  const words: Record<SetAside, string> = { mixed: 'a weight step inside it', 'rate-change': 'a shared change of rate, which scrape offsets can misalign' };
  return groups.map((g) => `${intervalRange(g.from, g.to)} (${words[g.why]})`).join(', ');
}
