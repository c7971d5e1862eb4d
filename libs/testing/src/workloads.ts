import { AppsV1Api, CoreV1Api, type V1Container, type V1Pod, type V1PodSecurityContext } from '@kubernetes/client-node';
import { kubeConfigFor } from './clients';
import { eventually } from './eventually';
import type { ClusterInfo } from './servers';

/**
 * What the restricted Pod Security profile asks of a pod — non-root, RuntimeDefault seccomp — as
 * netbroker's own pods run; with `restrictedContainer`, a test pod that restricted admission takes.
 */
export const restrictedPodSecurity: V1PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  seccompProfile: { type: 'RuntimeDefault' },
};

/** A container of a local image (never pulled) with a read-only root, no privilege escalation and no capabilities. */
export const restrictedContainer = (c: V1Container): V1Container => ({
  imagePullPolicy: 'Never',
  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  ...c,
});

/** Waits until a Deployment's newest generation is fully rolled out and Available. */
export async function waitForRollout(host: ClusterInfo, namespace: string, name: string, timeoutMs = 90_000): Promise<void> {
  const apps = kubeConfigFor(host).makeApiClient(AppsV1Api);
  await eventually(async () => {
    const d = await apps.readNamespacedDeployment({ name, namespace });
    const want = d.spec?.replicas ?? 1;
    const s = d.status ?? {};
    const available = s.conditions?.find((c) => c.type === 'Available');
    if ((s.observedGeneration ?? 0) < (d.metadata?.generation ?? 0) || s.updatedReplicas !== want || s.availableReplicas !== want || available?.status !== 'True') {
      throw new Error(`deployment ${namespace}/${name}: ${s.availableReplicas ?? 0}/${want} available, ${s.updatedReplicas ?? 0} updated (${available?.message ?? 'no Available condition yet'})${await podTroubles(host, namespace)}`);
    }
  }, { timeoutMs });
}

/** Runs a pod to completion and returns its phase (Succeeded/Failed) and exit code. */
export async function runPodToCompletion(host: ClusterInfo, namespace: string, pod: V1Pod, timeoutMs = 60_000): Promise<{ phase: string; exitCode?: number }> {
  const core = kubeConfigFor(host).makeApiClient(CoreV1Api);
  const created = await core.createNamespacedPod({ namespace, body: { ...pod, spec: { restartPolicy: 'Never', ...pod.spec! } } });
  const name = created.metadata!.name!;
  return eventually(async () => {
    const p = await core.readNamespacedPod({ name, namespace });
    const phase = p.status?.phase ?? 'Pending';
    if (phase !== 'Succeeded' && phase !== 'Failed') throw new Error(`pod ${namespace}/${name} is ${phase}${await podTroubles(host, namespace)}`);
    return { phase, exitCode: p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode };
  }, { timeoutMs });
}

/** Why pods of a namespace are not running, for a failure message. */
async function podTroubles(host: ClusterInfo, namespace: string): Promise<string> {
  const core = kubeConfigFor(host).makeApiClient(CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace }).catch(() => undefined);
  const lines = (pods?.items ?? []).flatMap((p) =>
    (p.status?.containerStatuses ?? []).map((c) => {
      const w = c.state?.waiting;
      return w ? `${p.metadata?.name}/${c.name}: ${w.reason} ${w.message ?? ''}` : '';
    }).filter(Boolean),
  );
  return lines.length ? `; ${lines.join('; ')}` : '';
}
