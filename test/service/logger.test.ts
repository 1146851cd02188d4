/**
 * The logger under a reader that stops reading: memory stays bounded (lines beyond the buffer
 * are dropped and counted) instead of every unread line piling up in the heap.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createLogger } from '../../src/service/logger';

describe('logger backpressure', () => {
  it('drops and counts lines beyond its buffer when nobody reads', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logger-'));
    const fifo = path.join(dir, 'stalled');
    execFileSync('mkfifo', [fifo]);
    // Opened for reading and writing, non-blocking: the open succeeds, and since nothing ever
    // reads, the pipe fills (64 kB) and every later write would wait forever.
    const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    const maxBufferBytes = 256 * 1024;
    let droppedBytes = 0;
    let droppedLines = 0;
    const logger = createLogger('info', {
      destination: fd,
      maxBufferBytes,
      onDrop: (line) => {
        droppedLines++;
        droppedBytes += Buffer.byteLength(line);
      },
    });
    const stream = (logger as unknown as Record<symbol, NodeJS.EventEmitter & { end(): void }>)[pino.symbols.streamSym];
    try {
      const payload = 'x'.repeat(1000);
      let written = 0;
      for (let i = 0; i < 5000; i++) {
        logger.info({ i, payload }, 'request completed');
        written++;
        if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const lineBytes = Buffer.byteLength(JSON.stringify({ level: 30, time: new Date().toISOString(), service: 'canary-judge', i: 1000, payload, msg: 'request completed' })) + 1;
      const total = written * lineBytes;
      // Everything that is neither in the pipe (64 kB on Linux) nor in the buffer was dropped.
      expect(droppedLines).toBeGreaterThan(0);
      expect(droppedBytes).toBeGreaterThanOrEqual(total - maxBufferBytes - 1024 * 1024);
      expect(droppedBytes).toBeLessThan(total);
    } finally {
      // Now read the pipe until the logger has written everything it kept and closed the fd
      // itself (closing it under a pending write would fail that write).
      const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      let done = false;
      stream.once('close', () => (done = true));
      stream.end();
      const chunk = Buffer.alloc(65536);
      while (!done) {
        try {
          while (fs.readSync(reader, chunk) > 0);
        } catch {
          // EAGAIN: empty for now
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      fs.closeSync(reader);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
