import { ApiException, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import fetch from 'node-fetch';
import { classify } from './errors';

/** One kind at one path: what an informer lists and watches. */
export interface Resource {
  apiVersion: string;
  kind: string;
  /** The resource name in URLs, e.g. `services`. */
  plural: string;
  /** Absent: every namespace (or a cluster-scoped kind). */
  namespace?: string;
  labelSelector?: string;
}

/** `/api/v1/namespaces/ns/services`, `/apis/networking.k8s.io/v1/ingresses`… */
export function resourcePath(r: Pick<Resource, 'apiVersion' | 'plural' | 'namespace'>): string {
  const root = r.apiVersion.includes('/') ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  return `${root}${r.namespace ? `/namespaces/${encodeURIComponent(r.namespace)}` : ''}/${r.plural}`;
}

/** Items per list request: bounded responses, one consistent snapshot across pages. */
export const LIST_PAGE = 500;

/**
 * Lists a resource as plain JSON, page by page (one consistent snapshot), the way the watch
 * delivers objects: no client-side model conversion, and every item carries `apiVersion` and
 * `kind` (list items do not) so cached objects compare equal to manifests.
 */
export async function listResource<T extends KubernetesObject>(kc: KubeConfig, r: Resource, page = LIST_PAGE): Promise<KubernetesListObject<T>> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('no current cluster in the kubeconfig');
  const items: T[] = [];
  let resourceVersion = '';
  let next: string | undefined;
  do {
    const url = new URL(server + resourcePath(r));
    url.searchParams.set('limit', String(page));
    if (r.labelSelector) url.searchParams.set('labelSelector', r.labelSelector);
    if (next) url.searchParams.set('continue', next);
    const init = await kc.applyToFetchOptions({ method: 'GET' });
    let body: KubernetesListObject<T>;
    try {
      const res = await fetch(url, init as never);
      if (res.status !== 200) throw new ApiException(res.status, `list ${r.plural}: HTTP ${res.status}`, await res.text(), {});
      body = (await res.json()) as KubernetesListObject<T>;
    } catch (e) {
      throw classify(e, `list ${resourcePath(r)}`);
    }
    for (const item of body.items) items.push({ ...item, apiVersion: r.apiVersion, kind: r.kind });
    resourceVersion = body.metadata?.resourceVersion ?? resourceVersion;
    // Plain JSON: the wire's `continue` (client-node's models call it `_continue`).
    next = (body.metadata as { continue?: string } | undefined)?.continue || undefined;
  } while (next);
  return { apiVersion: r.apiVersion, kind: `${r.kind}List`, metadata: { resourceVersion }, items };
}
