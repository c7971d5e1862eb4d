import type { FieldError } from '@netbroker/contracts';
import { openTenantKubeConfig, type TenantAccess } from '@netbroker/kube';

/**
 * What is wrong with a kubeconfig a tenant registers, as field errors under `kubeconfig.` (none:
 * it may be stored). The same gate the syncer, mapper and exposer pass before they connect; the
 * API itself never connects, resolves or runs anything. Messages never quote the document.
 */
export function kubeconfigErrors(text: string, access: TenantAccess): FieldError[] {
  const opened = openTenantKubeConfig(text, access);
  if (opened.ok) return [];
  if (opened.reason === 'ServerNotAllowed') return [{ path: `kubeconfig.${opened.path}`, reason: 'server-not-allowed', message: opened.message }];
  return opened.problems.map((p) => ({ path: p.path === '(root)' ? 'kubeconfig' : `kubeconfig.${p.path}`, reason: p.reason, message: p.message }));
}
