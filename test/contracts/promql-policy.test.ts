/**
 * REQUEST_PROMQL (src/contracts/promql-policy.ts): which PromQL a request may make the service
 * run with its credentials. The service's default refuses a request's own `query`; profiles
 * (the operator's) keep every template.
 */
import request from 'supertest';
import { loadConfig } from '../../src/service/config';
import type { RequestPromql } from '../../src/contracts/promql-policy';
import { testApp } from '../support/app';
import { FakeSource } from '../support/fake-source';

const sides = { baseline: { labels: { version: 'v1' } }, canary: { labels: { version: 'v2' } } };
const custom = { name: 'gpu', template: 'query', query: 'avg(gpu_util{ {{labels}} })', kind: 'continuous' };
const byClass = { name: 'class', template: 'categorical', metric: 'model_predictions_total', by: 'class' };

function post(policy: RequestPromql, body: object) {
  const { app } = testApp({ analysis: { source: new FakeSource({ latency: 'pass', errors: 'pass' }), requestPromql: policy } });
  return request(app).post('/v1/analyze').send({ ...sides, ...body });
}

describe('REQUEST_PROMQL', () => {
  it('defaults to "templates" in the service configuration', () => {
    expect(loadConfig({}).REQUEST_PROMQL).toBe('templates');
    expect(() => loadConfig({ REQUEST_PROMQL: 'all' })).toThrow(/REQUEST_PROMQL/);
  });

  it('"templates" refuses a request\'s own query, naming the setting, and keeps the built-in templates', async () => {
    const refused = await post('templates', { metrics: [custom] });
    expect(refused.status).toBe(400);
    expect(refused.body.issues).toEqual([{ path: 'metrics.gpu.template', message: expect.stringMatching(/"query" runs the request's own PromQL .*REQUEST_PROMQL=templates/) }]);
    expect((await post('templates', { metrics: [byClass] })).status).toBe(200);
    expect((await post('templates', { profile: 'default' })).status).toBe(200);
  });

  it('"profiles" refuses every template metric of the request\'s own, not the profiles\'', async () => {
    const refused = await post('profiles', { metrics: [byClass] });
    expect(refused.status).toBe(400);
    expect(refused.body.issues[0]).toEqual({ path: 'metrics.class.template', message: expect.stringMatching(/REQUEST_PROMQL=profiles/) });
    expect((await post('profiles', { profile: 'default' })).status).toBe(200);
  });

  it('"any" runs a request\'s own query', async () => {
    expect((await post('any', { metrics: [custom] })).status).toBe(200);
  });

  it('refuses "by": "__name__" whatever the policy', async () => {
    const res = await post('any', { metrics: [{ ...byClass, by: '__name__' }] });
    expect(res.status).toBe(400);
    expect(res.body.issues[0]).toEqual({ path: 'metrics[0].by', message: expect.stringMatching(/reserved/) });
  });
});
