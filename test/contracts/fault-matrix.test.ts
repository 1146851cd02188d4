/**
 * The fault matrix (issue 22): a fake Prometheus on its own socket answers a rollout's queries
 * from a simulated fleet (test/support/canary-world.ts), and each fault mode
 * (test/support/fault-modes.ts) corrupts the answers of the canary, the baseline or both. Every
 * entry point is asked: Argo's /v1/analyze with a lookback and with "since": "canary", Flagger's
 * rollout, confirm-promotion (both windows) and rollback hooks, and the report links those
 * answers carry (an analysis' and a Flagger check's).
 *
 * The property: on rollouts whose clean verdict is not pass (6x errors, +30 % latency in classic
 * buckets and in native histograms, a shifted class mix: fail; too little canary traffic:
 * inconclusive), no fault yields a pass, nor a 2xx
 * at Flagger's promotion gate, nor a rollback the clean data would not give. Each rollout is
 * judged on the one metric it is about, so that a fault absorbed into that metric's data (a NaN
 * read as zero, copies summed) would show as a pass instead of hiding behind another failing
 * metric; a fault is injected where it touches that metric's queries. On a healthy rollout
 * (all three metrics, which passes clean) each fault must be seen: a 503 naming its code, or
 * an inconclusive reason that says what is missing.
 *
 * Flagger's rollout hook answers 200 to an inconclusive verdict by design (evidence still
 * building): a fault that leaves a failing canary inconclusive (its series gone, its buckets
 * coarser) gets that 200 as well, and the promotion gate stops it.
 *
 * FAULT_MATRIX_TABLE=<file> writes every outcome as JSON.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { builtInProfiles } from '../../src/profiles/profiles';
import type { TemplateMetric } from '../../src/sources/metric-source';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { PrometheusSource } from '../../src/sources/prometheus/prometheus-source';
import { testApp } from '../support/app';
import { END, instantAnswer, NATIVE_LATENCY, parseQuery, podAnswer, rangeAnswer, SCENARIOS, valueText, type Role, type ScenarioName, type SideName, type World, type WorldHistogram, type WorldSeries } from '../support/canary-world';
import { FAULT_MODES, type Expectation, type FaultedAnswer, type FaultMode } from '../support/fault-modes';
import { startFakePrometheus, type CannedAnswer, type RecordedRequest, type Responder } from '../sources/fake-prometheus';

type MetricName = 'latency' | 'errors' | 'classes' | 'native';
const METRICS: Record<MetricName, TemplateMetric> = {
  latency: { name: 'latency', template: 'istio-latency', quantile: 0.95, margin: { relative: 0.1 }, critical: true },
  native: { name: 'native', template: 'histogram', metric: NATIVE_LATENCY, native: true, quantile: 0.95, margin: { relative: 0.1 }, critical: true },
  errors: { name: 'errors', template: 'istio-error-rate', margin: { relative: 0.5, absolute: 0.001 }, critical: true },
  classes: { name: 'classes', template: 'categorical', metric: 'model_predictions_total', by: 'class', margin: { absolute: 0.05 }, critical: true },
};
/** The queries each metric sends per side. */
const ROLES: Record<MetricName, readonly Role[]> = { latency: ['buckets', 'bucket-series'], errors: ['events', 'total', 'client-failed'], classes: ['categories'], native: ['native-histogram', 'native-classic', 'native-classic-series'] };

interface Case {
  readonly name: string;
  readonly world: ScenarioName;
  readonly metrics: readonly MetricName[];
  readonly clean: 'pass' | 'fail' | 'inconclusive';
}
const profileOf = (c: Case) => `fm-${c.metrics.join('-')}`;

const CASES: readonly Case[] = [
  { name: '6x errors', world: 'errors-6x', metrics: ['errors'], clean: 'fail' },
  { name: '+30 % latency', world: 'latency+30%', metrics: ['latency'], clean: 'fail' },
  { name: 'a shifted class mix', world: 'class-shift', metrics: ['classes'], clean: 'fail' },
  { name: 'low traffic, errors', world: 'low-traffic-errors', metrics: ['errors'], clean: 'inconclusive' },
  { name: 'low traffic, latency', world: 'low-traffic', metrics: ['latency'], clean: 'inconclusive' },
  { name: 'low traffic, classes', world: 'low-traffic', metrics: ['classes'], clean: 'inconclusive' },
  { name: '+30 % latency (native histograms)', world: 'latency+30%', metrics: ['native'], clean: 'fail' },
  { name: 'low traffic, latency (native histograms)', world: 'low-traffic', metrics: ['native'], clean: 'inconclusive' },
];
const HEALTHY: Case = { name: 'healthy', world: 'healthy', metrics: ['latency', 'errors', 'classes', 'native'], clean: 'pass' };

/** Whether a fault touches the queries of a case's metrics. */
const touches = (fault: FaultMode, c: Case) => !fault.roles || c.metrics.some((m) => ROLES[m].some((r) => fault.roles!.includes(r)));

const MAX_AGE = '20m';
/** One fault on three targets is up to 24 analyses, some rendering a report: room for a loaded CI machine. */
const SLOW_MS = 60_000;

type Target = 'canary' | 'baseline' | 'both';
const TARGETS: readonly Target[] = ['canary', 'baseline', 'both'];
const hits = (target: Target, side: SideName) => target === 'both' || target === side;

/** What an entry point answered, read the way its caller reads it. */
interface Outcome {
  readonly status: number;
  readonly verdict?: 'pass' | 'fail' | 'inconclusive';
  /** 503: the fault codes it names; 200: the reason. */
  readonly faults?: readonly string[];
  readonly text: string;
  /** A report link the answer carries. */
  readonly report?: string;
}

type EntryName =
  | 'argo lookback'
  | 'argo since canary'
  | 'flagger rollout'
  | 'flagger confirm-promotion'
  | 'flagger confirm-promotion (lookback)'
  | 'flagger rollback'
  | 'report (argo lookback)'
  | 'report (flagger)';
/** Asked on healthy data: one per way of choosing the window (a lookback, since the canary). */
const DETECTION_ENTRIES: readonly EntryName[] = ['argo lookback', 'argo since canary'];

const ENTRY_NAMES: readonly EntryName[] = ['argo lookback', 'argo since canary', 'flagger rollout', 'flagger confirm-promotion', 'flagger confirm-promotion (lookback)', 'flagger rollback', 'report (argo lookback)', 'report (flagger)'];

/**
 * How much of the product of cases, faults, targets and entry points is asked. By default every
 * fault on every target of every case where a canary is decided (Argo's analysis since the
 * canary, Flagger's promotion gate), and at every entry point on the canary: a fault on the
 * baseline or both sides reaches the other entry points through the same fetch and validation.
 * FAULT_MATRIX=full asks the whole product (about twice as many analyses).
 */
const FULL = process.env.FAULT_MATRIX === 'full';
const DECISION_ENTRIES: readonly EntryName[] = ['argo since canary', 'flagger confirm-promotion'];
function entriesFor(c: Case, target: Target): EntryName[] {
  // Where the clean data already roll back, a fault cannot add a rollback: nothing to ask.
  return ENTRY_NAMES.filter((entry) => (FULL || target === 'canary' || DECISION_ENTRIES.includes(entry)) && !(entry === 'flagger rollback' && c.clean === 'fail'));
}

const argo = (c: Case) => ({
  profile: profileOf(c),
  labels: { destination_workload_namespace: 'ml' },
  // The Services the callers route to, as Flagger's sides have them: client-side failures count as errors.
  baseline: { labels: { destination_version: 'v1' }, sourceLabels: { destination_service_name: 'model-primary' } },
  canary: { labels: { destination_version: 'v2' }, sourceLabels: { destination_service_name: 'model-canary' } },
});
const flaggerPayload = (c: Case, metadata: Record<string, string>) => ({ name: 'model', namespace: 'ml', metadata: { profile: profileOf(c), ...metadata } });
const SINCE = { since: 'canary', maxAge: MAX_AGE };
const LOOKBACK = '10m';

/**
 * The one place that answers the revision look-up (src/sources/revision/): which pods each side
 * had, and since when (for "since": "canary", from `maxAge` back). It is answered from the clean
 * world, so that every analysis judges the same window and revisions, and a fault is seen where
 * the metrics are judged. Adapt it here when that look-up changes.
 */
function answerRevisionLookup(world: World, request: RecordedRequest): CannedAnswer | undefined {
  const instant = request.url.endsWith('/api/v1/query');
  const pods = podAnswer(world, request.params.query, request.params, instant);
  return pods && wire({ series: pods }, instant);
}

/** The fake Prometheus' answers for a world, with `fault` applied to the answers of the target's sides. */
function answers(world: World, fault?: FaultMode, target: Target = 'both'): Responder {
  return (request) => {
    const lookup = answerRevisionLookup(world, request);
    if (lookup) return lookup;
    const q = parseQuery(request.params.query);
    const instant = request.url.endsWith('/api/v1/query');
    const p = request.params;
    const series = instant ? instantAnswer(world, q, Number(p.time)) : rangeAnswer(world, q, Number(p.start), Number(p.end), Number(p.step));
    const faulty = fault?.answer && hits(target, q.side) && (fault.roles ?? [q.role]).includes(q.role);
    return wire(faulty ? fault.answer!(series, { instant }) : { series }, instant);
  };
}

function wire(answer: FaultedAnswer, instant: boolean): CannedAnswer {
  if ('raw' in answer) return answer.raw;
  const histogram = (h: WorldHistogram) => ({ count: valueText(h.count), sum: valueText(h.sum), buckets: h.buckets.map(([rule, lower, upper, n]) => [rule, valueText(lower), valueText(upper), valueText(n)]) });
  const result = answer.series.map((s) => {
    if (instant) return s.histograms?.length ? { metric: s.metric, histogram: [s.histograms[0][0], histogram(s.histograms[0][1])] } : { metric: s.metric, value: [s.values[0][0], valueText(s.values[0][1])] };
    return { metric: s.metric, ...(s.values.length || !s.histograms ? { values: s.values.map(([t, v]) => [t, valueText(v)]) } : {}), ...(s.histograms ? { histograms: s.histograms.map(([t, h]) => [t, histogram(h)]) } : {}) };
  });
  return { body: { status: 'success', ...(answer.warnings ? { warnings: answer.warnings } : {}), data: { resultType: instant ? 'vector' : 'matrix', result } } };
}

function faultyWorld(world: World, fault: FaultMode | undefined, target: Target): World {
  if (!fault?.world) return world;
  return { baseline: hits(target, 'baseline') ? fault.world(world.baseline) : world.baseline, canary: hits(target, 'canary') ? fault.world(world.canary) : world.canary };
}

let prometheus: Awaited<ReturnType<typeof startFakePrometheus>>;
let respond: Responder = () => {
  throw new Error('no world set');
};
let service: http.Server;
let base = '';

beforeAll(async () => {
  prometheus = await startFakePrometheus((request) => respond(request));
  const source = new PrometheusSource(new PrometheusClient({ baseUrl: prometheus.url, queryTimeoutMs: 5000 }));
  const profiles = new Map(builtInProfiles());
  for (const c of [...CASES, HEALTHY]) profiles.set(profileOf(c), { name: profileOf(c), metrics: c.metrics.map((m) => METRICS[m]) });
  const { app } = testApp({ analysis: { source, profiles, now: () => END, deadlineMs: 10_000 }, publicUrl: 'http://canary-judge.test' });
  service = http.createServer(app);
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
});

afterAll(async () => {
  service.closeAllConnections();
  await new Promise((resolve) => service.close(resolve));
  await prometheus.close();
});

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

async function read(res: Response): Promise<Outcome> {
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('application/json')) {
    const body = JSON.parse(text);
    if (res.status === 200) return { status: 200, verdict: body.verdict, text: body.reason, report: body.report };
    return { status: res.status, faults: body.faults?.map((f: { code: string }) => f.code) ?? [], text: body.message ?? JSON.stringify(body.issues) };
  }
  if (type.startsWith('text/html')) {
    const verdict = /<header class="verdict (pass|fail|inconclusive)"/.exec(text)?.[1] as Outcome['verdict'];
    const why = /<p class="reason"><strong>Why:<\/strong> ([^<]*)<\/p>/.exec(text)?.[1] ?? '';
    return { status: res.status, verdict, text: why };
  }
  // Flagger: one line of plain text, "canary-judge <verdict>: <reason>[ report: <link>]".
  const verdict = /^canary-judge (pass|fail|inconclusive):/.exec(text)?.[1] as Outcome['verdict'];
  return { status: res.status, verdict, text, report: / report: (\S+)$/.exec(text)?.[1] };
}

const localPath = (link: string) => {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
};

/** Each entry point, asked once; report links come from the clean answers (a fault may leave none). */
function entries(c: Case, links: Links): Record<EntryName, () => Promise<Outcome>> {
  const flagger = (hook: string, metadata: Record<string, string>) => async () => read(await post(`/v1/flagger/${hook}`, flaggerPayload(c, metadata)));
  const report = (link: string | undefined) => async () => {
    if (!link) throw new Error('the clean answer carried no report link');
    return read(await fetch(`${base}${localPath(link)}`));
  };
  return {
    'argo lookback': async () => read(await post('/v1/analyze', { ...argo(c), lookback: LOOKBACK })),
    'argo since canary': async () => read(await post('/v1/analyze', { ...argo(c), ...SINCE })),
    'flagger rollout': flagger('rollout', SINCE),
    'flagger confirm-promotion': flagger('confirm-promotion', SINCE),
    'flagger confirm-promotion (lookback)': flagger('confirm-promotion', { lookback: LOOKBACK }),
    'flagger rollback': flagger('rollback', SINCE),
    'report (argo lookback)': report(links.analysis),
    'report (flagger)': report(links.flagger),
  };
}

interface Links {
  readonly analysis?: string;
  readonly flagger?: string;
}

async function askAll(c: Case, fault: FaultMode | undefined, target: Target, links: Links, only?: readonly EntryName[]): Promise<Map<EntryName, Outcome>> {
  const world = SCENARIOS[c.world];
  respond = answers(faultyWorld(world, fault, target), fault, target);
  const out = new Map<EntryName, Outcome>();
  for (const [name, ask] of Object.entries(entries(c, links)) as [EntryName, () => Promise<Outcome>][]) {
    if (only && !only.includes(name)) continue;
    out.set(name, await ask());
  }
  return out;
}

/** The clean answers of a case, and the report links they carry. */
async function clean(c: Case) {
  respond = answers(SCENARIOS[c.world]);
  const lookback = await read(await post('/v1/analyze', { ...argo(c), lookback: LOOKBACK }));
  const rollout = await read(await post('/v1/flagger/rollout', flaggerPayload(c, SINCE)));
  const links = { analysis: lookback.report, flagger: rollout.report };
  return { links, outcomes: await askAll(c, undefined, 'both', links) };
}

/** Why an outcome breaks the property, given the clean outcome of the same entry point; null when it holds. */
function violation(entry: EntryName, faulty: Outcome, cleanOutcome: Outcome): string | null {
  if (![200, 409, 412, 503].includes(faulty.status)) return `answered HTTP ${faulty.status}: ${faulty.text}`;
  if (faulty.verdict === 'pass') return `passed: ${faulty.text}`;
  const ok = (s: number) => s >= 200 && s < 300;
  if (entry === 'flagger confirm-promotion' || entry === 'flagger confirm-promotion (lookback)') return ok(faulty.status) ? `promoted with HTTP ${faulty.status}` : null;
  if (entry === 'flagger rollback' && faulty.status === 200 && cleanOutcome.status !== 200) return 'rolled back where the clean data would not';
  return null;
}

function meets(outcome: Outcome, expectation: Expectation): string | null {
  if (expectation === 'judged') return outcome.status === 200 ? null : `expected a verdict, got HTTP ${outcome.status}: ${outcome.text}`;
  if (outcome.status !== expectation.status) return `expected HTTP ${expectation.status}, got ${outcome.status} (${outcome.verdict ?? ''}): ${outcome.text}`;
  if ('code' in expectation) return outcome.faults?.includes(expectation.code) ? null : `expected fault ${expectation.code}, got ${outcome.faults?.join(', ')}: ${outcome.text}`;
  if ('message' in expectation) return expectation.message.test(outcome.text) ? null : `expected a message like ${expectation.message}, got: ${outcome.text}`;
  if (outcome.verdict !== expectation.verdict) return `expected ${expectation.verdict}, got ${outcome.verdict}: ${outcome.text}`;
  return expectation.reason.test(outcome.text) ? null : `expected a reason like ${expectation.reason}, got: ${outcome.text}`;
}

const table: { case: string; fault: string; target: Target; entry: EntryName; status: number; verdict?: string; faults?: readonly string[] }[] = [];
afterAll(() => {
  if (process.env.FAULT_MATRIX_TABLE) fs.writeFileSync(process.env.FAULT_MATRIX_TABLE, JSON.stringify(table, null, 1));
});

describe.each(CASES.map((c) => [c.name, c] as const))('a rollout with %s', (_name, c) => {
  let cleanRun: Awaited<ReturnType<typeof clean>>;
  beforeAll(async () => {
    cleanRun = await clean(c);
  }, SLOW_MS);

  it(`is ${c.clean} on clean data at every entry point`, () => {
    for (const [entry, outcome] of cleanRun.outcomes) {
      const rollback = entry === 'flagger rollback' ? (c.clean === 'fail' ? 200 : 409) : expect.any(Number);
      expect([entry, outcome.status, outcome.verdict]).toEqual([entry, rollback, c.clean]);
    }
  });

  const faults = FAULT_MODES.filter((f) => touches(f, c));
  it.each(faults.map((f) => [f.name, f] as const))('%s never passes it', async (_fault, fault) => {
    const problems: string[] = [];
    for (const target of TARGETS) {
      for (const [entry, outcome] of await askAll(c, fault, target, cleanRun.links, entriesFor(c, target))) {
        table.push({ case: c.name, fault: fault.name, target, entry, status: outcome.status, verdict: outcome.verdict, faults: outcome.faults });
        const broken = violation(entry, outcome, cleanRun.outcomes.get(entry)!);
        if (broken) problems.push(`${target} / ${entry}: ${broken}`);
      }
    }
    expect(problems).toEqual([]);
  }, SLOW_MS);
});

describe('a healthy rollout', () => {
  let cleanRun: Awaited<ReturnType<typeof clean>>;
  beforeAll(async () => {
    cleanRun = await clean(HEALTHY);
  }, SLOW_MS);

  it('passes on clean data at every entry point (rollback: 409)', () => {
    for (const [entry, outcome] of cleanRun.outcomes) expect([entry, outcome.status, outcome.verdict]).toEqual([entry, entry === 'flagger rollback' ? 409 : expect.any(Number), 'pass']);
  });

  it.each(FAULT_MODES.map((f) => [f.name, f] as const))('%s is seen', async (_fault, fault) => {
    const problems: string[] = [];
    for (const target of TARGETS) {
      for (const [entry, outcome] of await askAll(HEALTHY, fault, target, cleanRun.links, DETECTION_ENTRIES)) {
        table.push({ case: HEALTHY.name, fault: fault.name, target, entry, status: outcome.status, verdict: outcome.verdict, faults: outcome.faults });
        const missed = meets(outcome, fault.onHealthy);
        if (missed) problems.push(`${target} / ${entry}: ${missed}`);
      }
    }
    expect(problems).toEqual([]);
  }, SLOW_MS);
});
