import { KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { ObjectRef } from './apply';
import { apiMessage, classify, isNotFound, statusCode } from './errors';

/** What an apply of owned fields did. */
export type FieldsOutcome =
  | { outcome: 'applied'; object: KubernetesObject; wrote: boolean }
  /** The object does not exist: it is someone else's to create (netbroker only owns some of its fields). */
  | { outcome: 'missing' }
  /** Another field manager owns one of the fields: left as it is (never forced). */
  | { outcome: 'conflict'; message: string };

/**
 * Owns some fields of an object someone else created and manages (a Kube-OVN `Vpc` made by the
 * platform): server-side apply of exactly those fields under one field manager, never forced,
 * never creating the object. Fields other managers own are untouched; a field another manager
 * owns is a conflict, reported, not taken. Applying without the fields gives them up (the API
 * server removes what no manager owns any more).
 */
export class FieldApplier {
  private readonly client: KubernetesObjectApi;

  constructor(
    kubeConfig: KubeConfig,
    readonly fieldManager: string,
  ) {
    this.client = KubernetesObjectApi.makeApiClient(kubeConfig);
  }

  async apply(ref: ObjectRef, fields: Record<string, unknown>): Promise<FieldsOutcome> {
    const what = `${ref.kind} ${ref.metadata.name}`;
    let current: KubernetesObject;
    try {
      current = await this.client.read(ref as KubernetesObject & ObjectRef);
    } catch (e) {
      if (isNotFound(e)) return { outcome: 'missing' };
      throw classify(e, `read ${what}`);
    }
    const manifest = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.metadata.name, ...(ref.metadata.namespace ? { namespace: ref.metadata.namespace } : {}) }, ...fields };
    try {
      const object: KubernetesObject = await this.client.patch(manifest, undefined, undefined, this.fieldManager, false, PatchStrategy.ServerSideApply);
      return { outcome: 'applied', object, wrote: object.metadata?.resourceVersion !== current.metadata?.resourceVersion };
    } catch (e) {
      if (isNotFound(e)) return { outcome: 'missing' };
      if (statusCode(e) === 409) return { outcome: 'conflict', message: `apply ${what}: ${apiMessage(e)}` };
      throw classify(e, `apply ${what}`);
    }
  }
}
