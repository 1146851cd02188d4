/**
 * A small client for Prometheus' HTTP API (`/api/v1/query`, `/api/v1/query_range`).
 *
 * Queries are POSTed as application/x-www-form-urlencoded (long queries fit; Prometheus,
 * Thanos, Mimir and VictoriaMetrics all accept it). Every query has its own timeout on top of
 * the caller's signal. Every answer is checked against the API's JSON shape before use.
 * Failures throw `SourceUnavailableError` with a reason:
 * - `unreachable`: connection refused, DNS failure, reset;
 * - `timeout`: the per-query timeout passed, or the caller's signal aborted (deadline);
 * - `status`: a non-2xx answer (with Prometheus' `error` text when the body is its JSON);
 * - `malformed`: not JSON, or not the shape the API documents;
 * - `partial`: a success that carries `warnings` or `infos` (but the one naming hint below), or
 *   VictoriaMetrics' `isPartial: true`. Prometheus warns when part of the data could not be read
 *   (a failed remote-read store, a PromQL data problem), Thanos when a store API failed and
 *   partial responses are on (`partial_response`, warnings), VictoriaMetrics cluster when a
 *   vmstorage node did not answer: the numbers may be missing samples, and a judge must not
 *   decide on them. Infos say PromQL fixed or ignored data (histograms ignored in an
 *   aggregation, quantile buckets forced monotonic): refused too.
 * - `downsampled`: a range answer whose points all lie on a grid of 3 or more steps (Thanos'
 *   downsampled blocks, VictoriaMetrics' downsampling): not raw data.
 * - `too-large`: the answer exceeds `maxAnswerBytes`, or the analysis' answers together exceed
 *   its budget (`withAnswerBudget`): read as a stream and abandoned at the cap, never held
 *   whole (a 600 MB answer once took the process to 1.8 GB).
 * Limit errors of Mimir / Cortex / Thanos / VictoriaMetrics / Prometheus (too many series,
 * samples or chunks, a range too long) keep their reason and name the setting that bounds them
 * (backend-limits.ts). A 401 / 403 names the credential configured (its kind and file, never
 * its value) and the tenant; a TLS failure says which TLS setting to check.
 * Header values (tokens, keys) and credentials are never put into an error message (a tenant
 * chosen through `tenant` is named: it is not a secret), and never sent to another origin: a redirect is followed only within the configured origin.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { z } from 'zod';
import { SourceUnavailableError } from '../metric-source';
import { linkedAbort } from '../linked-abort';
import { limitAdvice } from './backend-limits';

export interface PrometheusClientOptions {
  /** e.g. http://prometheus:9090 or http://host/prometheus (a path prefix is kept). */
  readonly baseUrl: string;
  /** Sent with every query (Authorization, X-Scope-OrgID...). */
  readonly headers?: Record<string, string>;
  /** Per-query timeout. */
  readonly queryTimeoutMs: number;
  /** Injected for tests; default the global fetch. */
  readonly fetch?: typeof fetch;
  /** Told of every query once it settles: its duration and "ok" or the failure's reason. */
  readonly observe?: QueryObserver;
  /** Largest answer body read, in bytes (default DEFAULT_MAX_ANSWER_BYTES). */
  readonly maxAnswerBytes?: number;
  /** Credentials read fresh for every query (files that rotate), never shown. */
  readonly auth?: ClientAuth;
  /** The backend's name, shown in messages beside its URL when not "default". */
  readonly backend?: string;
  /** The tenant this client reads (its header is among `headers`), shown in messages. */
  readonly tenant?: string;
  /** TLS is configured (a custom CA or client certificate): named when a TLS handshake fails. */
  readonly tls?: string;
}

/** Credentials whose value may change between queries (bearer token or basic auth from files). */
export interface ClientAuth {
  /** The headers to send now (e.g. Authorization), read fresh; throws an Error naming the file when unreadable. */
  headers(): Promise<Record<string, string>>;
  /** Every value to mask wherever text could repeat it (the token, the password, their encodings). */
  secrets(): readonly string[];
  /** What is configured, for messages ("the bearer token from /var/run/secrets/token"): never the value. */
  readonly description: string;
}

/** 8 MiB: a day of one-minute points of 79 latency buckets is about 2 MB. */
export const DEFAULT_MAX_ANSWER_BYTES = 8 * 2 ** 20;
/** Redirects followed (within the configured origin) before giving up. */
const MAX_REDIRECTS = 5;

/** The bytes one analysis may still read from Prometheus, across all its queries. */
interface AnswerBudget {
  readonly limit: number;
  remaining: number;
}
const answerBudget = new AsyncLocalStorage<AnswerBudget>();

/**
 * Runs an analysis with a budget for the bytes of all its Prometheus answers together: every
 * query it sends (in this async context) draws on it, and one that would overdraw it is
 * `too-large`. Without it, only the per-answer cap applies.
 */
export function withAnswerBudget<T>(bytes: number, run: () => T): T {
  return answerBudget.run({ limit: bytes, remaining: bytes }, run);
}

const mebibytes = (bytes: number) => `${Number((bytes / 2 ** 20).toPrecision(3))} MiB`;

export type QueryOutcome = 'ok' | SourceUnavailableError['reason'] | 'other';
export type QueryObserver = (seconds: number, outcome: QueryOutcome) => void;

/** One sample: unix seconds and its value (NaN and ±Infinity as Prometheus sent them). */
export type Sample = readonly [time: number, value: number];

export interface VectorSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: Sample;
}
export type InstantVector = readonly VectorSeries[];

export interface MatrixSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: readonly Sample[];
}
export type RangeMatrix = readonly MatrixSeries[];

/**
 * A native histogram as the query API writes it (web/api/v1 and util/jsonutil in Prometheus:
 * `{"count": "42", "sum": "3.5", "buckets": [[rule, "lower", "upper", "count"], ...]}`, the
 * populated buckets only, negative ones first, then the zero bucket, then the positive ones).
 * `rule` says which edges belong to the bucket: 0 (lower, upper], 1 [lower, upper),
 * 2 (lower, upper), 3 [lower, upper]. Numbers as Prometheus sent them (NaN, ±Inf included):
 * the validation stage checks them (src/sources/validate/native-histograms.ts).
 */
export interface NativeHistogram {
  readonly count: number;
  readonly sum: number;
  readonly buckets: readonly NativeBucket[];
}
export interface NativeBucket {
  readonly rule: 0 | 1 | 2 | 3;
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
}
export type HistogramSample = readonly [time: number, histogram: NativeHistogram];

/** A series of an answer that may hold native histograms: its float samples and its histogram samples. */
export interface MixedSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: readonly Sample[];
  readonly histograms: readonly HistogramSample[];
}

/** Longest Prometheus error text repeated in an error message. */
const MAX_ERROR_TEXT = 300;

/**
 * A sample value as Prometheus writes it (Go's FormatFloat, or "NaN", "+Inf", "-Inf");
 * undefined for anything else, so "", "0x10" or "1,5" never pass as numbers.
 */
export function parseSampleValue(text: string): number | undefined {
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return Number(text);
  if (/^nan$/i.test(text)) return NaN;
  const inf = /^([+-]?)inf(?:inity)?$/i.exec(text);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  return undefined;
}

const sampleSchema = z.tuple([z.number(), z.string()]);
const labelsSchema = z.record(z.string(), z.string());

const warningsSchema = z.array(z.unknown()).optional();

const histogramSchema = z.tuple([
  z.number(),
  z.object({
    count: z.string(),
    sum: z.string(),
    // Absent when no bucket is populated.
    buckets: z.array(z.tuple([z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]), z.string(), z.string(), z.string()])).optional(),
  }),
]);

const vectorSchema = z.object({
  status: z.literal('success'),
  warnings: warningsSchema,
  infos: warningsSchema,
  isPartial: z.boolean().optional(),
  data: z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: labelsSchema, value: sampleSchema.optional(), histogram: histogramSchema.optional() })),
  }),
});

const matrixSchema = z.object({
  status: z.literal('success'),
  warnings: warningsSchema,
  infos: warningsSchema,
  isPartial: z.boolean().optional(),
  data: z.object({
    resultType: z.literal('matrix'),
    result: z.array(z.object({ metric: labelsSchema, values: z.array(sampleSchema).optional(), histograms: z.array(histogramSchema).optional() })),
  }),
});

export class PrometheusClient {
  readonly #endpoint: URL;
  readonly #headers: Headers;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #observe: QueryObserver | undefined;
  readonly #maxAnswerBytes: number;
  readonly #options: PrometheusClientOptions;
  /** The server as shown in messages: no user info, no query string. */
  readonly server: string;

  constructor(options: PrometheusClientOptions) {
    this.#options = options;
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new Error('the Prometheus base URL is not a valid URL.');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`the Prometheus base URL must be http or https, not ${url.protocol.replace(/:$/, '')}.`);
    if (!Number.isFinite(options.queryTimeoutMs) || options.queryTimeoutMs <= 0) throw new Error('the Prometheus query timeout must be a positive number of milliseconds.');
    const headers: Record<string, string> = { ...options.headers };
    // fetch refuses URLs with credentials: move them into a Basic Authorization header.
    if (url.username || url.password) {
      const hasAuth = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
      if (!hasAuth) {
        const pair = `${decodeUserInfo(url.username)}:${decodeUserInfo(url.password)}`;
        headers.Authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
      }
      url.username = '';
      url.password = '';
    }
    url.hash = '';
    this.#endpoint = url;
    try {
      this.#headers = new Headers(headers);
    } catch {
      // Never repeat the value: it may be a token.
      const bad = Object.entries(headers).find(([name, value]) => !isValidHeader(name, value));
      throw new Error(bad ? `the Prometheus header ${JSON.stringify(bad[0])} has an invalid name or value.` : 'a Prometheus header has an invalid name or value.');
    }
    this.#headers.set('Content-Type', 'application/x-www-form-urlencoded');
    this.#headers.set('Accept', 'application/json');
    this.#timeoutMs = options.queryTimeoutMs;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#observe = options.observe;
    this.#maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    if (!(this.#maxAnswerBytes > 0)) throw new Error('the largest Prometheus answer must be a positive number of bytes.');
    this.server = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  }

  /** The same backend with more headers (a tenant's): same transport, credentials and limits. */
  withHeaders(headers: Record<string, string>, tenant?: string): PrometheusClient {
    return new PrometheusClient({ ...this.#options, headers: { ...this.#options.headers, ...headers }, ...(tenant !== undefined ? { tenant } : {}) });
  }

  /** Who we asked, for messages: the URL, and the backend's name and tenant when there are. */
  get #who(): string {
    const parts = [
      ...(this.#options.backend !== undefined && this.#options.backend !== 'default' ? [`backend "${this.#options.backend}"`] : []),
      ...(this.#options.tenant !== undefined ? [`tenant "${this.#options.tenant}"`] : []),
    ];
    return parts.length ? ` (${parts.join(', ')})` : '';
  }

  /** Every value a message must never repeat: header values (tokens, keys) and the credentials'. */
  #secrets(): string[] {
    const values: string[] = [];
    this.#headers.forEach((value, name) => {
      // Not the tenant (shown on purpose) nor an auth scheme's name.
      if (!['content-type', 'accept'].includes(name) && value !== this.#options.tenant) values.push(value, ...value.split(/\s+/).filter((part) => !/^(bearer|basic)$/i.test(part)));
    });
    for (const secret of this.#options.auth?.secrets() ?? []) values.push(secret);
    // Longest first: a token is masked whole before a shorter value inside it.
    return values.filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
  }

  /** Instant query at `timeSeconds` (unix seconds); the answer must be a vector of numbers. */
  async instant(query: string, timeSeconds: number, signal: AbortSignal): Promise<InstantVector> {
    const where = this.#where('/api/v1/query');
    return (await this.#observed(() => this.#instant(query, timeSeconds, signal))).map((series, i) => ({ metric: series.metric, value: onlyValues(series, i, where)[0] }));
  }

  /** Range query from `startSeconds` to `endSeconds` every `stepSeconds`; the answer must be a matrix of numbers. */
  async range(query: string, startSeconds: number, endSeconds: number, stepSeconds: number, signal: AbortSignal): Promise<RangeMatrix> {
    const where = this.#where('/api/v1/query_range');
    return (await this.#observed(() => this.#range(query, startSeconds, endSeconds, stepSeconds, signal))).map((series, i) => ({ metric: series.metric, values: onlyValues(series, i, where) }));
  }

  /** Instant query whose answer may hold native histograms (`histogram` instead of `value`). */
  async instantMixed(query: string, timeSeconds: number, signal: AbortSignal): Promise<readonly MixedSeries[]> {
    return this.#observed(() => this.#instant(query, timeSeconds, signal));
  }

  /** Range query whose answer may hold native histograms (`histograms` beside or instead of `values`). */
  async rangeMixed(query: string, startSeconds: number, endSeconds: number, stepSeconds: number, signal: AbortSignal): Promise<readonly MixedSeries[]> {
    return this.#observed(() => this.#range(query, startSeconds, endSeconds, stepSeconds, signal));
  }

  #where(path: string): string {
    return `${this.server}${path}${this.#who}`;
  }

  async #observed<T>(run: () => Promise<T>): Promise<T> {
    if (!this.#observe) return run();
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const answer = await run();
      this.#observe(seconds(), 'ok');
      return answer;
    } catch (error) {
      this.#observe(seconds(), error instanceof SourceUnavailableError ? error.reason : 'other');
      throw error;
    }
  }

  async #instant(query: string, timeSeconds: number, signal: AbortSignal): Promise<MixedSeries[]> {
    checkTime('time', timeSeconds);
    const body = await this.#post('/api/v1/query', { query, time: String(timeSeconds) }, signal);
    const parsed = vectorSchema.safeParse(body);
    const where = this.#where('/api/v1/query');
    if (!parsed.success) throw malformed(where, describeMismatch(body, 'vector', parsed.error));
    refusePartial(where, parsed.data);
    return parsed.data.data.result.map((series, i) => {
      if (series.value && series.histogram) throw malformed(where, `series ${i} has both a "value" and a "histogram"`);
      if (series.value) return { metric: series.metric, values: [toSample(series.value, where)], histograms: [] };
      if (series.histogram) return { metric: series.metric, values: [], histograms: [toHistogramSample(series.histogram, where)] };
      throw malformed(where, `series ${i} has neither a "value" nor a "histogram"`);
    });
  }

  async #range(query: string, startSeconds: number, endSeconds: number, stepSeconds: number, signal: AbortSignal): Promise<MixedSeries[]> {
    checkTime('start', startSeconds);
    checkTime('end', endSeconds);
    if (!(endSeconds >= startSeconds)) throw new Error('the end of a range query must not be before its start.');
    if (!Number.isFinite(stepSeconds) || stepSeconds <= 0) throw new Error('the step of a range query must be a positive number of seconds.');
    const params = { query, start: String(startSeconds), end: String(endSeconds), step: String(stepSeconds) };
    const body = await this.#post('/api/v1/query_range', params, signal);
    const parsed = matrixSchema.safeParse(body);
    const where = this.#where('/api/v1/query_range');
    if (!parsed.success) throw malformed(where, describeMismatch(body, 'matrix', parsed.error));
    refusePartial(where, parsed.data);
    const matrix = parsed.data.data.result.map((series, i) => {
      if (!series.values && !series.histograms) throw malformed(where, `series ${i} has neither "values" nor "histograms"`);
      return { metric: series.metric, values: (series.values ?? []).map((s) => toSample(s, where)), histograms: (series.histograms ?? []).map((h) => toHistogramSample(h, where)) };
    });
    refuseDownsampled(where, matrix.map((series) => ({ metric: series.metric, values: [...series.values, ...series.histograms.map(([t]): Sample => [t, 0])].sort((a, b) => a[0] - b[0]) })), stepSeconds);
    return matrix;
  }

  /** POSTs the form and returns the parsed JSON of a 2xx answer. */
  async #post(path: string, params: Record<string, string>, signal: AbortSignal): Promise<unknown> {
    const url = new URL(this.#endpoint.href);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
    // Disposed as soon as the answer is read or has failed: no timer outlives the query.
    const query = linkedAbort(signal, this.#timeoutMs);
    const where = `${this.server}${path}${this.#who}`;

    let status: number;
    let text: string;
    try {
      if (signal.aborted) throw signal.reason;
      const headers = new Headers(this.#headers);
      if (this.#options.auth) {
        let fresh: Record<string, string>;
        try {
          fresh = await this.#options.auth.headers();
        } catch (error) {
          throw new SourceUnavailableError(`Prometheus at ${where}: ${(error as Error).message}`, 'not-configured');
        }
        for (const [name, value] of Object.entries(fresh)) headers.set(name, value);
      }
      let target = url;
      let response: Response;
      for (let hops = 0; ; hops++) {
        response = await this.#fetch(target.href, {
          method: 'POST',
          headers,
          body: new URLSearchParams(params).toString(),
          signal: query.signal,
          // Followed here: fetch would forward custom headers (X-Scope-OrgID, API keys) to any origin.
          redirect: 'manual',
        });
        const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null;
        if (location === null) break;
        await response.body?.cancel();
        const next = new URL(location, target);
        if (next.origin !== this.#endpoint.origin) {
          throw new SourceUnavailableError(`Prometheus at ${where} redirected to another origin (${next.origin}); its headers go to ${this.#endpoint.origin} only: set PROMETHEUS_URL (or the backend's url) to the address it redirects to`, 'status');
        }
        if (hops >= MAX_REDIRECTS) throw new SourceUnavailableError(`Prometheus at ${where} redirected more than ${MAX_REDIRECTS} times`, 'status');
        target = next;
      }
      status = response.status;
      text = await this.#readCapped(response, where, params.query);
    } catch (error) {
      if (error instanceof SourceUnavailableError) throw error;
      if (signal.aborted) {
        throw new SourceUnavailableError(`the query to Prometheus at ${where} was abandoned: the analysis deadline passed`, 'timeout');
      }
      if (query.timedOut || isAbort(error)) {
        throw new SourceUnavailableError(`Prometheus at ${where} did not answer within ${this.#timeoutMs} ms`, 'timeout');
      }
      const cause = networkCause(error, this.#secrets());
      const tls = /CERT|SSL|TLS|self[- ]signed|certificate|handshake|EPROTO/i.test(cause) ? `: the TLS handshake failed${this.#options.tls ? ` (check ${this.#options.tls})` : ' (a private CA? give the backend tls.caFile)'}` : '';
      throw new SourceUnavailableError(`Prometheus at ${where} is unreachable: ${cause}${tls}`, 'unreachable');
    } finally {
      query.dispose();
    }

    if (status < 200 || status > 299) {
      const secrets = this.#secrets();
      const detail = prometheusErrorText(text, secrets);
      // 400 bad_data: Prometheus refuses the query itself; asking again cannot help.
      const refused = status === 400 && /"errorType"\s*:\s*"bad_data"/.test(text);
      const plain = detail ? '' : plainErrorText(text, secrets);
      const limit = limitAdvice(detail || plain);
      // 401 / 403, or a proxy's own word for it (vmauth answers an unknown token with 400); never
      // Prometheus' bad_data, whose parse errors may say "token".
      const denied =
        status === 401 || status === 403 || (!refused && status < 500 && /\b(auth|token|credentials?|password|unauthori[sz]ed|forbidden)\b/i.test(detail || plain))
          ? `: ${status === 403 ? 'it refused access' : 'it did not accept our credentials'} (${this.#options.auth?.description ?? (this.#headers.has('authorization') ? 'the Authorization header configured' : 'no credentials configured')}${this.#options.tenant !== undefined ? `, tenant "${this.#options.tenant}"` : ''})`
          : '';
      const said = detail ? `: ${detail}` : plain ? `: ${JSON.stringify(plain)}` : ' (no Prometheus error in the body)';
      throw new SourceUnavailableError(`Prometheus at ${where} ${refused ? 'refused the query' : `answered HTTP ${status}`}${denied}${said}${limit ? `; ${limit}` : ''}`, refused ? 'query' : 'status');
    }
    try {
      return JSON.parse(text);
    } catch {
      throw malformed(where, text.trim() === '' ? 'the body is empty' : 'the body is not JSON');
    }
  }

  /**
   * The body as text, read as a stream and abandoned (the connection cancelled) as soon as it
   * passes the per-answer cap or the analysis' budget: never more than the cap in memory.
   */
  async #readCapped(response: Response, where: string, query: string | undefined): Promise<string> {
    const budget = answerBudget.getStore();
    const tooLarge = (bytes: number, exact: boolean, byAnswer: boolean) => {
      const what = byAnswer ? `the limit of ${mebibytes(this.#maxAnswerBytes)} per answer (PROMETHEUS_MAX_ANSWER_BYTES)` : `what is left of the analysis' ${mebibytes(budget!.limit)} for all its answers (PROMETHEUS_MAX_ANALYSIS_BYTES)`;
      const shown = query === undefined ? '' : ` to ${JSON.stringify(truncate(query, 160))}`;
      return new SourceUnavailableError(`Prometheus at ${where} answered ${exact ? '' : 'more than '}${mebibytes(bytes)}${shown}, beyond ${what}: select fewer series (a "by" label with fewer values, narrower labels) or a shorter window`, 'too-large');
    };
    const declared = Number(response.headers.get('content-length'));
    if (declared > this.#maxAnswerBytes || (budget && declared > budget.remaining)) {
      await response.body?.cancel();
      throw tooLarge(declared, true, declared > this.#maxAnswerBytes);
    }
    if (!response.body) return '';
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      // Drawn as it arrives: the analysis' parallel queries share one budget.
      if (budget) budget.remaining -= value.byteLength;
      if (bytes > this.#maxAnswerBytes || (budget && budget.remaining < 0)) {
        await reader.cancel();
        throw tooLarge(bytes, false, bytes > this.#maxAnswerBytes);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

function decodeUserInfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function checkTime(name: string, seconds: number): void {
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`the ${name} of a Prometheus query must be unix seconds, got ${seconds}.`);
}

function toSample([time, text]: readonly [number, string], where: string): Sample {
  return [time, toNumber(text, 'sample value', where)];
}

function toNumber(text: string, what: string, where: string): number {
  const value = parseSampleValue(text);
  if (value === undefined) throw malformed(where, `the ${what} ${JSON.stringify(truncate(text, 40))} is not a number`);
  return value;
}

function toHistogramSample([time, h]: z.output<typeof histogramSchema>, where: string): HistogramSample {
  return [
    time,
    {
      count: toNumber(h.count, 'histogram count', where),
      sum: toNumber(h.sum, 'histogram sum', where),
      buckets: (h.buckets ?? []).map(([rule, lower, upper, count]) => ({ rule, lower: toNumber(lower, 'bucket boundary', where), upper: toNumber(upper, 'bucket boundary', where), count: toNumber(count, 'bucket count', where) })),
    },
  ];
}

/** The float samples of a series where numbers were asked for: a native histogram there is an unusable answer. */
function onlyValues(series: MixedSeries, i: number, where: string): readonly Sample[] {
  if (series.histograms.length) {
    throw malformed(where, `series ${i} ${labelsShown(series.metric)} is a native histogram where numbers were expected (a histogram's series are read with the histogram template, "native": true)`);
  }
  return series.values;
}

function labelsShown(labels: Readonly<Record<string, string>>): string {
  return truncate(`{${Object.entries(labels).map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(',')}}`, 120);
}

/**
 * Prometheus' info that a counter's name does not end in _total/_sum/_count/_bucket: a naming
 * hint about the query, not about its data (the templates' own counters may be named so).
 */
const NAMING_INFO = /^PromQL info: metric might not be a counter, name does not end in /;

/** Throws `partial` when a successful answer carries warnings, infos or `isPartial` (see the header). */
function refusePartial(where: string, answer: { warnings?: readonly unknown[]; infos?: readonly unknown[]; isPartial?: boolean }): void {
  const text = (w: unknown) => truncate(typeof w === 'string' ? w : JSON.stringify(w) ?? String(w), 200);
  const notes: [kind: string, text: string][] = [
    ...(answer.warnings ?? []).map((w): [string, string] => ['warning', text(w)]),
    ...(answer.infos ?? []).filter((i) => !(typeof i === 'string' && NAMING_INFO.test(i))).map((i): [string, string] => ['info', text(i)]),
    ...(answer.isPartial === true ? [['isPartial', 'true (a storage node did not answer)'] as [string, string]] : []),
  ];
  if (!notes.length) return;
  // "warning: a; b; info: c": each kind named once, before its first note.
  const shown = notes.slice(0, 3).map(([kind, note], i) => (i > 0 && notes[i - 1][0] === kind ? note : `${kind}: ${note}`));
  const more = notes.length > 3 ? ` (and ${notes.length - 3} more)` : '';
  throw new SourceUnavailableError(`Prometheus at ${where} answered with partial data, ${shown.join('; ')}${more}`, 'partial');
}

/**
 * Throws `downsampled` when every point of a range answer lies on a grid coarser than the asked
 * step: all gaps between a series' consecutive points, in every series, the same multiple (3 or
 * more) of the step. That is a resolution (Thanos' 5m and 1h downsampled blocks, VictoriaMetrics'
 * downsampling), where a per-step increase is not what was asked. Missed scrapes leave gaps of
 * varying lengths, and a gap of two steps is what every other missed interval looks like: those
 * stay with the validation stage and the judge (gaps are seen and reported there).
 */
function refuseDownsampled(where: string, matrix: RangeMatrix, stepSeconds: number): void {
  let spacing: number | undefined;
  let gaps = 0;
  for (const series of matrix) {
    for (let i = 1; i < series.values.length; i++) {
      const gap = series.values[i][0] - series.values[i - 1][0];
      if (spacing === undefined) spacing = gap;
      else if (Math.abs(gap - spacing) > 0.001) return;
      gaps++;
    }
  }
  if (spacing === undefined || gaps < 2 || spacing < stepSeconds * 3 - 0.001) return;
  throw new SourceUnavailableError(
    `Prometheus at ${where} answered at a coarser resolution than the ${stepSeconds} s step asked (every point ${Number(spacing.toPrecision(4))} s after the last, in every series): downsampled data is not judged as raw; ask for raw data (Thanos: max_source_resolution=0s in the URL, or keep raw blocks for the window; VictoriaMetrics: a window within the raw-data retention) or a "timelineStep" as long as the resolution`,
    'downsampled',
  );
}

function malformed(where: string, why: string): SourceUnavailableError {
  return new SourceUnavailableError(`Prometheus at ${where} gave an unusable answer: ${why}`, 'malformed');
}

function isValidHeader(name: string, value: string): boolean {
  try {
    new Headers([[name, value]]);
    return true;
  } catch {
    return false;
  }
}

/** A short description of why a JSON body is not the expected shape. */
function describeMismatch(body: unknown, expected: 'vector' | 'matrix', error: z.ZodError): string {
  if (isRecord(body)) {
    if (body.status === 'error') return `status "error"${typeof body.error === 'string' ? `: ${truncate(body.error)}` : ''}`;
    const data = body.data;
    if (isRecord(data) && typeof data.resultType === 'string' && data.resultType !== expected) {
      return `expected a ${expected} result, got ${JSON.stringify(truncate(data.resultType, 40))}`;
    }
  }
  const issues = error.issues.slice(0, 3).map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  return `not a Prometheus ${expected} answer (${issues.join('; ')}${error.issues.length > 3 ? '; ...' : ''})`;
}

/** Prometheus' own `errorType: error` from a JSON error body, truncated, secrets masked; '' otherwise. */
function prometheusErrorText(text: string, secrets: readonly string[]): string {
  if (!text || text.length > 1_000_000) return '';
  try {
    const body: unknown = JSON.parse(text);
    if (!isRecord(body) || typeof body.error !== 'string') return '';
    const type = typeof body.errorType === 'string' && /^[a-z_]{1,40}$/.test(body.errorType) ? `${body.errorType}: ` : '';
    return type + truncate(masked(body.error, secrets));
  } catch {
    return '';
  }
}

/**
 * The first line of a short plain-text error body (a proxy's "missing X-Scope-OrgID", vmauth's
 * "cannot find the provided auth token ..."), every secret masked; '' for HTML, JSON or long bodies.
 */
function plainErrorText(text: string, secrets: readonly string[]): string {
  const trimmed = text.trim();
  if (!trimmed || trimmed.length > 4000 || /^[<{[]/.test(trimmed)) return '';
  return truncate(masked(trimmed.split('\n')[0], secrets), 200);
}

/** `text` with every secret (and its base64, as Basic auth sends it) replaced by [redacted]. */
function masked(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}

function truncate(text: string, max = MAX_ERROR_TEXT): string {
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, max).join('')}...` : text;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

// Duck-typed, not `instanceof Error`: fetch's errors may come from another realm (vm contexts, jest).
interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
}
function asErrorLike(x: unknown): ErrorLike | undefined {
  return typeof x === 'object' && x !== null ? (x as ErrorLike) : undefined;
}

function isAbort(error: unknown): boolean {
  const name = asErrorLike(error)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/**
 * The innermost cause of a failed fetch (`connect ECONNREFUSED 127.0.0.1:9090`, `bad port`),
 * with every configured header value and credential blanked out in case a message ever repeats one.
 */
function networkCause(error: unknown, secrets: readonly string[]): string {
  let innermost = asErrorLike(error);
  for (let depth = 0; depth < 5; depth++) {
    const cause = asErrorLike(innermost?.cause);
    if (!cause) break;
    innermost = cause;
  }
  const code = typeof innermost?.code === 'string' ? innermost.code : '';
  const message = typeof innermost?.message === 'string' ? truncate(masked(innermost.message, secrets), 200) : '';
  const text = message.includes(code) ? message : `${code} ${message}`.trim();
  return text || 'the connection failed';
}
