import { createServer } from 'node:net';

/**
 * A port that was free on 127.0.0.1 a moment ago. Another process may take it before the server
 * binds it: servers started by the harness retry with new ports when their bind fails.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
