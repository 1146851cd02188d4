/**
 * Admission (src/service/admission.ts): analyses beyond ANALYSIS_CONCURRENCY wait before their
 * body is read, beyond ANALYSIS_QUEUE or past the wait they get 503 busy with Retry-After, and
 * probes are never held back. And a port already in use ends the process with one log line.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Admission } from '../../src/service/admission';
import { testApp } from '../support/app';
import { startServiceProcess } from '../support/service-process';
import { FakeSource } from '../support/fake-source';

describe('Admission', () => {
  it('admits up to the concurrency, queues up to the queue, refuses beyond, and hands slots on', async () => {
    const admission = new Admission({ concurrency: 2, queue: 1, waitMs: 10_000 });
    const first = await admission.acquire();
    const second = await admission.acquire();
    expect(first && second).toBeTruthy();
    const third = admission.acquire(); // waits
    expect(await admission.acquire()).toBeUndefined(); // the queue is full
    expect(admission.waiting).toBe(1);
    first!();
    first!(); // a second release is a no-op
    const admitted = await third;
    expect(admitted).toBeDefined();
    expect(admission.running).toBe(2);
    second!();
    admitted!();
    expect(admission.running).toBe(0);
  });

  it('refuses a request that waited longer than the wait', async () => {
    const admission = new Admission({ concurrency: 1, queue: 5, waitMs: 30 });
    const held = await admission.acquire();
    expect(await admission.acquire()).toBeUndefined();
    expect(admission.waiting).toBe(0);
    held!();
  });
});

/** A source that answers only when told to, so analyses stay in flight. */
class HeldSource extends FakeSource {
  readonly waiting: (() => void)[] = [];
  constructor() {
    super({ latency: 'pass', errors: 'pass' });
  }
  override async fetch(): Promise<never> {
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    throw new Error('released');
  }
}

describe('the service under admission', () => {
  it('answers 503 busy to large bodies beyond its slots and queue, while /healthz and small analyses answer at once', async () => {
    const source = new HeldSource();
    const { app } = testApp({ analysis: { source }, admission: new Admission({ concurrency: 1, queue: 0, waitMs: 1000 }) });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // A large body (only those take a slot), padded past 256 KiB.
      const body = `${JSON.stringify({ baseline: { labels: { v: '1' } }, canary: { labels: { v: '2' } }, metrics: [{ name: 'e', template: 'istio-error-rate' }] })}${' '.repeat(300_000)}`;
      const post = () => fetch(`${url}/v1/analyze`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      const inFlight = post();
      while (source.waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const refused = await post();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toEqual({ error: 'busy', message: expect.stringMatching(/^1 analyses are running and 0 waiting, .*\(ANALYSIS_CONCURRENCY 1, ANALYSIS_QUEUE 0, /) });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const small = { metrics: [{ name: 'e', kind: 'proportion', baseline: { events: 1, total: 100 }, canary: { events: 1, total: 100 } }] };
      expect((await fetch(`${url}/v1/analyze`, { method: 'POST', body: JSON.stringify(small) })).status).toBe(200);
      source.waiting.forEach((release) => release());
      expect((await inFlight).status).toBe(500); // the held source's error, as any unexpected one
      // The slot came back.
      const next = post();
      while (source.waiting.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      source.waiting[1]();
      expect((await next).status).toBe(500);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 30_000);

  it('answers a malformed small body and a malformed large body the same way', async () => {
    // (the large one is parsed as bytes: app.ts' LARGE_BODY_BYTES)
    const { app } = testApp();
    const small = await request(app).post('/v1/analyze').set('content-type', 'application/json').send('{"metrics": [');
    const large = await request(app).post('/v1/analyze').set('content-type', 'application/json').send(`{"metrics": [${' '.repeat(300_000)}`);
    for (const res of [small, large]) {
      expect(res.status).toBe(400);
      expect(res.body.issues[0]).toEqual({ path: 'body', message: expect.stringMatching(/^malformed JSON: /) });
    }
  });
});

describe('a port already in use', () => {
  it('ends the process with exit code 1 and one "cannot listen" line, not a TypeError', async () => {
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const error = await startServiceProcess({ env: { PORT: String(port) } }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(/the service exited \(1\) before listening/);
      expect(error?.message).toMatch(/"msg":"cannot listen"/);
      expect(error?.message).toMatch(/EADDRINUSE/);
      expect(error?.message).not.toMatch(/TypeError|Cannot destructure/);
    } finally {
      blocker.close();
    }
  }, 30_000);
});
