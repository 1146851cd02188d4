import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { testApp } from '../support/app';
import { proportionMetric } from '../support/requests';

const root = path.resolve(__dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
const write = (name: string, body: unknown) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
  return file;
};
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'src/cli.ts'), ...args], { encoding: 'utf8', env: { ...process.env, PROMETHEUS_URL: '' } });

const failing = write('fail.json', { metrics: [proportionMetric('errors', [1500, 100000], [500, 100000])] });
const passing = write('pass.json', { metrics: [proportionMetric('errors', [480, 100000], [500, 100000])] });
const thin = write('thin.json', { metrics: [proportionMetric('errors', [0, 10], [0, 10])] });

describe('the CLI', () => {
  it.each([
    [passing, 0, /^verdict: PASS/],
    [failing, 1, /^verdict: FAIL/],
    [thin, 2, /^verdict: INCONCLUSIVE/],
  ])('judges %s in-process: exit %d and the text table', (file, status, table) => {
    const run = cli('analyze', file);
    expect(run.status).toBe(status);
    expect(run.stdout).toMatch(table);
    expect(run.stdout).toMatch(/metric\s+kind\s+verdict\s+effect/);
  }, 30_000);

  it('prints JSON with --json and lists every problem of an invalid request with exit 3', () => {
    const json = cli('analyze', failing, '--json');
    expect(JSON.parse(json.stdout).verdict).toBe('fail');
    const invalid = cli('analyze', write('bad.json', { metrics: [{ name: 'e', kind: 'proportion', baseline: { events: 5, total: 4 }, canary: { events: -1, total: 4 } }] }));
    expect(invalid.status).toBe(3);
    expect(invalid.stderr).toMatch(/metrics\[0\]\.baseline\.events: events must not exceed total/);
    expect(invalid.stderr).toMatch(/metrics\[0\]\.canary\.events: must not be negative/);
    expect(cli('analyze', write('broken.json', '{"metrics": [')).status).toBe(3);
    expect(cli('nonsense').status).toBe(3);
  }, 30_000);

  it('asks a running service with --url and renders its answer the same way', async () => {
    const { app } = testApp();
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // spawnSync would block the server in this process: run the CLI asynchronously.
      const { spawn } = await import('node:child_process');
      const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'src/cli.ts'), 'analyze', thin, '--url', url]);
      let stdout = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(status).toBe(2);
      expect(stdout).toMatch(/^verdict: INCONCLUSIVE/);
      expect(stdout).toContain(cli('analyze', thin).stdout.split('\n')[3]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 30_000);
});
