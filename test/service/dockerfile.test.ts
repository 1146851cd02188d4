/**
 * The Dockerfile cannot be built here (no Docker engine), so this checks what can be checked:
 * its shape, its base image (one supported Node LTS line for both stages), and that its
 * runtime stage works, by doing what that stage does in a temporary directory: package files,
 * `npm ci --omit=dev`, the build output, `node dist/main.js`. That last part runs on the
 * local Node (whatever `node` is here), not the image's: it proves the stage's steps, not
 * the image's Node version.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServiceProcess } from '../support/service-process';

const root = path.resolve(__dirname, '../..');
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const stages = dockerfile.split(/^FROM /m).slice(1);

describe('Dockerfile', () => {
  it('builds in one stage and runs from a slim second stage, as a non-root user, with a health check', () => {
    expect(stages).toHaveLength(2);
    const [build, runtime] = stages;
    expect(build).toMatch(/RUN npm ci/);
    expect(build).toMatch(/RUN npm run build/);
    expect(runtime).toMatch(/npm ci --omit=dev/);
    expect(runtime).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n\s+CMD \[.*\/healthz/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "dist\/main.js"\]$/m);
    // Multi-arch: compiled once on the builder's platform, run on the target's.
    expect(build).toMatch(/^--platform=\$BUILDPLATFORM /);
    expect(runtime).not.toMatch(/^--platform/);
  });

  it('builds and runs on one supported Node LTS line (the test fails once that line reaches its end of life)', () => {
    // End-of-life dates of the LTS lines (nodejs.org/en/about/previous-releases).
    const endOfLife: Record<string, string> = { '22': '2027-04-30', '24': '2028-04-30' };
    const images = stages.map((stage) => /^(?:--platform=\S+\s+)?(\S+)/.exec(stage)![1]);
    expect(new Set(images).size).toBe(1);
    const match = /^node:(\d+)-bookworm-slim$/.exec(images[0]);
    expect(match).not.toBeNull();
    const major = match![1];
    expect(Object.keys(endOfLife)).toContain(major);
    expect(Date.now()).toBeLessThan(Date.parse(endOfLife[major]));
  });

  it('runtime stage: production dependencies plus the build output start, serve and drain', async () => {
    const app = fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-'));
    try {
      for (const file of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(root, file), path.join(app, file));
      execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, stdio: 'ignore' });
      execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json'), '--outDir', path.join(app, 'dist')], { stdio: 'ignore' });
      expect(fs.existsSync(path.join(app, 'node_modules/typescript'))).toBe(false);

      const service = await startServiceProcess({ entry: ['dist/main.js'], cwd: app, cleanEnv: true, env: { NODE_ENV: 'production' } });
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
      const answer = await fetch(`${service.url}/v1/analyze`, {
        method: 'POST',
        body: fs.readFileSync(path.join(root, 'examples/request.json')),
      });
      expect(answer.status).toBe(200);
      expect(await service.stop('SIGTERM')).toBe(0);
    } finally {
      fs.rmSync(app, { recursive: true, force: true });
    }
  }, 180_000);
});
