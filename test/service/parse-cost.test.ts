/**
 * parse-cost.ts's estimate is an upper bound on what JSON.parse takes: each shape is parsed in a
 * worker whose heap cap is the estimate (plus the worker's own start), in a child process, so
 * that a wrong estimate fails this test instead of aborting jest.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { estimateParseBytes } from '../../src/service/parse-cost';

jest.setTimeout(120_000);

const N = 100_000;
const list = (make: (i: number) => string) => Array.from({ length: N }, (_, i) => make(i)).join(',');
const SHAPES: Record<string, string> = {
  doubles: `[${list((i) => (i * 1.37 + 0.01).toFixed(2))}]`,
  'empty objects': `[${list(() => '{}')}]`,
  'empty arrays': `[${list(() => '[]')}]`,
  'category pairs': `[${list((i) => `["c${i}",${i}]`)}]`,
  'small objects': `[${list((i) => `{"a":${i}.5}`)}]`,
  'short strings': `[${list((i) => `"${i}"`)}]`,
  'one object of many keys': `{${list((i) => `"k${i}":1`)}}`,
  'nested arrays': `[${list(() => '[[1]]')}]`,
  'non-ASCII strings': `[${list((i) => `"é${i}"`)}]`,
  'a request of raw values': JSON.stringify({ metrics: [{ name: 'latency', kind: 'continuous', baseline: { values: Array.from({ length: N }, (_, i) => 10 + (i % 997) / 7) }, canary: { values: Array.from({ length: N }, (_, i) => 11 + (i % 991) / 7) } }] }),
};

/** Parses the file in a worker capped at `capMb` of old generation; prints "parsed" or the worker's error code. */
const CHILD = `
const { Worker } = require('node:worker_threads');
const [file, capMb] = process.argv.slice(1);
const probe = new Worker("require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().used_heap_size)", { eval: true });
probe.once('message', (base) => {
  probe.terminate();
  const cap = Math.ceil(Number(capMb) + base / 2 ** 20);
  const w = new Worker("const t = require('node:fs').readFileSync(require('node:worker_threads').workerData).toString('utf8'); JSON.parse(t); require('node:worker_threads').parentPort.postMessage('parsed')", { eval: true, workerData: file, resourceLimits: { maxOldGenerationSizeMb: cap } });
  w.once('message', (m) => { console.log(m); process.exit(0); });
  w.once('error', (e) => { console.log(e.code || e.message); process.exit(0); });
});
`;

function parseCapped(text: string, capMb: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parse-cost-'));
  const file = path.join(dir, 'body.json');
  fs.writeFileSync(file, text);
  try {
    return execFileSync(process.execPath, ['-e', CHILD, file, String(capMb)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    // V8 aborting the child (a parse far beyond its cap) is an answer too.
    return `aborted: ${(error as { signal?: string; status?: number }).signal ?? (error as { status?: number }).status}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('the parse cost estimate', () => {
  it.each(Object.keys(SHAPES))('is enough heap to parse %s', (shape) => {
    const text = SHAPES[shape];
    const estimate = estimateParseBytes(Buffer.from(text));
    expect(estimate).toBeGreaterThan(Buffer.byteLength(text));
    expect(parseCapped(text, estimate / 2 ** 20)).toBe('parsed');
  });

  it('is not so loose that any cap would do: a quarter of it does not parse the raw values', () => {
    // On a quiet machine 45 % of the estimate does not parse either; under a full suite's load
    // (V8's collector then keeps pace differently) 40 % once did, so the bound asserted is 4x.
    const text = SHAPES['a request of raw values'];
    expect(parseCapped(text, (0.25 * estimateParseBytes(Buffer.from(text))) / 2 ** 20)).not.toBe('parsed');
  });

  it('counts what a string holds as text, not as structure', () => {
    const structural = estimateParseBytes(Buffer.from('[{"a":[1,2]}]'));
    const quoted = estimateParseBytes(Buffer.from('["{\\"a\\":[1,2]}"]'));
    expect(quoted).toBeLessThan(structural);
  });

  it('counts non-ASCII text twice (UTF-16 in V8)', () => {
    expect(estimateParseBytes(Buffer.from('"ééé"'))).toBeGreaterThan(2 * Buffer.byteLength('"ééé"'));
  });
});
