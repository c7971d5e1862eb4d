import { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsRegistry, startOpsServer, type OpsServer } from './ops-server';

let server: OpsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('ops server', () => {
  it('answers /healthz, reports failing readiness checks by name, and serves metrics', async () => {
    const registry = createMetricsRegistry('demo');
    new Counter({ name: 'demo_things_total', help: 'things', registers: [registry] }).inc(3);
    let natsUp = false;
    server = await startOpsServer({ port: 0, registry, readiness: { nats: () => natsUp, kube: () => true } });

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain('nats');
    natsUp = true;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('demo_things_total{service="demo"} 3');
    expect(metrics).toContain('netbroker_process_cpu_seconds_total');
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it('treats a readiness check that throws as not ready', async () => {
    server = await startOpsServer({
      port: 0,
      registry: createMetricsRegistry('demo'),
      readiness: { broken: () => Promise.reject(new Error('boom')) },
    });
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('broken');
  });
});
