/**
 * A simulated model-serving fleet on 127.0.0.1: one HTTP server per version, each exporting at
 * GET /metrics exactly what an Istio sidecar (reporter="destination") plus an instrumented model
 * server would, for the seed's scenario (model-v1 stable, model-v2 canary, service
 * `model-service`).
 *
 * Naming serves both callers at once:
 * - Flagger (Istio): the primary workload is `model-primary`, the canary `model`
 *   (`destination_workload`), namespace `ml` (`destination_workload_namespace`).
 * - Argo Rollouts / the seed's DestinationRule subsets: `destination_version` v1 / v2.
 *
 * | version | role   | destination_workload | destination_version | destination_app | namespace |
 * |---------|--------|----------------------|---------------------|-----------------|-----------|
 * | v1      | stable | model-primary        | v1                  | model           | ml        |
 * | v2      | canary | model                | v2                  | model           | ml        |
 *
 * Metrics and labels (every series of one server carries that server's identity):
 * - `istio_requests_total` (counter) and `istio_request_duration_milliseconds` (histogram, the
 *   bounds of the seed's bucket annotation, or Envoy's defaults): ISTIO_LABELS = reporter="destination", source_workload,
 *   source_workload_namespace, destination_workload, destination_workload_namespace,
 *   destination_service (FQDN), destination_service_name, destination_service_namespace,
 *   destination_version, destination_app, destination_canonical_service,
 *   destination_canonical_revision, request_protocol, response_code, response_flags,
 *   connection_security_policy.
 * - `model_prediction_score` (histogram, buckets 0.01..1 step 0.01) and
 *   `model_predictions_total{class}` (counter), successful predictions only: MODEL_LABELS =
 *   the identity both as Istio names (destination_workload, destination_workload_namespace,
 *   destination_service_name, destination_version, destination_app) and as plain pod-label
 *   names (workload, namespace, version, and app = the workload name, as Flagger labels its
 *   primary pods), so any side selector built from destination_* labels works on model
 *   metrics too, and so does the default profile's mapping to plain names (labelsFrom). They have no `reporter` nor `response_code`: queries
 *   should add reporter="destination" to istio_* metrics only.
 *
 * Each server is one pod, `<workload>-<pod-template hash>-<5 characters>`, and every series
 * carries that name as `pod` (what a cluster's scrape adds). Its /metrics is also served on a
 * second port, the pod's "sidecar" (`targets`), which keeps answering when the model server
 * crashes (`setCrashed`: its port refuses connections, as an unready pod's would). A pod scaled
 * to zero (`setScaledToZero`) answers on neither; `newRevision` gives the version a new hash
 * (a new pod name) and fresh counters, as a Deployment's new ReplicaSet would.
 *
 * POST /predict does not sleep: the latency is drawn (lognormal) and recorded, so the fleet
 * keeps up with any realistic request rate. GET /healthz answers 200.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RESOLVING_LATENCY_BUCKETS } from './latency-buckets';
import { Counter, Histogram, Registry } from 'prom-client';
import { normalSampler, seededRandom } from '../test/support/random';

export type Version = 'v1' | 'v2';
export const VERSIONS: readonly Version[] = ['v1', 'v2'];

export interface LatencyBehaviour {
  /** Median of the lognormal, in ms (before the multiplier). */
  readonly medianMs: number;
  /** Standard deviation of log(latency) (0.5 gives p95 ~ 2.3x the median). */
  readonly sigma: number;
  /** Scales every latency (e.g. 1.3 = a 30 % slower canary). Default 1. */
  readonly multiplier?: number;
}

export interface ScoreBehaviour {
  /** `beta` (default) or a `normal` clipped to [0, 1]; both set by mean and sd. */
  readonly distribution?: 'beta' | 'normal';
  readonly mean: number;
  readonly sd: number;
}

export interface Behaviour {
  readonly latency: LatencyBehaviour;
  /** Probability that a request answers 5xx (0.005 = 0.5 %). */
  readonly errorRate: number;
  /** Prediction score (the model's confidence) of successful requests. */
  readonly score: ScoreBehaviour;
  /** Predicted-class mix as relative weights, e.g. { cat: 51, dog: 49 }. */
  readonly classes: Readonly<Record<string, number>>;
}

/** The seed's healthy model: median 40 ms, 0.5 % errors, scores around 0.7, cat/dog 51/49. */
export const HEALTHY: Behaviour = Object.freeze({
  latency: Object.freeze({ medianMs: 40, sigma: 0.5, multiplier: 1 }),
  errorRate: 0.005,
  score: Object.freeze({ distribution: 'beta' as const, mean: 0.7, sd: 0.12 }),
  classes: Object.freeze({ cat: 51, dog: 49 }),
});

export interface Identity {
  readonly version: Version;
  readonly workload: string;
  readonly namespace: string;
  readonly service: string;
  readonly app: string;
  /**
   * The pod-template hash of the revision the server plays: its pod is named
   * `<workload>-<hash>-<5 characters>`, as a ReplicaSet's pods are, and every series carries
   * that name as `pod` (what the scrape config adds in a cluster).
   */
  readonly hash: string;
}

export const NAMESPACE = 'ml';
export const SERVICE = 'model-service';
export const APP = 'model';
export const IDENTITIES: Readonly<Record<Version, Identity>> = Object.freeze({
  v1: Object.freeze({ version: 'v1' as const, workload: 'model-primary', namespace: NAMESPACE, service: SERVICE, app: APP, hash: '6d5f7c9b8' }),
  v2: Object.freeze({ version: 'v2' as const, workload: 'model', namespace: NAMESPACE, service: SERVICE, app: APP, hash: '7c9d8f6b4' }),
});

/**
 * The bounds of istio_request_duration_milliseconds: what the seed's pod annotation
 * `sidecar.istio.io/statsHistogramBuckets` sets (demo/latency-buckets.ts), so that p95 can
 * resolve a 10 % margin. A fleet may be started on Envoy's defaults instead (`latencyBuckets`).
 */
export const ISTIO_DURATION_BUCKETS: readonly number[] = RESOLVING_LATENCY_BUCKETS;
/**
 * 0.01, 0.02, ..., 1.0: fine enough that the largest gap two score distributions can hide
 * inside one bucket (about the busiest bucket's share, ~3.3 % here) stays well under the
 * default KS margin of 0.1.
 */
export const SCORE_BUCKETS: readonly number[] = Array.from({ length: 100 }, (_, i) => Number(((i + 1) * 0.01).toFixed(2)));

export const ISTIO_LABELS = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'destination_workload',
  'destination_workload_namespace',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'destination_version',
  'destination_app',
  'destination_canonical_service',
  'destination_canonical_revision',
  'request_protocol',
  'response_code',
  'response_flags',
  'connection_security_policy',
  'pod',
] as const;

export const MODEL_LABELS = [
  'destination_workload',
  'destination_workload_namespace',
  'destination_service_name',
  'destination_version',
  'destination_app',
  'workload',
  'namespace',
  'version',
  'app',
  'pod',
] as const;

export interface FleetOptions {
  readonly v1?: Behaviour;
  readonly v2?: Behaviour;
  /** Seed of the simulated randomness (default 1; v2 uses seed + 1). */
  readonly seed?: number;
  /** Bounds of the latency histogram (default ISTIO_DURATION_BUCKETS, the annotated pods'). */
  readonly latencyBuckets?: readonly number[];
  /** Labelled quality and tenants (off by default: the other scenarios' series are unchanged). */
  readonly labelled?: LabelledOptions;
  /** Shadow pairs: every request also answered by the other version (off by default). */
  readonly shadow?: ShadowOptions;
}

/**
 * A shadow step's comparator (src/sources/prometheus/templates.ts, template shadow-pairs): every
 * successful request is also answered by the other version, and each pair is counted in
 * `SHADOW_PAIRS_COUNTER{outcome, pair="v1-v2"}` (and, with `noiseFloor`, by a second replica
 * of v1 in `pair="v1-v1"`), on the pod that received the request, with its `tenant` when
 * `labelled` is on:
 * - at once, `agree` or `disagree`;
 * - with `labelled`, when the request's label arrives (the same delay as its labelled outcome),
 *   `both_correct`, `both_wrong`, `v1_only_correct` or `v2_only_correct`.
 * Correctness comes from `labelled.accuracy` with one draw per request shared by every answer
 * (u < accuracy: the tightest coupling two models' correctness can have, so a request one gets
 * right and the other wrong lies inside their accuracy gap, and two replicas of v1 are always
 * equally right). Two answers of which one is right differ; two equally right (or wrong) ones
 * differ with the shadow version's `disagreement` probability (v1's: its non-determinism, the
 * noise floor).
 */
export interface ShadowOptions {
  /** Per version, the probability that its answer differs from v1's on a request both get equally right or wrong. */
  readonly disagreement: Readonly<Record<Version, number>>;
  /** Also pair v1 with a second replica of itself (`pair="v1-v1"`): the noise floor. */
  readonly noiseFloor?: boolean;
}

/** The comparator's counter of shadow pairs (template shadow-pairs' default). */
export const SHADOW_PAIRS_COUNTER = 'model_shadow_pairs_total';

/**
 * What a feedback job exports once ground truth arrives (src/sources/prometheus/labelled-templates.ts):
 * `model_labelled_predictions_total{version, predicted_at, correct, tenant}` when a label
 * arrives, and `LABELLED_PREDICTIONS_COUNTER{version, predicted_at, tenant}` at prediction time
 * (not `model_predictions_total`, which already counts the class mix: the labelled templates
 * name it with `predictions`). Every request gets a tenant (drawn by `tenants`), also as a
 * `tenant` label on the Istio metrics (what an Istio Telemetry tag adds).
 */
export interface LabelledOptions {
  /** Median seconds from a prediction to its label; delays are lognormal (sigma 0.5), so some arrive much later. */
  readonly delaySeconds: number;
  /** Width of a prediction-time bucket (`predicted_at`, its start in unix seconds); default 60. */
  readonly bucketSeconds?: number;
  /** Tenants and their traffic weights, e.g. { acme: 20, globex: 80 }. */
  readonly tenants: Readonly<Record<string, number>>;
  /** Each version's probability of a correct prediction, per tenant (a tenant left out: `default`). */
  readonly accuracy: Readonly<Record<Version, Readonly<Record<string, number>> & { readonly default: number }>>;
}

/** The predictions-by-prediction-time counter of the labelled quality (the templates' `predictions`). */
export const LABELLED_PREDICTIONS_COUNTER = 'model_predictions_by_time_total';
export const LABELLED_OUTCOMES_COUNTER = 'model_labelled_predictions_total';

export interface ServerStats {
  readonly requests: number;
  readonly errors: number;
}

export interface Fleet {
  /**
   * Scrape targets (host:port), one per server: its "sidecar", serving /metrics, which keeps
   * answering while the model server itself crashes (as istio-proxy does); give them to Prometheus.
   */
  readonly targets: readonly string[];
  /** host:port of each version's server: give them to the traffic generator. */
  readonly endpoints: Readonly<Record<Version, string>>;
  /** Each version's identity now (a new revision changes the canary's hash and pod). */
  readonly identities: Readonly<Record<Version, Identity>>;
  /** The model server refuses connections (the app crashed; its pod and sidecar still run), or answers again. */
  setCrashed(version: Version, crashed: boolean): Promise<void>;
  /** The pod is gone (scaled to zero): nothing answers, not even its metrics; `up` brings it back. */
  setScaledToZero(version: Version, down: boolean): Promise<void>;
  /** A new revision: a new pod-template hash (so a new pod name), fresh counters, a new behaviour. */
  newRevision(version: Version, hash: string, behaviour: Behaviour): void;
  /** Replaces the listed fields of a version's behaviour (the others are kept). */
  setBehaviour(version: Version, behaviour: Partial<Behaviour>): void;
  behaviour(version: Version): Behaviour;
  /** Requests served so far per version (POST /predict only). */
  stats(): Record<Version, ServerStats>;
  /** Closes both servers and every open connection. Idempotent. */
  close(): Promise<void>;
}

export async function createFleet(options: FleetOptions = {}): Promise<Fleet> {
  const seed = options.seed ?? 1;
  const servers: Partial<Record<Version, ModelServer>> = {};
  try {
    for (const [i, version] of VERSIONS.entries()) {
      servers[version] = await startModelServer(IDENTITIES[version], options[version] ?? HEALTHY, seed + i, options.latencyBuckets ?? ISTIO_DURATION_BUCKETS, options.labelled, options.shadow);
    }
  } catch (error) {
    await Promise.all(Object.values(servers).map((s) => s?.close()));
    throw error;
  }
  const v1 = servers.v1 as ModelServer;
  const v2 = servers.v2 as ModelServer;
  const byVersion: Record<Version, ModelServer> = { v1, v2 };
  let closed: Promise<void> | undefined;
  return {
    targets: [v1.metricsAddress, v2.metricsAddress],
    endpoints: { v1: v1.address, v2: v2.address },
    get identities() {
      return { v1: v1.identity(), v2: v2.identity() };
    },
    setCrashed: (version, crashed) => byVersion[version].setListening({ app: !crashed }),
    setScaledToZero: (version, down) => byVersion[version].setListening({ app: !down, metrics: !down }),
    newRevision: (version, hash, behaviour) => byVersion[version].newRevision(hash, behaviour),
    setBehaviour: (version, behaviour) => byVersion[version].setBehaviour(behaviour),
    behaviour: (version) => byVersion[version].behaviour(),
    stats: () => ({ v1: v1.stats(), v2: v2.stats() }),
    close: () => (closed ??= Promise.all([v1.close(), v2.close()]).then(() => undefined)),
  };
}

interface ModelServer {
  readonly address: string;
  readonly metricsAddress: string;
  identity(): Identity;
  setListening(listening: { app?: boolean; metrics?: boolean }): Promise<void>;
  newRevision(hash: string, behaviour: Behaviour): void;
  setBehaviour(behaviour: Partial<Behaviour>): void;
  behaviour(): Behaviour;
  stats(): ServerStats;
  close(): Promise<void>;
}

async function startModelServer(initialIdentity: Identity, initial: Behaviour, seed: number, latencyBuckets: readonly number[], labelled?: LabelledOptions, shadowOptions?: ShadowOptions): Promise<ModelServer> {
  let identity = initialIdentity;
  let behaviour = validateBehaviour(initial);
  const uniform = seededRandom(seed);
  const normal = normalSampler(uniform);
  let requests = 0;
  let errors = 0;

  const registry = new Registry();
  const istioLabels = labelled ? [...ISTIO_LABELS, 'tenant'] : ISTIO_LABELS;
  const istioRequests = new Counter({
    name: 'istio_requests_total',
    help: 'Requests received by the destination sidecar (simulated Istio standard metric).',
    labelNames: istioLabels,
    registers: [registry],
  });
  const istioDuration = new Histogram({
    name: 'istio_request_duration_milliseconds',
    help: 'Request duration in milliseconds (simulated Istio standard metric).',
    labelNames: istioLabels,
    buckets: [...latencyBuckets],
    registers: [registry],
  });
  const predictionScore = new Histogram({
    name: 'model_prediction_score',
    help: 'Confidence score of each successful prediction.',
    labelNames: MODEL_LABELS,
    buckets: [...SCORE_BUCKETS],
    registers: [registry],
  });
  const predictions = new Counter({
    name: 'model_predictions_total',
    help: 'Successful predictions by predicted class.',
    labelNames: [...MODEL_LABELS, 'class'],
    registers: [registry],
  });

  const istioBase = () => ({
    reporter: 'destination',
    source_workload: 'istio-ingressgateway',
    source_workload_namespace: 'istio-system',
    destination_workload: identity.workload,
    destination_workload_namespace: identity.namespace,
    destination_service: `${identity.service}.${identity.namespace}.svc.cluster.local`,
    destination_service_name: identity.service,
    destination_service_namespace: identity.namespace,
    destination_version: identity.version,
    destination_app: identity.app,
    destination_canonical_service: identity.app,
    destination_canonical_revision: identity.version,
    request_protocol: 'http',
    response_flags: '-',
    connection_security_policy: 'mutual_tls',
    pod: podName(identity),
  });
  const modelLabels = () => ({
    destination_workload: identity.workload,
    destination_workload_namespace: identity.namespace,
    destination_service_name: identity.service,
    destination_version: identity.version,
    destination_app: identity.app,
    workload: identity.workload,
    namespace: identity.namespace,
    version: identity.version,
    // The pod label `app`: Flagger rewrites the primary's to `<target>-primary`, so it equals
    // the workload name (the default profile's app metric maps app <- destination_workload).
    app: identity.workload,
    pod: podName(identity),
  });
  // Label children cached per response code (and tenant) / class: no label hashing per request.
  const istioChildren = new Map<string, { requests: { inc(): void }; duration: { observe(v: number): void } }>();
  const istioChild = (code: number, tenant?: string) => {
    const key = `${code}/${tenant ?? ''}`;
    let child = istioChildren.get(key);
    if (!child) {
      const labels = { ...istioBase(), response_code: String(code), ...(tenant !== undefined ? { tenant } : {}) };
      child = { requests: istioRequests.labels(labels), duration: istioDuration.labels(labels) };
      istioChildren.set(key, child);
    }
    return child;
  };
  const labelQueue = labelled || shadowOptions ? createLabelQueue() : undefined;
  const feedback = labelled && labelQueue ? createFeedback(labelled, registry, () => ({ ...modelLabels() }), () => identity.version, uniform, normal, labelQueue) : undefined;
  const shadow = shadowOptions && labelQueue ? createShadow(shadowOptions, labelled, registry, () => ({ ...modelLabels() }), uniform, labelQueue) : undefined;
  let scoreChild = predictionScore.labels(modelLabels());
  const classChildren = new Map<string, { inc(): void }>();
  const classChild = (name: string) => {
    let child = classChildren.get(name);
    if (!child) {
      child = predictions.labels({ ...modelLabels(), class: name });
      classChildren.set(name, child);
    }
    return child;
  };

  const predict = (): { code: number; body: string } => {
    const b = behaviour;
    const latency = b.latency.medianMs * (b.latency.multiplier ?? 1) * Math.exp(b.latency.sigma * normal());
    requests++;
    const tenant = feedback?.tenant();
    if (uniform() < b.errorRate) {
      errors++;
      const code = uniform() < 0.5 ? 500 : 503;
      const child = istioChild(code, tenant);
      child.requests.inc();
      child.duration.observe(latency);
      return { code, body: JSON.stringify({ error: 'simulated model server error', version: identity.version }) };
    }
    const predictedClass = pickClass(b.classes, uniform());
    const score = sampleScore(b.score, uniform, normal);
    scoreChild.observe(score);
    classChild(predictedClass).inc();
    // One draw per request decides whether each answer to it is right (src: ShadowOptions).
    const difficulty = feedback ? uniform() : undefined;
    const labelDue = feedback && tenant !== undefined && difficulty !== undefined ? feedback.predicted(tenant, difficulty) : undefined;
    shadow?.answered(tenant, difficulty, labelDue);
    const child = istioChild(200, tenant);
    child.requests.inc();
    child.duration.observe(latency);
    return {
      code: 200,
      body: JSON.stringify({ class: predictedClass, score, version: identity.version, latencyMs: latency }),
    };
  };

  const serveMetrics = (res: http.ServerResponse) =>
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
      (error: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(error.message);
      },
    );
  // The pod's sidecar: its stats stay scrapeable while the model server crashes.
  const sidecar = http.createServer((req, res) => {
    req.resume();
    if (req.method === 'GET' && req.url === '/metrics') void serveMetrics(res);
    else res.writeHead(404).end();
  });
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'POST' && (url === '/predict' || url.startsWith('/predict?'))) {
      req.resume(); // the features are not looked at
      req.on('end', () => {
        const { code, body } = predict();
        res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
      return;
    }
    if (req.method === 'GET' && url === '/metrics') {
      req.resume();
      void serveMetrics(res);
      return;
    }
    req.resume();
    if (req.method === 'GET' && url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not_found' }));
  });
  server.keepAliveTimeout = 5000;
  const port = await listen(server, 0);
  const metricsPort = await listen(sidecar, 0);
  const listening = { app: true, metrics: true };
  /** Stops or resumes a listener on its own port (a stopped one refuses connections). */
  const toggle = async (which: 'app' | 'metrics', on: boolean): Promise<void> => {
    if (listening[which] === on) return;
    listening[which] = on;
    const target = which === 'app' ? server : sidecar;
    if (on) await listen(target, which === 'app' ? port : metricsPort);
    else
      await new Promise<void>((resolve) => {
        target.close(() => resolve());
        target.closeAllConnections();
      });
  };

  let closed: Promise<void> | undefined;
  return {
    address: `127.0.0.1:${port}`,
    metricsAddress: `127.0.0.1:${metricsPort}`,
    identity: () => identity,
    setListening: async (want) => {
      if (want.app !== undefined) await toggle('app', want.app);
      if (want.metrics !== undefined) await toggle('metrics', want.metrics);
    },
    newRevision: (hash, next) => {
      // Every series of the old pod disappears (Prometheus marks them stale); the new pod starts at zero.
      identity = Object.freeze({ ...identity, hash });
      registry.resetMetrics();
      labelQueue?.reset();
      istioChildren.clear();
      classChildren.clear();
      scoreChild = predictionScore.labels(modelLabels());
      behaviour = validateBehaviour(next);
    },
    setBehaviour: (patch) => {
      behaviour = validateBehaviour({ ...behaviour, ...patch });
    },
    behaviour: () => behaviour,
    stats: () => ({ requests, errors }),
    close: () => (closed ??= Promise.all([toggle('app', false), toggle('metrics', false), labelQueue?.stop()]).then(() => undefined)),
  };
}

/**
 * The feedback path of one server: counts each prediction in its prediction-time bucket when
 * it is made, and its outcome (correct or not, by the version's accuracy for its tenant) in the
 * same bucket when its label arrives, a lognormal delay later. Pending labels wait in one-second
 * slots flushed by a timer (no timer per prediction).
 */
function createFeedback(options: LabelledOptions, registry: Registry, labels: () => Record<string, string>, version: () => Version, uniform: () => number, normal: () => number, queue: LabelQueue) {
  if (!(options.delaySeconds > 0)) throw new Error('labelled.delaySeconds must be > 0');
  const bucket = options.bucketSeconds ?? 60;
  const tenants = Object.keys(options.tenants);
  if (tenants.length === 0) throw new Error('labelled.tenants must name at least one tenant');
  const predictions = new Counter({ name: LABELLED_PREDICTIONS_COUNTER, help: 'Predictions by prediction-time bucket (feedback join).', labelNames: [...MODEL_LABELS, 'predicted_at', 'tenant'], registers: [registry] });
  const outcomes = new Counter({ name: LABELLED_OUTCOMES_COUNTER, help: 'Labelled predictions by prediction-time bucket and outcome.', labelNames: [...MODEL_LABELS, 'predicted_at', 'correct', 'tenant'], registers: [registry] });
  return {
    tenant: () => pickClass(options.tenants, uniform()),
    /** Counts a prediction whose correctness is `difficulty < accuracy`; returns when its label arrives (unix seconds). */
    predicted(tenant: string, difficulty: number): number {
      const now = Date.now() / 1000;
      const predictedAt = String(Math.floor(now / bucket) * bucket);
      predictions.inc({ ...labels(), predicted_at: predictedAt, tenant });
      const correct = isCorrect(options, version(), tenant, difficulty);
      const due = Math.ceil(now + options.delaySeconds * Math.exp(0.5 * normal()));
      const labelsNow = labels();
      queue.at(due, () => outcomes.inc({ ...labelsNow, predicted_at: predictedAt, correct: String(correct), tenant }));
      return due;
    },
  };
}

const isCorrect = (options: LabelledOptions, version: Version, tenant: string, difficulty: number): boolean => {
  const accuracy = options.accuracy[version];
  return difficulty < (accuracy[tenant] ?? accuracy.default);
};

type LabelQueue = ReturnType<typeof createLabelQueue>;

/**
 * Labels not yet arrived, in one-second slots flushed by a timer (no timer per prediction). A
 * new revision drops them: they are another pod's, lost with it.
 */
function createLabelQueue() {
  let pending = new Map<number, (() => void)[]>();
  const flush = () => {
    const now = Math.floor(Date.now() / 1000);
    for (const [due, list] of pending) {
      if (due > now) continue;
      for (const arrive of list) arrive();
      pending.delete(due);
    }
  };
  const timer = setInterval(flush, 250);
  timer.unref();
  return {
    at(due: number, arrive: () => void) {
      const slot = pending.get(due) ?? [];
      slot.push(arrive);
      pending.set(due, slot);
    },
    reset() {
      pending = new Map();
    },
    async stop() {
      clearInterval(timer);
    },
  };
}

/** The comparator of one pod's requests (ShadowOptions): agree/disagree at once, correctness when the label arrives. */
function createShadow(options: ShadowOptions, labelled: LabelledOptions | undefined, registry: Registry, labels: () => Record<string, string>, uniform: () => number, queue: LabelQueue) {
  for (const version of VERSIONS) {
    const p = options.disagreement[version];
    if (!(p >= 0 && p <= 1)) throw new Error(`shadow.disagreement.${version} must lie in [0, 1]`);
  }
  const pairs = new Counter({ name: SHADOW_PAIRS_COUNTER, help: 'Shadow pairs (two answers to the same request) by outcome.', labelNames: [...MODEL_LABELS, 'pair', 'outcome', ...(labelled ? ['tenant'] : [])], registers: [registry] });
  const shadows: Version[] = options.noiseFloor ? ['v2', 'v1'] : ['v2'];
  return {
    /** A successful request (its tenant and difficulty with `labelled`, and when its label arrives). */
    answered(tenant: string | undefined, difficulty: number | undefined, labelDue: number | undefined) {
      const base = { ...labels(), ...(tenant !== undefined ? { tenant } : {}) };
      for (const shadow of shadows) {
        const pair = `v1-${shadow}`;
        const correct = labelled && tenant !== undefined && difficulty !== undefined ? ([isCorrect(labelled, 'v1', tenant, difficulty), isCorrect(labelled, shadow, tenant, difficulty)] as const) : undefined;
        const differ = (correct !== undefined && correct[0] !== correct[1]) || uniform() < options.disagreement[shadow];
        pairs.inc({ ...base, pair, outcome: differ ? 'disagree' : 'agree' });
        if (correct === undefined || labelDue === undefined) continue;
        const outcome = correct[0] && correct[1] ? 'both_correct' : !correct[0] && !correct[1] ? 'both_wrong' : correct[0] ? 'v1_only_correct' : 'v2_only_correct';
        queue.at(labelDue, () => pairs.inc({ ...base, pair, outcome }));
      }
    },
  };
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The pod a server plays: `<workload>-<hash>-` and a fixed 5-character suffix. */
export function podName(identity: Identity): string {
  return `${identity.workload}-${identity.hash}-${identity.version === 'v1' ? 'x2kqz' : 'p9wzt'}`;
}

function pickClass(classes: Readonly<Record<string, number>>, u: number): string {
  const entries = Object.entries(classes);
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let acc = 0;
  for (const [name, weight] of entries) {
    acc += weight / total;
    if (u < acc) return name;
  }
  return entries[entries.length - 1][0];
}

function sampleScore(score: ScoreBehaviour, uniform: () => number, normal: () => number): number {
  if (score.distribution === 'normal') return Math.min(1, Math.max(0, score.mean + score.sd * normal()));
  // Beta by the method of moments: mean m, variance v -> a = m k, b = (1 - m) k, k = m(1-m)/v - 1.
  const k = (score.mean * (1 - score.mean)) / (score.sd * score.sd) - 1;
  const x = sampleGamma(score.mean * k, uniform, normal);
  const y = sampleGamma((1 - score.mean) * k, uniform, normal);
  return x / (x + y);
}

/** Marsaglia & Tsang (2000), with the u^(1/shape) boost for shape < 1. */
function sampleGamma(shape: number, uniform: () => number, normal: () => number): number {
  if (shape < 1) return sampleGamma(shape + 1, uniform, normal) * Math.pow(1 - uniform(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - uniform();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Throws a readable error for an impossible behaviour; returns a frozen copy. */
export function validateBehaviour(b: Behaviour): Behaviour {
  const problems: string[] = [];
  const { latency, score, classes, errorRate } = b;
  if (!(latency?.medianMs > 0)) problems.push('latency.medianMs must be > 0');
  if (!(latency?.sigma >= 0)) problems.push('latency.sigma must be >= 0');
  if (latency?.multiplier !== undefined && !(latency.multiplier > 0)) problems.push('latency.multiplier must be > 0');
  if (!(errorRate >= 0 && errorRate <= 1)) problems.push('errorRate must lie in [0, 1]');
  if (!(score?.mean > 0 && score.mean < 1)) problems.push('score.mean must lie in (0, 1)');
  if (!(score?.sd > 0)) problems.push('score.sd must be > 0');
  else if (score.distribution !== 'normal' && score.sd * score.sd >= score.mean * (1 - score.mean)) {
    problems.push(`score.sd must be < sqrt(mean (1 - mean)) = ${Math.sqrt(score.mean * (1 - score.mean)).toFixed(3)} for a beta distribution`);
  }
  const weights = Object.values(classes ?? {});
  if (weights.length === 0 || weights.some((w) => !(w >= 0)) || !(weights.reduce((a, w) => a + w, 0) > 0)) {
    problems.push('classes must map at least one class to a non-negative weight, with a positive total');
  }
  if (problems.length) throw new Error(`invalid behaviour: ${problems.join('; ')}`);
  return Object.freeze({
    latency: Object.freeze({ ...latency }),
    errorRate,
    score: Object.freeze({ ...score }),
    classes: Object.freeze({ ...classes }),
  });
}
