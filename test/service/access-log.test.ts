/**
 * The access log as the service writes it (the real logger and its redaction): one short line
 * per request with what operators search by, and no credential: neither the bearer token nor
 * Flagger's path secret, whether the request got in or not.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createLogger } from '../../src/service/logger';
import { testApp } from '../support/app';
import { FakeSource } from '../support/fake-source';
import { proportionMetric } from '../support/requests';

const token = 'access-log-test-token-5678';
const secret = 'Pq8wX2vLm4Rt9KsZb6Nc3Jd7';
const body = { metrics: [proportionMetric('errors', [480, 100000], [500, 100000])] };

describe('access log', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-log-'));
  const file = path.join(dir, 'log.jsonl');
  const logger = createLogger('info', { destination: file });
  const { app } = testApp({ logger, authToken: token, flaggerPathSecret: secret, analysis: { source: new FakeSource({ latency: 'pass', errors: 'pass' }) } });
  let lines: Record<string, any>[] = [];
  let text = '';

  beforeAll(async () => {
    await request(app).post('/v1/analyze').set('Authorization', `Bearer ${token}`).set('X-Request-Id', 'req-42').set('User-Agent', 'argo-rollouts/1.8').send(body);
    await request(app).post('/v1/analyze').set('Authorization', `Bearer ${token}x`).send(body);
    await request(app).post(`/v1/flagger/${secret}/rollout`).send({ name: 'model', namespace: 'ml' });
    await request(app).post(`/v1/flagger/${secret.slice(0, -1)}X/rollout`).send({ name: 'model', namespace: 'ml' });
    await request(app).get('/healthz');
    // The access line is written when the response closes, which may come just after the
    // client has its answer: read until the four requests' lines are there (or 5 s).
    for (const started = Date.now(); Date.now() - started < 5000; ) {
      await new Promise<void>((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve())));
      text = fs.readFileSync(file, 'utf8');
      if ((text.match(/"msg":"request completed"/g) ?? []).length >= 4) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    lines = text.trim().split('\n').map((line) => JSON.parse(line));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes one line per request (probes excluded) with id, method, url, status and time', () => {
    const access = lines.filter((l) => l.msg === 'request completed');
    expect(access).toHaveLength(4);
    expect(access[0]).toMatchObject({
      level: 30,
      service: 'canary-judge',
      msg: 'request completed',
      req: { id: 'req-42', method: 'POST', url: '/v1/analyze', userAgent: 'argo-rollouts/1.8' },
      res: { statusCode: 200 },
    });
    expect(typeof access[0].responseTime).toBe('number');
    expect(access.map((l) => l.res.statusCode)).toEqual([200, 401, 200, 401]);
    // The verdict lines of the analysis and the Flagger check carry the same request id.
    expect(lines.find((l) => l.msg === 'analysis')).toMatchObject({ req: { id: 'req-42' }, verdict: 'pass' });
  });

  it('keeps lines short: no header dump', () => {
    for (const line of lines) {
      expect(['id', 'method', 'remoteAddress', 'url', 'userAgent']).toEqual(expect.arrayContaining(Object.keys(line.req)));
      expect(line.res?.headers).toBeUndefined();
    }
    expect(Math.max(...text.trim().split('\n').map((l) => l.length))).toBeLessThan(400);
  });

  it('never holds the bearer token or the Flagger path secret', () => {
    expect(text).not.toContain(token);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(0, -1)); // nor a near miss
    const flaggerUrls = lines.filter((l) => l.msg === 'request completed' && l.req.url.startsWith('/v1/flagger/')).map((l) => l.req.url);
    expect(flaggerUrls).toEqual(['/v1/flagger/rollout', '/v1/flagger/[redacted]/rollout']);
  });
});
