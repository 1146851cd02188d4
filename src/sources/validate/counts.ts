/**
 * A proportion's side from its two `sum(increase(...))` answers: events and total, one series
 * each (or none: no matching series means nothing was counted, 0). Per asked time one
 * interval of a timeline, or one total.
 *
 * With the requests its callers' proxies failed (`clientFailed`, one series per Envoy response
 * flags), those are added to both the events and the total: they never reached the side, so its
 * own reports lack them; the side reports them by flags (`clientSide`).
 *
 * Separately extrapolated counters may put the events slightly above the total; within the
 * slack they are clamped to it, beyond it the counters do not belong together (a fault).
 */
import type { CountInterval, CountSide } from '../../judge/types';
import { sumCountIntervals } from '../../judge/timeline';
import type { ClientSideFailures } from '../metric-source';
import type { FaultList } from './faults';
import type { AskedTimeIndex, AnswerPlace } from './sample-checks';
import { checkedCount, oneSeriesPerGroup, placeOf, withinSlack } from './sample-checks';
import type { RawAnswer } from './raw-answer';

export function countSide(
  answers: { events: RawAnswer; total: RawAnswer; clientFailed?: RawAnswer },
  side: Omit<AnswerPlace, 'role' | 'query'>,
  times: AskedTimeIndex,
  faults: FaultList,
): { side: CountSide; clientSide?: ClientSideFailures } {
  const failed = answers.clientFailed && byFlags(answers.clientFailed, { ...side, role: 'client-failed', query: answers.clientFailed.query }, times, faults);
  // Undefined where a count is faulty (reported).
  const withFailed = (count: number | undefined, k: number) => (!failed ? count : count === undefined || failed.perTime[k] === undefined ? undefined : count + failed.perTime[k]!);
  const events = perTime(answers.events, { ...side, role: 'events', query: answers.events.query }, times, faults).map(withFailed);
  const total = perTime(answers.total, { ...side, role: 'total', query: answers.total.query }, times, faults).map(withFailed);
  const intervals: CountInterval[] = events.map((e, k) => {
    const t = total[k];
    // A faulty count has been reported; comparing it would only report it again.
    if (e === undefined || t === undefined) return { events: 0, total: 0 };
    if (e <= t) return { events: e, total: t };
    if (withinSlack(e - t, t)) return { events: t, total: t };
    const place = placeOf({ ...side, role: 'events', query: answers.events.query }, {}, times.asked.times[k]);
    faults.add({ ...place, code: 'events-exceed-total', events: e, total: t });
    return { events: t, total: t };
  });
  const counted = times.asked.intervals ? { ...sumCountIntervals(intervals), intervals } : sumCountIntervals(intervals);
  return { side: counted, ...(failed ? { clientSide: failed.total } : {}) };
}

/** The client-side failures per asked time (undefined where faulty) and in all, by flags ("UH", "URX,UF"). */
function byFlags(answer: RawAnswer, place: AnswerPlace, times: AskedTimeIndex, faults: FaultList): { perTime: (number | undefined)[]; total: ClientSideFailures } {
  const perTime = new Array<number | undefined>(times.length).fill(0);
  const flags: Record<string, number> = Object.create(null);
  let total = 0;
  for (const series of oneSeriesPerGroup(answer, (labels) => labels.response_flags ?? '', place, faults)) {
    const name = series.metric.response_flags ?? '';
    for (const { k, at, value } of times.samplesOf(series, place, faults)) {
      const count = checkedCount(value, placeOf(place, series.metric, at), faults);
      if (count === undefined) {
        perTime[k] = undefined;
        continue;
      }
      if (perTime[k] !== undefined) perTime[k] += count;
      if (count === 0) continue;
      flags[name] = (flags[name] ?? 0) + count;
      total += count;
    }
  }
  return { perTime, total: { count: total, flags } };
}

/** The one series' count at each asked time (0 where it has no sample), undefined where faulty. */
function perTime(answer: RawAnswer, place: AnswerPlace, times: AskedTimeIndex, faults: FaultList): (number | undefined)[] {
  const before = faults.count;
  const kept = oneSeriesPerGroup(answer, () => '', place, faults);
  const counts = new Array<number | undefined>(times.length).fill(faults.count > before ? undefined : 0);
  for (const series of kept) {
    for (const { k, at, value } of times.samplesOf(series, place, faults)) counts[k] = checkedCount(value, placeOf(place, series.metric, at), faults);
  }
  return counts;
}
