/**
 * The same analyses against two real backends, and against one behind authenticating proxies
 * (issue 24): a cluster's history (Istio's series and the model server's own) is backfilled into
 * Prometheus with promtool and imported into VictoriaMetrics; every template kind and the
 * timeline path (every Prometheus-backed analysis is one, "since": "canary" too) is judged on
 * both, and the verdicts must be identical, and the expected ones (the healthy canary passes, the
 * harmful one fails). The backend is a parameter of one table of analyses, not a copy.
 *
 * Then Prometheus is put behind
 * - vmauth serving https with a throw-away CA's certificate, enforcing a bearer token or a
 *   username and password: the right credentials (files, re-read when they change) give the same
 *   verdicts; a wrong token, the wrong CA or none give a 503 naming the cause, never the secret;
 * - a Mimir-like gateway of our own (https, client certificates required, `X-Scope-OrgID`
 *   required, one tenant's data): the configured tenant gives the same verdicts; a tenant outside
 *   the allow-list is refused before any query; a tenant the gateway refuses is a 503 naming it;
 *   no client certificate is a 503 naming the TLS settings.
 *
 * Skipped with the install commands when Prometheus or VictoriaMetrics is missing, except under CI=true.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { builtInProfiles, ISTIO_MODEL_SERVING } from '../../src/profiles/profiles';
import { Backends } from '../../src/sources/prometheus/backends';
import type { BackendConfig } from '../../src/sources/prometheus/backend-config';
import { binomial, multinomial, normalFrom, seededUniform } from '../../src/planner/draws';
import { normalCdf } from '../../src/stats/normal';
import { testApp } from '../support/app';
import { clusterHistory, historyEnd, startBackfilledPrometheus, type PodPlay } from '../support/cluster-history';
import { findPrometheus, prometheusMissingMessage, type PrometheusServer } from '../support/prometheus';
import { findVictoriaMetrics, startVictoriaMetrics, startVmauth, victoriaMetricsMissingMessage, type Process } from '../support/victoria-metrics';
import { makeThrowawayTls, type ThrowawayTls } from '../support/throwaway-tls';

const haveAll = !!findPrometheus() && findVictoriaMetrics();
const inCi = process.env.CI === 'true';
if (!haveAll && !inCi) console.warn(`Skipping backends.test.ts. ${prometheusMissingMessage()} ${victoriaMetricsMissingMessage()}`);
const describeWithBackends = haveAll || inCi ? describe : describe.skip;

const END = historyEnd();
const HEALTHY = { errorRate: 0.01, latency: { medianMs: 60, sigma: 0.4 } };
const HARMFUL = { errorRate: 0.08, latency: { medianMs: 90, sigma: 0.4 } };
const SIDES = {
  v1: { workload: 'model-primary', pod: 'model-primary-6d5f7c9b8-x2kqz', from: -40 },
  v2: { workload: 'model', pod: 'model-7c9d8f6b4-p9wzt', from: -25 },
} as const;
const NAMESPACES = { healthy: HEALTHY, harmful: HARMFUL } as const;
type Namespace = keyof typeof NAMESPACES;

const PODS: PodPlay[] = Object.entries(NAMESPACES).flatMap(([ns, canary]) =>
  (['v1', 'v2'] as const).map((version) => ({
    pod: SIDES[version].pod,
    labels: { destination_workload: SIDES[version].workload, destination_workload_namespace: ns, destination_version: version, destination_service_name: 'model' },
    from: SIDES[version].from,
    to: 0,
    requestsPerMinute: 3000,
    ...(version === 'v1' ? HEALTHY : canary),
  })),
);

/** Bounds 0.04 apart: no bucket holds as much as the default profile's tolerated KS distance (0.1). */
const SCORE_BOUNDS = [...Array.from({ length: 25 }, (_, i) => String(Number(((i + 1) * 0.04).toFixed(2)))), '+Inf'];

/** The share of each score bucket for scores ~ Normal(mean, 0.25) clipped to [0, 1]. */
function scoreShares(mean: number): Float64Array {
  const cdf = (x: number) => normalCdf((x - mean) / 0.25);
  const edges = SCORE_BOUNDS.map((b) => (b === '+Inf' ? Infinity : Number(b)));
  const total = cdf(1) - cdf(0);
  return new Float64Array(edges.map((edge, i) => (edge === Infinity ? 0 : (cdf(edge) - cdf(i ? edges[i - 1] : 0)) / total)));
}
const CLASSES = ['cat', 'dog', 'bird'];

/**
 * The model server's own series (its scrape config's labels: app, namespace, version, pod), every
 * 15 s while the pod serves: prediction scores (a histogram), predicted classes (a counter by
 * `class`) and fallbacks among its predictions (two counters). The harmful canary scores lower,
 * predicts "bird" more often and falls back 8 % of the time instead of 1 %. Counts are drawn, seeded.
 */
function appHistory(end: number): string {
  const uniform = seededUniform(11);
  const normal = normalFrom(uniform);
  const families = { score: [] as string[], classes: [] as string[], fallbacks: [] as string[], predictions: [] as string[] };
  for (const [ns, canary] of Object.entries(NAMESPACES)) {
    for (const version of ['v1', 'v2'] as const) {
      const harmful = version === 'v2' && canary === HARMFUL;
      const labels = `app="${SIDES[version].workload}",namespace="${ns}",version="${version}",pod="${SIDES[version].pod}"`;
      const shares = scoreShares(harmful ? 0.35 : 0.6);
      const classShares = new Float64Array(harmful ? [0.4, 0.35, 0.25] : [0.5, 0.4, 0.1]);
      const scores = new Float64Array(SCORE_BOUNDS.length);
      const classes = new Float64Array(CLASSES.length);
      const draw = new Float64Array(SCORE_BOUNDS.length);
      const classDraw = new Float64Array(CLASSES.length);
      let predictions = 0;
      let fallbacks = 0;
      for (let t = end + SIDES[version].from * 60; t <= end; t += 15) {
        const n = t > end + SIDES[version].from * 60 ? binomial(1500, 0.5, uniform, normal) : 0;
        predictions += n;
        fallbacks += binomial(n, harmful ? 0.08 : 0.01, uniform, normal);
        multinomial(n, shares, draw, uniform, normal);
        multinomial(n, classShares, classDraw, uniform, normal);
        let cumulative = 0;
        SCORE_BOUNDS.forEach((le, i) => {
          scores[i] += draw[i];
          cumulative += scores[i];
          families.score.push(`model_prediction_score_bucket{${labels},le="${le}"} ${cumulative} ${t}`);
        });
        CLASSES.forEach((c, i) => families.classes.push(`model_predicted_class_total{${labels},class="${c}"} ${(classes[i] += classDraw[i])} ${t}`));
        families.predictions.push(`model_predictions_total{${labels}} ${predictions} ${t}`);
        families.fallbacks.push(`model_fallbacks_total{${labels}} ${fallbacks} ${t}`);
      }
    }
  }
  return [
    '# TYPE model_prediction_score histogram', ...families.score,
    '# TYPE model_predicted_class counter', ...families.classes,
    '# TYPE model_predictions counter', ...families.predictions,
    '# TYPE model_fallbacks counter', ...families.fallbacks,
  ].join('\n');
}

/** Istio's history and the app's, as one OpenMetrics document. */
function history(): string {
  return clusterHistory(END, PODS, [], 5).replace(/# EOF\n$/, `${appHistory(END)}\n# EOF\n`);
}

const APP = { version: 'destination_version', app: 'destination_workload', namespace: 'destination_workload_namespace' };

/** Every template kind, and the timeline path with the window following the canary. */
const ANALYSES: Record<string, object> = {
  'the default profile (Istio latency and errors, the prediction-score histogram)': {},
  'every other template': {
    metrics: [
      { name: 'non-2xx', template: 'istio-requests', margin: { relative: 0.5, absolute: 0.002 } },
      { name: 'score-p50', template: 'histogram', metric: 'model_prediction_score', kind: 'continuous', statistic: 'p50', direction: 'decrease', margin: { absolute: 0.1 }, labelsFrom: APP },
      { name: 'classes', template: 'categorical', metric: 'model_predicted_class_total', by: 'class', margin: { absolute: 0.05 }, labelsFrom: APP },
      { name: 'fallbacks', template: 'proportion', events: 'model_fallbacks_total', total: 'model_predictions_total', margin: { absolute: 0.01 }, labelsFrom: APP },
      {
        name: 'mean-latency',
        template: 'query',
        query: 'sum(increase(istio_request_duration_milliseconds_sum{{labels}}[1m])) / sum(increase(istio_request_duration_milliseconds_count{{labels}}[1m]))',
        kind: 'continuous',
        // Each point is one minute's mean latency: judged as values (their median).
        statistic: 'p50',
        margin: { relative: 0.1 },
      },
    ],
  },
  'since the canary began (the timeline path)': {
    since: 'canary',
    maxAge: '1h',
    metrics: [
      { name: 'errors', template: 'istio-error-rate', margin: { relative: 0.5, absolute: 0.002 } },
      { name: 'latency', template: 'istio-latency', statistic: 'p95', margin: { relative: 0.1 } },
    ],
  },
};

interface Judged {
  readonly status: number;
  readonly verdict?: string;
  readonly metrics?: Record<string, string>;
  readonly message?: string;
}

/** One analysis of the table for namespace `ns`, as the service answers it with these backends. */
async function judge(backends: Readonly<Record<string, BackendConfig>>, profiles: ReturnType<typeof testProfiles> | undefined, name: string, ns: Namespace, extra: object = {}): Promise<Judged> {
  const sources = new Backends(backends, { queryTimeoutMs: 10_000 });
  const { app } = testApp({ analysis: { sources, now: () => END, deadlineMs: 20_000, ...(profiles ? { profiles } : {}) } });
  const res = await Promise.resolve(request(app)
    .post('/v1/analyze')
    .send({
      labels: { destination_workload_namespace: ns },
      baseline: { labels: { destination_version: 'v1' } },
      canary: { labels: { destination_version: 'v2' } },
      lookback: '20m',
      end: END,
      ...ANALYSES[name],
      ...extra,
    }))
    .finally(() => sources.close());
  if (process.env.DEBUG_BACKENDS) console.log(name, ns, JSON.stringify(res.body.metrics?.map((m: { name: string; verdict: string; reason: string }) => [m.name, m.verdict, m.reason]) ?? res.body));
  if (res.status !== 200) return { status: res.status, message: res.body.message ?? JSON.stringify(res.body.issues) };
  return { status: 200, verdict: res.body.verdict, metrics: Object.fromEntries(res.body.metrics.map((m: { name: string; verdict: string }) => [m.name, m.verdict])) };
}

async function judgeAll(backends: Readonly<Record<string, BackendConfig>>, profiles?: ReturnType<typeof testProfiles>, extra: object = {}): Promise<Record<string, Judged>> {
  const out: Record<string, Judged> = {};
  for (const name of Object.keys(ANALYSES)) for (const ns of Object.keys(NAMESPACES) as Namespace[]) out[`${name} / ${ns}`] = await judge(backends, profiles, name, ns, extra);
  return out;
}

/** The built-in profiles plus `tenant-a` (the default profile's metrics, read on the gateway as team-a). */
function testProfiles() {
  const profiles = builtInProfiles();
  profiles.set('tenant-a', { ...ISTIO_MODEL_SERVING, name: 'tenant-a', backend: 'gateway', tenant: 'team-a' });
  return profiles;
}

/**
 * A Mimir-like gateway: https with client certificates required, `X-Scope-OrgID` required, and
 * only `team-a`'s data (forwarded to `upstream`); any other tenant is refused as Mimir's
 * authentication gateways do. Counts the queries per tenant it saw.
 */
function startTenantGateway(tls: ThrowawayTls, upstream: string): Promise<{ url: string; seen: Map<string, number>; close(): Promise<void> }> {
  const seen = new Map<string, number>();
  const server = https.createServer({ cert: fs.readFileSync(tls.serverCertFile), key: fs.readFileSync(tls.serverKeyFile), ca: fs.readFileSync(tls.caFile), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const tenant = req.headers['x-scope-orgid'];
    const key = typeof tenant === 'string' ? tenant : '(none)';
    seen.set(key, (seen.get(key) ?? 0) + 1);
    if (typeof tenant !== 'string') return void res.writeHead(401, { 'Content-Type': 'text/plain' }).end('no org id\n');
    if (tenant !== 'team-a') return void res.writeHead(403, { 'Content-Type': 'text/plain' }).end(`tenant ${tenant} is not authorized\n`);
    const target = new URL(req.url ?? '/', upstream);
    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: target.host };
    delete headers['x-scope-orgid'];
    const forwarded = http.request(target, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => res.writeHead(502).end());
    req.pipe(forwarded);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `https://127.0.0.1:${port}`, seen, close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }) });
    }),
  );
}

describeWithBackends('the same analyses against Prometheus and VictoriaMetrics, and behind authenticating proxies', () => {
  let prometheus: PrometheusServer | undefined;
  let victoria: Process | undefined;
  let vmauth: Process | undefined;
  let gateway: Awaited<ReturnType<typeof startTenantGateway>> | undefined;
  let tls: ThrowawayTls | undefined;
  let secrets = '';
  const TOKEN = 'tok-7f3c9a1e5b2d4c6e8a0f';
  const PASSWORD = 'pw-2b4d6f8a0c1e3a5c7e9';
  let direct: Record<string, Judged>;

  beforeAll(async () => {
    if (!haveAll) throw new Error(`CI=true and ${prometheusMissingMessage()} ${victoriaMetricsMissingMessage()}`);
    const text = history();
    tls = makeThrowawayTls();
    [prometheus, victoria] = await Promise.all([startBackfilledPrometheus(text), startVictoriaMetrics(text)]);
    vmauth = await startVmauth(
      [
        { bearer_token: TOKEN, url_prefix: prometheus.url },
        { username: 'judge', password: PASSWORD, url_prefix: prometheus.url },
      ],
      { certFile: tls.serverCertFile, keyFile: tls.serverKeyFile },
    );
    gateway = await startTenantGateway(tls, prometheus.url);
    secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'canary-judge-secrets-'));
    fs.writeFileSync(path.join(secrets, 'token'), `${TOKEN}\n`);
    fs.writeFileSync(path.join(secrets, 'username'), 'judge');
    fs.writeFileSync(path.join(secrets, 'password'), PASSWORD);
    direct = await judgeAll({ default: { url: prometheus.url } });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await vmauth?.stop();
    await victoria?.stop();
    await prometheus?.stop();
    tls?.remove();
    if (secrets) fs.rmSync(secrets, { recursive: true, force: true });
  });

  it('Prometheus: the healthy canary passes every analysis, the harmful one fails every metric', () => {
    for (const [key, judged] of Object.entries(direct)) {
      const healthy = key.endsWith('/ healthy');
      expect({ key, status: judged.status, verdict: judged.verdict }).toEqual({ key, status: 200, verdict: healthy ? 'pass' : 'fail' });
      for (const [metric, verdict] of Object.entries(judged.metrics!)) expect({ key, metric, verdict }).toEqual({ key, metric, verdict: healthy ? 'pass' : 'fail' });
    }
  });

  it('VictoriaMetrics (the same history imported): identical verdicts for every analysis and metric', async () => {
    expect(await judgeAll({ default: { url: `${victoria!.url}/?nocache=1` } })).toEqual(direct);
  }, 30_000);

  it('VictoriaMetrics rounds a long range to its step unless nocache=1: refused as samples at unasked times (503), never judged', async () => {
    // 70 or more intervals (beyond the ~50 points from which VictoriaMetrics aligns start and end to
    // the step), of a step the window's end is not a multiple of, so that the alignment moves them.
    const step = [7, 11, 13, 17, 19].find((s) => END % s !== 0)!;
    const long = { timelineStep: `${step}s` };
    const rounded = await judge({ default: { url: victoria!.url } }, undefined, 'since the canary began (the timeline path)', 'harmful', { ...long, since: undefined, lookback: '20m' });
    expect(rounded.status).toBe(503);
    expect(rounded.message).toMatch(/the sample is at a time the query did not ask for/);
    const exact = await judge({ default: { url: `${victoria!.url}/?nocache=1` } }, undefined, 'since the canary began (the timeline path)', 'harmful', { ...long, since: undefined, lookback: '20m' });
    expect(exact).toMatchObject({ status: 200, verdict: 'fail' });
  }, 30_000);

  it('behind vmauth over https: a bearer token from a file, or basic auth from files, with the CA: identical verdicts', async () => {
    const caFile = tls!.caFile;
    expect(await judgeAll({ default: { url: vmauth!.url, bearerTokenFile: path.join(secrets, 'token'), tls: { caFile } } })).toEqual(direct);
    expect(await judgeAll({ default: { url: vmauth!.url, basicAuth: { usernameFile: path.join(secrets, 'username'), passwordFile: path.join(secrets, 'password') }, tls: { caFile } } })).toEqual(direct);
  }, 30_000);

  it('a wrong token: 503 naming the token file, never the token; a rotated file is read again, without a restart', async () => {
    const file = path.join(secrets, 'rotating');
    fs.writeFileSync(file, 'tok-expired-0000000000000');
    const backends = { default: { url: vmauth!.url, bearerTokenFile: file, tls: { caFile: tls!.caFile } } };
    const sources = new Backends(backends, { queryTimeoutMs: 10_000 });
    const { app } = testApp({ analysis: { sources, now: () => END } });
    const body = { labels: { destination_workload_namespace: 'healthy' }, baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } }, lookback: '20m', end: END };
    const refused = await request(app).post('/v1/analyze').send(body);
    expect(refused.status).toBe(503);
    expect(refused.body.message).toMatch(new RegExp(`answered HTTP 400: it did not accept our credentials \\(the bearer token from ${file}\\): "cannot find the provided auth token .*\\[redacted\\]`));
    // vmauth repeats the token it refused: masked.
    expect(JSON.stringify(refused.body)).not.toContain('tok-expired');
    // The projected token rotates: the same service reads the new one at the next query.
    fs.writeFileSync(file, TOKEN);
    const accepted = await request(app).post('/v1/analyze').send(body);
    await sources.close();
    expect(accepted.status).toBe(200);
    expect(accepted.body.verdict).toBe('pass');
    expect(JSON.stringify(accepted.body)).not.toContain(TOKEN);
  }, 30_000);

  it('the wrong CA, or none: 503 naming the TLS handshake and the CA file, no data', async () => {
    const token = path.join(secrets, 'token');
    const wrong = await judge({ default: { url: vmauth!.url, bearerTokenFile: token, tls: { caFile: tls!.otherCaFile } } }, undefined, 'the default profile (Istio latency and errors, the prediction-score histogram)', 'healthy');
    expect(wrong.status).toBe(503);
    expect(wrong.message).toMatch(new RegExp(`unreachable: .*certificate.*: the TLS handshake failed \\(check the CA in ${tls!.otherCaFile}\\)`));
    const none = await judge({ default: { url: vmauth!.url, bearerTokenFile: token } }, undefined, 'the default profile (Istio latency and errors, the prediction-score histogram)', 'healthy');
    expect(none.status).toBe(503);
    expect(none.message).toMatch(/the TLS handshake failed \(a private CA\? give the backend tls.caFile\)/);
    expect(`${wrong.message} ${none.message}`).not.toContain(TOKEN);
  }, 30_000);

  describe('a Mimir-like gateway: client certificates and X-Scope-OrgID', () => {
    const gatewayBackend = (tenant: BackendConfig['tenant'], client = true): Record<string, BackendConfig> => ({
      default: { url: prometheus!.url },
      gateway: { url: gateway!.url, tls: { caFile: tls!.caFile, ...(client ? { certFile: tls!.clientCertFile, keyFile: tls!.clientKeyFile } : {}) }, tenant },
    });

    it('the profile\'s tenant with a client certificate: the same verdicts as Prometheus itself', async () => {
      const name = 'the default profile (Istio latency and errors, the prediction-score histogram)';
      for (const ns of Object.keys(NAMESPACES) as Namespace[]) {
        expect(await judge(gatewayBackend({ allowed: ['team-a'] }), testProfiles(), name, ns, { profile: 'tenant-a' })).toEqual(direct[`${name} / ${ns}`]);
      }
      expect(gateway!.seen.get('team-a')).toBeGreaterThan(0);
    }, 30_000);

    it('a request naming a tenant outside the allow-list: 400 before any query reaches the gateway', async () => {
      const before = new Map(gateway!.seen);
      const res = await judge(gatewayBackend({ allowed: ['team-a'] }), testProfiles(), 'the default profile (Istio latency and errors, the prediction-score histogram)', 'healthy', { profile: 'tenant-a', tenant: 'team-b' });
      expect(res).toEqual({ status: 400, message: expect.stringContaining('tenant \\"team-b\\" is not allowed on backend \\"gateway\\"; allowed: team-a') });
      expect(gateway!.seen).toEqual(before);
    });

    it('a tenant the gateway refuses: 503 naming the tenant, not data of another', async () => {
      const res = await judge(gatewayBackend({ allowed: ['team-a', 'team-c'] }), testProfiles(), 'the default profile (Istio latency and errors, the prediction-score histogram)', 'healthy', { profile: 'tenant-a', tenant: 'team-c' });
      expect(res.status).toBe(503);
      expect(res.message).toMatch(/\(backend "gateway", tenant "team-c"\) answered HTTP 403: it refused access \(no credentials configured, tenant "team-c"\): "tenant team-c is not authorized"/);
    });

    it('no client certificate: 503 naming the TLS settings', async () => {
      const res = await judge(gatewayBackend({ allowed: ['team-a'] }, false), testProfiles(), 'the default profile (Istio latency and errors, the prediction-score histogram)', 'healthy', { profile: 'tenant-a' });
      expect(res.status).toBe(503);
      expect(res.message).toMatch(/backend "gateway", tenant "team-a"\) is unreachable: /);
    });
  });
});
