/** The inline data of a Vega-Lite spec's layers (nested ones included), for tests of the report's plots. */
export type Layer = { data?: { values: Record<string, unknown>[] }; layer?: Layer[]; mark?: { type: string; text?: string; shape?: string } };

export function specValues(spec: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (l: Layer) => {
    if (l.data) out.push(...l.data.values);
    l.layer?.forEach(walk);
  };
  walk(spec as Layer);
  return out;
}
