/**
 * Service configuration from environment variables, validated at start: a bad value stops
 * the process with a message naming the variable, instead of surfacing at the first request.
 */
import { z } from 'zod';
import { MAX_WINDOW_SECONDS } from '../contracts/limits';
import { REQUEST_PROMQL } from '../contracts/promql-policy';
import { parseDurationSeconds } from '../contracts/time-window';
import { issuesFromZod, parseContract } from '../contracts/problems';
import { backendMapSchema, DEFAULT_BACKEND, type BackendMap } from '../sources/prometheus/backend-config';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  /** Largest request body, in express' notation ("32mb"). */
  BODY_LIMIT: z.string().regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i, 'expected a size such as "32mb"').default('32mb'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long SIGTERM waits for requests in flight before exiting anyway (after the drain grace). */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /**
   * After SIGTERM, how long the listener stays open with /readyz answering 503, so a load
   * balancer polling readiness sees it and stops sending before connections are refused.
   * 0 closes at once (when a preStop pause already covers it).
   */
  DRAIN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(3_000),
  /** Where template metrics are fetched from. Server configuration only: never from a request. */
  PROMETHEUS_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  /** Extra headers for every Prometheus query, as a JSON object (Authorization, X-Scope-OrgID). */
  PROMETHEUS_HEADERS: z
    .string()
    .transform((text, ctx) => {
      try {
        const value = JSON.parse(text);
        if (typeof value === 'object' && value && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string')) return value as Record<string, string>;
      } catch {
        // fall through to the issue below
      }
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object of header name -> string value' });
      return z.NEVER;
    })
    .optional(),
  PROMETHEUS_QUERY_TIMEOUT_MS: z.coerce.number().int().min(1).default(5_000),
  /**
   * Named backends as a JSON object, name -> {url, headers, bearerTokenFile, basicAuth, tls,
   * tenant, queryTimeoutMs, credentialsRefreshSeconds} (src/sources/prometheus/backend-config.ts,
   * docs/backends/); a profile picks one with "backend". PROMETHEUS_URL is the one named "default".
   */
  PROMETHEUS_BACKENDS: z
    .string()
    .transform((text, ctx): BackendMap => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON object of backend name -> settings' });
        return z.NEVER;
      }
      const parsed = parseContract(backendMapSchema, value);
      if (parsed.success) return parsed.data as BackendMap;
      for (const issue of issuesFromZod(parsed.error)) ctx.addIssue({ code: 'custom', message: `${issue.path === 'body' ? '(top level)' : issue.path}: ${issue.message}` });
      return z.NEVER;
    })
    .optional(),
  /** Largest Prometheus answer read (bytes), streamed and abandoned past it: 400 naming the query. */
  PROMETHEUS_MAX_ANSWER_BYTES: z.coerce.number().int().min(1024).default(8 * 2 ** 20),
  /** All Prometheus answers of one analysis together (bytes). */
  PROMETHEUS_MAX_ANALYSIS_BYTES: z.coerce.number().int().min(1024).default(24 * 2 ** 20),
  /** Budget for all queries of one analysis; under Argo's and Flagger's 10 s default timeouts. */
  ANALYSIS_DEADLINE_MS: z.coerce.number().int().min(1).default(8_000),
  /** Window when a request gives neither lookback nor start (a Prometheus duration). */
  DEFAULT_LOOKBACK: z
    .string()
    .regex(/^(\d+[wdhms])+$/, 'expected a duration such as "10m"')
    .refine((text) => (parseDurationSeconds(text) ?? 0) <= MAX_WINDOW_SECONDS, `at most ${MAX_WINDOW_SECONDS / 86400} days, the longest window an analysis may read`)
    .default('10m'),
  PROFILES_FILE: z.string().min(1).optional(),
  /** Which PromQL a request's own template metrics may run: "templates" (no custom "query"), "profiles" (none) or "any". */
  REQUEST_PROMQL: z.enum(REQUEST_PROMQL).default('templates'),
  /** Worker threads that judge, render reports and parse large bodies (analysis-pool.ts); 0 judges on the event loop. */
  ANALYSIS_WORKERS: z.coerce.number().int().min(0).max(64).default(1),
  /** Analyses in flight at once (reading a body, fetching, judging); more wait (admission.ts). */
  ANALYSIS_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(1),
  /** Analyses that may wait for a slot; beyond, 503 busy. */
  ANALYSIS_QUEUE: z.coerce.number().int().min(0).max(10_000).default(32),
  /** How long an analysis waits for a slot before 503 busy. */
  ANALYSIS_QUEUE_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
  /** A judging, rendering or parsing task stopped (its worker ended) past this: 503. */
  JUDGE_DEADLINE_MS: z.coerce.number().int().min(1).default(8_000),
  /** Old-generation heap of each worker (MB): an analysis needing more ends that worker only, and is answered 413. */
  WORKER_HEAP_MB: z.coerce.number().int().min(32).max(65_536).default(160),
  /** How long a rollout's verdict gauges stay after its last analysis (a Prometheus duration). */
  VERDICT_SERIES_TTL: z.string().regex(/^(\d+[wdhms])+$/, 'expected a duration such as "15m"').default('15m'),
  /** At most this many (namespace, rollout, metric) keys in the verdict gauges; more are counted, not exported. */
  VERDICT_SERIES_MAX: z.coerce.number().int().min(1).max(100_000).default(1000),
  /** At most this many of those keys per namespace, so that one namespace cannot fill the cap. */
  VERDICT_SERIES_MAX_PER_NAMESPACE: z.coerce.number().int().min(1).max(100_000).default(200),
  /** Also set the gauges from analyses of inline data ("true"); by default only from data the service fetched itself. */
  VERDICT_GAUGES_FROM_INLINE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /**
   * The service's address as people reach it (https://canary-judge.example.com): when set, answers
   * of Prometheus-backed analyses carry a link to their HTML report under it. Never a secret in it.
   */
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .refine((u) => { const url = new URL(u); return !url.username && !url.password && !url.search && !url.hash; }, 'expected a plain base URL: no user, password, query or fragment')
    .optional(),
  /** How long a report link stays valid (a Prometheus duration); its signature covers the expiry. */
  REPORT_LINK_TTL: z.string().regex(/^(\d+[wdhms])+$/, 'expected a duration such as "7d"').default('7d'),
  /** When set, /v1/* requires Authorization: Bearer <AUTH_TOKEN>. */
  AUTH_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  /** When set, Flagger may call /v1/flagger/<FLAGGER_PATH_SECRET>/<type> without a token. */
  FLAGGER_PATH_SECRET: z.string().regex(/^[A-Za-z0-9_-]{24,}$/, 'use at least 24 URL-safe characters').optional(),
}).superRefine((config, ctx) => {
  if (config.PROMETHEUS_URL && config.PROMETHEUS_BACKENDS?.[DEFAULT_BACKEND]) ctx.addIssue({ code: 'custom', path: ['PROMETHEUS_BACKENDS'], message: `"${DEFAULT_BACKEND}" is PROMETHEUS_URL's: give the default backend in one place (drop PROMETHEUS_URL, or rename this one)` });
});

export type Config = z.output<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (as Helm or a shell leaves it) means "not set", not "set to nothing".
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return parsed.data;
}
