/**
 * The seed's rollout end to end (demo/rollout.ts): real fleet, real Prometheus, canary-judge
 * asked the Argo way and the Flagger way at every look. A healthy model-v2 is promoted; a
 * slower one, one with 3x the errors, one with shifted prediction scores and one that crashes
 * are rolled back; after a rollback, a fixed revision of the same workload is promoted.
 * Skipped with the install command when Prometheus is missing, except under CI=true.
 */
import { playRollout, type Outcome, type Scenario } from '../../demo/rollout';
import { findPrometheus, prometheusMissingMessage } from '../support/prometheus';

const binary = findPrometheus();
const inCi = process.env.CI === 'true';
if (!binary && !inCi) console.warn(`Skipping the rollout scenarios: ${prometheusMissingMessage()}`);
const describeWithPrometheus = binary || inCi ? describe : describe.skip;

describeWithPrometheus('the seed rollout against a real Prometheus', () => {
  beforeAll(() => {
    if (!binary) throw new Error(`CI=true and ${prometheusMissingMessage()}`);
  });

  it.each([
    ['healthy', 'promoted'],
    ['slower', 'rolled-back'],
    ['more-errors', 'rolled-back'],
    ['score-shift', 'rolled-back'],
    ['default-buckets', 'paused'],
    ['crash', 'rolled-back'],
    ['rollback-then-fix', 'promoted'],
  ] as [Scenario, Outcome][])('%s: %s', async (scenario, outcome) => {
    const lines: string[] = [];
    // On Envoy's default buckets the latency can never pass: a few promotion looks show it.
    const result = await playRollout({ scenario, log: (line) => lines.push(line), ...(scenario === 'default-buckets' ? { maxPromotionLooks: 3 } : {}) });
    if (result.outcome !== outcome) console.log(lines.join('\n'));
    expect(result.outcome).toBe(outcome);
    if (outcome === 'rolled-back') expect(result.lastReason).toMatch(/beyond the tolerated|below the marginal threshold/);
    // The crash shows as client-side failures: the gateway's refused connections to model-canary.
    if (scenario === 'crash') expect(result.lastReason).toMatch(/callers' proxies failed before it answered: UF [\d,]+ \(connection failure\)/);
    // The fixed revision is judged on its own pods: promoted although its predecessor failed.
    if (scenario === 'rollback-then-fix') expect(result.rolledBackFirst).toMatch(/beyond the tolerated|below the marginal threshold/);
    // The latency metric's own reason: the overall one can be a check's (the traffic split's, which
    // the demo's five-second windows under load can trip).
    if (scenario === 'default-buckets') expect(result.lastMetricReasons.join('\n')).toMatch(/too coarse to ever tell whether it is within the tolerated \+10%: p95 lies in the bucket \(50, 100\].*statsHistogramBuckets/);
  }, 240_000);
});
