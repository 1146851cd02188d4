/**
 * Which bucket bounds a histogram metric lost before it was compared, for the reasons that
 * say the buckets are too coarse: bounds a source dropped because not every series or interval
 * of a side had them (`droppedBounds`, src/sources/validate/histograms.ts), and bounds one side has and
 * the other lacks (side-samples.ts compares on the shared ones). A count is never carried to
 * a missing bound, so those bounds are gone, and the fix is in the fleet's bucket layout, not
 * in waiting for more data.
 */
import type { ValuesSide } from './types';

/** '' when nothing was dropped; else a clause starting with "; " naming the dropped bounds and why. */
export function droppedBoundsNote(sides: { readonly baseline: ValuesSide; readonly canary: ValuesSide }, compared: readonly number[] | undefined): string {
  const parts: string[] = [];
  for (const name of ['baseline', 'canary'] as const) {
    const side = sides[name];
    const own = side.droppedBounds?.filter(Number.isFinite) ?? [];
    if (own.length) parts.push(`the ${name}'s ${boundsText(own)}, which some of its series or intervals lack`);
    if (!compared || !('histogram' in side)) continue;
    const other = name === 'baseline' ? 'canary' : 'baseline';
    const kept = new Set(compared);
    const unshared = side.histogram.buckets.map((b) => b.le).filter((le) => Number.isFinite(le) && !kept.has(le));
    if (unshared.length) parts.push(`the ${name}'s ${boundsText(unshared)}, which the ${other} lacks`);
  }
  // Native histograms: each side says what merging onto common buckets cost it (the same clause on both sides is said once).
  const reduced = [...new Set([...(sides.baseline.reducedResolution ?? []), ...(sides.canary.reducedResolution ?? [])])];
  const native = reduced.length ? `; ${reduced.join('; ')}` : '';
  if (!parts.length) return native;
  const finite = compared?.filter(Number.isFinite) ?? [];
  return `; compared only on the bounds every series and interval of both sides has${finite.length ? ` (${boundsText(finite, 'plain')})` : ''}: left out were ${parts.join(' and ')} (a count is never carried to a bound an interval lacks)${native}`;
}

/** "bounds 101, 102, 103, ..., 300 (57 bounds)" or "bound 107". */
function boundsText(bounds: readonly number[], style: 'named' | 'plain' = 'named'): string {
  const shown = bounds.length <= 6 ? bounds.join(', ') : `${bounds.slice(0, 3).join(', ')}, ..., ${bounds[bounds.length - 1]} (${bounds.length} bounds)`;
  if (style === 'plain') return shown;
  return `${bounds.length === 1 ? 'bound' : 'bounds'} ${shown}`;
}
