/**
 * Issue 22's smaller items at the edge of the service: the Flagger path secret never reaches a
 * log line or an answer for any variant of the path (case, doubled slashes, no hook type,
 * trailing slash, percent-encoded, malformed percent-encoding), no malformed request is a 500,
 * and the Bearer scheme is case-insensitive.
 */
import pino from 'pino';
import request from 'supertest';
import fc from 'fast-check';
import { testApp } from '../support/app';

const SECRET = 'Zq3vK9xWm2Lp7Rt4Yb8Nc1Hd6Fg0Js5A';
const TOKEN = 'a-bearer-token-of-some-length';
const payload = { name: 'model', namespace: 'ml', phase: 'Progressing', metadata: { target: 'model' } };

function appWithLog(withToken: boolean) {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const { app } = testApp({ flaggerPathSecret: SECRET, authToken: withToken ? TOKEN : undefined, logger });
  return { app, lines };
}

const VARIANTS = [
  `/v1/flagger/${SECRET}/rollout`,
  `/V1/flagger/${SECRET}/rollout`,
  `/v1/FLAGGER/${SECRET}/rollout`,
  `/v1//flagger/${SECRET}/rollout`,
  `//v1/flagger//${SECRET}//rollout`,
  `/v1/flagger/${SECRET}`,
  `/v1/flagger/${SECRET}/`,
  `/v1/flagger/${SECRET}/rollout/`,
  `/v1/flagger/${SECRET}/unknown-hook`,
  `/v1/flagger/${SECRET}/rollout/extra`,
  `/v1/flagger/${SECRET.slice(0, -1)}X/rollout`,
  `/v1/flagger/${encodeURIComponent(SECRET).replace('Z', '%5A')}/rollout`,
  `/v1/flagger/${SECRET}%E0%A4%A/rollout`,
  `/v1/flagger/${SECRET}/%E0%A4%A`,
  `/v1/flagger/rollout?s=${SECRET}`,
  `/v1/analyze/${SECRET}`,
  `/${SECRET}/v1/flagger/rollout`,
];

describe.each([false, true])('with AUTH_TOKEN %s', (withToken) => {
  it.each(VARIANTS.map((path) => [path.split(SECRET).join('<secret>'), path]))('%s: no secret in any log line or answer, no 500', async (_label, path) => {
    const { app, lines } = appWithLog(withToken);
    for (const method of ['post', 'get'] as const) {
      const res = await request(app)[method](path).send(payload);
      // 503 is fine: no Prometheus is configured here. A 500 is a failure of ours.
      expect(res.status).not.toBe(500);
      expect(res.type).toBe('application/json');
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
    }
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain(SECRET);
  });

  it('no generated path with the secret in it ever logs it or answers 500', async () => {
    const segment = fc.oneof(fc.constantFrom('v1', 'V1', 'flagger', 'Flagger', '', 'rollout', 'event', 'analyze', '%E0%A4%A', '%zz', '%2F', '..', SECRET, SECRET.toLowerCase()), fc.stringMatching(/^[A-Za-z0-9._~-]{0,6}$/));
    const { app, lines } = appWithLog(withToken);
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.constantFrom('post', 'get'), async (segments, method) => {
        const path = `/${segments.join('/')}`;
        const res = await request(app)[method as 'post' | 'get'](path).send(payload);
        expect(res.status).not.toBe(500);
        expect(res.type).toBe('application/json');
        expect(JSON.stringify(res.body)).not.toContain(SECRET);
      }),
      { numRuns: 150, seed: 22 },
    );
    for (const line of lines) expect(line).not.toContain(SECRET);
  });
});

describe('malformed percent-encoding under the Flagger route', () => {
  it.each(['/v1/flagger/%E0%A4%A/rollout', '/v1/flagger/%E0%A4%A', '/v1/flagger/rollout%', '/v1/flagger/%/rollout', '/v1/%E0/flagger/rollout'])('%s is a JSON 4xx, not a 500 HTML page', async (path) => {
    const { app, lines } = appWithLog(false);
    const res = await request(app).post(path).send(payload);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.type).toBe('application/json');
    expect(res.text).not.toMatch(/<html|URIError|at .*\.(ts|js):\d+/);
    expect(lines.some((line) => line.includes('request completed'))).toBe(true);
  });
});

describe('the Bearer scheme', () => {
  it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])('"%s <token>" is accepted', async (scheme) => {
    const { app } = appWithLog(true);
    const res = await request(app).post('/v1/analyze').set('Authorization', `${scheme} ${TOKEN}`).send({ metrics: [{ name: 'e', kind: 'proportion', baseline: { events: 1, total: 100 }, canary: { events: 1, total: 100 } }] });
    expect(res.status).toBe(200);
  });

  it.each([`Basic ${TOKEN}`, `Bearer`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN} extra`, `Bearer${TOKEN}`])('"%s" is refused', async (header) => {
    const { app } = appWithLog(true);
    const res = await request(app).post('/v1/analyze').set('Authorization', header).send({});
    expect(res.status).toBe(401);
  });
});
