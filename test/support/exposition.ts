/** Reading a Prometheus text exposition (a fleet's /metrics) in tests. */
export type Sample = { labels: Record<string, string>; value: number };

/** The samples of one metric in a Prometheus text exposition. */
export function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const labels = Object.fromEntries([...line.slice(name.length + 1, close).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    out.push({ labels, value: Number(line.slice(close + 1)) });
  }
  return out;
}

export const sumOf = (list: readonly Sample[]): number => list.reduce((a, s) => a + s.value, 0);
