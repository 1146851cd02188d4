/**
 * How the demo prints a look: what the judge said, what Argo and Flagger made of it, and why,
 * with the reason wrapped at the terminal's width rather than cut. Pure text, so it is tested
 * without a fleet or a Prometheus (test/demo/progress.test.ts).
 */

/** About how long one scenario takes (measured: 7 scenarios in about 4.5 minutes on 2 cores). */
export const SECONDS_PER_SCENARIO = 40;

/** "7 scenarios, about 4.5 minutes": said before anything starts. */
export function durationNotice(scenarios: readonly string[]): string {
  const minutes = Math.max(0.5, Math.round((scenarios.length * SECONDS_PER_SCENARIO) / 30) / 2);
  const count = scenarios.length === 1 ? '1 scenario' : `${scenarios.length} scenarios`;
  return `${count} (${scenarios.join(', ')}), about ${minutes} minute${minutes === 1 ? '' : 's'} in all: each starts a simulated fleet and a real Prometheus, then plays the rollout look by look`;
}

/** Words wrapped to `width` columns, every line after the first indented; a word longer than a line stays whole. */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

export interface Look {
  readonly scenario: string;
  readonly elapsedMs: number;
  /** The look's number in this rollout (of this revision), counted over all its steps. */
  readonly look: number;
  readonly step: string;
  readonly weights: string;
  /** The judge's verdict and reason for the Argo template's request (the detail call). */
  readonly verdict: string;
  readonly reason: string;
  /** Which shipped template asked: the gate ends at a pass or fail; the harm watch only fails. */
  readonly argo: { readonly template: 'gate' | 'watch'; readonly phase: string };
  readonly flagger: { readonly hook: string; readonly status: number; readonly text: string; readonly rollbackStatus: number };
}

/**
 * A look as lines: the header (time, look, step, verdict, Argo, Flagger), the reason wrapped,
 * and, when Flagger refuses while Argo goes on, Flagger's own answer, which says why (its
 * calls judge the rollout's totals since its start, Argo's template the canary's per-interval
 * timeline, and confirm-promotion never promotes without a pass).
 */
export function lookLines(look: Look, width = 100): string[] {
  const time = `${Math.floor(look.elapsedMs / 60_000)}:${String(Math.floor(look.elapsedMs / 1000) % 60).padStart(2, '0')}`;
  const head = `[${look.scenario} ${time}] look ${look.look}, step ${look.step} (${look.weights}): ${look.verdict.toUpperCase()}`;
  const lines = [head, ...wrap(`Argo: ${argoSays(look)}. Flagger: ${look.flagger.hook} ${look.flagger.status}, rollback ${look.flagger.rollbackStatus}.`, width, '    ')];
  lines.push(...wrap(`why: ${look.reason}`, width, '    '));
  if (look.flagger.status === 412 && look.argo.phase !== 'Failed') lines.push(...wrap(`Flagger's ${look.flagger.hook} answers 412: ${look.flagger.text.trim()}`, width, '    '));
  return lines;
}

/** What the Argo metric made of the look, in words: an inconclusive look is never shown as a bare "Successful". */
export function argoSays({ argo, verdict }: Pick<Look, 'argo' | 'verdict'>): string {
  if (argo.template === 'gate') return `gate ${argo.phase}`;
  if (argo.phase === 'Successful' && verdict !== 'pass') return `harm watch ${verdict} (not a fail, which the watch records as Successful)`;
  return `harm watch ${verdict} (${argo.phase})`;
}
