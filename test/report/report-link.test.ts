/** Report links (issue 14): answers of Prometheus-backed analyses link to a stateless HTML report. */
import pino from 'pino';
import request from 'supertest';
import { testApp } from '../support/app';
import { FakeSource } from '../support/fake-source';
import { proportionMetric } from '../support/requests';

const PUBLIC_URL = 'https://judge.example.com/canary';
const TOKEN = 'a-bearer-token-of-32-characters!';
const body = { profile: 'default', lookback: '15m', rollout: { namespace: 'shop', name: 'checkout' }, baseline: { labels: { version: 'v1' } }, canary: { labels: { version: 'v2' } } };

function pathOf(link: string): string {
  expect(link.startsWith(`${PUBLIC_URL}/v1/report?`)).toBe(true);
  return link.slice(PUBLIC_URL.length);
}

function decoded(link: string, kind: 'a' | 'f'): Record<string, unknown> {
  return JSON.parse(Buffer.from(new URL(link).searchParams.get(kind)!, 'base64url').toString('utf8'));
}

describe('report links', () => {
  it('a JSON answer and the log line carry the link; opening it recomputes the same window', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const source = new FakeSource({ latency: 'fail', errors: 'pass' });
    const { app } = testApp({ publicUrl: PUBLIC_URL, analysis: { source }, logger });
    const res = await request(app).post('/v1/analyze').send(body);
    expect(res.status).toBe(200);
    const link: string = res.body.report;
    const asked = decoded(link, 'a');
    expect(asked).toEqual({ ...body, lookback: undefined, start: res.body.window.start, end: res.body.window.end });
    expect(lines.find((l) => l.msg === 'analysis')?.report).toBe(link);
    expect((await request(app).post('/v1/analyze?format=text').send(body)).text).toMatch(/\nreport: https:\/\/judge\.example\.com\/canary\/v1\/report\?a=[\w-]+&exp=\d+\n$/);
    const firstWindow = source.calls[0].ctx.window;

    source.calls.length = 0;
    const page = await request(app).get(pathOf(link));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<header class="verdict fail"');
    expect(page.text).toContain('shop/checkout');
    expect(page.text).toContain(`href="${link.replace(/&/g, '&amp;')}"`);
    expect(source.calls[0].ctx.window.start).toBeCloseTo(firstWindow.start, 2);
    expect(source.calls[0].ctx.window.end).toBeCloseTo(firstWindow.end, 2);
  });

  it('no PUBLIC_URL, or inline data, means no link', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    expect((await request(testApp({ analysis: { source } }).app).post('/v1/analyze').send(body)).body.report).toBeUndefined();
    const inline = await request(testApp({ publicUrl: PUBLIC_URL }).app).post('/v1/analyze').send({ metrics: [proportionMetric('errors', [5, 100], [5, 100])] });
    expect(inline.status).toBe(200);
    expect(inline.body.report).toBeUndefined();
  });

  it("Flagger's answer line carries the link, and the link reproduces the check", async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'fail' });
    const { app } = testApp({ publicUrl: PUBLIC_URL, analysis: { source } });
    const res = await request(app).post('/v1/flagger/rollout').send({ name: 'podinfo', namespace: 'test', metadata: { lookback: '10m', 'metrics.latency.margin.relative': '0.2' } });
    expect(res.status).toBe(412);
    const match = / report: (\S+)$/.exec(res.text);
    expect(match).not.toBeNull();
    const payload = decoded(match![1], 'f');
    expect(payload).toMatchObject({ name: 'podinfo', namespace: 'test', metadata: { 'metrics.latency.margin.relative': '0.2' } });
    expect((payload.metadata as Record<string, string>).lookback).toBeUndefined();
    const page = await request(app).get(pathOf(match![1]));
    expect(page.status).toBe(200);
    expect(page.text).toContain('<header class="verdict fail"');
    expect(page.text).toContain('test/podinfo');
  });

  it('with AUTH_TOKEN the link is signed: it opens without the token, never contains it, and a changed link is refused', async () => {
    const source = new FakeSource({ latency: 'pass', errors: 'pass' });
    const { app } = testApp({ publicUrl: PUBLIC_URL, authToken: TOKEN, analysis: { source } });
    const res = await request(app).post('/v1/analyze').set('Authorization', `Bearer ${TOKEN}`).send(body);
    const link: string = res.body.report;
    expect(link).toMatch(/&sig=[\w-]{43}$/);
    expect(link).not.toContain(TOKEN);
    expect(link).not.toContain(encodeURIComponent(TOKEN));
    expect((await request(app).get(pathOf(link))).status).toBe(200);
    const tampered = new URL(link);
    tampered.searchParams.set('a', Buffer.from(JSON.stringify({ ...decoded(link, 'a'), profile: 'other' })).toString('base64url'));
    expect((await request(app).get(tampered.pathname.replace('/canary', '') + tampered.search)).status).toBe(401);
    expect((await request(app).get('/v1/report?a=e30')).status).toBe(401);
  });

  it('refuses a report of inline data or without an absolute window, and a garbled parameter, with a 400', async () => {
    const { app } = testApp({ analysis: { source: new FakeSource({ latency: 'pass', errors: 'pass' }) } });
    const encode = (x: unknown) => `${Buffer.from(JSON.stringify(x)).toString('base64url')}&exp=${Math.floor(Date.now() / 1000) + 600}`;
    const noWindow = await request(app).get(`/v1/report?a=${encode({ ...body, lookback: undefined })}`);
    expect(noWindow.status).toBe(400);
    expect(noWindow.body.issues[0].message).toMatch(/needs "start" and "end"/);
    expect((await request(app).get('/v1/report?a=%%%')).status).toBe(400);
    expect((await request(app).get('/v1/report')).status).toBe(400);
    expect((await request(app).get(`/v1/report?a=${encode({ ...body, lookbak: '1m' })}`)).body.issues[0].path).toBe('query.a.lookbak');
    expect((await request(app).post('/v1/report')).status).toBe(405);
  });

  it('expires: a link carries exp, covered by its signature; past it the report is 410, and exp cannot be moved', async () => {
    let now = 1_800_000_000;
    const source = new FakeSource({ latency: 'fail', errors: 'pass' });
    const { app } = testApp({ analysis: { source, now: () => now }, publicUrl: PUBLIC_URL, authToken: TOKEN });
    const res = await request(app).post('/v1/analyze').set('Authorization', `Bearer ${TOKEN}`).send(body);
    const link = new URL(res.body.report as string);
    expect(link.searchParams.get('exp')).toBe(String(now + 7 * 86400));
    expect((await request(app).get(pathOf(link.href))).status).toBe(200);
    // A week and a second later, by the service's clock.
    now += 7 * 86400 + 1;
    const expired = await request(app).get(pathOf(link.href));
    expect(expired.status).toBe(410);
    expect(expired.body).toEqual({ error: 'link_expired', message: expect.stringMatching(/^this report link expired at 2027-01-22T\d\d:\d\d:\d\d.000Z/) });
    const extended = new URL(link.href);
    extended.searchParams.set('exp', String(now + 30 * 86400));
    expect((await request(app).get(pathOf(extended.href))).status).toBe(401);
  });
});
