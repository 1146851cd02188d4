/**
 * The analysis as one self-contained HTML page for the person on call: the verdict, score and
 * reason first, then the forest plot (every metric's effect against its margin), per metric its
 * timeline plot when judged on a timeline (src/report/timeline-plot.ts, with its looks as a
 * table) and a plot of its data, the traffic split, and the text table of `?format=text` so
 * every number also reads without the plots. Inline SVG and CSS only: no script, font, image or stylesheet is
 * fetched, so the page opens offline and under a strict Content-Security-Policy.
 */
import { FORMAT_BY_UNIT } from '../judge/describe';
import type { AnalysisResult, EffectUnit, MetricInput, MetricResult } from '../judge/types';
import { textReport } from '../contracts/text-report';
import { categoricalSpec, cdfSpec, decisiveMetrics, forestSpec, proportionSpec, renderSvg, trafficSpec, VERDICT_COLOURS } from './plots';
import { decisionLabel, marginSides, timelineRows, timelineSpec } from './timeline-plot';
import type { RolloutPlan } from '../planner/plan';
import { planSection } from './plan-section';
import { labelCoverageSpec } from './label-coverage-plot';
import { describeDuration } from '../judge/projection';

export interface ReportInput {
  readonly result: AnalysisResult & { readonly window?: { readonly start: string; readonly end: string }; readonly profile?: string; readonly skipped?: readonly string[] };
  /** The data each metric was judged on (for the CDFs, rates and shares), by metric name. */
  readonly inputs?: ReadonlyMap<string, MetricInput>;
  /** A heading such as "shop/checkout" (the analysis key), when known. */
  readonly subject?: string;
  /** The report's own link, shown so it can be shared. */
  readonly link?: string;
  /** Unix seconds when the page was rendered; default now. */
  readonly renderedAt?: number;
  /** A rollout plan (src/planner/plan.ts) to show after the metrics: how long each step must run. */
  readonly plan?: RolloutPlan;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const WORDS = { pass: 'PASS', fail: 'FAIL', inconclusive: 'INCONCLUSIVE' } as const;

/**
 * The page's jargon, explained where it is used (a legend under the forest plot, and as the
 * `title` of the word where it appears): the same definitions as docs/glossary.md, shortened.
 */
export const TERMS = {
  margin: 'how much worse the canary may be and still pass, in the effect\'s own units (the tolerance); dashed on the plots',
  interval: 'the range of effects the data are compatible with; a metric passes when all of it is within the margin and fails when all of it is beyond',
  inconclusive: 'not enough evidence either way yet: the interval reaches both within and beyond the margin, or data are missing; never read as a pass',
  'anytime-valid': 'the intervals hold at every look of the rollout at once, so asking again and again does not raise the chance of a wrong verdict',
  'fixed-sample': 'the intervals hold for this one look only; repeated looks would raise the chance of a wrong verdict',
  score: 'pass counts 1, inconclusive 0.5, fail 0, weighted over the metrics; a critical metric\'s fail fails the analysis on its own',
} as const;

/** A term with its explanation as a tooltip. */
function term(word: keyof typeof TERMS, shown: string = word): string {
  return `<abbr class="term" title="${escapeHtml(TERMS[word])}">${escapeHtml(shown)}</abbr>`;
}

function termsLegend(result: AnalysisResult): string {
  const words: (keyof typeof TERMS)[] = ['margin', 'interval', 'inconclusive', result.evidence === 'fixed-sample' ? 'fixed-sample' : 'anytime-valid', 'score'];
  return `<dl class="terms">${words.map((w) => `<div><dt>${escapeHtml(w)}</dt><dd>${escapeHtml(TERMS[w])}</dd></div>`).join('')}</dl>`;
}

export async function htmlReport(input: ReportInput): Promise<string> {
  const { result } = input;
  const decisive = decisiveMetrics(result);
  const forest = forestSpec(result);
  const forestSvg = forest ? await renderSvg(forest) : '';
  const metricSections = await Promise.all(result.metrics.map((m) => metricSection(m, input.inputs?.get(m.name), decisive.has(m.name))));
  const checks = await Promise.all(
    (result.checks ?? []).map(
      async (c) => `<section class="metric"><h3>traffic split <span class="badge ${c.verdict}">${c.verdict}</span></h3>
<p>${escapeHtml(c.reason)}</p>
<p class="numbers">expected canary share ${pct(c.expectedCanaryShare)}, observed ${c.observedCanaryShare === null ? 'none' : pct(c.observedCanaryShare)} (${c.canary} canary / ${c.baseline} baseline requests, e-value ${round(c.eValue)})</p>
<figure>${await renderSvg(trafficSpec(c))}</figure></section>`,
    ),
  );
  const renderedAt = new Date((input.renderedAt ?? Date.now() / 1000) * 1000).toISOString();
  const title = `${WORDS[result.verdict]}${input.subject ? ` · ${input.subject}` : ''} · canary-judge`;
  const context = [
    input.subject ? `<span>${escapeHtml(input.subject)}</span>` : '',
    result.window ? `<span>window ${escapeHtml(result.window.start)} → ${escapeHtml(result.window.end)}</span>` : '',
    result.profile ? `<span>profile ${escapeHtml(result.profile)}</span>` : '',
    `<span>evidence ${result.evidence === 'fixed-sample' ? term('fixed-sample') : term('anytime-valid')}, alpha ${result.alpha}</span>`,
    `<span>rendered ${renderedAt}</span>`,
  ].filter(Boolean).join('');
  return `${pageHead(title)}
<body>
<header class="verdict ${result.verdict}" role="banner">
<div class="word"${result.verdict === 'inconclusive' ? ` title="${escapeHtml(TERMS.inconclusive)}"` : ''}>${WORDS[result.verdict]}</div>
<div class="summary">
<div class="score">${term('score')} ${result.score} / 100</div>
<p class="reason"><strong>Why:</strong> ${escapeHtml(result.reason)}</p>
</div>
</header>
<main>
<p class="context">${context}</p>
${input.link ? `<p class="context">this report: <a href="${escapeHtml(input.link)}">${escapeHtml(input.link)}</a></p>` : ''}
${result.skipped?.length ? `<p class="context">left out (optional, no series on either side): ${escapeHtml(result.skipped.join(', '))}</p>` : ''}
<section class="forest">
<h2>The decision: each metric's effect against its margin</h2>
<p class="help">Diamond: the estimated change of the canary against the baseline; bar: its confidence ${term('interval')}; dashed: each metric's ${term('margin')} (only the sides it has). A metric passes when its whole interval is inside the margin and fails when it is wholly beyond it. An interval or estimate beyond four margins ends in an arrow at the edge, labelled with its value. ▶ marks the metric${decisive.size === 1 ? '' : 's'} the reason names.</p>
${forestSvg ? `<figure>${forestSvg}</figure>` : '<p>No metric has an effect to plot.</p>'}
${termsLegend(result)}
</section>
<h2>Per metric</h2>
<div class="metrics">
${metricSections.join('\n')}
${checks.join('\n')}
</div>
${input.plan ? planSection(input.plan) : ''}
<section class="table">
<h2>Every number, as text</h2>
<pre>${escapeHtml(textReport(result))}</pre>
</section>
</main>
</body>
</html>
`;
}

async function metricSection(metric: MetricResult, input: MetricInput | undefined, isDecisive: boolean): Promise<string> {
  const effect = metric.effect;
  const numbers = effect
    ? `${escapeHtml(effect.measure)}: ${FORMAT_BY_UNIT[effect.unit](effect.estimate)} [${bound(effect.unit, effect.lower)}, ${bound(effect.unit, effect.upper)}], margin ${FORMAT_BY_UNIT[effect.unit](effect.tolerance)}`
    : 'no effect estimate';
  let plot = '';
  if (input) {
    const spec =
      input.kind === 'continuous' || input.kind === 'distribution'
        ? cdfSpec(input)
        : input.kind === 'proportion'
          ? proportionSpec(input)
          : categoricalSpec(input);
    if (spec) plot = `<figure>${await renderSvg(spec)}</figure>`;
  }
  return `<section class="metric${isDecisive ? ' decisive' : ''}">
<h3>${isDecisive ? '▶ ' : ''}${escapeHtml(metric.name)} <span class="badge ${metric.verdict}">${metric.verdict}</span>${metric.critical ? ' <span class="tag">critical</span>' : ''} <span class="tag">${metric.kind}</span></h3>
<p>${escapeHtml(metric.reason)}</p>
<p class="numbers">${numbers}</p>
${await timelineFigure(metric)}
${await labelCoverageFigure(metric)}
${plot}
</section>`;
}

/** A labelled metric's coverage per prediction interval and side (src/report/label-coverage-plot.ts), or nothing. */
async function labelCoverageFigure(metric: MetricResult): Promise<string> {
  const spec = labelCoverageSpec(metric);
  if (!spec || !metric.labels) return '';
  const { judged, intervals, minCoverage } = metric.labels;
  return `<div class="labels">
<figure>${await renderSvg(spec)}</figure>
<p class="help">Label coverage: the share of each prediction interval's predictions labelled so far, per side. An interval is judged once it is ${escapeHtml(describeDuration(metric.labels.delaySeconds).replace(/^about /, ''))} old and at least ${escapeHtml(String(Number((minCoverage * 100).toPrecision(3))))} % (dashed) of each side's predictions in it have labels; ${judged} of ${intervals} ${judged === 1 ? 'was' : 'were'} judged, the shaded ones await labels. Early labels are a biased sample (fast labels are not typical labels), so nothing is judged on them.</p>
</div>`;
}

/** The timeline plot with its caption and the looks as a table, or nothing without a timeline series. */
async function timelineFigure(metric: MetricResult): Promise<string> {
  const spec = timelineSpec(metric);
  const rows = timelineRows(metric);
  if (!spec || !rows || !metric.effect) return '';
  const unit = metric.effect.unit;
  const format = FORMAT_BY_UNIT[unit];
  const decided = metric.verdict !== 'inconclusive' && metric.decidedAt !== undefined;
  const sides = marginSides(metric.direction, unit);
  const table = rows
    .map((r) => {
      const at = decided && r.interval === metric.decidedAt;
      const cells = [String(r.interval), r.estimate === null ? '–' : escapeHtml(format(r.estimate)), bound(unit, r.lower ?? -Infinity), bound(unit, r.upper ?? Infinity)];
      return `<tr${at ? ` class="decided ${metric.verdict}"` : ''}>${cells.map((c) => `<td>${c}</td>`).join('')}<td>${at ? escapeHtml(decisionLabel(metric)) : ''}</td></tr>`;
    })
    .join('');
  return `<div class="timeline">
<figure>${await renderSvg(spec)}</figure>
<p class="help">Over the rollout's looks: the band is the confidence interval of ${escapeHtml(metric.effect.measure)} computed from the intervals up to each look, the line its estimate, dashed the margin${sides.harmUp && sides.harmDown ? 's' : ''}. A look decides when the whole band is beyond a margin (fail) or within it (pass); ${decided ? 'the bar marks the deciding look, whose verdict stands at later looks' : 'no look has decided yet'}. A bound beyond the axis (unbounded, or wider than it) ends in an arrow ▲ ▼ at its edge; the table has every number.</p>
<details><summary>the ${rows.length} looks as numbers</summary>
<table class="looks"><thead><tr><th>interval</th><th>estimate</th><th>lower</th><th>upper</th><th></th></tr></thead><tbody>${table}</tbody></table>
</details>
</div>`;
}

function bound(unit: EffectUnit, x: number): string {
  return Number.isFinite(x) ? escapeHtml(FORMAT_BY_UNIT[unit](x)) : x > 0 ? '+∞' : '−∞';
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)} %`;
}

function round(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x);
}

/** A page's doctype and head, with the report's stylesheet (the plan's page shares it: src/report/plan-section.ts). */
export function pageHead(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>`;
}

/** The report's stylesheet. */
export const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #f6f8fa; }
header.verdict { display: flex; gap: 24px; align-items: center; padding: 20px 28px; color: #fff; }
header.verdict.pass { background: ${VERDICT_COLOURS.pass}; }
header.verdict.fail { background: ${VERDICT_COLOURS.fail}; }
header.verdict.inconclusive { background: ${VERDICT_COLOURS.inconclusive}; }
header .word { font-size: 44px; font-weight: 800; letter-spacing: 0.04em; }
header .score { font-size: 18px; font-weight: 600; opacity: 0.95; }
header .reason { margin: 4px 0 0; font-size: 17px; max-width: 70em; }
main { padding: 8px 28px 40px; max-width: 1200px; }
.context { color: #57606a; font-size: 13px; margin: 6px 0; }
.context span + span::before { content: " · "; }
h2 { font-size: 19px; margin: 24px 0 6px; }
h3 { font-size: 16px; margin: 0 0 6px; }
.help { color: #57606a; font-size: 13px; margin: 0 0 8px; max-width: 60em; }
figure { margin: 8px 0; overflow-x: auto; max-width: 100%; }
figure svg { max-width: 100%; height: auto; }
.forest figure, .metric { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; }
.forest figure { padding: 12px; display: inline-block; }
.metrics { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
.metric { padding: 14px 16px; }
.metric.decisive { border: 2px solid #24292f; }
.metric p { margin: 4px 0; }
.numbers { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px; font-weight: 700; vertical-align: middle; }
.badge.pass { background: ${VERDICT_COLOURS.pass}; } .badge.fail { background: ${VERDICT_COLOURS.fail}; } .badge.inconclusive { background: ${VERDICT_COLOURS.inconclusive}; }
.tag { font-size: 12px; color: #57606a; border: 1px solid #d0d7de; border-radius: 10px; padding: 0 6px; font-weight: 400; }
table.looks { border-collapse: collapse; font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; margin: 6px 0; }
table.looks th, table.looks td { padding: 2px 10px 2px 0; text-align: right; }
table.looks tr.decided td { font-weight: 700; }
table.looks tr.decided.pass td { color: ${VERDICT_COLOURS.pass}; } table.looks tr.decided.fail td { color: ${VERDICT_COLOURS.fail}; }
table.plan { border-collapse: collapse; font-size: 13.5px; margin: 6px 0; background: #fff; }
table.plan th, table.plan td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
table.plan td.short { color: ${VERDICT_COLOURS.fail}; font-weight: 600; } table.plan td.enough { color: ${VERDICT_COLOURS.pass}; font-weight: 600; }
dl.terms { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 4px 20px; margin: 8px 0 0; font-size: 13px; color: #57606a; max-width: 1100px; }
dl.terms dt { display: inline; font-weight: 700; color: #1f2328; } dl.terms dt::after { content: ": "; } dl.terms dd { display: inline; margin: 0; }
abbr.term { text-decoration: underline dotted; cursor: help; }
header abbr.term { color: inherit; }
summary { cursor: pointer; color: #57606a; font-size: 13px; }
pre { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 12px; overflow-x: auto; font-size: 12.5px; }
`;
