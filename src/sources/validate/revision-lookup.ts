/**
 * The revision look-up's answers (src/sources/revision/) checked like every other sample: a
 * NaN or negative count of a pod's requests is not "no traffic", an infinite one not "traffic".
 * A fault ends the analysis with a 503 naming it, as any metric's would.
 */
import type { RangeMatrix } from '../prometheus/client';
import { FaultList } from './faults';
import { checkedCount } from './sample-checks';

/** The step ends at which each series counted more than zero, keyed by `key`'s label; faults thrown. */
export function stepsWithCounts(matrix: RangeMatrix, key: string, query: string, side: 'baseline' | 'canary'): { readonly key: string; readonly stepEnds: number[] }[] {
  const faults = new FaultList();
  const out = matrix.map((series) => {
    const stepEnds: number[] = [];
    for (const [time, value] of series.values) {
      const count = checkedCount(value, { metric: 'revision look-up', side, role: 'revision-lookup', query, series: series.metric, at: time }, faults);
      if (count !== undefined && count > 0) stepEnds.push(time);
    }
    return { key: series.metric[key] ?? '', stepEnds };
  });
  faults.throwIfAny();
  return out;
}
