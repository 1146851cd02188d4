import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { analyzeResponseSchema, problemSchema } from '../../src/contracts/analyze-response';
import { testApp } from '../support/app';
import { FakeSource } from '../support/fake-source';
import { categoricalMetric, continuousMetric, distributionMetric, proportionMetric } from '../support/requests';

const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/request.json'), 'utf8'));

describe('GET /openapi.json', () => {
  it('serves an OpenAPI 3.1 document generated from the request and response schemas', async () => {
    const { app } = testApp();
    const res = await request(app).get('/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe(JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')).version);
    expect(Object.keys(doc.paths)).toEqual(['/v1/analyze', '/v1/flagger/{type}', '/v1/report']);
    const requestSchema = doc.components.schemas.AnalyzeRequest;
    expect(Object.keys(requestSchema.properties)).toEqual(expect.arrayContaining(['metrics', 'profile', 'evidence', 'labels', 'baseline', 'canary', 'lookback', 'start', 'end', 'expectedCanaryShare']));
    // Numbers may arrive as strings (Argo args): the document says so.
    expect(requestSchema.properties.alpha.anyOf).toEqual([{ type: 'number' }, expect.objectContaining({ type: 'string' })]);
    const metricShapes = doc.components.schemas.Metric.anyOf;
    // A template metric, an inline one, and an inline one judged per segment.
    expect(metricShapes.length).toBe(3);
    expect(JSON.stringify(metricShapes)).toContain('"istio-latency"');
    expect(JSON.stringify(metricShapes[2])).toContain('"segments"');
    // The summary Argo's templates select: [verdict, reason] or [verdict, reason, report link].
    const summary = doc.components.schemas.AnalyzeResponse.properties.summary;
    expect(summary.anyOf.map((s: { prefixItems: unknown[] }) => s.prefixItems.length)).toEqual([2, 3]);
    expect(summary.anyOf[0].prefixItems[0].enum).toEqual(['pass', 'fail', 'inconclusive']);
    expect(doc.components.schemas.AnalyzeResponse.required).toContain('summary');
    expect(doc.paths['/v1/flagger/{type}'].post.parameters[0].schema.enum).toEqual(expect.arrayContaining(['rollout', 'confirm-promotion', 'rollback', 'event']));
  });
});

describe('the documented response schema matches real responses', () => {
  const { app } = testApp({ analysis: { source: new FakeSource({ latency: 'pass', errors: 'fail' }) } });
  it.each([
    ['the README example', example],
    ['every kind', { metrics: [continuousMetric('l', 1.3, 2000), proportionMetric('e', [1500, 100000], [500, 100000]), distributionMetric('s', 0.5), categoricalMetric('c', { a: 10, b: 30 }, { a: 500, b: 500 })] }],
    ['a thin side', { metrics: [proportionMetric('e', [0, 3], [1, 3000])] }],
    ['two margins and a traffic check', { metrics: [proportionMetric('e', [480, 100000], [500, 100000], { margin: { relative: 0.5, absolute: 0.001 } })], expectedCanaryShare: 0.5, traffic: { baseline: 100000, canary: 100000 } }],
    ['a Prometheus profile', { baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } } }],
  ])('%s', async (_label, body) => {
    const res = await request(app).post('/v1/analyze').send(body);
    expect(res.status).toBe(200);
    const parsed = analyzeResponseSchema.safeParse(res.body);
    if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues.slice(0, 3)));
  });

  it('and the problem schema matches a 400', async () => {
    const res = await request(app).post('/v1/analyze').send({ metrics: [{ name: 'x', kind: 'magic' }] });
    expect(res.status).toBe(400);
    expect(problemSchema.safeParse(res.body).success).toBe(true);
  });
});
