/**
 * A plan in words and as a table, for the CLI (`canary-judge plan`) and the HTML report
 * (src/report/plan-section.ts): per metric what the stable shows, how a healthy and a harmful
 * canary fare at the Rollout's step length, the step length both need, and the margins the
 * traffic can decide in the Rollout's time.
 */
import type { Margin } from '../judge/types';
import type { MetricPlan, Outcome, PlanMetric, RolloutPlan } from './plan';

const pct = (x: number) => `${Number((x * 100).toPrecision(3))} %`;

/** "1.5x or +0.1 pp" for an error rate, "+10 %" for a latency quantile. */
export function marginText(metric: PlanMetric, margin: Margin = metric.margin): string {
  const parts: string[] = [];
  if (margin.relative !== undefined) parts.push(metric.kind === 'error-rate' ? `${Number((1 + margin.relative).toPrecision(3))}x` : `+${Number((margin.relative * 100).toPrecision(3))} %`);
  if (margin.absolute !== undefined) parts.push(metric.kind === 'error-rate' ? `+${Number((margin.absolute * 100).toPrecision(3))} pp` : `+${margin.absolute} ms`);
  return parts.join(' or ');
}

/** The harm a metric is planned against: "2x errors", "p95 x1.2". */
export function harmText(plan: RolloutPlan, metric: PlanMetric): string {
  return metric.kind === 'error-rate' ? `${plan.harm.errorFactor}x errors` : `p${Number(((metric.quantile ?? 0.95) * 100).toPrecision(4))} x${plan.harm.latencyFactor}`;
}

export function outcomeText(o: Outcome): string {
  const when = (m: number | null) => (m === null ? '' : ` (median minute ${m})`);
  return `healthy pass ${pct(o.passShare)}${when(o.medianPassMinute)}, harmful fail ${pct(o.failShare)}${when(o.medianFailMinute)}`;
}

export function minutesText(minutes: number): string {
  return minutes < 90 ? `${minutes} minutes` : `${Number((minutes / 60).toPrecision(3))} hours`;
}

/** Per metric: the step length it needs, in a sentence. */
export function neededText(plan: RolloutPlan, m: MetricPlan): string {
  if (m.note) return `never decidable on these data: ${m.note}`;
  if (!m.needed && m.limit) return `not within ${minutesText(plan.maxMinutesPerStep)} per step, and ${m.limit.alone ? 'the buckets, not the traffic, are the limit' : 'the buckets slow it'}: ${m.limit.text}`;
  if (!m.needed) return `more than ${minutesText(plan.maxMinutesPerStep)} per step: no step length tried up to that meets ${pct(plan.power.pass)} healthy passes and ${pct(plan.power.fail)} harmful fails`;
  const needed = `${minutesText(m.needed.minutesPerStep)} per step (${minutesText(m.needed.minutesPerStep * plan.steps.length)} in all): ${outcomeText(m.needed)}`;
  return m.limit ? `${needed}; ${m.limit.alone ? 'the buckets, not the traffic, set this length' : 'the buckets slow it'}: ${m.limit.text}` : needed;
}

/** Per metric: which relative margins the traffic decides in the Rollout's time, in a sentence. */
export function marginsText(plan: RolloutPlan, m: MetricPlan): string {
  if (m.note) return 'none (see above)';
  const { smallestPassing, largestFailing } = m.margins;
  const show = (r: number) => marginText(m.metric, { relative: r });
  const passing = smallestPassing === null ? 'no margin tried passes a healthy canary' : `a healthy canary passes from ${show(smallestPassing)}`;
  const failing = largestFailing === null ? `no margin tried fails ${harmText(plan, m.metric)}` : `${harmText(plan, m.metric)} fails up to ${show(largestFailing)}`;
  const both = smallestPassing !== null && largestFailing !== null && smallestPassing <= largestFailing ? `margins from ${show(smallestPassing)} to ${show(largestFailing)} decide both` : 'no margin decides both';
  return `${both}: ${passing}, ${failing}`;
}

/** The plan as the CLI prints it. */
export function planText(plan: RolloutPlan & { readonly history?: { readonly start: string; readonly end: string } }): string {
  const steps = plan.steps.map((s) => `${Number((s * 100).toPrecision(3))} %`).join(' -> ');
  const lines = [
    `plan: steps ${steps}, ${minutesText(plan.minutesPerStep)} each as the Rollout gives (${minutesText(plan.minutesPerStep * plan.steps.length)} in all)`,
    `stable: ${Math.round(plan.requestsPerMinute).toLocaleString('en-US')} requests/minute (median), ${pct(plan.errorRate)} errors${plan.history ? `, history ${plan.history.start} -> ${plan.history.end}` : ''}`,
    `asked: a healthy canary passes in >= ${pct(plan.power.pass)} of rollouts, a harmful one fails in >= ${pct(plan.power.fail)}; ${plan.runs} simulated rollouts per setting, judged as the service judges`,
    '',
  ];
  for (const m of plan.metrics) {
    lines.push(`${m.metric.name} (${m.stable}; margin ${marginText(m.metric)}; harmful: ${harmText(plan, m.metric)})`);
    lines.push(`  at ${minutesText(m.given.minutesPerStep)} per step: ${outcomeText(m.given)}`);
    lines.push(`  needs: ${neededText(plan, m)}`);
    lines.push(`  margins decidable at ${minutesText(plan.minutesPerStep)} per step: ${marginsText(plan, m)}`);
    lines.push('');
  }
  lines.push(verdictText(plan));
  return `${lines.join('\n')}\n`;
}

/** The plan's one-line answer. */
export function verdictText(plan: RolloutPlan): string {
  const limited = plan.metrics.filter((m) => m.limit?.alone).map((m) => m.metric.name);
  if (plan.neededMinutesPerStep === null) {
    const buckets = limited.length ? `: the buckets, not the traffic, limit ${limited.join(' and ')} (finer bounds or a wider margin would decide it)` : '';
    return `this traffic cannot decide every metric within the longest step tried${buckets}; see each metric above`;
  }
  const enough = plan.neededMinutesPerStep <= plan.minutesPerStep;
  const finer = limited.length ? `, or give ${limited.join(' and ')} finer buckets (see above)` : '';
  return `this traffic needs ${minutesText(plan.neededMinutesPerStep)} per step (${minutesText(plan.neededMinutesPerStep * plan.steps.length)} in all); the Rollout gives ${minutesText(plan.minutesPerStep)}${enough ? ': enough' : `: lengthen its steps (pause durations or analysis counts) or judge at wider margins${finer}`}`;
}
