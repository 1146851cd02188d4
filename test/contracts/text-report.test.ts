/** The text table shows every checked margin (issue 15: it showed one of two). */
import request from 'supertest';
import { testApp } from '../support/app';
import { proportionMetric } from '../support/requests';

const { app } = testApp();

describe('the text report', () => {
  it('shows a row for each margin of a metric with a relative and an absolute one, in the JSON\'s numbers', async () => {
    const body = { metrics: [proportionMetric('errors', [480, 100000], [500, 100000], { margin: { relative: 0.5, absolute: 0.001 } })] };
    const text = (await request(app).post('/v1/analyze?format=text').send(body)).text;
    const json = (await request(app).post('/v1/analyze').send(body)).body;
    expect(json.metrics[0].effects).toHaveLength(2);
    const rows = text.split('\n').filter((line) => /relative change in rate|^\s+or\s/.test(line));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^errors\s+proportion\s+pass\s+relative change in rate\s+-4%\s+\[.*\]\s+\+50%$/);
    expect(rows[1]).toMatch(/^\s+or\s+change in rate\s+-0\.02 pp\s+\[.* pp, .* pp\]\s+\+0\.1 pp$/);
  });

  it('shows one row for a metric with one margin', async () => {
    const body = { metrics: [proportionMetric('errors', [480, 100000], [500, 100000], { margin: { relative: 0.5 } })] };
    const text = (await request(app).post('/v1/analyze?format=text').send(body)).text;
    expect(text).not.toMatch(/^\s+or\s/m);
  });
});
