/**
 * A categorical side from its `sum by (<by>) (increase(...))` answer: one series per category
 * (a series without the label is the category ""), each count checked like any count. Per
 * asked time one interval of a timeline, or one total; categories sorted by name.
 */
import type { CategoricalInterval, CategoricalSide } from '../../judge/types';
import { sumCategoricalIntervals } from '../../judge/timeline';
import type { FaultList } from './faults';
import type { RawAnswer } from './raw-answer';
import { checkedCount, oneSeriesPerGroup, placeOf, type AnswerPlace, type AskedTimeIndex } from './sample-checks';

export function categoricalSide(answer: RawAnswer, by: string, side: Omit<AnswerPlace, 'role' | 'query'>, times: AskedTimeIndex, faults: FaultList): CategoricalSide {
  const place: AnswerPlace = { ...side, role: 'categories', query: answer.query };
  const categoryOf = (labels: Readonly<Record<string, string>>) => (Object.hasOwn(labels, by) ? labels[by] : '');
  const perInterval = times.asked.times.map(() => new Map<string, number>());
  for (const series of oneSeriesPerGroup(answer, categoryOf, place, faults)) {
    const category = categoryOf(series.metric);
    for (const { k, at, value } of times.samplesOf(series, place, faults)) {
      const count = checkedCount(value, placeOf(place, series.metric, at), faults);
      if (count !== undefined) perInterval[k].set(category, count);
    }
  }
  const intervals: CategoricalInterval[] = perInterval.map((counts) => ({ counts: [...counts.entries()].sort(byName) }));
  const total = sumCategoricalIntervals(intervals);
  const sorted = { counts: [...total.counts].sort(byName) };
  return times.asked.intervals ? { ...sorted, intervals } : sorted;
}

function byName(a: readonly [string, number], b: readonly [string, number]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
