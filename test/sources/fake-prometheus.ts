/**
 * Test doubles for the Prometheus HTTP API: a fake `fetch` that records every request and
 * answers canned JSON, the same answering behind a real socket (`startFakePrometheus`),
 * builders for realistic API answers, and throw-away HTTP servers on 127.0.0.1 for faults
 * that need a real socket.
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
  /** An instant vector whose samples take the time the query asked for, as Prometheus' do. */
  readonly atAskedTime?: boolean;
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
    const rendered = render(answer, request);
    return new Response(rendered.body, { status: rendered.status, headers: { 'Content-Type': rendered.contentType } });
  };
  return { fetch: fake as typeof fetch, requests };
}

/** A canned answer as sent: status, body text, content type. */
function render(answer: CannedAnswer, request: RecordedRequest): { status: number; body: string; contentType: string } {
  const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.atAskedTime ? atTime(answer.body, request.params.time) : answer.body);
  return { status: answer.status ?? 200, body, contentType: answer.contentType ?? 'application/json' };
}

/**
 * A fake Prometheus HTTP API on its own socket (127.0.0.1, a free port): every request, its
 * parameters read from the query string and the form body as Prometheus reads them, is
 * answered by `respond` like fakeFetch's. A responder that throws answers HTTP 500 with the
 * message, so a test that asks something unexpected fails loudly.
 */
export async function startFakePrometheus(respond: Responder): Promise<TestServer & { readonly requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  const server = await startServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const form = req.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(Buffer.concat(chunks).toString('utf8')) : new URLSearchParams();
      const params = { ...Object.fromEntries(url.searchParams), ...Object.fromEntries(form) };
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      const request: RecordedRequest = { url: url.href, method: req.method ?? 'GET', headers, params };
      requests.push(request);
      Promise.resolve()
        .then(() => respond(request))
        .then(
          (answer) => {
            const rendered = render(answer, request);
            res.writeHead(rendered.status, { 'Content-Type': rendered.contentType }).end(rendered.body);
          },
          (error: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`fake Prometheus: ${(error as Error).message}`),
        );
    });
  });
  return { ...server, requests };
}

/**
 * An instant-query answer: `[labels, value]` pairs, values as Prometheus writes them, at
 * `time`, or (by default) at the time the query asks for.
 */
export function vector(series: ReadonlyArray<readonly [Record<string, string>, string]>, time?: number): CannedAnswer {
  const body = { status: 'success', data: { resultType: 'vector', result: series.map(([metric, value]) => ({ metric, value: [time ?? 1700000600, value] })) } };
  return { body, ...(time === undefined ? { atAskedTime: true } : {}) };
}

/** A vector body with every sample moved to the asked `time` (unchanged when none was asked). */
function atTime(body: unknown, time: string | undefined): unknown {
  const vector = body as { data?: { resultType?: string; result: { value: [number, string] }[] } };
  if (time === undefined || vector.data?.resultType !== 'vector') return body;
  return { ...vector, data: { ...vector.data, result: vector.data.result.map((s) => ({ ...s, value: [Number(time), s.value[1]] })) } };
}

/** A range-query answer: `[labels, values]`, one value per step starting at `start` (null: no sample at that step). */
export function matrix(series: ReadonlyArray<readonly [Record<string, string>, readonly (string | null)[]]>, start = 1700000000, step = 10): CannedAnswer {
  return {
    body: {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: series.map(([metric, values]) => ({ metric, values: values.flatMap((v, i) => (v === null ? [] : [[start + i * step, v]])) })),
      },
    },
  };
}

export const EMPTY_VECTOR: CannedAnswer = vector([]);

/** A Prometheus error answer as the API sends it. */
export function promError(status: number, errorType: string, error: string): CannedAnswer {
  return { status, body: { status: 'error', errorType, error } };
}

const COUNT_BY_LE = 'count by (le) (';

/**
 * A fleet with one bucket layout: a histogram's `count by (le) (...)` (how many series have
 * each bound) is answered with one series for every bound that `respond` gives the matching
 * `sum by (le) (...)`, the rest as `respond` answers it.
 */
export function oneLayout(respond: Responder): Responder {
  return async (request) => {
    const query = request.params.query ?? '';
    if (!query.startsWith(COUNT_BY_LE)) return respond(request);
    const sums = await respond({ ...request, params: { ...request.params, query: `sum by (le) (${query.slice(COUNT_BY_LE.length)}` } });
    const body = sums.body as { status?: string; data?: { result?: { value?: [number, string]; values?: [number, string][] }[] } };
    if (typeof body !== 'object' || body?.status !== 'success' || !Array.isArray(body.data?.result)) return sums;
    const one = ([t]: [number, string]): [number, string] => [t, '1'];
    const result = body.data.result.map((s) => ({ ...s, ...(s.value ? { value: one(s.value) } : {}), ...(s.values ? { values: s.values.map(one) } : {}) }));
    return { ...sums, body: { ...body, data: { ...body.data, result } } };
  };
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
