import type { KubeConfig} from '@kubernetes/client-node';
import { KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { annotations, labels, MANAGED_BY } from '@netbroker/naming';
import { classify, isNotFound, NotOwnedError } from './errors';

/** Identifies an object: enough to read or delete it. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** True when the object carries netbroker's label and names `fieldManager` as its owner. */
export function isOwnedBy(obj: KubernetesObject | undefined, fieldManager: string): boolean {
  return obj?.metadata?.labels?.[labels.managedBy] === MANAGED_BY && obj.metadata?.annotations?.[annotations.owner] === fieldManager;
}

/** Adds the ownership label and annotation to a manifest (pure). */
export function withOwnership<T extends KubernetesObject>(obj: T, fieldManager: string): T {
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      labels: { ...obj.metadata?.labels, [labels.managedBy]: MANAGED_BY },
      annotations: { ...obj.metadata?.annotations, [annotations.owner]: fieldManager },
    },
  };
}

const describe = (ref: ObjectRef) => `${ref.kind} ${ref.metadata.namespace ? `${ref.metadata.namespace}/` : ''}${ref.metadata.name}`;

/**
 * Writes with server-side apply under one field manager, and only over objects it can prove it
 * owns: an existing object without netbroker's label and this owner annotation is never updated
 * or deleted (NotOwnedError). Errors come back classified (TransientError / TerminalError).
 */
export class OwnedApplier {
  private readonly client: KubernetesObjectApi;

  constructor(
    kubeConfig: KubeConfig,
    readonly fieldManager: string,
  ) {
    this.client = KubernetesObjectApi.makeApiClient(kubeConfig);
  }

  async read<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return (await this.client.read(ref as KubernetesObject & ObjectRef)) as T;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw classify(e, `read ${describe(ref)}`);
    }
  }

  /**
   * The objects of one kind in a namespace, by name: one request instead of a read per object.
   * Items carry `apiVersion` and `kind` as a read answers them (a list's items do not).
   */
  async listIn(apiVersion: string, kind: string, namespace: string): Promise<Map<string, KubernetesObject>> {
    try {
      const list = await this.client.list(apiVersion, kind, namespace);
      return new Map(list.items.map((o) => [o.metadata?.name ?? '', { ...o, apiVersion, kind }]));
    } catch (e) {
      throw classify(e, `list ${kind} in ${namespace}`);
    }
  }

  /**
   * Server-side apply, over an object that is absent or owned. A caller that has just read the
   * object passes it as `current` (`null`: absent) and saves the read. (Creating with POST first
   * would save a request, but fields set by a POST are not removed by later applies.)
   */
  async apply<T extends KubernetesObject & ObjectRef>(manifest: T, current?: KubernetesObject | null): Promise<T> {
    const existing = current === undefined ? await this.read(manifest) : current;
    if (existing && !isOwnedBy(existing, this.fieldManager)) {
      throw new NotOwnedError(manifest.kind, manifest.metadata.namespace, manifest.metadata.name);
    }
    try {
      return await this.client.patch(withOwnership(manifest, this.fieldManager), undefined, undefined, this.fieldManager, true, PatchStrategy.ServerSideApply);
    } catch (e) {
      throw classify(e, `apply ${describe(manifest)}`);
    }
  }

  /** Deletes an object it owns; answers false when it was already gone. */
  async delete(ref: ObjectRef): Promise<boolean> {
    const existing = await this.read(ref);
    if (!existing) return false;
    // Already going away (a namespace stays Terminating until its contents are gone).
    if (existing.metadata?.deletionTimestamp) return true;
    if (!isOwnedBy(existing, this.fieldManager)) throw new NotOwnedError(ref.kind, ref.metadata.namespace, ref.metadata.name);
    try {
      await this.client.delete(ref as KubernetesObject & ObjectRef);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw classify(e, `delete ${describe(ref)}`);
    }
  }
}
