import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A loopback HTTP proxy in front of the real api that passes every request and answer through
// unchanged and writes down what it saw: which GETs were conditional, which POSTs carried which
// Idempotency-Key, and what the api answered. It lets a test look at the CLI's exchange with the
// api (ETags, 304s, retries) without replacing either. `failNext` makes it fail one request the
// way a network or a loaded server does: answer 503 itself, or pass the request on and lose the
// api's answer (the connection closed before it reaches the CLI).

export interface Exchange {
  method: string;
  path: string;
  ifNoneMatch: string | undefined;
  idempotencyKey: string | undefined;
  status: number;
  etag: string | undefined;
  /** The api's Idempotent-Replayed header: the answer is the stored one of an earlier request with the key. */
  replayed: boolean;
  /** What the proxy did instead of passing the answer on. */
  fault?: Fault;
}

/** `503`: answered by the proxy (Retry-After: 1), the api never sees it; `drop-answer`: the api acts, the CLI gets no answer. */
export type Fault = '503' | 'drop-answer';

export interface RecordingProxy {
  url: string;
  exchanges: Exchange[];
  /** The next request with this method and path fails so, once. */
  failNext(method: string, path: string, fault: Fault): void;
  close(): Promise<void>;
}

const header = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const exchanges: Exchange[] = [];
  const faults = new Map<string, Fault>();
  const server: Server = createServer((req, res) => {
    const seen = { method: req.method ?? '', path: req.url ?? '', ifNoneMatch: header(req.headers['if-none-match']), idempotencyKey: header(req.headers['idempotency-key']) };
    const key = `${seen.method} ${seen.path}`;
    const fault = faults.get(key);
    faults.delete(key);
    if (fault === '503') {
      exchanges.push({ ...seen, status: 503, etag: undefined, replayed: false, fault });
      req.resume();
      const body = JSON.stringify({ type: 'about:blank', title: 'Unavailable', status: 503, code: 'unavailable', detail: 'the proxy in front of the api is overloaded (test)' });
      res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1' });
      res.end(body);
      return;
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        exchanges.push({
          ...seen,
          status: answer.statusCode ?? 0,
          etag: header(answer.headers.etag),
          replayed: answer.headers['idempotent-replayed'] === 'true',
          ...(fault ? { fault } : {}),
        });
        if (fault === 'drop-answer') {
          // The api has acted; its answer is read and lost with the connection.
          answer.resume();
          answer.on('end', () => res.socket?.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (e) => res.destroy(e));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    failNext: (method, path, fault) => void faults.set(`${method} ${path}`, fault),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
