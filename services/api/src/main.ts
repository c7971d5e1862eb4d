import { eventStream } from '@netbroker/contracts';
import { connectBus, ensureStream, EventPublisher, Facts, IpamClient } from '@netbroker/bus';
import { createLogger, createMetricsRegistry, encryptionKey, loadConfig, Shutdown, startOpsServer } from '@netbroker/runtime';
import { inClusterApiUrl, tenantAccessFrom } from '@netbroker/kube';
import { ApiConfig } from './config';
import { buildServer } from './http/server';
import { routes } from './http/routes';
import { Idempotency } from './idempotency';
import { buildOpenApi } from './openapi';
import { RateLimiter } from './rate-limit';
import { openStore } from './store';

const config = loadConfig(ApiConfig);
const logger = createLogger({ service: 'api', level: config.LOG_LEVEL });
const shutdown = new Shutdown({ logger });
const key = encryptionKey(config.NETBROKER_ENCRYPTION_KEY);
const now = () => new Date();

const nc = await connectBus({ servers: config.NATS_URL, name: 'api' });
shutdown.add('nats', () => nc.drain());
await ensureStream(nc, { ...eventStream, subjects: [...eventStream.subjects], replicas: config.NATS_REPLICAS });
const store = await openStore(nc, config.NATS_REPLICAS);
const registry = createMetricsRegistry('api');

const limiter = new RateLimiter(config.RATE_LIMIT_PER_SECOND, config.RATE_LIMIT_BURST);
const sweep = setInterval(() => limiter.sweep(Date.now()), 60_000).unref();
shutdown.add('rate limiter', () => clearInterval(sweep));

const document = buildOpenApi(routes, { title: 'netbroker API', version: '1', description: 'Tenant self-service (/v1) and admin (/admin) API.' });
const app = await buildServer(
  {
    config,
    logger,
    store,
    ipam: new IpamClient(nc),
    facts: new Facts(new EventPublisher(nc), { registry, log: logger }),
    idempotency: new Idempotency({ kv: store.idempotency, key, now }),
    limiter,
    encryptionKey: key,
    access: await tenantAccessFrom(config, { urls: [config.NATS_URL, ...inClusterApiUrl(), ...(config.HTTP_PORT ? [`http://${config.HTTP_HOST}:${config.HTTP_PORT}`] : [])] }),
    now,
  },
  routes,
  document,
);
await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
shutdown.add('http', () => app.close());
const address = app.server.address();
const url = typeof address === 'object' && address ? `http://${config.HTTP_HOST.includes(':') ? `[${config.HTTP_HOST}]` : config.HTTP_HOST}:${address.port}` : String(address);

const ops = await startOpsServer({
  host: config.OPS_HOST,
  port: config.OPS_PORT,
  registry,
  readiness: { nats: () => !nc.isClosed(), http: () => app.server.listening },
});
shutdown.add('ops', () => ops.close());
logger.info({ url, ops: ops.url, docs: `${url}/docs` }, `api listening on ${url}`);
