import { createServer, type AddressInfo, type Socket } from 'node:net';

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

/** A loopback listener that counts the connections it accepts and keeps what they sent. */
export interface CountingListener {
  port: number;
  readonly connections: number;
  /** Every byte received, as latin1 text. */
  readonly received: string;
  close(): Promise<void>;
}

/**
 * A listener on 127.0.0.1 for proving that nothing connects to an address: every connection is
 * counted, what it sends is kept, and it is ended at once (a connection that should never have
 * been made fails fast instead of hanging a test).
 */
export async function countingListener(): Promise<CountingListener> {
  const server = createServer();
  const sockets = new Set<Socket>();
  let connections = 0;
  let received = '';
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('close', () => sockets.delete(socket));
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    get connections() {
      return connections;
    },
    get received() {
      return received;
    },
    close: () =>
      new Promise((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}
