/**
 * `npm run bench:planner`: what the rollout planner (src/planner/plan.ts) answers for the
 * decision benchmark's low-traffic world (1,000 requests/minute, the seed's 0.5 % errors and
 * latency on its resolving buckets, 4 metrics sharing the fail rate), and a cross-check of its
 * simulation against the benchmark's own (bench/simulate/rollout.ts, an independent generator)
 * at the benchmark's 7-minute steps.
 *
 * Flags: --runs N (simulated rollouts per setting, default 300), --rpm N (default 1000).
 */
import { analyze } from '../src/judge/analyze';
import { planRollout, type PlanOptions } from '../src/planner/plan';
import { planText } from '../src/planner/plan-text';
import { canaryJudgeTimelineMetrics } from './simulate/methods';
import { BASELINE, LATENCY_BOUNDS, LOOKS, probabilities, RolloutData, rolloutSeed } from './simulate/rollout';
import { normalSampler, seededRandom } from '../test/support/random';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const runs = flag('--runs', 300);
const rpm = flag('--rpm', 1000);
const started = Date.now();

// The stable's history as the benchmark's baseline model: two hours at `rpm`, its bucket probabilities.
const model = probabilities(BASELINE);
const history = {
  intervalSeconds: 60,
  requests: Array(120).fill(rpm),
  errors: Array(120).fill(rpm * BASELINE.errorRate),
  latency: { bounds: LATENCY_BOUNDS, counts: Array.from(model.latency, (p) => Math.round(p * 1e7)) },
};
const metrics: PlanOptions['metrics'] = [
  { name: 'errors', kind: 'error-rate', margin: { relative: 0.5, absolute: 0.001 } },
  { name: 'latency', kind: 'latency', margin: { relative: 0.1 }, quantile: 0.95 },
];
const base = { steps: [0.01, 0.1, 0.5], minutesPerStep: 7, alpha: 0.05, metricCount: 4, runs, metrics } as const;

console.log(`# The planner at ${rpm.toLocaleString('en-US')} requests/minute (\`npm run bench:planner\`)\n`);
console.log('## The issue\'s targets: 3x errors caught >= 90 %, a healthy canary passes >= 50 %\n');
const issue = planRollout(history, { ...base, harm: { errorFactor: 3, latencyFactor: 1.2 }, power: { pass: 0.5, fail: 0.9 } });
console.log('```text\n' + planText(issue) + '```\n');
console.log('## The planner\'s defaults: 2x errors and p95 x1.2 caught >= 90 %, a healthy canary passes >= 80 %\n');
const defaults = planRollout(history, base);
console.log('```text\n' + planText(defaults) + '```\n');

// Cross-check at 7-minute steps: the benchmark's own generator, the error metric judged per interval at look 21.
function benchShares(errorRate: number, stream: number): { pass: number; fail: number } {
  let pass = 0;
  let fail = 0;
  const canary = probabilities({ ...BASELINE, errorRate });
  for (let r = 0; r < runs; r++) {
    const uniform = seededRandom(rolloutSeed(20240601, stream, r));
    const data = new RolloutData(model, canary, uniform, normalSampler(uniform), rpm);
    for (let look = 1; look <= LOOKS; look++) data.nextMinute();
    // Four metrics, as the plan's Bonferroni share assumes; only the error metric is read.
    const result = analyze({ metrics: canaryJudgeTimelineMetrics(data, 'default') }).metrics.find((m) => m.name === 'errors')!;
    if (result.verdict === 'pass') pass++;
    if (result.verdict === 'fail') fail++;
  }
  return { pass: pass / runs, fail: fail / runs };
}
const healthy = benchShares(BASELINE.errorRate, 901);
const harmful = benchShares(3 * BASELINE.errorRate, 902);
const planned = issue.metrics.find((m) => m.metric.kind === 'error-rate')!.given;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
console.log('## Cross-check at 7-minute steps (the error metric, 3x harm)\n');
console.log('| simulation | healthy pass by look 21 | 3x errors fail by look 21 |');
console.log('|---|---|---|');
console.log(`| the planner's (src/planner/plan.ts) | ${pct(planned.passShare)} | ${pct(planned.failShare)} |`);
console.log(`| the decision benchmark's generator, analyze() on 4 metrics | ${pct(healthy.pass)} | ${pct(harmful.fail)} |`);
console.log(`\n${runs} rollouts per setting; wall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
