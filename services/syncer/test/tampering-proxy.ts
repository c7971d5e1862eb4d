import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ClusterInfo } from '@netbroker/testing';

/**
 * A hostile virtual API server: a TLS proxy in front of a real one (serving its certificate, from
 * the apiserver's cert dir) that rewrites the text of every answer, line by line so watches keep
 * streaming. Tenants register their own API servers, so the syncer must cope with objects a real
 * API server would refuse (`namespace/name` TLS Secrets, look-alike annotation keys…).
 */
export class TamperingProxy {
  private constructor(
    private readonly server: Server,
    readonly info: ClusterInfo,
  ) {}

  /** `certDir`: the apiserver's `--cert-dir`; `rewrite`: applied to each line of each answer. */
  static async start(upstream: ClusterInfo, certDir: string, rewrite: (line: string) => string): Promise<TamperingProxy> {
    const target = new URL(upstream.server);
    const server = createServer({ cert: readFileSync(join(certDir, 'apiserver.crt')), key: readFileSync(join(certDir, 'apiserver.key')) }, (req, res) => {
      const { 'accept-encoding': _encoding, ...headers } = req.headers; // plain text, so it can be rewritten
      const forward = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...headers, host: target.host }, ca: upstream.caPem },
        (answer) => {
          const { 'content-length': _length, ...answerHeaders } = answer.headers;
          res.writeHead(answer.statusCode ?? 502, answerHeaders);
          res.flushHeaders(); // a watch may send nothing for a while: its client waits for the headers
          let pending = '';
          answer.setEncoding('utf8');
          answer.on('data', (chunk: string) => {
            const lines = (pending + chunk).split('\n');
            pending = lines.pop() ?? '';
            for (const line of lines) res.write(`${rewrite(line)}\n`);
          });
          answer.on('end', () => res.end(rewrite(pending)));
          answer.on('error', () => res.destroy());
        },
      );
      forward.on('error', () => res.destroy());
      res.on('close', () => forward.destroy());
      req.pipe(forward);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new TamperingProxy(server, { ...upstream, name: `${upstream.name}-tampered`, server: `https://127.0.0.1:${port}` });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
