/**
 * A rollout plan (src/planner/plan.ts) in the HTML report: per metric what a healthy and a
 * harmful canary get at the Rollout's step length, the step length both need, and the margins
 * the traffic decides in that time; and the plan alone as a page (`canary-judge plan --html`),
 * with the report's own stylesheet. Inline HTML only, like the report.
 */
import type { RolloutPlan } from '../planner/plan';
import { harmText, marginsText, marginText, minutesText, neededText, outcomeText, verdictText } from '../planner/plan-text';
import { escapeHtml, pageHead } from './html-report';

export function planSection(plan: RolloutPlan): string {
  const steps = plan.steps.map((s) => `${Number((s * 100).toPrecision(3))} %`).join(' → ');
  const rows = plan.metrics
    .map((m) => {
      const enough = m.needed !== null && !m.note && m.needed.minutesPerStep <= plan.minutesPerStep;
      const cells = [
        `<td>${escapeHtml(m.metric.name)}<br><span class="help">${escapeHtml(m.stable)}</span></td>`,
        `<td>${escapeHtml(marginText(m.metric))}</td>`,
        `<td>${escapeHtml(harmText(plan, m.metric))}</td>`,
        `<td>${escapeHtml(outcomeText(m.given))}</td>`,
        `<td class="${enough ? 'enough' : 'short'}">${escapeHtml(neededText(plan, m))}</td>`,
        `<td>${escapeHtml(marginsText(plan, m))}</td>`,
      ];
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<section class="plan">
<h2>Planning: how long each step must run</h2>
<p class="help">Simulated rollouts at the stable version's own traffic (${Math.round(plan.requestsPerMinute).toLocaleString('en-US')} requests/minute, ${escapeHtml(String(Number((plan.errorRate * 100).toPrecision(3))))} % errors), steps ${escapeHtml(steps)}, judged as the service judges (${plan.runs} rollouts per setting). Asked: a healthy canary passes in at least ${Math.round(plan.power.pass * 100)} %, a harmful one fails in at least ${Math.round(plan.power.fail * 100)} %.</p>
<table class="plan"><thead><tr><th>metric</th><th>margin</th><th>harmful canary</th><th>at ${escapeHtml(minutesText(plan.minutesPerStep))} per step (the Rollout's)</th><th>step length needed</th><th>margins decidable at ${escapeHtml(minutesText(plan.minutesPerStep))} per step</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p><strong>${escapeHtml(verdictText(plan))}</strong></p>
</section>`;
}

/** The plan alone as a self-contained page. */
export function planPage(plan: RolloutPlan, context: { readonly history?: { readonly start: string; readonly end: string }; readonly renderedAt?: number } = {}): string {
  const renderedAt = new Date((context.renderedAt ?? Date.now() / 1000) * 1000).toISOString();
  const history = context.history ? `<span>history ${escapeHtml(context.history.start)} → ${escapeHtml(context.history.end)}</span>` : '';
  return `${pageHead('Rollout plan · canary-judge')}
<body>
<main>
<p class="context">${history}<span>rendered ${renderedAt}</span></p>
${planSection(plan)}
</main>
</body>
</html>
`;
}
