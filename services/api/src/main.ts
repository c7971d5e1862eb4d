import { eventStream } from '@netbroker/contracts';
import { connectBus, ensureStream, EventPublisher, Facts, IpamClient } from '@netbroker/bus';
import { Manager } from '@netbroker/controller';
import { busOptionsFrom, createLogger, encryptionKey, loadConfig } from '@netbroker/runtime';
import { inClusterApiUrl, tenantAccessFrom } from '@netbroker/kube';
import { ApiConfig } from './config';
import { buildServer } from './http/server';
import { routes } from './http/routes';
import { Idempotency } from './idempotency';
import { buildOpenApi } from './openapi';
import { RateLimiter } from './rate-limit';
import { RouterClient } from './router-client';
import { openStore } from './store';
import { ApiView } from './view';

const config = loadConfig(ApiConfig);
const logger = createLogger({ service: 'api', level: config.LOG_LEVEL });
// Request/reply, no controllers: the runtime's Manager gives the ops server and the orderly stop.
const manager = new Manager({ service: 'api', logger, ops: { host: config.OPS_HOST, port: config.OPS_PORT } });
const key = encryptionKey(config.NETBROKER_ENCRYPTION_KEY);
const nc = await connectBus(busOptionsFrom(config, 'api'));
manager.onStop('nats', () => nc.drain());
manager.check('nats', () => !nc.isClosed());
await ensureStream(nc, { ...eventStream, subjects: [...eventStream.subjects], replicas: config.NATS_REPLICAS });
const store = await openStore(nc, config.NATS_REPLICAS);
const view = new ApiView(store, logger, manager.registry);
view.sources.forEach((s) => manager.source(s));
const limiter = new RateLimiter(config.RATE_LIMIT_PER_SECOND, config.RATE_LIMIT_BURST);
const sweep = setInterval(() => limiter.sweep(Date.now()), 60_000).unref();
manager.onStop('rate limiter', () => clearInterval(sweep));
const document = buildOpenApi(routes, { title: 'netbroker API', version: '1', description: 'Tenant self-service (/v1) and admin (/admin) API.' });
const app = await buildServer(
  {
    config,
    logger,
    store,
    view,
    ipam: new IpamClient(nc),
    router: RouterClient.over(nc, config.ROUTER_TIMEOUT_MS),
    facts: new Facts(new EventPublisher(nc), { registry: manager.registry, log: logger }),
    idempotency: new Idempotency({ kv: store.idempotency, key, now: () => new Date() }),
    limiter,
    encryptionKey: key,
    access: await tenantAccessFrom(config, { urls: [config.NATS_URL, ...inClusterApiUrl(), ...(config.HTTP_PORT ? [`http://${config.HTTP_HOST}:${config.HTTP_PORT}`] : [])] }),
    now: () => new Date(),
  },
  routes,
  document,
);
manager.check('http', () => app.server.listening);
// The view's followers start first: a request arriving before they caught up waits behind the read barrier.
await manager.start();
await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
manager.onDrain('http', () => app.close());
const address = app.server.address();
const url = typeof address === 'object' && address ? `http://${config.HTTP_HOST.includes(':') ? `[${config.HTTP_HOST}]` : config.HTTP_HOST}:${address.port}` : String(address);
logger.info({ url, ops: manager.opsUrl, docs: `${url}/docs` }, `api listening on ${url}`);
