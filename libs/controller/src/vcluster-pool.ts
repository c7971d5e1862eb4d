import { createHash } from 'node:crypto';
import { CoreV1Api, DiscoveryV1Api, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { VClusterRecord } from '@netbroker/contracts';
import { openRegisteredCluster, OwnedApplier, type TenantAccess } from '@netbroker/kube';
import { openSecret } from '@netbroker/runtime';
import type { Cluster } from './informers';
import { probeVirtual, type Probe } from './probe';

/** A project's registered virtual cluster, opened: its clients, one applier per field manager. */
export interface VirtualCluster extends Cluster {
  /** The registration's key, `<tenant>.<project>`. */
  key: string;
  record: VClusterRecord;
  core: CoreV1Api;
  networking: NetworkingV1Api;
  discovery: DiscoveryV1Api;
  /** Writes as netbroker's `fieldManager` on the virtual cluster. */
  applier: OwnedApplier;
}

export type ClusterLookup = { ok: true; cluster: VirtualCluster } | { ok: false; registered: boolean; reason: string; message: string };

export interface VirtualClusterPoolOptions {
  /** The current registration of a project (e.g. from a KvSource of `vclusters`). */
  record: (key: string) => VClusterRecord | undefined | Promise<VClusterRecord | undefined>;
  encryptionKey: Buffer;
  /** Where virtual API servers may be (the security policy); every kubeconfig passes the sanitiser. */
  access: TenantAccess;
  fieldManager: string;
}

/** The registration's identity: generation and content (a re-registration gets new clients). */
const fingerprint = (record: VClusterRecord) => `${record.generation}-${createHash('sha256').update(JSON.stringify(record)).digest('hex').slice(0, 12)}`;

/**
 * The one place sealed kubeconfigs are opened: each registration's record is unsealed, sanitised
 * and checked against the server policy (`openRegisteredCluster`), and its clients are kept per
 * generation. A refused record never yields a client; the answer says why, in a reason the
 * caller writes into its status.
 */
export class VirtualClusterPool {
  private readonly open = new Map<string, { fingerprint: string; cluster: VirtualCluster }>();

  constructor(private readonly opts: VirtualClusterPoolOptions) {}

  async get(key: string): Promise<ClusterLookup> {
    return this.openRecord(key, await this.opts.record(key));
  }

  /** Opens `record` as the registration of `key` (the caller has just read it). */
  openRecord(key: string, record: VClusterRecord | undefined): ClusterLookup {
    if (!record) {
      this.open.delete(key);
      return { ok: false, registered: false, reason: 'VClusterNotRegistered', message: `project ${key} has no registered virtual cluster` };
    }
    const print = fingerprint(record);
    const current = this.open.get(key);
    if (current?.fingerprint === print) return { ok: true, cluster: current.cluster };
    const opened = openRegisteredCluster(record, this.opts.access, (sealed) => openSecret(sealed, this.opts.encryptionKey));
    if (!opened.ok) {
      this.open.delete(key);
      return { ok: false, registered: true, reason: opened.reason, message: opened.message };
    }
    const cluster = clientsFor(key, `vcluster:${key}:${print}`, record, opened.kubeConfig, this.opts.fieldManager);
    this.open.set(key, { fingerprint: print, cluster });
    return { ok: true, cluster };
  }

  /** Is the API server there and answering as Kubernetes with these credentials? With `hostServiceCidr`, also the service CIDR check. */
  probe(cluster: VirtualCluster, hostServiceCidr?: string): Promise<Probe> {
    return probeVirtual(cluster.kubeConfig, hostServiceCidr);
  }

  /** Forgets every registration not in `keys`. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of [...this.open.keys()]) if (!keys.has(key)) this.open.delete(key);
  }

  forget(key: string): void {
    this.open.delete(key);
  }

  get size(): number {
    return this.open.size;
  }
}

function clientsFor(key: string, id: string, record: VClusterRecord, kubeConfig: KubeConfig, fieldManager: string): VirtualCluster {
  return {
    key,
    id,
    record,
    kubeConfig,
    core: kubeConfig.makeApiClient(CoreV1Api),
    networking: kubeConfig.makeApiClient(NetworkingV1Api),
    discovery: kubeConfig.makeApiClient(DiscoveryV1Api),
    applier: new OwnedApplier(kubeConfig, fieldManager),
  };
}
