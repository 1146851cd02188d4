/**
 * The example rollout (docs/demo.md), played end to end: a simulated fleet (model-v1 stable, model-v2 canary)
 * behind a traffic generator that routes like the Istio VirtualService, a real Prometheus
 * scraping it, and canary-judge deciding at every step, asked both the Argo Rollouts way
 * (the shipped AnalysisTemplates as rollout.yaml uses them: the harm watch before the last
 * step, the gate at it; evaluated with Argo's jsonPath and condition rules) and the
 * Flagger way (confirm-traffic-increase / confirm-promotion and rollback webhooks).
 *
 * Steps: a shadow (20 % of the requests to v1 mirrored to v2, v2's answers dropped: Argo's
 * setMirrorRoute), testers only (header `x-canary-version: v2`), then 1 % -> 10 % -> 50 %, where the
 * promotion is decided (as Flagger's confirm-promotion at maxWeight, and an Argo analysis
 * before the last setWeight: at 100 % there would be no baseline traffic left to compare
 * with), then 100 %.
 * The driver looks every `lookIntervalMs`, as both callers would:
 * - traffic steps take `looksPerStep` looks; a fail from either caller (Argo Failed, Flagger
 *   confirm-traffic-increase 412, or Flagger's rollback hook answering 200) rolls back at
 *   once; inconclusive looks let the weight grow, as Flagger's confirm-traffic-increase and
 *   Argo's harm watch (canary-judge-watch) do, because evidence at 1 % takes time;
 * - promotion needs a pass from both (Argo Successful, Flagger confirm-promotion 200), looking
 *   up to `maxPromotionLooks` times before leaving the rollout paused, as Argo leaves an
 *   inconclusive analysis.
 * Every look sees all the canary's data: the Argo template's window follows the canary ("since":
 * "canary", by 5 s intervals, so rates are tested per interval and verdicts are sticky), the
 * Flagger calls' starts at the rollout's start (by 5 s intervals too: the demo's minutes are
 * seconds, and a pass rests on the settled intervals at the canary's current weight), and the
 * detail call (the reason printed) is the Argo template's request.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { parse } from 'yaml';
import { createApp } from '../src/service/app';
import { createSelfMetrics } from '../src/service/self-metrics';
import { builtInProfiles } from '../src/profiles/profiles';
import { PrometheusClient } from '../src/sources/prometheus/client';
import { PrometheusSource } from '../src/sources/prometheus/prometheus-source';
import { measure, substituteArgs, type WebMetric } from '../test/support/argo-web-metric';
import { startPrometheus } from '../test/support/prometheus';
import { createFleet, HEALTHY, type Behaviour, type Fleet } from './fleet';
import { ENVOY_DEFAULT_BUCKETS } from './latency-buckets';
import { createTraffic, serveGatewayMetrics, type Traffic, type Weights } from './traffic';
import { lookLines, wrap } from './progress';

export type Scenario = 'healthy' | 'slower' | 'more-errors' | 'score-shift' | 'default-buckets' | 'crash' | 'rollback-then-fix';
export type Outcome = 'promoted' | 'rolled-back' | 'paused';

/**
 * model-v1 as the demo runs it: the fleet's healthy model, failing 1 % of requests rather than
 * 0.5 %, so that a rollout squeezed into two minutes sees enough errors for the anytime-valid
 * error-rate check to decide (BENCHMARKS.md shows how many looks 0.5 % needs).
 */
export const BASELINE: Behaviour = { ...HEALTHY, errorRate: 0.01 };

/**
 * What model-v2 does differently in each scenario. `default-buckets` plays a healthy model-v2
 * on pods without the bucket annotation (Envoy's default latency buckets, 2-2.5x apart): the
 * honest outcome is a pause, with the reason naming the buckets and the fix.
 */
export const SCENARIOS: Record<Scenario, { description: string; v2: Behaviour; latencyBuckets?: readonly number[]; crashAt?: string; fix?: Behaviour }> = {
  healthy: { description: 'model-v2 behaves like model-v1', v2: BASELINE },
  slower: { description: 'model-v2 is 30 % slower', v2: { ...BASELINE, latency: { ...BASELINE.latency, multiplier: 1.3 } } },
  'more-errors': { description: 'model-v2 fails 3x as often (3 % vs 1 %)', v2: { ...BASELINE, errorRate: 0.03 } },
  'score-shift': { description: 'model-v2 is less confident (mean score 0.6 vs 0.7)', v2: { ...BASELINE, score: { ...BASELINE.score, mean: 0.6 } } },
  'default-buckets': { description: "model-v2 behaves like model-v1, on Envoy's default latency buckets (no bucket annotation)", v2: BASELINE, latencyBuckets: ENVOY_DEFAULT_BUCKETS },
  crash: { description: 'model-v2 behaves like model-v1, then crashes at the 10 % step (its pods refuse connections; the gateway fails what it routes there)', v2: BASELINE, crashAt: '10%' },
  'rollback-then-fix': {
    description: 'a model-v2 failing 3x as often is rolled back; a fixed revision (a new pod-template hash, every label the same) then rolls out on the same canary workload',
    v2: { ...BASELINE, errorRate: 0.03 },
    fix: BASELINE,
  },
};

/** The fixed revision's pod-template hash in `rollback-then-fix`. */
const FIX_HASH = '5b8c7d6e9';

interface Step {
  readonly label: string;
  /** The canary-weight arg rollout.yaml passes at this step ('' where it runs no analysis). */
  readonly weightArg: string;
  readonly weights: Weights;
  readonly headerShare: number;
  /** Share of v1's requests copied to v2 (Istio mirror), answers dropped. */
  readonly mirrorShare?: number;
  readonly promotion?: boolean;
}

const STEPS: readonly Step[] = [
  { label: 'shadow (mirror 20%)', weightArg: '0.1667', weights: { v1: 100, v2: 0 }, headerShare: 0, mirrorShare: 0.2 },
  { label: 'testers (header)', weightArg: '', weights: { v1: 100, v2: 0 }, headerShare: 0.02 },
  { label: '1%', weightArg: '0.01', weights: { v1: 99, v2: 1 }, headerShare: 0 },
  { label: '10%', weightArg: '0.1', weights: { v1: 90, v2: 10 }, headerShare: 0 },
  { label: '50%', weightArg: '0.5', weights: { v1: 50, v2: 50 }, headerShare: 0, promotion: true },
];

export interface RolloutOptions {
  readonly scenario: Scenario;
  /** Multiplies the example rollout's 10,000 requests/minute (default 10). */
  readonly speed?: number;
  readonly lookIntervalMs?: number;
  readonly looksPerStep?: number;
  readonly maxPromotionLooks?: number;
  readonly log?: (line: string) => void;
  /** Where to write the HTML report of the deciding look (`<scenario>.html`); none when unset. */
  readonly reportDir?: string;
}

export interface RolloutResult {
  readonly scenario: Scenario;
  readonly outcome: Outcome;
  readonly step: string;
  readonly looks: number;
  readonly lastReason: string;
  /** The deciding look's metrics, "name: reason" (the overall reason may be a check's, the traffic split's). */
  readonly lastMetricReasons: readonly string[];
  /** The HTML report of the deciding look, when `reportDir` was given. */
  readonly report?: string;
  /** rollback-then-fix: why the first revision was rolled back. */
  readonly rolledBackFirst?: string;
  /** rollback-then-fix: the first revision's looks (`looks` counts the fixed revision's own). */
  readonly looksFirst?: number;
}

/** The shipped gate (the promotion step) and harm watch (the steps before it), as rollout.yaml uses them. */
const shippedMetric = (file: string): WebMetric => parse(fs.readFileSync(path.join(__dirname, '../analysis-templates/argo', file), 'utf8')).spec.metrics[0];
const argoGate = shippedMetric('analysis-template.yaml');
const argoWatch = shippedMetric('analysis-template-watch.yaml');

export async function playRollout(options: RolloutOptions): Promise<RolloutResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const scenario = SCENARIOS[options.scenario];
  const fleet = await createFleet({ v1: BASELINE, v2: scenario.v2, latencyBuckets: scenario.latencyBuckets });
  // The generator is the ingress gateway too: its own reports (reporter="source") of what it
  // routed to model-canary / model-primary, client-side failures included.
  const traffic = createTraffic({ endpoints: fleet.endpoints, speed: options.speed ?? 10, weights: STEPS[0].weights, headerShare: STEPS[0].headerShare, maxDurationMs: 10 * 60_000 });
  const gateway = await serveGatewayMetrics(traffic);
  const prometheus = await startPrometheus({ targets: [...fleet.targets, gateway.address], scrapeIntervalSeconds: 1 });
  const source = new PrometheusSource(new PrometheusClient({ baseUrl: prometheus.url, queryTimeoutMs: 5000 }));
  const app = createApp({
    config: { BODY_LIMIT: '1mb' },
    logger: pino({ level: 'silent' }),
    metrics: createSelfMetrics(false),
    lifecycle: { draining: false },
    analysis: { source, profiles: builtInProfiles(), deadlineMs: 8000, defaultLookbackSeconds: 600, now: () => Date.now() / 1000 },
  });
  const judge = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => judge.once('listening', resolve));
  const judgeUrl = `http://127.0.0.1:${(judge.address() as AddressInfo).port}`;
  traffic.start();
  const startedAt = Date.now();
  try {
    log(`[${options.scenario}] ${scenario.description}`);
    const first = await runSteps({ options, log, fleet, traffic, judgeUrl, startedAt });
    if (!scenario.fix || first.outcome !== 'rolled-back') return first;
    // Rolled back: the canary is scaled to zero (its pod is gone), then a fixed revision of the
    // same workload comes up with a new pod-template hash and every label the same. Before it
    // has served, the judge must not roll it back for its predecessor's failure.
    await fleet.setScaledToZero('v2', true);
    await sleep(options.lookIntervalMs ?? 2000);
    fleet.newRevision('v2', FIX_HASH, scenario.fix);
    await fleet.setScaledToZero('v2', false);
    await sleep(1500);
    const flaggerBody = { name: 'model', namespace: 'ml', phase: 'Progressing', checksum: `${options.scenario}-fix`, metadata: { since: 'canary', timelineStep: '5s', maxAge: '15m' } };
    const rollback = await post(`${judgeUrl}/v1/flagger/rollback`, flaggerBody);
    for (const line of wrap(`[${options.scenario}] new revision ${FIX_HASH} up, not served yet: Flagger's rollback hook answers ${rollback.status}: ${rollback.text.trim()}`, 100, '')) log(line);
    if (rollback.status === 200) return { ...first, lastReason: `the fixed revision was rolled back before it served: ${rollback.text}`, lastMetricReasons: [] };
    const second = await runSteps({ options, log, fleet, traffic, judgeUrl, startedAt });
    return { ...second, rolledBackFirst: first.lastReason, looksFirst: first.looks };
  } finally {
    await traffic.stop();
    await new Promise((resolve) => judge.close(resolve));
    await prometheus.stop();
    await gateway.close();
    await fleet.close();
  }
}

interface StepsContext {
  readonly options: RolloutOptions;
  readonly log: (line: string) => void;
  readonly fleet: Fleet;
  readonly traffic: Traffic;
  readonly judgeUrl: string;
  readonly startedAt: number;
}

/** The steps of one rollout of the canary's current revision, asking the judge at every look. */
async function runSteps({ options, log, fleet, traffic, judgeUrl, startedAt }: StepsContext): Promise<RolloutResult> {
  const lookIntervalMs = options.lookIntervalMs ?? 2000;
  const looksPerStep = options.looksPerStep ?? 3;
  const maxPromotionLooks = options.maxPromotionLooks ?? 45;
  const scenario = SCENARIOS[options.scenario];
  // The window starts a little before the first request so increase() sees the series begin.
  const start = new Date(Date.now() - 2000).toISOString();
  // One count per rollout (of this revision), over all its steps: the number each look prints,
  // the pause and the summary say.
  let looks = 0;
  let lastReason = '';
  let lastMetricReasons: string[] = [];
  /** The deciding look's analysis request (the last look's: every outcome is decided by its last look). */
  let lastBody: object = {};
  const revision = fleet.identities.v2.hash;
  for (const step of STEPS) {
    traffic.setWeights(step.weights);
    traffic.setHeaderShare(step.headerShare);
    traffic.setMirrorShare(step.mirrorShare ?? 0);
    if (scenario.crashAt === step.label) {
      await fleet.setCrashed('v2', true);
      log(`[${options.scenario}] model-v2 crashes: its pods refuse connections`);
    }
    const maxLooks = step.promotion ? maxPromotionLooks : looksPerStep;
    let advanced = false;
    for (let look = 1; look <= maxLooks && !advanced; look++) {
      await sleep(lookIntervalMs);
      looks++;
      // The shipped template follows the canary ("since": "canary"); the demo's minutes are
      // seconds, so its timeline steps are too. The pod-template hashes are what Argo's
      // valueFrom.podTemplateHashValue gives (Latest, Stable); the Services what the gateway
      // routes by (Flagger's names: the demo's fleet serves both callers).
      const args = {
        namespace: 'ml',
        rollout: 'model',
        'canary-hash': revision,
        'stable-hash': fleet.identities.v1.hash,
        'canary-service': 'model-canary',
        'stable-service': 'model-primary',
        'canary-weight': step.weightArg,
        'max-age': '15m',
        'timeline-step': '5s',
        profile: 'default',
        reporter: 'destination',
        'judge-url': `${judgeUrl}/v1/analyze`,
      };
      // The detail call (the reason printed, the report page) is the Argo template's request,
      // its window ending now, so the report page (asked after the decision) shows the same window.
      const argoMetric = step.promotion ? argoGate : argoWatch;
      const detailBody = { ...substituteArgs(argoMetric.provider.web.jsonBody as Record<string, unknown>, args), end: new Date().toISOString() };
      const flaggerBody = { name: 'model', namespace: 'ml', phase: 'Progressing', checksum: `${options.scenario}-${revision}`, metadata: { start, timelineStep: '5s' } };
      const gate = step.promotion ? 'confirm-promotion' : 'confirm-traffic-increase';
      const [argo, flaggerGate, flaggerRollback, detail] = await Promise.all([
        measure(argoMetric, args),
        post(`${judgeUrl}/v1/flagger/${gate}`, flaggerBody),
        post(`${judgeUrl}/v1/flagger/rollback`, flaggerBody),
        post(`${judgeUrl}/v1/analyze`, detailBody),
      ]);
      const verdict = JSON.parse(detail.text) as { verdict?: string; reason?: string; metrics?: { name: string; reason: string }[] };
      lastReason = verdict.reason ?? detail.text;
      lastMetricReasons = (verdict.metrics ?? []).map((m) => `${m.name}: ${m.reason}`);
      const weights = `v1=${step.weights.v1}% v2=${step.weights.v2}%${step.headerShare ? ` +${step.headerShare * 100}% by header` : ''}`;
      for (const line of lookLines({
        scenario: options.scenario,
        elapsedMs: Date.now() - startedAt,
        look: looks,
        step: step.label,
        weights,
        verdict: verdict.verdict ?? `no verdict (HTTP ${detail.status})`,
        reason: lastReason,
        argo: { template: step.promotion ? 'gate' : 'watch', phase: String(argo.phase) },
        flagger: { hook: gate, status: flaggerGate.status, text: flaggerGate.text, rollbackStatus: flaggerRollback.status },
      }))
        log(line);
      if (argo.phase === 'Failed' || flaggerRollback.status === 200 || (flaggerGate.status === 412 && verdict.verdict === 'fail')) {
        traffic.setWeights({ v1: 100, v2: 0 });
        // The four calls of a look judge a few scrapes apart: the reason is the deciding
        // call's (Flagger's answer line carries it) when the separate detail call lags.
        if (verdict.verdict !== 'fail') {
          const deciding = [flaggerRollback.status === 200 ? flaggerRollback : undefined, flaggerGate.status === 412 ? flaggerGate : undefined].find((r) => r?.text.includes('canary-judge fail'));
          if (deciding) lastReason = deciding.text;
        }
        for (const line of wrap(`[${options.scenario}] ROLLED BACK at ${step.label}, look ${looks}: ${lastReason}`, 100, '')) log(line);
        await fleet.setCrashed('v2', false);
        const report = await writeReport(judgeUrl, detailBody, options, log);
        return { scenario: options.scenario, outcome: 'rolled-back', step: step.label, looks, lastReason, lastMetricReasons, ...(report ? { report } : {}) };
      }
      advanced = step.promotion ? argo.phase === 'Successful' && flaggerGate.status === 200 : look === maxLooks && flaggerGate.status === 200;
      lastBody = detailBody;
    }
    if (!advanced) {
      log(`[${options.scenario}] PAUSED at ${step.label}, look ${looks}: still inconclusive after the gate's ${maxLooks} looks at this step`);
      const report = await writeReport(judgeUrl, lastBody, options, log);
      return { scenario: options.scenario, outcome: 'paused', step: step.label, looks, lastReason, lastMetricReasons, ...(report ? { report } : {}) };
    }
  }
  traffic.setWeights({ v1: 0, v2: 100 });
  log(`[${options.scenario}] PROMOTED at look ${looks}: model-v2 (${revision}) now takes 100 % of traffic`);
  const report = await writeReport(judgeUrl, lastBody, options, log);
  return { scenario: options.scenario, outcome: 'promoted', step: '50%', looks, lastReason, lastMetricReasons, ...(report ? { report } : {}) };
}

/** The deciding look's HTML report written to `<reportDir>/<scenario>.html`; its path, or undefined without a reportDir. */
async function writeReport(judgeUrl: string, body: object, options: RolloutOptions, log: (line: string) => void): Promise<string | undefined> {
  if (!options.reportDir) return undefined;
  const page = await post(`${judgeUrl}/v1/analyze?format=html`, body);
  if (page.status !== 200) {
    for (const line of wrap(`[${options.scenario}] no report page: the judge answered ${page.status} ${page.text}`, 100, '')) log(line);
    return undefined;
  }
  fs.mkdirSync(options.reportDir, { recursive: true });
  const file = path.join(options.reportDir, `${options.scenario}.html`);
  fs.writeFileSync(file, page.text);
  log(`[${options.scenario}] report of the deciding look: ${file}`);
  return file;
}

async function post(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  return { status: response.status, text: await response.text() };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
