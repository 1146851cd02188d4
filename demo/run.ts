/**
 * `npm run demo [scenario ...]`: plays the seed's rollout for each scenario (default: all four)
 * against a real Prometheus and prints a progress line per look.
 */
import { findPrometheus, prometheusMissingMessage } from '../test/support/prometheus';
import { playRollout, SCENARIOS, type Scenario } from './rollout';

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
  const results = [];
  for (const scenario of requested.length ? requested : (Object.keys(SCENARIOS) as Scenario[])) {
    results.push(await playRollout({ scenario }));
  }
  process.stdout.write('\nsummary\n');
  for (const r of results) process.stdout.write(`  ${r.scenario.padEnd(12)} ${r.outcome.padEnd(12)} at ${r.step} after ${r.looks} looks\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
