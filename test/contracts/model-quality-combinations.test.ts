/**
 * The three model-quality capabilities of issue 25 side by side: what may be combined, and what is
 * refused with the key named instead of being dropped (labelled quality and paired outcomes are
 * not judged per segment).
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { testApp } from '../support/app';

const { app } = testApp();
const segments = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/segments.json'), 'utf8'));
const sides = { baseline: { labels: { version: 'v1' } }, canary: { labels: { version: 'v2' } } };

describe('model-quality combinations', () => {
  it.each(['labelled-accuracy', 'labelled-error', 'shadow-pairs'])('refuses segmentBy on template %s, naming it', async (template) => {
    const res = await request(app).post('/v1/analyze').send({ ...sides, metrics: [{ name: 'q', template, segmentBy: 'tenant', margin: { absolute: 0.01 } }] });
    expect(res.status).toBe(400);
    expect(res.body.issues).toContainEqual({ path: 'metrics[0].segmentBy', message: expect.stringMatching(`^template ${template} is not judged per segment`) });
  });

  it('refuses labelled-quality options on inline segments, naming them', async () => {
    const metric = { ...segments.metrics[0], labelDelay: '10m' };
    const res = await request(app).post('/v1/analyze').send({ metrics: [metric] });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { path: string }) => i.path)).toContain('metrics[0].labelDelay');
  });

  it('judges the segments example itself', async () => {
    const res = await request(app).post('/v1/analyze').send(segments);
    expect(res.status).toBe(200);
    expect(res.body.metrics[0].segments.segments).toHaveLength(4);
  });
});

describe('native histograms and segments', () => {
  it('refuses segmentBy on a native histogram, naming it', async () => {
    const res = await request(app).post('/v1/analyze').send({ ...sides, metrics: [{ name: 'latency', template: 'histogram', metric: 'model_latency_seconds', native: true, segmentBy: 'tenant' }] });
    expect(res.status).toBe(400);
    expect(res.body.issues).toContainEqual({ path: 'metrics[0].segmentBy', message: expect.stringMatching(/^native histograms are not judged per segment/) });
  });
});

describe('paired metrics and segments', () => {
  it('refuses "segments" on an inline paired metric as a key it does not take, not as an unknown kind', async () => {
    const paired = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/paired-shadow.json'), 'utf8'));
    const res = await request(app).post('/v1/analyze').send({ ...paired, metrics: [{ ...paired.metrics[0], segments: {} }] });
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: 'metrics[0].segments', message: expect.stringMatching(/^unknown key `segments`/) }]);
  });
});
