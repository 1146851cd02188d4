/**
 * The express application: routes, body parsing, request ids and logging, and the error
 * handler that turns every failure into a JSON problem without a stack trace. Building it is
 * separate from listening, so tests drive it with supertest.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { type ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { flaggerPathSecret, requireBearerToken, trustedByPath } from './authentication';
import { withoutPathSecret } from './redact';
import { analyzeRouter } from '../contracts/analyze-route';
import { flaggerRouter } from '../contracts/flagger-route';
import { reportRouter } from '../contracts/report-route';
import { signedReport, type ReportLinkConfig } from '../report/report-link';
import { openApiDocument } from '../contracts/openapi';
import { BODY_PATH, invalidRequest, type Problem } from '../contracts/problems';
import type { AnalysisDeps } from '../contracts/run-analysis';
import type { Config } from './config';
import type { SelfMetrics } from './self-metrics';
import { inProcessAnalysis, type AnalysisRunner } from './analysis-pool';
import type { Admission } from './admission';
import { withAnswerBudget } from '../sources/prometheus/client';
import { parseDurationSeconds } from '../contracts/time-window';

export interface Lifecycle {
  /** Set on SIGTERM: readiness fails so the load balancer stops sending new requests. */
  draining: boolean;
}

export interface AppDeps {
  readonly config: Pick<Config, 'BODY_LIMIT'> & Partial<Pick<Config, 'AUTH_TOKEN' | 'FLAGGER_PATH_SECRET' | 'PUBLIC_URL' | 'PROMETHEUS_MAX_ANALYSIS_BYTES' | 'REPORT_LINK_TTL'>>;
  readonly logger: Logger;
  readonly metrics: SelfMetrics;
  readonly lifecycle: Lifecycle;
  readonly analysis: AnalysisDeps;
  /** Runs judging, pages and large bodies in worker threads (analysis-pool.ts); default: this thread. */
  readonly runner?: AnalysisRunner;
  /** Bounds the analyses in flight (admission.ts); default: unbounded. */
  readonly admission?: Admission;
}

/**
 * A `/v1/analyze` body larger than this (or of unknown length: chunked, compressed) is read as
 * bytes and parsed in a worker; smaller ones (every Argo and Flagger request) parse here, in
 * well under a millisecond.
 */
export const LARGE_BODY_BYTES = 256 * 1024;

function largeBody(req: express.Request): boolean {
  const length = Number(req.headers['content-length']);
  const encoding = req.headers['content-encoding'];
  return !(Number.isFinite(length) && length <= LARGE_BODY_BYTES) || (encoding !== undefined && encoding !== 'identity');
}

/** The routes that run an analysis: they take an admission slot before their body is read. */
function analysisRoute(req: express.Request): boolean {
  return (req.method === 'POST' && /^\/v1\/(analyze|flagger\/[^/]+)\/?$/i.test(req.path)) || ((req.method === 'GET' || req.method === 'HEAD') && /^\/v1\/report\/?$/i.test(req.path));
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** pino's standard request serializer's output, which the access-log serializer trims. */
interface SerializedRequest {
  readonly id: unknown;
  readonly method: string;
  readonly url: string;
  readonly remoteAddress?: string;
  readonly headers?: Record<string, string | undefined>;
}

export function createApp({ config, logger, metrics, lifecycle, analysis: given, runner = inProcessAnalysis, admission }: AppDeps): express.Express {
  const analysis: AnalysisDeps = { ...given, judge: given.judge ?? runner.judge };
  const app = express();
  app.disable('x-powered-by');
  app.use(helmet());
  app.set('query parser', 'simple');
  // Masked wherever a URL is logged or repeated (redact.ts); the backends' credentials as read at start too.
  const secrets = [config.FLAGGER_PATH_SECRET, config.AUTH_TOKEN, ...(analysis.sources?.secrets?.() ?? [])].filter((s): s is string => !!s);
  // Before the request logger: it records the URL when the request arrives, and the secret
  // path must never reach a log line.
  if (config.FLAGGER_PATH_SECRET) app.use(flaggerPathSecret(config.FLAGGER_PATH_SECRET));
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
      // What an operator searches access lines by, not every header: helmet's response headers
      // alone made each line about 1.7 kB. No header value is logged (tokens travel in them).
      serializers: {
        req: (req: SerializedRequest) => ({ id: req.id, method: req.method, url: withoutPathSecret(req.url, secrets), remoteAddress: req.remoteAddress, userAgent: req.headers?.['user-agent'] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );

  // While draining, every answer asks its client to reconnect, so keep-alive connections move
  // to another replica before the listener closes.
  app.use((_req, res, next) => {
    if (lifecycle.draining) res.set('Connection', 'close');
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    if (lifecycle.draining) res.status(503).json({ status: 'draining' });
    else res.json({ status: 'ready' });
  });
  const openApi = openApiDocument(packageVersion());
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  if (config.AUTH_TOKEN) {
    const bearer = requireBearerToken(config.AUTH_TOKEN);
    // A browser opening a report link cannot send the token: the link's signature stands in.
    const token = config.AUTH_TOKEN;
    const signedLink = (req: express.Request) => (req.method === 'GET' || req.method === 'HEAD') && req.path === '/report' && signedReport(req.query as Record<string, unknown>, token);
    app.use('/v1', (req, res, next) => (trustedByPath(req) || signedLink(req) ? next() : bearer(req, res, next)));
  }
  // Any content type is read as JSON: `curl -d @request.json` sends form encoding by default.
  // Not strict: `null` or `5` is valid JSON, and the schema says "expected an object, got null"
  // where body-parser would call it malformed.
  // Only large bodies take a slot: they are what fills memory (a small request, an Argo or
  // Flagger look, is never held behind them).
  if (admission) app.use(admission.middleware((req) => analysisRoute(req) && largeBody(req)));
  const analyzePath = (req: express.Request) => /^\/v1\/analyze\/?$/i.test(req.originalUrl.split('?')[0]);
  app.use('/v1', express.raw({ limit: config.BODY_LIMIT, type: (req) => analyzePath(req as express.Request) && largeBody(req as express.Request) }));
  // An empty body (`curl -d ''`) stays undefined, so it is answered "the body is empty" rather
  // than read as {} and judged as a request for the default profile.
  app.use('/v1', express.json({ limit: config.BODY_LIMIT, type: (req) => req.headers['content-length'] !== '0', strict: false }));
  // Every analysis reads at most this much from Prometheus, all its queries together.
  const answerBytes = config.PROMETHEUS_MAX_ANALYSIS_BYTES;
  if (answerBytes) app.use((req, _res, next) => (analysisRoute(req) ? withAnswerBudget(answerBytes, next) : next()));
  const links: ReportLinkConfig = { publicUrl: config.PUBLIC_URL, authToken: config.AUTH_TOKEN, now: analysis.now, ...(config.REPORT_LINK_TTL ? { ttlSeconds: parseDurationSeconds(config.REPORT_LINK_TTL) } : {}) };
  app.use(analyzeRouter(metrics, analysis, links, runner));
  // Secrets to mask in Flagger's event texts before they are logged.
  app.use(flaggerRouter(metrics, analysis, links, [config.FLAGGER_PATH_SECRET, config.AUTH_TOKEN].filter((s): s is string => !!s)));
  app.use(reportRouter(metrics, analysis, links, runner));

  app.use(methodNotAllowed(secrets));
  app.use((req, res) => {
    // Flagger puts our answer into a Kubernetes event: a wrong path secret must not travel back.
    const problem: Problem = { error: 'not_found', message: `no route for ${req.method} ${withoutPathSecret(req.path, secrets)}` };
    res.status(404).json(problem);
  });
  app.use(errorHandler(metrics, logger));
  return app;
}

/** The methods of each known path (routing is case-insensitive and ignores a trailing slash). */
const METHODS_BY_PATH: readonly [RegExp, readonly string[]][] = [
  [/^\/v1\/analyze\/?$/i, ['POST']],
  [/^\/v1\/report\/?$/i, ['GET', 'HEAD']],
  [/^\/v1\/flagger\/[^/]+\/?$/i, ['POST']],
  [/^\/(healthz|readyz|openapi\.json|metrics)\/?$/i, ['GET', 'HEAD']],
];

/** A known path asked with the wrong method: 405 with `Allow`, not a 404 "no route". */
const methodNotAllowed =
  (secrets: readonly string[]): express.RequestHandler =>
  (req, res, next) => {
    const allowed = METHODS_BY_PATH.find(([pattern]) => pattern.test(req.path))?.[1];
    if (!allowed || allowed.includes(req.method)) return next();
    const problem: Problem = { error: 'method_not_allowed', message: `${req.method} is not allowed on ${withoutPathSecret(req.path, secrets)}; use ${allowed.join(' or ')}` };
    res.status(405).set('Allow', allowed.join(', ')).json(problem);
  };

/** The version in package.json, found from src/ and from dist/ alike. */
function packageVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')).version;
  } catch {
    return '0.0.0';
  }
}

/** Where a 4xx from express or body-parser lies, and a message that says what to fix. */
function clientError(err: { message?: unknown }, req: express.Request): { path: string; message: string } {
  const message = String(err.message ?? '').slice(0, 300);
  // express' route parameters: /v1/flagger/%E0%A4%A. The parameter is not repeated: under a
  // Flagger path it may hold the path secret.
  if (err instanceof URIError || message.startsWith('Failed to decode param')) return { path: 'url', message: 'the URL path is not valid percent-encoding (a "%" not followed by two hex digits of UTF-8)' };
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding !== 'identity') return { path: BODY_PATH, message: `the body is not valid "${String(encoding).slice(0, 40)}" data, as its Content-Encoding says${message && message !== 'Bad Request' ? ` (${message})` : ''}` };
  return { path: BODY_PATH, message: message && message !== 'Bad Request' ? message : 'the request body could not be read' };
}

/** body-parser's errors carry a status and a type; anything else is our fault (500). */
function errorHandler(metrics: SelfMetrics, logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // A malformed percent-encoding met before routing (decodeURIComponent in a middleware).
    if (err instanceof URIError) {
      metrics.invalidRequests.inc();
      res.status(400).json(invalidRequest([clientError(err, req)]));
      return;
    }
    const type = typeof err?.type === 'string' ? err.type : '';
    if (type === 'entity.too.large') {
      metrics.invalidRequests.inc();
      const problem: Problem = { error: 'payload_too_large', message: `the request body exceeds the limit of ${err.limit} bytes (BODY_LIMIT)` };
      res.status(413).json(problem);
      return;
    }
    if (type === 'entity.parse.failed') {
      metrics.invalidRequests.inc();
      res.status(400).json(invalidRequest([{ path: BODY_PATH, message: `malformed JSON: ${err.message}` }]));
      return;
    }
    if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      metrics.invalidRequests.inc();
      res.status(err.status).json(invalidRequest([clientError(err, req)]));
      return;
    }
    // Before the request logger ran (an early middleware), the service's own logger.
    (req.log ?? logger).error({ err }, 'request failed');
    const problem: Problem = { error: 'internal_error', message: 'the analysis failed unexpectedly; see the service log' };
    res.status(500).json(problem);
  };
}
