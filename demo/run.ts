/**
 * `npm run demo [scenario ...]`: plays the example rollout (docs/demo.md) for each scenario (default: all)
 * against a real Prometheus, prints a progress line per look, and writes the HTML report of
 * each scenario's deciding look to demo-reports/<scenario>.html (git-ignored).
 */
import path from 'node:path';
import { findPrometheus, prometheusMissingMessage } from '../test/support/prometheus';
import { durationNotice } from './progress';
import { playRollout, SCENARIOS, type Scenario } from './rollout';

const REPORT_DIR = path.join(process.cwd(), 'demo-reports');

async function main(): Promise<void> {
  if (!findPrometheus()) {
    process.stderr.write(`${prometheusMissingMessage()}\n`);
    process.exit(2);
  }
  const requested = process.argv.slice(2) as Scenario[];
  const unknown = requested.filter((s) => !(s in SCENARIOS));
  if (unknown.length) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}; choose from ${Object.keys(SCENARIOS).join(', ')}\n`);
    process.exit(2);
  }
  const scenarios = requested.length ? requested : (Object.keys(SCENARIOS) as Scenario[]);
  process.stdout.write(`${durationNotice(scenarios)}\n`);
  const results = [];
  for (const [i, scenario] of scenarios.entries()) {
    process.stdout.write(`\n=== scenario ${i + 1} of ${scenarios.length}: ${scenario} ===\n`);
    results.push(await playRollout({ scenario, reportDir: REPORT_DIR }));
  }
  process.stdout.write('\nsummary\n');
  for (const r of results) {
    const first = r.looksFirst === undefined ? '' : ` (the fixed revision; the first was rolled back after ${r.looksFirst} looks)`;
    process.stdout.write(`  ${r.scenario.padEnd(18)} ${r.outcome.padEnd(12)} at ${r.step.padEnd(4)} after ${r.looks} looks${first}${r.report ? `  report: ${r.report}` : ''}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
