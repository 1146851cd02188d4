import type http from 'node:http';
import { PrometheusClient, parseSampleValue } from '../../src/sources/prometheus/client';
import { SourceUnavailableError } from '../../src/sources/metric-source';
import { closedPort, fakeFetch, matrix, promError, startServer, vector, type CannedAnswer, type TestServer } from './fake-prometheus';

const TOKEN = 'Bearer s3cr3t-t0ken';
const TENANT = 'tenant-42';
const never = () => new AbortController().signal;

function client(answer: CannedAnswer | (() => CannedAnswer), options: Partial<ConstructorParameters<typeof PrometheusClient>[0]> = {}) {
  const fake = fakeFetch(typeof answer === 'function' ? answer : () => answer);
  const c = new PrometheusClient({ baseUrl: 'http://prometheus:9090', queryTimeoutMs: 5000, fetch: fake.fetch, ...options });
  return { client: c, requests: fake.requests };
}

/** The SourceUnavailableError a promise rejects with (fails the test otherwise). */
async function failure(promise: Promise<unknown>): Promise<SourceUnavailableError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SourceUnavailableError);
    const e = error as SourceUnavailableError;
    expect(e.message).not.toContain('s3cr3t');
    expect(e.message).not.toContain(TENANT);
    return e;
  }
  throw new Error('expected a rejection');
}

describe('parseSampleValue', () => {
  it.each([
    ['12', 12],
    ['0.5', 0.5],
    ['-3.25', -3.25],
    ['1e+06', 1e6],
    ['2.5E-3', 0.0025],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['Inf', Infinity],
    ['NaN', NaN],
  ])('%s -> %d', (text, value) => {
    expect(parseSampleValue(text)).toBe(value);
  });

  it.each(['', ' ', '0x10', '1,5', 'abc', '12abc', 'Infinityx', '1 2'])('refuses %j', (text) => {
    expect(parseSampleValue(text)).toBeUndefined();
  });
});

describe('PrometheusClient requests', () => {
  it('POSTs an instant query as a form to /api/v1/query', async () => {
    const { client: c, requests } = client(vector([[{ le: '5' }, '12']]));
    const answer = await c.instant('sum by (le) (increase(x_bucket{a="b"}[600s]))', 1700000600, never());
    expect(answer).toEqual([{ metric: { le: '5' }, value: [1700000600, 12] }]);
    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe('http://prometheus:9090/api/v1/query');
    expect(requests[0].method).toBe('POST');
    expect(requests[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(requests[0].params).toEqual({ query: 'sum by (le) (increase(x_bucket{a="b"}[600s]))', time: '1700000600' });
  });

  it('POSTs a range query to /api/v1/query_range with start, end and step', async () => {
    const { client: c, requests } = client(matrix([[{ pod: 'a' }, ['1', '2.5', 'NaN']]]));
    const answer = await c.range('x{ a="b" }', 1700000000, 1700000600, 10, never());
    expect(answer).toEqual([{ metric: { pod: 'a' }, values: [[1700000000, 1], [1700000010, 2.5], [1700000020, NaN]] }]);
    expect(requests[0].url).toBe('http://prometheus:9090/api/v1/query_range');
    expect(requests[0].params).toEqual({ query: 'x{ a="b" }', start: '1700000000', end: '1700000600', step: '10' });
  });

  it('keeps fractional times as decimals', async () => {
    const { client: c, requests } = client(vector([]));
    await c.instant('up', 1700000600.25, never());
    expect(requests[0].params.time).toBe('1700000600.25');
  });

  it.each([
    ['http://prometheus:9090', 'http://prometheus:9090/api/v1/query'],
    ['http://prometheus:9090/', 'http://prometheus:9090/api/v1/query'],
    ['http://host/prometheus', 'http://host/prometheus/api/v1/query'],
    ['http://host/prometheus/', 'http://host/prometheus/api/v1/query'],
    ['https://mimir.example/prometheus//', 'https://mimir.example/prometheus/api/v1/query'],
    ['http://thanos:10902/a/b?partial_response=false', 'http://thanos:10902/a/b/api/v1/query?partial_response=false'],
  ])('joins base URL %s', async (baseUrl, expected) => {
    const { client: c, requests } = client(vector([]), { baseUrl });
    await c.instant('up', 1, never());
    expect(requests[0].url).toBe(expected);
  });

  it('passes configured headers through (Authorization, X-Scope-OrgID)', async () => {
    const { client: c, requests } = client(vector([]), { headers: { Authorization: TOKEN, 'X-Scope-OrgID': TENANT } });
    await c.instant('up', 1, never());
    expect(requests[0].headers.authorization).toBe(TOKEN);
    expect(requests[0].headers['x-scope-orgid']).toBe(TENANT);
    expect(requests[0].headers.accept).toBe('application/json');
  });

  it('turns user info in the base URL into Basic auth and keeps it out of the URL and messages', async () => {
    const { client: c, requests } = client(promError(401, 'unauthorized', 'no'), { baseUrl: 'http://user:p%40ss@host:9090/prom' });
    const error = await failure(c.instant('up', 1, never()));
    expect(requests[0].url).toBe('http://host:9090/prom/api/v1/query');
    expect(requests[0].headers.authorization).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    expect(error.message).not.toContain('p%40ss');
    expect(error.message).not.toContain('user');
    expect(c.server).toBe('http://host:9090/prom');
  });

  it('does not expose headers on the client object', () => {
    const { client: c } = client(vector([]), { headers: { Authorization: TOKEN } });
    expect(JSON.stringify(c)).not.toContain('s3cr3t');
    expect(Object.values(c).join(' ')).not.toContain('s3cr3t');
  });

  it('refuses a bad configuration with sentences that never repeat a header value', () => {
    expect(() => new PrometheusClient({ baseUrl: 'not a url', queryTimeoutMs: 1000 })).toThrow('the Prometheus base URL is not a valid URL.');
    expect(() => new PrometheusClient({ baseUrl: 'ftp://host', queryTimeoutMs: 1000 })).toThrow(/must be http or https/);
    expect(() => new PrometheusClient({ baseUrl: 'http://host', queryTimeoutMs: 0 })).toThrow(/timeout/);
    let message = '';
    try {
      new PrometheusClient({ baseUrl: 'http://host', queryTimeoutMs: 1000, headers: { Authorization: 'Bearer s3cr3t\nX-Evil: 1' } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('the Prometheus header "Authorization" has an invalid name or value.');
  });
});

describe('PrometheusClient answers', () => {
  it('accepts extra fields Prometheus may add (stats, empty warnings and infos, the counter-naming info)', async () => {
    const { client: c } = client({
      body: { status: 'success', warnings: [], infos: ['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x" (1:6)'], isPartial: false, data: { resultType: 'vector', result: [{ metric: {}, value: [1, '3'] }], stats: {} } },
    });
    expect(await c.instant('up', 1, never())).toEqual([{ metric: {}, value: [1, 3] }]);
  });

  it('refuses data that comes with warnings (partial data) as "partial", quoting them', async () => {
    const warnings = ['remote_read: error sending request: connection refused', 'store gateway down', 'x'.repeat(500), 'fourth'];
    const { client: c } = client({ body: { status: 'success', warnings, data: { resultType: 'vector', result: [{ metric: {}, value: [1, '3'] }] } } });
    const e = await failure(c.instant('up', 1, never()));
    expect(e.reason).toBe('partial');
    expect(e.message).toBe(
      `Prometheus at http://prometheus:9090/api/v1/query answered with partial data, warning: remote_read: error sending request: connection refused; store gateway down; ${'x'.repeat(200)}... (and 1 more)`,
    );
    const range = client({ body: { status: 'success', warnings: [{ odd: 1 }], data: { resultType: 'matrix', result: [] } } });
    const r = await failure(range.client.range('up', 1, 2, 1, never()));
    expect(r.reason).toBe('partial');
    expect(r.message).toMatch(/query_range answered with partial data, warning: \{"odd":1\}$/);
  });

  it('understands NaN, +Inf and -Inf sample values', async () => {
    const { client: c } = client(vector([[{ a: '1' }, 'NaN'], [{ a: '2' }, '+Inf'], [{ a: '3' }, '-Inf']]));
    const values = (await c.instant('x', 1, never())).map((s) => s.value[1]);
    expect(values).toEqual([NaN, Infinity, -Infinity]);
  });

  it.each([
    ['HTTP 500 with Prometheus error JSON', promError(500, 'execution', 'query processing would load too many samples into memory'), 'status', /HTTP 500: execution: query processing would load too many samples into memory; the samples limit of a query: raise Prometheus' --query.max-samples/],
    ['HTTP 400 bad_data', promError(400, 'bad_data', '1:5: parse error: unexpected "}"'), 'query', /refused the query: bad_data: 1:5: parse error: unexpected "}"/],
    // A parse error that says "token" is about the query, not credentials.
    ['HTTP 400 bad_data naming a token', promError(400, 'bad_data', '1:5: parse error: unexpected token "}"'), 'query', /refused the query: bad_data: 1:5: parse error: unexpected token "}"$/],
    ['HTTP 422 from a query timeout', promError(422, 'timeout', 'query timed out in expression evaluation'), 'status', /HTTP 422: timeout: query timed out/],
    ['HTTP 503 with an HTML body', { status: 503, body: '<html><body><h1>503 Service Unavailable</h1>No server is available</body></html>', contentType: 'text/html' }, 'status', /HTTP 503 \(no Prometheus error in the body\)$/],
    ['HTTP 502 empty', { status: 502, body: '' }, 'status', /HTTP 502/],
    ['HTTP 200 not JSON', { body: '<html>login</html>', contentType: 'text/html' }, 'malformed', /the body is not JSON/],
    ['HTTP 200 empty', { body: '' }, 'malformed', /the body is empty/],
    ['HTTP 200 truncated JSON', { body: '{"status":"success","data":{"resultType":"vec' }, 'malformed', /not JSON/],
    ['a matrix where a vector belongs', matrix([[{}, ['1']]]), 'malformed', /expected a vector result, got "matrix"/],
    ['a scalar where a vector belongs', { body: { status: 'success', data: { resultType: 'scalar', result: [1, '1'] } } }, 'malformed', /expected a vector result, got "scalar"/],
    ['no status', { body: { data: { resultType: 'vector', result: [] } } }, 'malformed', /not a Prometheus vector answer \(status: /],
    ['status error with 200', { body: { status: 'error', errorType: 'internal', error: 'boom' } }, 'malformed', /status "error": boom/],
    ['a value as [string, string]', { body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: ['1', '1'] }] } } }, 'malformed', /data\.result\.0\.value\.0/],
    ['a value as a number', { body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, 1] }] } } }, 'malformed', /data\.result\.0\.value\.1/],
    ['a non-numeric value string', vector([[{}, 'twelve']]), 'malformed', /the sample value "twelve" is not a number/],
    ['a label value that is not a string', { body: { status: 'success', data: { resultType: 'vector', result: [{ metric: { le: 5 }, value: [1, '1'] }] } } }, 'malformed', /metric\.le/],
    ['a native histogram where numbers were asked for', { body: { status: 'success', data: { resultType: 'vector', result: [{ metric: { job: 'a' }, histogram: [1, { count: '3', sum: '1.5', buckets: [[0, '0.5', '1', '3']] }] }] } } }, 'malformed', /series 0 \{job="a"\} is a native histogram where numbers were expected/],
    ['a native histogram without its sum', { body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, histogram: [1, { count: '3' }] }] } } }, 'malformed', /data\.result\.0\.histogram\.1\.sum/],
    ['JSON null', { body: 'null' }, 'malformed', /not a Prometheus vector answer/],
  ] as const)('%s', async (_name, answer, reason, message) => {
    const { client: c } = client(answer as CannedAnswer, { headers: { Authorization: TOKEN, 'X-Scope-OrgID': TENANT } });
    const error = await failure(c.instant('up', 1, never()));
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(message);
    expect(error.message).toContain('http://prometheus:9090/api/v1/query');
    expect(error.message).not.toContain('<html');
  });

  it('truncates a long Prometheus error to 300 characters and never repeats the body', async () => {
    const long = 'x'.repeat(1000);
    const { client: c } = client(promError(500, 'internal', long));
    const error = await failure(c.instant('up', 1, never()));
    expect(error.message).toContain(`internal: ${'x'.repeat(300)}...`);
    expect(error.message).not.toContain('x'.repeat(301));
    expect(error.message).not.toContain('"status"');
  });

  it('checks the range answer too (a vector where a matrix belongs; bad values)', async () => {
    const vectorInstead = client(vector([[{}, '1']])).client;
    expect((await failure(vectorInstead.range('x', 0, 60, 10, never()))).message).toMatch(/expected a matrix result, got "vector"/);
    const badValue = client(matrix([[{}, ['1', 'oops']]])).client;
    expect((await failure(badValue.range('x', 0, 60, 10, never()))).reason).toBe('malformed');
  });

  it('refuses bad times and steps before sending anything', async () => {
    const { client: c, requests } = client(vector([]));
    await expect(c.instant('up', NaN, never())).rejects.toThrow(/unix seconds/);
    await expect(c.range('up', 10, 5, 1, never())).rejects.toThrow(/must not be before/);
    await expect(c.range('up', 0, 5, 0, never())).rejects.toThrow(/step/);
    expect(requests).toHaveLength(0);
  });
});

describe('PrometheusClient native histograms (the query API\'s "histogram" and "histograms")', () => {
  // Prometheus' own example (util/jsonutil/marshal.go, MarshalHistogram): the zero bucket [-0.25, 0.25], then (lower, upper].
  const HISTOGRAM = { count: '42', sum: '34593.34', buckets: [[3, '-0.25', '0.25', '3'], [0, '0.25', '0.5', '12'], [0, '0.5', '1', '21'], [0, '2', '4', '6']] };
  const READ = {
    count: 42,
    sum: 34593.34,
    buckets: [
      { rule: 3, lower: -0.25, upper: 0.25, count: 3 },
      { rule: 0, lower: 0.25, upper: 0.5, count: 12 },
      { rule: 0, lower: 0.5, upper: 1, count: 21 },
      { rule: 0, lower: 2, upper: 4, count: 6 },
    ],
  };

  it('reads an instant vector of histograms (and numbers beside them)', async () => {
    const { client: c } = client({ body: { status: 'success', data: { resultType: 'vector', result: [{ metric: { a: '1' }, histogram: [1700000600, HISTOGRAM] }, { metric: { a: '2' }, value: [1700000600, '7'] }] } } });
    expect(await c.instantMixed('sum(increase(x[600s]))', 1700000600, never())).toEqual([
      { metric: { a: '1' }, values: [], histograms: [[1700000600, READ]] },
      { metric: { a: '2' }, values: [[1700000600, 7]], histograms: [] },
    ]);
  });

  it('reads a range matrix with "histograms" (and a series holding both kinds), with NaN and +Inf as numbers', async () => {
    const odd = { count: 'NaN', sum: '+Inf', buckets: [[1, '-Inf', '-1', '2']] };
    const { client: c } = client({ body: { status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[60, '1']], histograms: [[120, HISTOGRAM], [180, odd]] }] } } });
    expect(await c.rangeMixed('x', 60, 180, 60, never())).toEqual([
      { metric: {}, values: [[60, 1]], histograms: [[120, READ], [180, { count: NaN, sum: Infinity, buckets: [{ rule: 1, lower: -Infinity, upper: -1, count: 2 }] }]] },
    ]);
  });

  it('reads a histogram without populated buckets (Prometheus leaves "buckets" out)', async () => {
    const { client: c } = client({ body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, histogram: [5, { count: '0', sum: '0' }] }] } } });
    expect(await c.instantMixed('x', 5, never())).toEqual([{ metric: {}, values: [], histograms: [[5, { count: 0, sum: 0, buckets: [] }]] }]);
  });

  it.each([
    ['a boundary rule outside 0-3', [[4, '0', '1', '1']], /buckets\.0\.0/],
    ['a bucket of three elements', [[0, '0', '1']], /buckets\.0/],
    ['a count that is no number', [[0, '0', '1', 'many']], /the bucket count "many" is not a number/],
    ['a boundary that is no number', [[0, 'zero', '1', '1']], /the bucket boundary "zero" is not a number/],
  ])('refuses %s as malformed (503, never data)', async (_name, buckets, message) => {
    const { client: c } = client({ body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, histogram: [1, { count: '1', sum: '1', buckets }] }] } } });
    const error = await failure(c.instantMixed('x', 1, never()));
    expect(error.reason).toBe('malformed');
    expect(error.message).toMatch(message);
  });

  it('refuses a vector element with both a value and a histogram, or neither, and a matrix series with neither', async () => {
    const both = client({ body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '1'], histogram: [1, HISTOGRAM] }] } } }).client;
    expect((await failure(both.instantMixed('x', 1, never()))).message).toMatch(/both a "value" and a "histogram"/);
    const neither = client({ body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {} }] } } }).client;
    expect((await failure(neither.instantMixed('x', 1, never()))).message).toMatch(/neither a "value" nor a "histogram"/);
    const empty = client({ body: { status: 'success', data: { resultType: 'matrix', result: [{ metric: {} }] } } }).client;
    expect((await failure(empty.rangeMixed('x', 0, 60, 60, never()))).message).toMatch(/neither "values" nor "histograms"/);
  });

  it('refuses histograms in a range answer read as numbers', async () => {
    const { client: c } = client({ body: { status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, histograms: [[60, HISTOGRAM]] }] } } });
    expect((await failure(c.range('x', 0, 60, 60, never()))).message).toMatch(/is a native histogram where numbers were expected/);
  });
});

describe('PrometheusClient faults on real sockets (127.0.0.1)', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  async function serve(handler: http.RequestListener): Promise<TestServer> {
    const server = await startServer(handler);
    servers.push(server);
    return server;
  }
  const slow = (delayMs: number): http.RequestListener => (_req, res) => {
    const timer = setTimeout(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(vector([]).body)), delayMs);
    res.on('close', () => clearTimeout(timer));
  };

  it('answers from a real server (the wire format works end to end)', async () => {
    let seen: { method?: string; url?: string; type?: string; auth?: string; body: string } = { body: '' };
    const server = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, type: req.headers['content-type'], auth: req.headers.authorization, body };
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(vector([[{ le: '+Inf' }, '7']]).body));
      });
    });
    const c = new PrometheusClient({ baseUrl: `${server.url}/prometheus/`, queryTimeoutMs: 2000, headers: { Authorization: TOKEN } });
    const answer = await c.instant('sum(x{v="a\\"b"})', 1700000600, never());
    expect(answer).toEqual([{ metric: { le: '+Inf' }, value: [1700000600, 7] }]);
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/prometheus/api/v1/query');
    expect(seen.type).toBe('application/x-www-form-urlencoded');
    expect(seen.auth).toBe(TOKEN);
    expect(Object.fromEntries(new URLSearchParams(seen.body))).toEqual({ query: 'sum(x{v="a\\"b"})', time: '1700000600' });
  });

  it('connection refused -> unreachable', async () => {
    const port = await closedPort();
    const c = new PrometheusClient({ baseUrl: `http://127.0.0.1:${port}`, queryTimeoutMs: 2000, headers: { Authorization: TOKEN, 'X-Scope-OrgID': TENANT } });
    const error = await failure(c.instant('up', 1, never()));
    expect(error.reason).toBe('unreachable');
    expect(error.message).toMatch(/unreachable: .*ECONNREFUSED/);
    expect(error.message).toContain(`http://127.0.0.1:${port}/api/v1/query`);
  });

  it('connection reset mid-request -> unreachable', async () => {
    const server = await serve((req) => req.socket.destroy());
    const c = new PrometheusClient({ baseUrl: server.url, queryTimeoutMs: 2000 });
    const error = await failure(c.instant('up', 1, never()));
    expect(error.reason).toBe('unreachable');
  });

  it('DNS failure -> unreachable with the resolver code (fake fetch, no network)', async () => {
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND prometheus.monitoring'), { code: 'ENOTFOUND' });
    const c = new PrometheusClient({
      baseUrl: 'http://prometheus.monitoring:9090',
      queryTimeoutMs: 1000,
      fetch: (async () => {
        throw new TypeError('fetch failed', { cause: dns });
      }) as typeof fetch,
    });
    const error = await failure(c.instant('up', 1, never()));
    expect(error.reason).toBe('unreachable');
    expect(error.message).toMatch(/unreachable: getaddrinfo ENOTFOUND prometheus\.monitoring$/);
  });

  it('never repeats a header value even if a network error message contains it', async () => {
    const c = new PrometheusClient({
      baseUrl: 'http://prometheus:9090',
      queryTimeoutMs: 1000,
      headers: { Authorization: TOKEN, 'X-Scope-OrgID': TENANT },
      fetch: (async () => {
        throw new TypeError('fetch failed', { cause: new Error(`proxy refused ${TOKEN} for ${TENANT}`) });
      }) as typeof fetch,
    });
    const error = await failure(c.instant('up', 1, never()));
    expect(error.message).toMatch(/unreachable: proxy refused \[redacted\] for \[redacted\]$/);
  });

  it('a server slower than the per-query timeout -> timeout', async () => {
    const server = await serve(slow(1500));
    const c = new PrometheusClient({ baseUrl: server.url, queryTimeoutMs: 200, headers: { Authorization: TOKEN } });
    const started = Date.now();
    const error = await failure(c.instant('up', 1, never()));
    expect(Date.now() - started).toBeLessThan(1200);
    expect(error.reason).toBe('timeout');
    expect(error.message).toMatch(/did not answer within 200 ms/);
  });

  it('each query gets its own timeout (a fast query after a slow one still works)', async () => {
    let calls = 0;
    const server = await serve((req, res) => (calls++ === 0 ? slow(1000)(req, res) : slow(0)(req, res)));
    const c = new PrometheusClient({ baseUrl: server.url, queryTimeoutMs: 300 });
    expect((await failure(c.instant('up', 1, never()))).reason).toBe('timeout');
    await expect(c.instant('up', 1, never())).resolves.toEqual([]);
  });

  it('the outer signal (analysis deadline) aborts a query -> timeout naming the deadline', async () => {
    const server = await serve(slow(1500));
    const c = new PrometheusClient({ baseUrl: server.url, queryTimeoutMs: 5000 });
    const started = Date.now();
    const error = await failure(c.instant('up', 1, AbortSignal.timeout(150)));
    expect(Date.now() - started).toBeLessThan(1200);
    expect(error.reason).toBe('timeout');
    expect(error.message).toMatch(/abandoned: the analysis deadline passed/);
  });

  it('a signal aborted before the query sends nothing', async () => {
    const { client: c, requests } = client(vector([]));
    const controller = new AbortController();
    controller.abort();
    const error = await failure(c.instant('up', 1, controller.signal));
    expect(error.reason).toBe('timeout');
    expect(requests).toHaveLength(0);
  });

  it('a timeout while the body is still streaming -> timeout', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"status":"success",');
      const timer = setTimeout(() => res.end('"data":{"resultType":"vector","result":[]}}'), 1500);
      res.on('close', () => clearTimeout(timer));
    });
    const c = new PrometheusClient({ baseUrl: server.url, queryTimeoutMs: 200 });
    expect((await failure(c.instant('up', 1, never()))).reason).toBe('timeout');
  });

  it('a real 503 HTML page -> status without the page', async () => {
    const server = await serve((_req, res) => res.writeHead(503, { 'Content-Type': 'text/html' }).end('<html><body>upstream connect error or disconnect/reset before headers</body></html>'));
    const c = new PrometheusClient({ baseUrl: server.url, queryTimeoutMs: 2000 });
    const error = await failure(c.instant('up', 1, never()));
    expect(error.reason).toBe('status');
    expect(error.message).toBe(`Prometheus at ${server.url}/api/v1/query answered HTTP 503 (no Prometheus error in the body)`);
  });
});
