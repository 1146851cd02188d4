/**
 * The answer's `summary`: `[verdict, one-line reason, report link]`, what the Argo Rollouts
 * templates select with `jsonPath: "{$.summary}"` so that the measurement value people read
 * says why, not only "pass".
 *
 * Why this shape (read from argo-rollouts, metricproviders/webmetric/webmetric.go, utils/evaluate
 * and ui/src/app/components/analysis-modal/transforms.ts):
 * - the web provider stores the JSON of the jsonPath's first match as Measurement.Value and
 *   hands the decoded value to the conditions as `result`; so the conditions read the verdict
 *   as `result[0] == "pass"`, a field of the summary, not a parse of prose;
 * - the Argo UI shows an array value as its items joined ("pass,all 3 metrics ...,https://..."),
 *   an object as "[object Object]": an array reads, an object does not;
 * - Argo puts no limit on a value's size, but keeps up to 10 measurements per metric
 *   (measurementRetention, DefaultMeasurementHistoryLimit) in the AnalysisRun's status, and the
 *   object must stay under etcd's ~1.5 MiB. The reason is cut to one line of at most
 *   MAX_REASON characters and a link longer than MAX_LINK is left out, so a value stays under
 *   about 4.5 KB.
 */
import type { Verdict } from '../judge/types';

export type MeasurementSummary = readonly [Verdict, string] | readonly [Verdict, string, string];

/** Characters of the reason kept in the summary (the whole reason stays in `reason`). */
export const MAX_REASON = 200;
/** Longest report link carried; a longer one stays in `report` only. */
export const MAX_LINK = 4096;

export function measurementSummary(result: { readonly verdict: Verdict; readonly reason: string }, report?: string): MeasurementSummary {
  const reason = oneLine(result.reason, MAX_REASON);
  return report !== undefined && report.length <= MAX_LINK ? [result.verdict, reason, report] : [result.verdict, reason];
}

/** Whitespace (newlines included) collapsed; cut at a word boundary with an ellipsis past `max`. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const head = flat.slice(0, max - 1);
  const space = head.lastIndexOf(' ');
  return `${(space > max / 2 ? head.slice(0, space) : head).replace(/[\s,;:]+$/, '')}…`;
}
