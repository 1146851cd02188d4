import request from 'supertest';
import { MAX_LINK, MAX_REASON, measurementSummary, oneLine } from '../../src/contracts/measurement-summary';
import { testApp } from '../support/app';
import { proportionMetric } from '../support/requests';

describe('the summary Argo shows as the measurement value', () => {
  it('is [verdict, reason, link] with the reason on one line', () => {
    expect(measurementSummary({ verdict: 'fail', reason: 'critical metric errors:\n  rate up\t3x' }, 'https://x/v1/report?a=1')).toEqual(['fail', 'critical metric errors: rate up 3x', 'https://x/v1/report?a=1']);
    expect(measurementSummary({ verdict: 'inconclusive', reason: 'not yet' })).toEqual(['inconclusive', 'not yet']);
  });

  it('cuts a long reason at a word boundary, with an ellipsis, within MAX_REASON characters', () => {
    const reason = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');
    const [, cut] = measurementSummary({ verdict: 'pass', reason });
    expect(cut.length).toBeLessThanOrEqual(MAX_REASON);
    expect(cut.endsWith('…')).toBe(true);
    expect(reason.startsWith(cut.slice(0, -1))).toBe(true);
    expect(reason[cut.length - 1]).toBe(' '); // cut before a space, not inside a word
    expect(oneLine('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`); // no space to cut at
  });

  it('leaves out a link longer than MAX_LINK (it stays in `report`)', () => {
    expect(measurementSummary({ verdict: 'pass', reason: 'ok' }, `https://x/${'a'.repeat(MAX_LINK)}`)).toEqual(['pass', 'ok']);
  });

  it('is in every JSON answer, after the fields it summarises', async () => {
    const { app } = testApp();
    const res = await request(app).post('/v1/analyze').send({ metrics: [proportionMetric('errors', [1500, 100000], [500, 100000])] });
    expect(res.status).toBe(200);
    expect(res.body.summary).toEqual([res.body.verdict, oneLine(res.body.reason, MAX_REASON)]);
    expect(Object.keys(res.body).at(-1)).toBe('summary');
  });
});
