import request from 'supertest';
import { testApp } from '../support/app';
import { proportionMetric } from '../support/requests';

describe('operating endpoints', () => {
  it('reports liveness and readiness, and readiness turns 503 while draining', async () => {
    const { app, lifecycle } = testApp();
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(app).get('/readyz')).status).toBe(200);
    lifecycle.draining = true;
    expect((await request(app).get('/readyz')).status).toBe(503);
  });

  it('exposes analyses by verdict and their duration on /metrics', async () => {
    const { app } = testApp();
    await request(app).post('/v1/analyze').send({ metrics: [proportionMetric('errors', [1500, 100000], [500, 100000])] });
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/canary_judge_analyses_total\{verdict="fail"\} 1/);
    expect(res.text).toMatch(/canary_judge_analysis_duration_seconds_count 1/);
    expect(res.text).toMatch(/canary_judge_invalid_requests_total 0/);
  });

  it('echoes a given request id and makes one up otherwise', async () => {
    const { app } = testApp();
    expect((await request(app).get('/healthz').set('X-Request-Id', 'abc-123')).headers['x-request-id']).toBe('abc-123');
    expect((await request(app).get('/healthz')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
