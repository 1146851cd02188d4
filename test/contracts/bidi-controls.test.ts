/**
 * Right-to-left overrides and other invisible controls never reach a reason or a Flagger event
 * as such (issue 22): a metric name carrying one is refused, a category from the data is quoted
 * with the control shown as its escape, and Flagger's event line replaces any that remain.
 */
import request from 'supertest';
import { eventText } from '../../src/contracts/flagger-webhook';
import { testApp } from '../support/app';

const { app } = testApp();
const RLO = '\u202e';

describe('bidirectional controls', () => {
  it.each(['202E', '2066', '200F', '061C', '0007'])('a metric name with U+%s is a 400 naming the field', async (code) => {
    const control = String.fromCharCode(parseInt(code, 16));
    const res = await request(app).post('/v1/analyze').send({ metrics: [{ name: `errors${control}sserp`, kind: 'proportion', baseline: { events: 1, total: 100 }, canary: { events: 1, total: 100 } }] });
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: 'metrics[0].name', message: expect.stringMatching(/must not contain control or bidirectional formatting characters/) }]);
  });

  it('shows a control in a category name as its escape in the reason', async () => {
    const evil = `cat${RLO}god`;
    const res = await request(app).post('/v1/analyze').send({ metrics: [{ name: 'class', kind: 'categorical', margin: { absolute: 0.05 }, baseline: { counts: { [evil]: 900, dog: 100 } }, canary: { counts: { [evil]: 10, dog: 90 } } }] });
    expect(res.status).toBe(200);
    const reasons = [res.body.reason, res.body.metrics[0].reason].join(' ');
    expect(reasons).not.toContain(RLO);
    expect(res.body.metrics[0].reason).toContain('"cat\\u202egod"');
  });

  it('replaces any control left in a Flagger event line', () => {
    expect(eventText('fail', `errors${RLO}: rate up\nby 3x`)).toBe('canary-judge fail: errors\ufffd: rate up by 3x');
  });
});
