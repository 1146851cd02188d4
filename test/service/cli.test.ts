import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { testApp } from '../support/app';
import { proportionMetric } from '../support/requests';
import { startServer, type TestServer } from '../sources/fake-prometheus';
import { stableHandler } from '../planner/stable-prometheus';

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
    // Issue 15: every failure is one line.
    expect(invalid.stderr.trim().split('\n')).toHaveLength(1);
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

  it('--html writes the report page of examples/request.json beside the table; a missing file name is a usage error', () => {
    const out = path.join(dir, 'report.html');
    const run = cli('analyze', path.join(root, 'examples/request.json'), '--html', out);
    expect(run.status).toBe(2);
    expect(run.stdout).toMatch(/^verdict: INCONCLUSIVE/);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<header class="verdict inconclusive"');
    expect((html.match(/<svg\b/g) ?? []).length).toBe(4);
    const bad = cli('analyze', passing, '--html');
    expect(bad.status).toBe(3);
    expect(bad.stderr).toMatch(/--html/);
    const unwritable = cli('analyze', passing, '--html', path.join(dir, 'no/such/dir/report.html'));
    expect(unwritable.status).toBe(3);
    expect(unwritable.stderr).toMatch(/^canary-judge: cannot write the HTML report to .*ENOENT/);
  }, 30_000);

  it('--help prints the usage and exits 0', () => {
    const run = cli('--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: canary-judge analyze <request\.json \| -> \[--url URL\] \[--token TOKEN\] \[--json\]/);
    expect(cli('analyze', '-h').status).toBe(0);
  }, 30_000);

  it.each([
    [['analyze', passing, '--jsn'], /^canary-judge: unknown flag --jsn; did you mean --json\?$/m],
    [['plan', passing, '--step-minute', '5'], /^canary-judge: unknown flag --step-minute; did you mean --step-minutes\?$/m],
    [['analyze', passing, '--zzzzzz'], /^canary-judge: unknown flag --zzzzzz; the flags are --url, --token, --json, --html, --help, --steps/m],
    [['analyze', passing, '--url'], /^canary-judge: --url needs a value$/m],
    [['analyze', passing, '--json=yes'], /^canary-judge: --json takes no value$/m],
    [['analyze'], /no request file given/],
    [['analyze', passing, 'extra'], /unexpected argument "extra"/],
    [['judge', passing], /unknown command "judge"/],
    [['analyze', passing, '--token', 'x'.repeat(20)], /--token applies only with --url/],
  ])('refuses %j with exit 3, the reason and the usage', (args, reason) => {
    const run = cli(...args);
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(reason);
    expect(run.stderr).toMatch(/^usage: canary-judge/m);
    expect(run.stdout).toBe('');
  }, 30_000);

  it.each([
    [['analyze', passing, '--url', 'ftp://example.com'], /^canary-judge: --url "ftp:\/\/example\.com": expected an http or https URL, got ftp$/m],
    [['analyze', passing, '--url', 'http://[::1'], /^canary-judge: --url "http:\/\/\[::1" is not a URL/m],
    // No scheme: read as http://. Port 1 is refused by fetch itself, without a connection.
    [['analyze', passing, '--url', '127.0.0.1:1'], /^canary-judge: cannot reach http:\/\/127\.0\.0\.1:1: bad port$/m],
    [['analyze', path.join(dir, 'missing.json')], /^canary-judge: cannot read a JSON request from .*missing\.json: ENOENT/],
    [['analyze', write('empty.json', ' \n')], /^canary-judge: the body is empty: .*empty\.json holds no JSON request \(examples\/request\.json shows one\)$/m],
  ])('%j fails in one clear line with exit 3, no stack trace', (args, line) => {
    const run = cli(...args);
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(line);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  describe('against a service that wants a token', () => {
    const token = 'cli-test-token-0123456789';
    const runCli = async (args: string[], env: Record<string, string> = {}) => {
      const { spawn } = await import('node:child_process');
      const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'src/cli.ts'), ...args], { env: { ...process.env, PROMETHEUS_URL: '', AUTH_TOKEN: '', ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      return { status, stdout, stderr };
    };
    let server: import('node:http').Server;
    let hostPort: string;
    beforeAll(async () => {
      server = testApp({ authToken: token }).app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      hostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('without a token: exit 3, one line saying how to give one, and the token never printed', async () => {
      const run = await runCli(['analyze', passing, '--url', hostPort]);
      expect(run.status).toBe(3);
      expect(run.stderr).toMatch(/^canary-judge: the service answered HTTP 401 \(give --token or set AUTH_TOKEN\)/);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }, 30_000);

    it('with --token, and with AUTH_TOKEN, on a URL without a scheme: the verdict', async () => {
      const byFlag = await runCli(['analyze', passing, '--url', hostPort, '--token', token]);
      expect(byFlag.status).toBe(0);
      expect(byFlag.stdout).toMatch(/^verdict: PASS/);
      const byEnv = await runCli(['analyze', passing, '--url', hostPort], { AUTH_TOKEN: token });
      expect(byEnv.status).toBe(0);
      const wrong = await runCli(['analyze', passing, '--url', hostPort, '--token', 'wrong-token-0123456789']);
      expect(wrong.status).toBe(3);
      expect(wrong.stderr).toMatch(/HTTP 401 \(the token was refused\)/);
      expect(wrong.stderr).not.toContain('wrong-token-0123456789');
    }, 30_000);
  });
});

describe('the CLI plan command (a fake Prometheus on 127.0.0.1 serving the stable\'s series)', () => {
  // spawnSync would block the event loop the fake server answers on: run the CLI asynchronously.
  const run = (env: Record<string, string>, ...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'src/cli.ts'), ...args], { env: { ...process.env, ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  const request = write('plan.json', { baseline: { labels: { destination_version: 'v1' } }, canary: { labels: { destination_version: 'v2' } } });
  let prometheus: TestServer;
  beforeAll(async () => {
    prometheus = await startServer(stableHandler(10_000));
  });
  afterAll(() => prometheus.close());

  it('prints the plan for the default profile, writes its page, and exits 0 when the steps are long enough', async () => {
    const html = path.join(dir, 'plan.html');
    // A +30 % p95 as the harm, which 10-minute steps decide here: against the +10 % margin a
    // p95 x1.2 leaves the buckets (4.5 % apart) about a bucket to show it in, and takes longer.
    const out = await run({ PROMETHEUS_URL: prometheus.url }, 'plan', request, '--steps', '1,10,50', '--runs', '20', '--harm-latency', '1.3', '--html', html);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^plan: steps 1 % -> 10 % -> 50 %, 10 minutes each as the Rollout gives \(30 minutes in all\)/);
    expect(out.stdout).toMatch(/stable: 10,000 requests\/minute \(median\), 0\.5 % errors, history /);
    expect(out.stdout).toMatch(/^latency \(p95 [\d.]+ ms; margin \+10 %; harmful: p95 x1\.3\)$/m);
    expect(out.stdout).toMatch(/^error-rate \(0\.5 % errors; margin 1\.5x or \+0\.1 pp; harmful: 2x errors\)$/m);
    expect(out.stdout).toMatch(/this traffic needs \d+ minutes per step \(\d+ minutes in all\); the Rollout gives 10 minutes: enough/);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('Planning: how long each step must run');
    expect(page).toContain('<table class="plan">');
  }, 120_000);

  it('exits 2 when the steps are too short for this traffic, and prints JSON with --json', async () => {
    const out = await run({ PROMETHEUS_URL: prometheus.url }, 'plan', request, '--step-minutes', '1', '--runs', '20', '--harm-errors', '1.6', '--harm-latency', '1.3', '--json');
    expect(out.status).toBe(2);
    const plan = JSON.parse(out.stdout);
    expect(plan.minutesPerStep).toBe(1);
    expect(plan.neededMinutesPerStep).toBeGreaterThan(1);
    expect(plan.harm).toEqual({ errorFactor: 1.6, latencyFactor: 1.3 });
  }, 120_000);

  it('refuses bad flags, analyze-only flags and a missing Prometheus, each on one line with exit 3', async () => {
    for (const args of [['--steps', '1,200'], ['--pass-power', '1'], ['--url', 'http://127.0.0.1:1']]) {
      const out = await run({ PROMETHEUS_URL: prometheus.url }, 'plan', request, ...args);
      expect(out.status).toBe(3);
      expect(out.stderr).toMatch(new RegExp(`^canary-judge: .*${args[0]}`));
    }
    const noProm = await run({ PROMETHEUS_URL: '' }, 'plan', request, '--runs', '10');
    expect(noProm.status).toBe(3);
    expect(noProm.stderr.trim()).toBe("canary-judge: no plan: no Prometheus is configured (set PROMETHEUS_URL): the plan reads the stable version's history from it");
    expect((await run({}, 'analyze', request, '--steps', '1,10')).stderr).toMatch(/--steps applies only to the plan command/);
  }, 120_000);
});
