export { ConfigError, env, isConfigError, loadConfig, serviceEnv } from './config';
export { busOptionsFrom, busPlan, natsEnv, urlCarriesCredentials, type BusOptionsFromOptions, type BusSettings, type NatsEnv } from './nats-env';
export { createLogger, redactedPaths, type Logger, type LoggerOptions } from './logger';
export { createMetricsRegistry, startOpsServer, type OpsServer, type OpsServerOptions, type ReadinessCheck } from './ops-server';
export { Shutdown, type ShutdownOptions, type Stopper } from './shutdown';
export { encryptionKey, openSecret, sealSecret } from './secrets';
