import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** A readiness check answers true when the service can do its work (connected, synced…). */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface OpsServerOptions {
  host?: string;
  port: number;
  registry: Registry;
  readiness: Record<string, ReadinessCheck>;
}

export interface OpsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** A fresh registry with Node's default metrics, prefixed per service. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'netbroker_' });
  return registry;
}

async function failingChecks(readiness: Record<string, ReadinessCheck>): Promise<string[]> {
  const results = await Promise.all(
    Object.entries(readiness).map(async ([name, check]) => {
      try {
        return (await check()) ? null : name;
      } catch {
        return name;
      }
    }),
  );
  return results.filter((n): n is string => n !== null);
}

/** /healthz (the process answers), /readyz (every readiness check passes), /metrics (Prometheus). */
export async function startOpsServer({ host = '127.0.0.1', port, registry, readiness }: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type }).end(body);
    };
    if (req.method !== 'GET') return reply(405, 'method not allowed\n');
    if (path === '/healthz') return reply(200, 'ok\n');
    if (path === '/readyz') {
      failingChecks(readiness).then(
        (failing) => (failing.length === 0 ? reply(200, 'ok\n') : reply(503, `not ready: ${failing.join(', ')}\n`)),
        (e: unknown) => reply(500, `${String(e)}\n`),
      );
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => reply(200, text, registry.contentType),
        (e: unknown) => reply(500, `${String(e)}\n`),
      );
      return;
    }
    reply(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
