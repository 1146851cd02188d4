/**
 * Test doubles for the Prometheus HTTP API: a fake `fetch` that records every request and
 * answers canned JSON, builders for realistic API answers, and throw-away HTTP servers on
 * 127.0.0.1 for faults that need a real socket.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  /** The form body, decoded. */
  readonly params: Record<string, string>;
  readonly signal?: AbortSignal;
}

export interface CannedAnswer {
  readonly status?: number;
  /** A string is sent as is; anything else as JSON. */
  readonly body: unknown;
  readonly contentType?: string;
}

export type Responder = (request: RecordedRequest) => CannedAnswer | Promise<CannedAnswer>;

/** A fetch that answers from `respond`, records requests and honours the abort signal. */
export function fakeFetch(respond: Responder): { fetch: typeof fetch; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
    const params = Object.fromEntries(new URLSearchParams(String(init?.body ?? '')));
    const request: RecordedRequest = { url: String(input), method: init?.method ?? 'GET', headers, params, signal: init?.signal ?? undefined };
    requests.push(request);
    const signal = init?.signal;
    if (signal?.aborted) throw signal.reason;
    const answer = await (signal
      ? Promise.race([
          Promise.resolve(respond(request)),
          new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
        ])
      : respond(request));
    const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    return new Response(body, { status: answer.status ?? 200, headers: { 'Content-Type': answer.contentType ?? 'application/json' } });
  };
  return { fetch: fake as typeof fetch, requests };
}

/** An instant-query answer: `[labels, value]` pairs, values as Prometheus writes them. */
export function vector(series: ReadonlyArray<readonly [Record<string, string>, string]>, time = 1700000600): CannedAnswer {
  return { body: { status: 'success', data: { resultType: 'vector', result: series.map(([metric, value]) => ({ metric, value: [time, value] })) } } };
}

/** A range-query answer: `[labels, values]`, one value per step starting at `start`. */
export function matrix(series: ReadonlyArray<readonly [Record<string, string>, readonly string[]]>, start = 1700000000, step = 10): CannedAnswer {
  return {
    body: {
      status: 'success',
      data: { resultType: 'matrix', result: series.map(([metric, values]) => ({ metric, values: values.map((v, i) => [start + i * step, v]) })) },
    },
  };
}

export const EMPTY_VECTOR: CannedAnswer = vector([]);

/** A Prometheus error answer as the API sends it. */
export function promError(status: number, errorType: string, error: string): CannedAnswer {
  return { status, body: { status: 'error', errorType, error } };
}

/** Answers by exact query text; an unknown query fails the test loudly. */
export function byQuery(answers: Record<string, CannedAnswer>): Responder {
  return (request) => {
    const answer = answers[request.params.query];
    if (!answer) throw new Error(`unexpected query ${request.params.query}`);
    return answer;
  };
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 with a free port. */
export async function startServer(handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = await startServer(() => undefined);
  await server.close();
  return server.port;
}

/**
 * Answers the revision look-up (src/sources/revision/) as a cluster whose every side is one
 * running pod that served at every step: the requests per pod (`sum by (pod)`, a range query on
 * the asked grid) and the pods still scraped (`count by (pod)`). The pod is named after the
 * side's selector, like `model-<hash>-abcde`. Every other query goes to `respond`.
 */
export function withOnePodPerSide(respond: Responder): Responder {
  return (request) => {
    const query = request.params.query ?? '';
    if (!/^(sum|count) by \(pod\) /.test(query)) return respond(request);
    const pod = `model-${fnv(query.slice(query.indexOf('{')).replace(/\[\d+s\]\)\)$|\)$/, ''))}-abcde`;
    if (request.url.endsWith('/query_range')) {
      const start = Number(request.params.start);
      const step = Number(request.params.step);
      const count = Math.floor((Number(request.params.end) - start) / step) + 1;
      return matrix([[{ pod }, Array.from({ length: count }, () => '1')]], start, step);
    }
    return vector([[{ pod }, '1']]);
  };
}

/** A short [a-z0-9] digest of a text (FNV-1a). */
function fnv(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h.toString(36);
}

/**
 * Range queries answered from an instant-query responder: each series of a vector answer holds
 * its value at every step of the asked grid (per-interval counts that stay the same).
 */
export function vectorsAsTimeline(respond: Responder): Responder {
  return async (request) => {
    const answer = await respond(request);
    if (!request.url.endsWith('/query_range')) return answer;
    const body = answer.body as { status?: string; data?: { resultType?: string; result?: { metric: Record<string, string>; value: [number, string] }[] } };
    if (typeof body !== 'object' || body === null || body.data?.resultType !== 'vector') return answer;
    const start = Number(request.params.start);
    const step = Number(request.params.step);
    const count = Math.floor((Number(request.params.end) - start) / step) + 1;
    return { ...answer, ...matrix(body.data.result!.map((s) => [s.metric, Array.from({ length: count }, () => s.value[1])] as const), start, step) };
  };
}
