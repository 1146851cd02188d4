/**
 * "Did you mean ...?" for unknown keys and values: the known word nearest to what was typed,
 * by Damerau-Levenshtein distance (an adjacent swap counts as one edit, as in "mergin"), and
 * only when it is near enough that the suggestion is likely what was meant.
 */

/** Edits (insert, delete, substitute, swap adjacent) between two strings, case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // Keys are short; a full table is simpler than a banded one and fast enough.
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) d[0][j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[s.length][t.length];
}

/**
 * The known word closest to `given`, if near enough to be what was meant: 1 edit for words of
 * up to 4 letters ("knd" -> "kind", but not "kind" -> "end"), 2 up to 8, 3 beyond; undefined
 * when nothing is close, so a suggestion never points somewhere arbitrary.
 */
export function closestKey(given: string, known: readonly string[]): string | undefined {
  // A long key is no typo of a short one; and the table below grows with its length.
  if (given.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(given, candidate);
    if (distance < bestDistance) (best = candidate), (bestDistance = distance);
  }
  if (best === undefined) return undefined;
  const allowed = best.length <= 4 ? 1 : best.length <= 8 ? 2 : 3;
  return bestDistance <= allowed ? best : undefined;
}

/** "unknown key `margins`; did you mean `margin`?", or the known keys when none is close. */
export function unknownKeyMessage(key: string, known: readonly string[], hint?: string): string {
  const closest = closestKey(key, known);
  const head = `unknown key ${quoteKey(key)}`;
  if (hint !== undefined) return `${head}: ${hint}`;
  if (closest !== undefined) return `${head}; did you mean \`${closest}\`?`;
  return `${head}; the keys here are ${known.map((k) => `\`${k}\``).join(', ')}`;
}

/** A key as the user typed it, between backticks, cut at 40 characters and with controls escaped. */
export function quoteKey(key: string): string {
  if (key === '') return '`` (an empty key)';
  const cut = key.length > 40 ? `${key.slice(0, 40)}...` : key;
  return `\`${JSON.stringify(cut).slice(1, -1)}\``;
}
