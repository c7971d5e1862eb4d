import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { VClusterOptions, VClusterRecord } from '@netbroker/contracts';
import { sealSecret } from '@netbroker/runtime';
import { startService, type ServiceProcess } from '@netbroker/testing';

/** What the api stores when a tenant registers a virtual cluster: the kubeconfig sealed with `key`. */
export function vclusterRecord(opts: {
  tenant: string;
  project: string;
  vcluster: string;
  kubeconfig: string;
  key: Buffer;
  options?: Partial<VClusterOptions>;
}): VClusterRecord {
  return {
    v: 1,
    tenant: opts.tenant,
    project: opts.project,
    projectUid: randomUUID(),
    generation: 1,
    registeredAt: new Date().toISOString(),
    kubeconfig: sealSecret(opts.kubeconfig, opts.key),
    options: { name: opts.vcluster, syncIngresses: false, syncNetworkPolicies: false, syncIngressClasses: false, ...opts.options },
  };
}

/**
 * The real syncer on a file's own nats-server: the host kubeconfig at `<dir>/host.kubeconfig`,
 * sealed kubeconfigs opened with `key`, a registration probed every 0.5 s. `env` adds or overrides.
 */
export function startSyncer(opts: { name: string; natsUrl: string; dir: string; key: Buffer; env?: Record<string, string> }): Promise<ServiceProcess> {
  return startService({
    service: 'syncer',
    name: opts.name,
    env: {
      NATS_URL: opts.natsUrl,
      KUBECONFIG: join(opts.dir, 'host.kubeconfig'),
      NETBROKER_ENCRYPTION_KEY: opts.key.toString('base64'),
      LOG_LEVEL: 'warn',
      PROBE_SECONDS: '0.5',
      ...opts.env,
    },
  });
}
