import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServiceProcess } from '../support/service-process';

const root = path.resolve(__dirname, '../..');

describe('process lifecycle', () => {
  it('serves, then drains on SIGTERM and exits 0 with structured logs', async () => {
    const service = await startServiceProcess();
    expect((await fetch(`${service.url}/healthz`, { headers: { Connection: 'close' } })).status).toBe(200);
    expect(await service.stop('SIGTERM')).toBe(0);
    const messages = service.logs.map((l) => JSON.parse(l).msg);
    expect(messages).toEqual(expect.arrayContaining(['canary-judge listening', 'draining', 'stopped']));
  }, 30_000);

  it('refuses to start on invalid configuration, naming the variable', async () => {
    const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'src/main.ts')], {
      env: { ...process.env, PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/Invalid configuration: PORT/);
  }, 30_000);

  it('refuses to start on an invalid profiles file, naming the problem', async () => {
    const file = path.join(os.tmpdir(), `profiles-${process.pid}.yaml`);
    fs.writeFileSync(file, 'profiles:\n  p:\n    metrics:\n      - { name: s, template: histogram }\n');
    const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'src/main.ts')], {
      env: { ...process.env, PROFILES_FILE: file },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/Invalid profiles file .*profiles\.p\.metrics\[0\]\.metric: template histogram needs "metric"/);
  }, 30_000);
});
