/** Wrong methods, unknown formats and unservable Accept headers say what would work (issue 15). */
import request from 'supertest';
import { testApp } from '../support/app';
import { proportionMetric } from '../support/requests';

const { app } = testApp();
const body = { metrics: [proportionMetric('errors', [480, 100000], [500, 100000])] };

describe('405 with Allow for a known path asked with the wrong method', () => {
  it.each([
    ['get', '/v1/analyze', 'POST'],
    ['put', '/v1/analyze', 'POST'],
    ['delete', '/v1/analyze/', 'POST'],
    ['get', '/v1/flagger/rollout', 'POST'],
    ['post', '/healthz', 'GET, HEAD'],
    ['post', '/readyz', 'GET, HEAD'],
    ['delete', '/metrics', 'GET, HEAD'],
    ['post', '/openapi.json', 'GET, HEAD'],
  ] as const)('%s %s -> 405 Allow: %s', async (method, path, allow) => {
    const res = await request(app)[method](path);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.body).toEqual({ error: 'method_not_allowed', message: `${method.toUpperCase()} is not allowed on ${path}; use ${allow.replace(', ', ' or ')}` });
  });

  it('keeps 404 for unknown paths and HEAD working on GET paths', async () => {
    expect((await request(app).get('/v1/analyse')).status).toBe(404);
    expect((await request(app).head('/healthz')).status).toBe(200);
  });
});

describe('format and Accept', () => {
  it.each([['txt'], ['TEXT'], ['htm'], ['']])('?format=%s is a 400 listing the formats', async (format) => {
    const res = await request(app).post(`/v1/analyze?format=${format}`).send(body);
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: 'query.format', message: `got ${JSON.stringify(format)}; expected one of "json", "text", "html" (one value)` }]);
  });

  it('a repeated format is a 400, listed beside the body\'s problems', async () => {
    const res = await request(app).post('/v1/analyze?format=text&format=json').send({ alfa: 1, ...body });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { path: string }) => i.path)).toEqual(['query.format', 'alfa']);
  });

  it.each([['application/xml'], ['image/svg+xml'], ['image/png, application/pdf']])('Accept: %s is a 406 naming what can be served', async (accept) => {
    const res = await request(app).post('/v1/analyze').set('Accept', accept).send(body);
    expect(res.status).toBe(406);
    expect(res.body.error).toBe('not_acceptable');
    expect(res.body.message).toMatch(/answers application\/json, text\/plain or text\/html \(or ask with \?format=json, \?format=text or \?format=html\)$/);
  });

  it.each([
    [undefined, undefined, /json/],
    ['*/*', undefined, /json/],
    ['text/*', undefined, /text\/plain/],
    ['text/plain', undefined, /text\/plain/],
    ['application/xml', 'text', /text\/plain/],
    ['text/plain', 'json', /json/],
    ['text/html', undefined, /text\/html/],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', undefined, /text\/html/],
    [undefined, 'html', /text\/html/],
  ])('Accept %s with format %s answers %s', async (accept, format, type) => {
    let req = request(app).post(`/v1/analyze${format ? `?format=${format}` : ''}`);
    if (accept) req = req.set('Accept', accept);
    const res = await req.send(body);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(type);
  });
});
