/**
 * Flagger: the target named in metadata (the payload names only the Canary object),
 * `confirm-rollout`, and the path secret kept out of what we log and what we answer.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { SourceUnavailableError } from '../../src/sources/metric-source';
import { redactText, withoutPathSecret } from '../../src/service/redact';
import { testApp } from '../support/app';
import { FakeSource } from '../support/fake-source';

const SECRET = 'pathSecret_0123456789abcdefXYZ';
const payload = (metadata: Record<string, string> = {}, name = 'model-canary') => ({ name, namespace: 'ml', phase: 'Progressing', checksum: 'abc', metadata });

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, stream) };
}

describe('metadata target: the Canary\'s targetRef.name', () => {
  it('judges the target\'s workloads (target and target-primary), not the Canary object\'s name', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    const { app } = testApp({ analysis: { source } });
    const res = await request(app).post('/v1/flagger/rollout').send(payload({ target: 'model' }));
    expect(res.status).toBe(200);
    for (const { metric, ctx } of source.calls.filter((c) => c.metric.template.startsWith('istio-'))) {
      expect([metric.name, ctx.canary.destination_workload, ctx.baseline.destination_workload]).toEqual([metric.name, 'model', 'model-primary']);
    }
    // The app's own metric: Flagger labels the primary's pods app=<target>-primary.
    const score = source.calls.find((c) => c.metric.name === 'prediction-score')!;
    expect([score.ctx.baseline, score.ctx.canary]).toEqual([{ app: 'model-primary', namespace: 'ml' }, { app: 'model', namespace: 'ml' }]);
  });

  it('falls back to the payload name, refuses a target that is no object name, and passes reporter on', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    const { app } = testApp({ analysis: { source } });
    await request(app).post('/v1/flagger/rollout').send(payload({ reporter: 'waypoint' }, 'model'));
    expect(source.calls[0].ctx.canary).toMatchObject({ destination_workload: 'model' });
    expect(source.calls.every((c) => c.ctx.reporter === 'waypoint')).toBe(true);
    const bad = await request(app).post('/v1/flagger/rollout').send(payload({ target: 'Model Server' }));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/metadata.target/);
  });
});

describe('confirm-rollout', () => {
  it('answers 200 with the primary\'s request count when Prometheus answers and the primary has traffic', async () => {
    const source = new FakeSource({ latency: 'empty', errors: 'empty' });
    const { app } = testApp({ analysis: { source } });
    const res = await request(app).post('/v1/flagger/confirm-rollout').send(payload({ target: 'model', lookback: '15m' }));
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/^canary-judge ready: .*destination_workload="model-primary".* served 90000 requests in the last 15m$/);
    expect(source.calls.map((c) => c.metric.template)).toEqual(['istio-requests']);
  });

  it('answers 412 with the reason when the primary has no requests (wrong target or reporter): Flagger waits', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    source.requests = { baseline: 0, canary: 0 };
    const { app } = testApp({ analysis: { source } });
    const res = await request(app).post('/v1/flagger/confirm-rollout').send(payload({ target: 'modle' }));
    expect(res.status).toBe(412);
    expect(res.text).toMatch(/not ready: no requests of the primary \(.*destination_workload="modle-primary"\)/);
  });

  it('answers 503 when Prometheus is down or not configured (never a 2xx)', async () => {
    const down = testApp({ analysis: { source: new FakeSource({ latency: 'pass', errors: 'pass' }, new SourceUnavailableError('Prometheus is unreachable', 'unreachable')) } });
    expect((await request(down.app).post('/v1/flagger/confirm-rollout').send(payload())).status).toBe(503);
    const none = testApp({ analysis: { source: undefined } });
    expect((await request(none.app).post('/v1/flagger/confirm-rollout').send(payload())).status).toBe(503);
  });
});

describe('the Flagger path secret', () => {
  // What Flagger forwards to `event` webhooks after our 503: its error text holds the URL.
  const leaked = `Halt advancement model-canary.ml: rollout check canary-judge failed: Post "http://canary-judge.canary-judge/v1/flagger/${SECRET}/rollout": context deadline exceeded; also see https://hooks.slack.com/services/T000/B000/XXXX?token=abc`;

  it('never reaches a log line from an event webhook (eventMessage), nor from the access log', async () => {
    const { lines, logger } = capture();
    const { app } = testApp({ flaggerPathSecret: SECRET, logger });
    const res = await request(app).post(`/v1/flagger/${SECRET}/event`).send(payload({ eventMessage: leaked, eventType: 'Warning', note: `raw ${SECRET}` }));
    expect(res.status).toBe(200);
    const log = lines.join('');
    expect(log).toMatch(/flagger event/);
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain('hooks.slack.com/services');
    expect(log).toContain('http://canary-judge.canary-judge/[redacted]');
    expect(log).toContain('context deadline exceeded');
  });

  it('never comes back in an error we answer: a near-miss or old secret in the path is masked in the 404', async () => {
    const { lines, logger } = capture();
    const { app } = testApp({ flaggerPathSecret: SECRET, logger });
    const nearMiss = `${SECRET.slice(0, -1)}Q`;
    for (const path of [`/v1/flagger/${nearMiss}/rollout`, `/v1/flagger/${nearMiss}/rollout/extra`, `/v1/flagger/${SECRET}/rollout/extra`]) {
      const res = await request(app).post(path).send(payload());
      expect(res.status).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain(SECRET.slice(0, 20));
      // Everything after "flagger" but a final hook type is masked (src/service/redact.ts).
      expect(res.body.message).toMatch(/\/v1\/flagger\/\[redacted\](\/rollout)?$/);
    }
    const typo = await request(app).post(`/v1/flagger/${SECRET}/rolout`).send(payload());
    expect(typo.status).toBe(404);
    expect(JSON.stringify(typo.body)).not.toContain(SECRET.slice(0, 20));
    expect(lines.join('')).not.toContain(SECRET.slice(0, 20));
  });

  it('redactText masks known secrets and every URL\'s path, query and user-info', () => {
    expect(redactText(`token ${SECRET} here`, [SECRET])).toBe('token [redacted] here');
    expect(redactText('Post "https://user:pw@judge.example:8443/v1/flagger/abc/rollout?x=1": EOF', [])).toBe('Post "https://judge.example:8443/[redacted]": EOF');
    expect(redactText('no url here, host judge.example', [])).toBe('no url here, host judge.example');
    expect(withoutPathSecret('/v1/flagger/a/b/rollout?x=1')).toBe('/v1/flagger/[redacted]/rollout?x=1');
    expect(withoutPathSecret('/v1/flagger/rollout')).toBe('/v1/flagger/rollout');
  });
});
