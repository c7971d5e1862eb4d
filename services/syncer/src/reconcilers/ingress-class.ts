import type { V1IngressClass } from '@kubernetes/client-node';
import { applyIfChanged, type OwnedApplier } from '@netbroker/kube';
import { type ReconcileResult } from '@netbroker/controller';
import { isMirroredIngressClass, virtualIngressClassFor } from '@netbroker/translate';
import type { CountWrite } from '../writes';

const INGRESS_CLASS = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass' };

export interface IngressClassSyncDeps {
  /** Reads host IngressClasses. */
  host: OwnedApplier;
  /** Writes the virtual cluster's mirrored IngressClasses (same field manager as on the host). */
  virtual: OwnedApplier;
  countWrite: CountWrite;
  /** A virtual IngressClass of that name exists and netbroker does not own it: left alone. */
  onForeign: (name: string) => void;
}

/**
 * One IngressClass, key `<name>`, host -> virtual: a host class is mirrored read-only into the
 * virtual cluster; a mirrored class whose host class is gone is deleted; a tenant's own class of
 * the same name is never touched.
 */
export class IngressClassReconciler {
  constructor(private readonly deps: IngressClassSyncDeps) {}

  async reconcile(name: string): Promise<ReconcileResult> {
    const ref = { ...INGRESS_CLASS, metadata: { name } };
    const [host, virtual] = await Promise.all([this.deps.host.read<V1IngressClass>(ref), this.deps.virtual.read<V1IngressClass>(ref)]);
    if (virtual && !isMirroredIngressClass(virtual)) {
      this.deps.onForeign(name);
      return;
    }
    if (!host) {
      if (virtual && (await this.deps.virtual.delete(ref))) this.deps.countWrite('host-delete');
      return;
    }
    const applied = await applyIfChanged(this.deps.virtual, virtualIngressClassFor(host), virtual);
    if (applied.wrote) this.deps.countWrite('host-apply');
  }
}
