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
 * address each LoadBalancer Service asks for into its status, and moves no packets. Tests write
 * the status themselves; `npm start` runs this so that exposures get their address.
 */
export class LoadBalancerStandIn {
  private readonly core: CoreV1Api;
  private readonly informer: Informer<V1Service>;

  constructor(kubeConfig: KubeConfig, onError: (err: unknown) => void = () => undefined) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.informer = new Informer<V1Service>(kubeConfig, {
      path: '/api/v1/services',
      list: () => this.core.listServiceForAllNamespaces(),
      onChange: (svc) => void this.assign(svc).catch(onError),
      onDelete: () => undefined,
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
