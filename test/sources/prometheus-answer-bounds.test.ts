/**
 * What the Prometheus client reads and where its headers go (issue 22): answers are streamed
 * and abandoned past the per-answer cap or the analysis' budget (never read whole), and a
 * redirect is followed only within the configured origin, so custom headers (tenant ids, API
 * keys) never reach another server. Real sockets on 127.0.0.1.
 */
import type http from 'node:http';
import { PrometheusClient, withAnswerBudget } from '../../src/sources/prometheus/client';
import { SourceUnavailableError } from '../../src/sources/metric-source';
import { startServer, type TestServer } from './fake-prometheus';

const never = () => new AbortController().signal;
const HEADERS = { 'X-Scope-OrgID': 'tenant-42', 'X-Api-Key': 'k3y-s3cr3t' };

/** A vector answer of `series` series, about 60 bytes each. */
function bigVector(series: number): string {
  const result = Array.from({ length: series }, (_, i) => `{"metric":{"pod":"pod-${i}"},"value":[1700000000,"${i}"]}`).join(',');
  return `{"status":"success","data":{"resultType":"vector","result":[${result}]}}`;
}

async function failure(promise: Promise<unknown>): Promise<SourceUnavailableError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SourceUnavailableError);
  return error as SourceUnavailableError;
}

describe('the byte cap on answers', () => {
  const servers: TestServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));
  const serve = async (handler: http.RequestListener) => {
    const server = await startServer(handler);
    servers.push(server);
    return server;
  };

  it('refuses a declared length beyond the cap without reading the body', async () => {
    const body = bigVector(40_000); // about 2.4 MB
    const server = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body));
    const client = new PrometheusClient({ baseUrl: server.url, queryTimeoutMs: 5000, maxAnswerBytes: 1 * 2 ** 20 });
    const error = await failure(client.instant('sum by (pod) (increase(requests_total[10m]))', 1700000000, never()));
    expect(error.reason).toBe('too-large');
    expect(error.message).toMatch(/answered 2\.\d+ MiB to "sum by \(pod\) \(increase\(requests_total\[10m\]\)\)", beyond the limit of 1 MiB per answer \(PROMETHEUS_MAX_ANSWER_BYTES\)/);
  });

  it('stops reading a chunked answer (no length) at the cap and cancels it', async () => {
    let written = 0;
    let closedEarly = false;
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.on('close', () => (closedEarly = !res.writableFinished));
      // An endless answer: 64 KiB chunks until the client hangs up (at most 50 MiB).
      const chunk = ' '.repeat(64 * 1024);
      const write = () => {
        while (written < 50 * 2 ** 20 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', write);
        }
        res.end();
      };
      write();
    });
    const client = new PrometheusClient({ baseUrl: server.url, queryTimeoutMs: 5000, maxAnswerBytes: 2 ** 20 });
    const error = await failure(client.instant('up', 1700000000, never()));
    expect(error.reason).toBe('too-large');
    // More than the cap by whatever the last read brought (a few bytes print as "1 MiB").
    expect(error.message).toMatch(/answered more than 1(\.\d+)? MiB/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closedEarly).toBe(true);
    expect(written).toBeLessThan(10 * 2 ** 20);
  });

  it('shares one budget among the queries of an analysis', async () => {
    const body = bigVector(10_000); // about 0.6 MB each
    const server = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    const client = new PrometheusClient({ baseUrl: server.url, queryTimeoutMs: 5000, maxAnswerBytes: 8 * 2 ** 20 });
    // Alone, each answer is within the cap; an analysis with 1 MiB for all its answers gets one.
    expect(await client.instant('a', 1700000000, never())).toHaveLength(10_000);
    const error = await withAnswerBudget(2 ** 20, async () => {
      await client.instant('a', 1700000000, never());
      return failure(client.instant('b', 1700000000, never()));
    });
    expect(error.reason).toBe('too-large');
    expect(error.message).toMatch(/beyond what is left of the analysis' 1 MiB for all its answers \(PROMETHEUS_MAX_ANALYSIS_BYTES\)/);
  });
});

describe('redirects', () => {
  const servers: TestServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));
  const seen: { server: string; path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const recorder = (name: string, answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): http.RequestListener => (req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ server: name, path: req.url ?? '', headers: req.headers, body });
      answer(req, res);
    });
  };

  it('follows a redirect within its origin, with its headers and the query', async () => {
    const server = await startServer(
      recorder('prometheus', (req, res) => {
        if (req.url === '/old/api/v1/query') res.writeHead(308, { location: '/new/api/v1/query' }).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":{"resultType":"vector","result":[]}}');
      }),
    );
    servers.push(server);
    const client = new PrometheusClient({ baseUrl: `${server.url}/old`, headers: HEADERS, queryTimeoutMs: 5000 });
    expect(await client.instant('up', 1700000000, never())).toEqual([]);
    const followed = seen.filter((s) => s.server === 'prometheus');
    expect(followed.map((s) => s.path)).toEqual(['/old/api/v1/query', '/new/api/v1/query']);
    expect(followed[1].headers['x-scope-orgid']).toBe('tenant-42');
    expect(followed[1].body).toContain('query=up');
  });

  it('never sends its headers to another origin: the redirect is refused, naming only that origin', async () => {
    const elsewhere = await startServer(recorder('elsewhere', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
    const server = await startServer(recorder('redirecting', (_req, res) => res.writeHead(307, { location: `${elsewhere.url}/steal?x=1` }).end()));
    servers.push(elsewhere, server);
    const client = new PrometheusClient({ baseUrl: server.url, headers: HEADERS, queryTimeoutMs: 5000 });
    const error = await failure(client.instant('up', 1700000000, never()));
    expect(error.reason).toBe('status');
    expect(error.message).toBe(`Prometheus at ${server.url}/api/v1/query redirected to another origin (${elsewhere.url}); its headers go to ${server.url} only: set PROMETHEUS_URL (or the backend's url) to the address it redirects to`);
    expect(seen.filter((s) => s.server === 'elsewhere')).toEqual([]);
    expect(error.message).not.toMatch(/tenant-42|k3y-s3cr3t|steal/);
  });
});
