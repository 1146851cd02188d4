/**
 * A TCP port on 127.0.0.1 that was free a moment ago: bound on port 0, then closed. Another
 * process could take it in between, so callers that start a server on it retry or fail loudly.
 */
import net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
