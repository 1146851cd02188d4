/**
 * A custom query's side: every sample of every series is one value (Kayenta style). Series
 * are distinct (a copy is a fault), samples at asked times only, once each.
 *
 * Unlike a count, a NaN value is dropped rather than refused: a custom query's NaN is the
 * step without a value (histogram_quantile over zero observations is NaN), not a broken
 * counter, so the side simply has fewer values. ±Inf is a fault (histogram_quantile gives
 * +Inf when the quantile falls in the +Inf bucket: the value is unknown, not infinite).
 */
import type { ValuesSide } from '../../judge/types';
import type { FaultList } from './faults';
import type { RawAnswer } from './raw-answer';
import { labelsKey, oneSeriesPerGroup, placeOf, type AnswerPlace, type AskedTimeIndex } from './sample-checks';

export function valuesSide(answer: RawAnswer, side: Omit<AnswerPlace, 'role' | 'query'>, times: AskedTimeIndex, faults: FaultList): ValuesSide {
  const place: AnswerPlace = { ...side, role: 'values', query: answer.query };
  const values: number[] = [];
  for (const series of oneSeriesPerGroup(answer, labelsKey, place, faults)) {
    for (const { at, value } of times.samplesOf(series, place, faults)) {
      if (Number.isNaN(value)) continue;
      if (!Number.isFinite(value)) faults.add({ ...placeOf(place, series.metric, at), code: 'infinite', value });
      else values.push(value);
    }
  }
  return { values };
}
