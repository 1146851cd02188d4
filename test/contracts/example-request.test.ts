import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import reference from '../fixtures/api-example.json';
import { testApp } from '../support/app';

const body = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/request.json'), 'utf8'));

describe('the README example, end to end against scipy', () => {
  it('returns every classic test with scipy\'s statistic and p-value', async () => {
    const { app } = testApp();
    const res = await request(app).post('/v1/analyze').send(body);
    expect(res.status).toBe(200);
    const expected = reference as unknown as Record<string, Record<string, [number, number]>>;
    for (const metric of res.body.metrics) {
      for (const [name, [statistic, pValue]] of Object.entries(expected[metric.name])) {
        const test = metric.tests.find((t: { name: string }) => t.name === name);
        expect(test).toBeDefined();
        expect(test.statistic).toBeCloseTo(statistic, 9);
        const tolerance = name === 'kolmogorov-smirnov' ? 1e-3 : 1e-6 * pValue;
        expect(Math.abs(test.pValue - pValue)).toBeLessThanOrEqual(tolerance);
      }
    }
  });
});
