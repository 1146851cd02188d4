/**
 * Draining with the real process (issue 15): after SIGTERM /readyz answers 503 while the
 * listener stays open for DRAIN_GRACE_MS, so a load balancer polling readiness sees it; only
 * then does the listener close and the process exit 0.
 */
import { loadConfig } from '../../src/service/config';
import { proportionMetric } from '../support/requests';
import { startServiceProcess } from '../support/service-process';

const get = (url: string) => fetch(url, { headers: { Connection: 'close' } });

describe('draining on SIGTERM', () => {
  it('answers /readyz 503 and still serves through the grace period, then closes and exits 0', async () => {
    const graceMs = 2000;
    const service = await startServiceProcess({ env: { DRAIN_GRACE_MS: String(graceMs) } });
    expect((await get(`${service.url}/readyz`)).status).toBe(200);

    const signalled = Date.now();
    const exited = new Promise<number>((resolve) => service.child.once('exit', () => resolve(Date.now())));
    service.child.kill('SIGTERM');
    // The signal is handled asynchronously: poll until readiness turns.
    let ready = await get(`${service.url}/readyz`);
    while (ready.status === 200 && Date.now() - signalled < 1000) ready = await get(`${service.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'draining' });
    expect(ready.headers.get('connection')).toBe('close');

    // Still listening and serving within the grace period: liveness and an analysis.
    expect((await get(`${service.url}/healthz`)).status).toBe(200);
    const analysis = await fetch(`${service.url}/v1/analyze`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ metrics: [proportionMetric('errors', [480, 100000], [500, 100000])] }) });
    expect(analysis.status).toBe(200);
    expect(Date.now() - signalled).toBeLessThan(graceMs);

    const exitedAt = await exited;
    expect(service.child.exitCode).toBe(0);
    expect(exitedAt - signalled).toBeGreaterThanOrEqual(graceMs - 50);
    await expect(get(`${service.url}/healthz`)).rejects.toThrow();
    const messages = service.logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(messages.find((m) => m.msg === 'draining')).toMatchObject({ signal: 'SIGTERM', graceMs });
    expect(messages.map((m) => m.msg)).toEqual(expect.arrayContaining(['closing the listener', 'stopped']));
  }, 30_000);

  it('closes at once with DRAIN_GRACE_MS=0', async () => {
    const service = await startServiceProcess({ env: { DRAIN_GRACE_MS: '0' } });
    const signalled = Date.now();
    expect(await service.stop('SIGTERM')).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(1500);
  }, 30_000);

  it('defaults to a few seconds and refuses a negative grace', () => {
    expect(loadConfig({}).DRAIN_GRACE_MS).toBe(3000);
    expect(() => loadConfig({ DRAIN_GRACE_MS: '-1' })).toThrow(/DRAIN_GRACE_MS/);
  });
});
