import { randomUUID } from 'node:crypto';
import type { VClusterOptions, VClusterRecord } from '@netbroker/contracts';
import { sealSecret } from '@netbroker/runtime';

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
