import request from 'supertest';
import { testApp } from '../support/app';
import { FakeSource } from '../support/fake-source';
import { proportionMetric } from '../support/requests';

const token = 'a-long-enough-test-token-1234';
const secret = 'Zq3xv9TtW2pLk8RmN4sYd7Hc';
const body = { metrics: [proportionMetric('errors', [480, 100000], [500, 100000])] };
const flagger = { name: 'model', namespace: 'ml' };

describe('authentication', () => {
  const { app } = testApp({ authToken: token, flaggerPathSecret: secret, analysis: { source: new FakeSource({ latency: 'pass', errors: 'pass' }) } });

  it('requires the bearer token on /v1/analyze, answering 401 without or with a wrong one', async () => {
    const missing = await request(app).post('/v1/analyze').send(body);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(missing.body.error).toBe('unauthorized');
    expect((await request(app).post('/v1/analyze').set('Authorization', 'Bearer wrong').send(body)).status).toBe(401);
    expect((await request(app).post('/v1/analyze').set('Authorization', `Basic ${token}`).send(body)).status).toBe(401);
    const ok = await request(app).post('/v1/analyze').set('Authorization', `Bearer ${token}`).send(body);
    expect(ok.status).toBe(200);
    expect(ok.body.verdict).toBe('pass');
  });

  it('lets Flagger in through the secret path only, since it cannot send headers', async () => {
    expect((await request(app).post('/v1/flagger/rollout').send(flagger)).status).toBe(401);
    expect((await request(app).post('/v1/flagger/not-the-secret-at-all-xxxx/rollout').send(flagger)).status).toBe(401);
    const viaSecret = await request(app).post(`/v1/flagger/${secret}/rollout`).send(flagger);
    expect(viaSecret.status).toBe(200);
    expect(viaSecret.text).toMatch(/^canary-judge pass/);
  });

  it('keeps health, readiness and metrics open for the kubelet and Prometheus', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) expect((await request(app).get(path)).status).toBe(200);
  });

  it('sends the usual security headers and no framework banner', async () => {
    const res = await request(app).get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});
