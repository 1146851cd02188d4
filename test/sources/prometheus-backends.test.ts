/**
 * Backends (issue 24) without a real server: configuration refused with the key at fault,
 * credentials from files read again when they rotate, tenants only from the allow-list, secrets
 * in no message and masked by the redaction module, and the answers a judge must not decide on
 * (warnings, infos, isPartial, a downsampled range, a backend's limit named with its setting).
 * The real servers (Prometheus, VictoriaMetrics, vmauth, a TLS tenant gateway) are in
 * test/integration/backends.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { loadConfig } from '../../src/service/config';
import { analysisDepsFromConfig } from '../../src/service/analysis-deps';
import { redactText } from '../../src/service/redact';
import { BackendChoiceError, SourceUnavailableError } from '../../src/sources/metric-source';
import { Backends } from '../../src/sources/prometheus/backends';
import { limitAdvice } from '../../src/sources/prometheus/backend-limits';
import { PrometheusClient } from '../../src/sources/prometheus/client';
import { FileSecret } from '../../src/sources/prometheus/file-secret';
import { builtInProfiles, ISTIO_MODEL_SERVING } from '../../src/profiles/profiles';
import { planForRequest } from '../../src/planner/plan-request';
import { testApp } from '../support/app';
import { fakeFetch, matrix, promError, vector, type CannedAnswer } from './fake-prometheus';

const never = () => new AbortController().signal;
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.projected-token-1';
const ROTATED = 'eyJhbGciOiJSUzI1NiJ9.projected-token-2';
const PASSWORD = 'correct-horse-battery';

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canary-judge-backends-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string) => {
  const at = path.join(dir, name);
  fs.writeFileSync(at, content);
  return at;
};

async function rejection(promise: Promise<unknown>): Promise<SourceUnavailableError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SourceUnavailableError);
    return error as SourceUnavailableError;
  }
  throw new Error('expected a rejection');
}

describe('PROMETHEUS_BACKENDS: validated at start, the key at fault named', () => {
  const load = (backends: unknown, env: Record<string, string> = {}) => () => loadConfig({ PROMETHEUS_BACKENDS: JSON.stringify(backends), ...env });

  it('accepts named backends with every setting', () => {
    const config = loadConfig({
      PROMETHEUS_URL: 'http://prometheus:9090',
      PROMETHEUS_BACKENDS: JSON.stringify({
        mimir: { url: 'https://mimir/prometheus', bearerTokenFile: '/var/run/secrets/tokens/mimir', tls: { caFile: '/etc/ca.crt', certFile: '/etc/tls.crt', keyFile: '/etc/tls.key' }, tenant: { default: 'team-a', allowed: ['team-a', 'team-b'] }, queryTimeoutMs: 20000 },
        thanos: { url: 'http://thanos-query:10902?partial_response=false', basicAuth: { username: 'judge', passwordFile: '/etc/pw' } },
      }),
    });
    expect(Object.keys(config.PROMETHEUS_BACKENDS!)).toEqual(['mimir', 'thanos']);
    expect(config.PROMETHEUS_BACKENDS!.mimir.tenant).toEqual({ default: 'team-a', allowed: ['team-a', 'team-b'] });
  });

  it.each([
    ['a misspelt key', { m: { url: 'http://m', tenant: { allowd: ['a'] } } }, /PROMETHEUS_BACKENDS: m\.tenant\.allowd: unknown key `allowd`.*`allowed`/],
    ['an unknown top-level key', { m: { url: 'http://m', bearerToken: 'x' } }, /m\.bearerToken: unknown key `bearerToken`.*`bearerTokenFile`/],
    ['two Authorization sources', { m: { url: 'http://m', bearerTokenFile: '/t', basicAuth: { username: 'u', passwordFile: '/p' } } }, /m\.bearerTokenFile: give either "bearerTokenFile" or "basicAuth"/],
    ['an Authorization header beside a token file', { m: { url: 'http://m', bearerTokenFile: '/t', headers: { authorization: 'Bearer x' } } }, /m\.headers\.Authorization: the Authorization header comes from/],
    ['TLS files for an http URL', { m: { url: 'http://m', tls: { caFile: '/ca' } } }, /m\.tls: TLS settings need an https URL/],
    ['a certificate without its key', { m: { url: 'https://m', tls: { certFile: '/c' } } }, /m\.tls\.keyFile: a client certificate needs both/],
    ['the tenant header among the static headers', { m: { url: 'http://m', tenant: { default: 'a' }, headers: { 'X-Scope-OrgID': 'b' } } }, /m\.headers\.X-Scope-OrgID: the tenant header is set by "tenant"/],
    ['a federated tenant id', { m: { url: 'http://m', tenant: { allowed: ['a|b'] } } }, /m\.tenant\.allowed\[0\]: tenant ids are/],
    ['"." as a tenant id', { m: { url: 'http://m', tenant: { default: '.' } } }, /m\.tenant\.default: tenant ids are/],
    ['a default tenant outside the allow-list', { m: { url: 'http://m', tenant: { default: 'c', allowed: ['a'] } } }, /m\.tenant\.default: "c" is not in tenant\.allowed/],
    ['a bad backend name', { Mimir: { url: 'http://m' } }, /backend names are lower-case/],
    ['no URL', { m: {} }, /m\.url/],
  ])('refuses %s', (_what, backends, message) => {
    expect(load(backends)).toThrow(message);
  });

  it('refuses invalid JSON, and a "default" beside PROMETHEUS_URL', () => {
    expect(() => loadConfig({ PROMETHEUS_BACKENDS: '{mimir: 1}' })).toThrow(/PROMETHEUS_BACKENDS: expected a JSON object/);
    expect(load({ default: { url: 'http://other' } }, { PROMETHEUS_URL: 'http://prometheus:9090' })).toThrow(/PROMETHEUS_BACKENDS: "default" is PROMETHEUS_URL's/);
  });

  it('stops the service at start when a credential file is missing, naming it', () => {
    const config = loadConfig({ PROMETHEUS_BACKENDS: JSON.stringify({ default: { url: 'http://m', bearerTokenFile: path.join(dir, 'missing') } }) });
    expect(() => analysisDepsFromConfig(config)).toThrow(`PROMETHEUS_BACKENDS: cannot read the bearer token file ${path.join(dir, 'missing')} (ENOENT)`);
  });

  it('stops the service at start when a profile names an unknown backend or a tenant outside the allow-list', () => {
    const profiles = file('profiles.yaml', 'profiles:\n  a:\n    backend: mimir\n    tenant: team-z\n    metrics: [{name: e, template: istio-error-rate}]\n');
    const env = { PROFILES_FILE: profiles, PROMETHEUS_URL: 'http://p:9090' };
    expect(() => analysisDepsFromConfig(loadConfig(env))).toThrow(/profiles\.a: unknown backend "mimir"; configured: default/);
    const withMimir = { ...env, PROMETHEUS_BACKENDS: JSON.stringify({ mimir: { url: 'http://m', tenant: { allowed: ['team-a'] } } }) };
    expect(() => analysisDepsFromConfig(loadConfig(withMimir))).toThrow(/profiles\.a: tenant "team-z" is not in backend "mimir"'s tenant\.allowed/);
  });
});

describe('FileSecret: a rotating credential file', () => {
  it('is read again as soon as the file changes, and after refreshSeconds even if it looks the same', async () => {
    const at = file('token', `${TOKEN}\n`);
    let now = 1_000_000;
    const secret = new FileSecret(at, 'bearer token', 60, () => now);
    expect(await secret.value()).toBe(TOKEN);
    const fixed = new Date('2026-01-01T00:00:00Z');
    fs.writeFileSync(at, `${ROTATED}\n`);
    fs.utimesSync(at, fixed, fixed);
    expect(await secret.value()).toBe(ROTATED);
    // Rewritten with the same size and modification time (a stat cannot tell): read again once refreshSeconds pass.
    fs.writeFileSync(at, `${ROTATED.replace('2', '3')}\n`);
    fs.utimesSync(at, fixed, fixed);
    expect(await secret.value()).toBe(ROTATED);
    now += 61_000;
    expect(await secret.value()).toBe(ROTATED.replace('2', '3'));
  });

  it('names the file, never its content, when it is missing or empty', async () => {
    await expect(new FileSecret(path.join(dir, 'nope'), 'bearer token', 60).value()).rejects.toThrow(`cannot read the bearer token file ${path.join(dir, 'nope')} (ENOENT)`);
    await expect(new FileSecret(file('empty', '\n'), 'basic-auth password', 60).value()).rejects.toThrow(/the basic-auth password file .*empty is empty/);
  });
});

describe('Backends: credentials and tenants per query', () => {
  const ok = (): CannedAnswer => vector([[{}, '1']]);

  it('sends the token read now: a rotated token goes out with the next query', async () => {
    const token = file('token', TOKEN);
    const fake = fakeFetch(ok);
    const backends = new Backends({ default: { url: 'http://m', bearerTokenFile: token } }, { queryTimeoutMs: 1000, fetch: fake.fetch });
    const source = backends.choose({});
    await (source as unknown as { client: PrometheusClient }).client.instant('up', 1, never());
    fs.writeFileSync(token, `${ROTATED}\n`);
    await (source as unknown as { client: PrometheusClient }).client.instant('up', 1, never());
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${ROTATED}`]);
  });

  it('sends basic auth from a username file and a password file', async () => {
    const fake = fakeFetch(ok);
    const backends = new Backends({ default: { url: 'http://m', basicAuth: { usernameFile: file('user', 'judge\n'), passwordFile: file('pw', PASSWORD) } } }, { queryTimeoutMs: 1000, fetch: fake.fetch });
    await (backends.choose({}) as unknown as { client: PrometheusClient }).client.instant('up', 1, never());
    expect(fake.requests[0].headers.authorization).toBe(`Basic ${Buffer.from(`judge:${PASSWORD}`).toString('base64')}`);
  });

  it('a refused credential: 503 naming the kind and file; a body repeating the token or the basic pair is masked', async () => {
    const token = file('token', TOKEN);
    const echo = fakeFetch((r) => ({ status: 401, body: `invalid credentials: ${r.headers.authorization}`, contentType: 'text/plain' }));
    const backends = new Backends({ default: { url: 'http://m', bearerTokenFile: token } }, { queryTimeoutMs: 1000, fetch: echo.fetch });
    const error = await rejection((backends.choose({}) as unknown as { client: PrometheusClient }).client.instant('up', 1, never()));
    expect(error.message).toBe(`Prometheus at http://m/api/v1/query answered HTTP 401: it did not accept our credentials (the bearer token from ${token}): "invalid credentials: Bearer [redacted]"`);
    const basic = new Backends({ default: { url: 'http://m', basicAuth: { username: 'judge', passwordFile: file('pw', PASSWORD) } } }, { queryTimeoutMs: 1000, fetch: echo.fetch });
    const refused = await rejection((basic.choose({}) as unknown as { client: PrometheusClient }).client.instant('up', 1, never()));
    expect(refused.message).toMatch(/HTTP 401: it did not accept our credentials \(basic auth with the password from .*pw\): "invalid credentials: Basic \[redacted\]"$/);
    expect(refused.message).not.toContain(Buffer.from(`judge:${PASSWORD}`).toString('base64'));
  });

  it('a tenant from the profile, the backend default, or the request within the allow-list; any other is refused before a query', () => {
    const fake = fakeFetch(ok);
    const backends = new Backends({ default: { url: 'http://m', tenant: { default: 'team-a', allowed: ['team-a', 'team-b'] } }, plain: { url: 'http://p' } }, { queryTimeoutMs: 1000, fetch: fake.fetch });
    expect(backends.choose({})).toBe(backends.choose({ requestTenant: 'team-a' }));
    expect(backends.choose({ requestTenant: 'team-b' })).not.toBe(backends.choose({}));
    expect(() => backends.choose({ requestTenant: 'team-c' })).toThrow(new BackendChoiceError('tenant "team-c" is not allowed on backend "default"; allowed: team-a, team-b', 'tenant'));
    expect(() => backends.choose({ backend: 'plain', requestTenant: 'team-a' })).toThrow('backend "plain" takes no tenant from requests (its tenant.allowed lists none)');
    expect(backends.profileProblem('plain', 'team-a')).toBe('backend "plain" has no "tenant" settings, so a profile cannot name a tenant for it');
    expect(fake.requests).toEqual([]);
  });

  it('through the service: the tenant header of the request\'s allowed tenant, 400 for another, 400 without tenant settings', async () => {
    const fake = fakeFetch(ok);
    const sources = new Backends({ default: { url: 'http://m', tenant: { allowed: ['team-a'] } } }, { queryTimeoutMs: 1000, fetch: fake.fetch });
    const profiles = builtInProfiles();
    profiles.set('errors', { ...ISTIO_MODEL_SERVING, name: 'errors', metrics: [ISTIO_MODEL_SERVING.metrics[1]] });
    const { app } = testApp({ analysis: { sources, profiles } });
    const body = { profile: 'errors', baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } }, revisionFrom: 'labels' };
    await request(app).post('/v1/analyze').send({ ...body, tenant: 'team-a' });
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(new Set(fake.requests.map((r) => r.headers['x-scope-orgid']))).toEqual(new Set(['team-a']));
    const sent = fake.requests.length;
    const other = await request(app).post('/v1/analyze').send({ ...body, tenant: 'team-b' });
    expect(other.status).toBe(400);
    expect(other.body.issues).toEqual([{ path: 'tenant', message: 'tenant "team-b" is not allowed on backend "default"; allowed: team-a' }]);
    expect(fake.requests.length).toBe(sent);
    const bare = testApp({ analysis: { source: sources.choose({}), profiles } }).app;
    expect((await request(bare).post('/v1/analyze').send({ ...body, tenant: 'team-a' })).body.issues).toEqual([{ path: 'tenant', message: 'no backend with tenants is configured (PROMETHEUS_BACKENDS)' }]);
  });

  it('without a default backend, inline data is judged (no backend needed) and a metric to fetch gets 503 naming the backends', async () => {
    const fake = fakeFetch(ok);
    const sources = new Backends({ mimir: { url: 'http://m' } }, { queryTimeoutMs: 1000, fetch: fake.fetch });
    const profiles = builtInProfiles();
    const { app } = testApp({ analysis: { sources, profiles } });
    const inline = await request(app).post('/v1/analyze').send(JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/request.json'), 'utf8')));
    expect(inline.status).toBe(200);
    expect(inline.body.metrics).toHaveLength(3);
    const fetching = await request(app).post('/v1/analyze').send({ profile: ISTIO_MODEL_SERVING.name, baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } }, revisionFrom: 'labels' });
    expect(fetching.status).toBe(503);
    expect(fetching.body.message).toBe('no default backend is configured (PROMETHEUS_URL); name a profile whose "backend" is one of mimir');
    expect(fake.requests).toEqual([]);
  });

  it('Flagger metadata "tenant" chooses the tenant the same way', async () => {
    const fake = fakeFetch(ok);
    const sources = new Backends({ default: { url: 'http://m', tenant: { allowed: ['team-a'] } } }, { queryTimeoutMs: 1000, fetch: fake.fetch });
    const { app } = testApp({ analysis: { sources } });
    const payload = (tenant: string) => ({ name: 'model', namespace: 'ml', phase: 'Progressing', checksum: 'c0ffee', metadata: { tenant, revisionFrom: 'labels' } });
    await request(app).post('/v1/flagger/rollout').send(payload('team-a'));
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(new Set(fake.requests.map((r) => r.headers['x-scope-orgid']))).toEqual(new Set(['team-a']));
    const sent = fake.requests.length;
    const refused = await request(app).post('/v1/flagger/rollout').send(payload('team-b'));
    expect(refused.status).toBe(400);
    expect(refused.body.issues).toEqual([{ path: 'tenant', message: 'tenant "team-b" is not allowed on backend "default"; allowed: team-a' }]);
    expect(fake.requests.length).toBe(sent);
  });

  it('Flagger confirm-rollout checks the backend and tenant the later checks read, not the default one', async () => {
    const fake = fakeFetch(ok);
    const sources = new Backends({ default: { url: 'http://default' }, mimir: { url: 'http://mimir', tenant: { default: 'team-a', allowed: ['team-a', 'team-b'] } } }, { queryTimeoutMs: 1000, fetch: fake.fetch });
    const profiles = builtInProfiles();
    profiles.set('on-mimir', { ...ISTIO_MODEL_SERVING, name: 'on-mimir', backend: 'mimir' });
    const { app } = testApp({ analysis: { sources, profiles } });
    const payload = (metadata: Record<string, string>) => ({ name: 'model', namespace: 'ml', phase: 'Progressing', checksum: 'c0ffee', metadata });
    const ready = await request(app).post('/v1/flagger/confirm-rollout').send(payload({ profile: 'on-mimir', tenant: 'team-b' }));
    expect(ready.status).toBe(200);
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(new Set(fake.requests.map((r) => `${new URL(r.url).host} ${r.headers['x-scope-orgid']}`))).toEqual(new Set(['mimir team-b']));
    const sent = fake.requests.length;
    const refused = await request(app).post('/v1/flagger/confirm-rollout').send(payload({ profile: 'on-mimir', tenant: 'team-c' }));
    expect(refused.status).toBe(400);
    expect(refused.body.issues).toEqual([{ path: 'tenant', message: 'tenant "team-c" is not allowed on backend "mimir"; allowed: team-a, team-b' }]);
    expect(fake.requests.length).toBe(sent);
  });

  it('the planner reads the stable history from the profile\'s backend and tenant', async () => {
    const fake = fakeFetch(() => matrix([]));
    const sources = new Backends({ default: { url: 'http://default' }, mimir: { url: 'http://mimir', tenant: { default: 'team-a' } } }, { queryTimeoutMs: 1000, fetch: fake.fetch });
    const profiles = builtInProfiles();
    profiles.set('on-mimir', { ...ISTIO_MODEL_SERVING, name: 'on-mimir', backend: 'mimir' });
    const deps = { sources, profiles, deadlineMs: 5000, defaultLookbackSeconds: 600, now: () => 1_800_000_000 };
    const plan = planForRequest({ profile: 'on-mimir', baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } }, metrics: [] } as never, deps, { historySeconds: 3600, steps: [0.01, 0.1, 0.5], stepMinutes: 10 } as never);
    // No history in the canned answers: the plan fails, after asking the right backend.
    await expect(plan).rejects.toThrow();
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(new Set(fake.requests.map((r) => `${new URL(r.url).host} ${r.headers['x-scope-orgid']}`))).toEqual(new Set(['mimir team-a']));
  });

  it('the credentials read at start are among the secrets the redaction module masks in logged text', () => {
    const backends = new Backends(
      { default: { url: 'http://m', bearerTokenFile: file('token', TOKEN), headers: { 'X-Api-Key': 'static-api-key-123' } }, basic: { url: 'http://b', basicAuth: { username: 'judge', passwordFile: file('pw', PASSWORD) } } },
      { queryTimeoutMs: 1000 },
    );
    const text = `flagger event: query failed with Authorization: Bearer ${TOKEN}, key static-api-key-123, password ${PASSWORD}, basic ${Buffer.from(`judge:${PASSWORD}`).toString('base64')}`;
    const redacted = redactText(text, backends.secrets());
    for (const secret of [TOKEN, 'static-api-key-123', PASSWORD, Buffer.from(`judge:${PASSWORD}`).toString('base64')]) expect(redacted).not.toContain(secret);
    expect(redacted).toBe('flagger event: query failed with Authorization: Bearer [redacted], key [redacted], password [redacted], basic [redacted]');
  });
});

describe('answers a judge must not decide on', () => {
  const client = (answer: CannedAnswer) => new PrometheusClient({ baseUrl: 'http://thanos:10902', queryTimeoutMs: 1000, fetch: fakeFetch(() => answer).fetch, backend: 'thanos' });

  it('infos other than the counter-naming hint, and VictoriaMetrics\' isPartial: 503 partial, naming them', async () => {
    const infos = await rejection(client({ body: { status: 'success', infos: ['PromQL info: ignored histogram in sum aggregation'], data: { resultType: 'vector', result: [] } } }).instant('up', 1, never()));
    expect(infos.reason).toBe('partial');
    expect(infos.message).toBe('Prometheus at http://thanos:10902/api/v1/query (backend "thanos") answered with partial data, info: PromQL info: ignored histogram in sum aggregation');
    const partial = await rejection(client({ body: { status: 'success', isPartial: true, data: { resultType: 'vector', result: [] } } }).instant('up', 1, never()));
    expect(partial.message).toMatch(/answered with partial data, isPartial: true \(a storage node did not answer\)$/);
  });

  it('Thanos\' partial response (a store down, partial_response on): its warnings refuse the data', async () => {
    const thanos = await rejection(client({ body: { status: 'success', warnings: ['receive 10.0.0.7:10901: rpc error: code = Unavailable desc = connection refused'], data: { resultType: 'matrix', result: [] } } }).range('up', 0, 600, 60, never()));
    expect(thanos.reason).toBe('partial');
    expect(thanos.message).toMatch(/warning: receive 10\.0\.0\.7:10901: rpc error/);
  });

  it('a range answered at a coarser resolution than the step (downsampled): 503 downsampled; raw answers with gaps pass', async () => {
    const every5m = matrix([[{ pod: 'a' }, ['1', '2', '3', '4']], [{ pod: 'b' }, ['1', '2']]], 1700000000, 300);
    const error = await rejection(client(every5m).range('x', 1700000000, 1700000900, 60, never()));
    expect(error.reason).toBe('downsampled');
    expect(error.message).toMatch(/answered at a coarser resolution than the 60 s step asked \(every point 300 s after the last, in every series\)/);
    // Missed scrapes: uneven gaps, or every other interval missing (two steps), are left to the validation stage.
    const raw = matrix([[{ pod: 'a' }, ['1', null, null, '4', '5']], [{ pod: 'b' }, ['1']]], 1700000000, 60);
    await expect(client(raw).range('x', 1700000000, 1700000240, 60, never())).resolves.toHaveLength(2);
    const everyOther = matrix([[{ pod: 'a' }, ['1', '2', '3', '4']], [{ pod: 'b' }, ['1', '2']]], 1700000000, 120);
    await expect(client(everyOther).range('x', 1700000000, 1700000360, 60, never())).resolves.toHaveLength(2);
    const uneven = matrix([[{ pod: 'a' }, ['1', null, null, '4', null, null, null, '5']]], 1700000000, 60);
    await expect(client(uneven).range('x', 1700000000, 1700000420, 60, never())).resolves.toHaveLength(1);
    // One point per series says nothing about the resolution.
    await expect(client(matrix([[{}, ['1']], [{ a: 'b' }, ['2']]], 1700000000, 60)).range('x', 1700000000, 1700000000, 60, never())).resolves.toHaveLength(2);
  });

  it.each([
    [422, 'execution', 'expanding series: the query hit the max number of series limit (limit: 100000 series) (err-mimir-max-series-per-query)', /max_fetched_series_per_query \(-querier\.max-fetched-series-per-query\)/],
    [400, 'bad_data', 'the query time range exceeds the limit (query length: 745h0m0s, limit: 720h0m0s) (err-mimir-max-query-length)', /max_partial_query_length/],
    [422, 'execution', 'the query exceeded the maximum number of samples', /--query\.max-samples/],
    [422, 'execution', 'cannot select more than -search.maxSamplesPerQuery=1000000000 samples', /VictoriaMetrics limit: raise the -search\.maxSamplesPerQuery flag/],
    [429, 'unavailable', 'too many outstanding requests', /-query-frontend\.max-outstanding-requests-per-tenant/],
  ])('a limit error (HTTP %s) names the setting to change', async (status, type, text, advice) => {
    const error = await rejection(client(promError(status, type, text)).instant('up', 1, never()));
    expect(error.message).toContain(text);
    expect(error.message).toMatch(advice);
  });

  it('limitAdvice says nothing about other errors', () => {
    expect(limitAdvice('parse error: unexpected character')).toBeUndefined();
    expect(limitAdvice('err-mimir-max-chunks-per-query')).toMatch(/max_fetched_chunks_per_query/);
    expect(limitAdvice('err-mimir-max-chunks-bytes-per-query')).toMatch(/max_fetched_chunk_bytes_per_query/);
  });
});
