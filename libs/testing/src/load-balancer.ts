import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Service } from '@kubernetes/client-node';
import { Informer } from '@netbroker/kube';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The address a LoadBalancer Service asks for, in any of the forms netbroker's provider adapters write. */
export function requestedAddress(svc: V1Service): string | undefined {
  const a = svc.metadata?.annotations ?? {};
  const listed = a['metallb.io/loadBalancerIPs'] ?? a['lbipam.cilium.io/ips'] ?? a['kube-vip.io/loadbalancerIPs'];
  return listed?.split(',')[0]?.trim() || svc.spec?.loadBalancerIP || undefined;
}

/**
 * The local stack's stand-in for a load balancer controller (MetalLB, a cloud's): it writes the
 * address each LoadBalancer Service asks for into its status. On its own it moves no packets;
 * given `forward` (a real node's load balancer, node-lb.ts) it hands it every LoadBalancer
 * Service after each change, and packets to the addresses reach the Services. Tests without a
 * node write the status themselves; `npm start` runs this so that exposures get their address.
 */
export class LoadBalancerStandIn {
  private readonly core: CoreV1Api;
  private readonly informer: Informer<V1Service>;
  private readonly balanced = new Map<string, V1Service>();
  private forwarding: Promise<void> = Promise.resolve();

  constructor(
    kubeConfig: KubeConfig,
    onError: (err: unknown) => void = () => undefined,
    forward?: (services: V1Service[]) => Promise<void>,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    const changed = (svc: V1Service, gone: boolean) => {
      if (!forward) return;
      const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
      if (gone || svc.spec?.type !== 'LoadBalancer') this.balanced.delete(key);
      else this.balanced.set(key, svc);
      // One rule set at a time, always the latest.
      this.forwarding = this.forwarding.then(() => forward([...this.balanced.values()])).catch(onError);
    };
    this.informer = new Informer<V1Service>(kubeConfig, {
      path: '/api/v1/services',
      list: () => this.core.listServiceForAllNamespaces(),
      onChange: (svc) => {
        changed(svc, false);
        void this.assign(svc).catch(onError);
      },
      onDelete: (svc) => changed(svc, true),
      onError,
    });
  }

  private async assign(svc: V1Service): Promise<void> {
    const ip = requestedAddress(svc);
    const { name = '', namespace = '' } = svc.metadata ?? {};
    if (svc.spec?.type !== 'LoadBalancer' || !ip || svc.status?.loadBalancer?.ingress?.[0]?.ip === ip) return;
    await this.core.patchNamespacedServiceStatus({ name, namespace, body: { status: { loadBalancer: { ingress: [{ ip }] } } } }, mergePatch);
  }

  start = () => this.informer.start();
  stop = () => this.informer.stop();
}
