/** The plan in the HTML report: its table per metric, the answer, escaped names; and the plan alone as a page. */
import { htmlReport } from '../../src/report/html-report';
import { planPage, planSection } from '../../src/report/plan-section';
import type { RolloutPlan } from '../../src/planner/plan';
import { analyze } from '../../src/judge/analyze';

const plan: RolloutPlan = {
  requestsPerMinute: 1000,
  errorRate: 0.005,
  steps: [0.01, 0.1, 0.5],
  minutesPerStep: 7,
  power: { pass: 0.8, fail: 0.9 },
  harm: { errorFactor: 2, latencyFactor: 1.2 },
  runs: 200,
  maxMinutesPerStep: 240,
  metrics: [
    {
      metric: { name: 'error-rate <b>', kind: 'error-rate', margin: { relative: 0.5, absolute: 0.001 } },
      stable: '0.5 % errors',
      given: { minutesPerStep: 7, passShare: 0.05, failShare: 0.045, medianPassMinute: 18, medianFailMinute: 17 },
      needed: { minutesPerStep: 90, passShare: 0.99, failShare: 0.905, medianPassMinute: 162, medianFailMinute: 206 },
      margins: { smallestPassing: 2, largestFailing: null },
    },
    {
      metric: { name: 'latency', kind: 'latency', margin: { relative: 0.1 }, quantile: 0.95 },
      stable: 'p95 91.1 ms',
      given: { minutesPerStep: 7, passShare: 0.825, failShare: 0.185, medianPassMinute: 16, medianFailMinute: 16 },
      needed: { minutesPerStep: 30, passShare: 1, failShare: 0.93, medianPassMinute: 42.5, medianFailMinute: 65 },
      margins: { smallestPassing: 0.1, largestFailing: 0.05 },
    },
  ],
  neededMinutesPerStep: 90,
};

describe('the plan in the report', () => {
  it('lists each metric with what it gets at the Rollout\'s steps, the step length it needs and its decidable margins', () => {
    const html = planSection(plan);
    expect(html).toContain('<h2>Planning: how long each step must run</h2>');
    expect(html).toContain('error-rate &lt;b&gt;');
    expect(html).not.toContain('error-rate <b>');
    expect(html).toContain('<td>1.5x or +0.1 pp</td>');
    expect(html).toContain('<td class="short">1.5 hours per step (4.5 hours in all)');
    expect(html).toContain('no margin decides both: a healthy canary passes from 3x, no margin tried fails 2x errors');
    expect(html).toContain('no margin decides both: a healthy canary passes from +10 %, p95 x1.2 fails up to +5 %');
    expect(html).toContain('<strong>this traffic needs 1.5 hours per step (4.5 hours in all); the Rollout gives 7 minutes: lengthen its steps');
  });

  it('is part of the analysis report when given, and a page of its own', async () => {
    const result = analyze({ metrics: [{ name: 'errors', kind: 'proportion', baseline: { events: 50, total: 10000 }, canary: { events: 5, total: 1000 } }] });
    const report = await htmlReport({ result, plan, renderedAt: 1_700_000_000 });
    expect(report).toContain('Planning: how long each step must run');
    expect(await htmlReport({ result, renderedAt: 1_700_000_000 })).not.toContain('Planning:');
    const page = planPage(plan, { history: { start: '2026-12-01T10:00:00.000Z', end: '2026-12-01T13:00:00.000Z' }, renderedAt: 1_700_000_000 });
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('history 2026-12-01T10:00:00.000Z → 2026-12-01T13:00:00.000Z');
    expect(page).toContain('<style>');
  });
});
