import { AppsV1Api, CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryPath, eventually, kubeConfigFor, restrictedContainer, restrictedPodSecurity, runPodToCompletion, startStack, waitForRollout, type Stack } from '../src';

// The real node: pods run, Services route, namespaces finish deleting. Every pod here runs
// restricted (non-root, read-only root, no capabilities, RuntimeDefault seccomp), as netbroker's
// own pods will.
const restricted = { securityContext: restrictedPodSecurity };
const container = restrictedContainer;

describe('a stack with a real node', () => {
  let stack: Stack;
  let netcheck: string;
  const core = () => kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);
  const apps = () => kubeConfigFor(stack.host!).makeApiClient(AppsV1Api);
  const namespace = async (name: string) => {
    await core().createNamespace({ body: { metadata: { name } } });
    // The controller-manager gives every namespace its default ServiceAccount.
    await eventually(() => core().readNamespacedServiceAccount({ name: 'default', namespace: name }));
  };

  beforeAll(async () => {
    stack = await startStack({ nats: false, node: { networkPolicy: true } });
    netcheck = await stack.node!.loadImage({ name: 'netcheck', files: { '/netcheck': binaryPath('netcheck') }, entrypoint: ['/netcheck'] });
  });
  afterAll(() => stack?.stop());

  it('rolls out a Deployment of two restricted pods behind a readiness probe, and a pod resolves and reaches it by its Service name', async () => {
    await namespace('web');
    const labels = { app: 'web' };
    await apps().createNamespacedDeployment({
      namespace: 'web',
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              ...restricted,
              containers: [container({
                name: 'http', image: netcheck,
                // Each pod answers with its own name.
                args: ['serve', '8080', 'hello from $HOSTNAME'],
                ports: [{ containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
              })],
            },
          },
        },
      },
    });
    await waitForRollout(stack.host!, 'web', 'web');
    await core().createNamespacedService({ namespace: 'web', body: { metadata: { name: 'web' }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } } });

    const client = async (url: string) =>
      runPodToCompletion(stack.host!, 'web', {
        metadata: { generateName: 'client-' },
        spec: {
          ...restricted,
          containers: [container({ name: 'get', image: netcheck, args: ['get', url] })],
        },
      });
    // Through cluster DNS and kube-proxy's rules for the ClusterIP.
    const done = await eventually(async () => {
      const r = await client('http://web.web.svc.cluster.local/');
      if (r.phase !== 'Succeeded') throw new Error(`client pod ${r.phase} (exit ${r.exitCode})`);
      return r;
    }, { timeoutMs: 60_000 });
    expect(done.exitCode).toBe(0);
    const pods = await core().listNamespacedPod({ namespace: 'web', labelSelector: 'app!=web' });
    const logs = await stack.node!.podLogs('web', pods.items.find((p) => p.status?.phase === 'Succeeded')!.metadata!.name!);
    expect(logs).toMatch(/^hello from web-[a-z0-9]+-[a-z0-9]+$/m);

    // A name that does not exist fails to resolve (and nothing is asked outside the cluster).
    const missing = await client('http://nothing-here.web.svc.cluster.local/');
    expect(missing).toMatchObject({ phase: 'Failed', exitCode: 1 });
  });

  it('enforces NetworkPolicies: a pod selected by a deny-all policy is cut off, and a policy admitting one namespace lets only that one in', async () => {
    await namespace('guarded');
    await namespace('friend');
    await core().createNamespacedPod({
      namespace: 'guarded',
      body: { metadata: { name: 'server', labels: { app: 'server' } }, spec: { ...restricted, containers: [container({ name: 'http', image: netcheck, args: ['serve', '8080', 'guarded'] })] } },
    });
    const ip = await eventually(async () => {
      const p = await core().readNamespacedPod({ name: 'server', namespace: 'guarded' });
      if (p.status?.phase !== 'Running' || !p.status.podIP) throw new Error(`server pod is ${p.status?.phase}`);
      return p.status.podIP;
    }, { timeoutMs: 60_000 });
    // Admitted: retried in the pod for 20 s (a new pod is unknown to the policy engine for a
    // moment); refused: one try, and it must fail.
    const from = (namespace: string, tries = 1) =>
      runPodToCompletion(stack.host!, namespace, {
        metadata: { generateName: 'client-' },
        spec: { ...restricted, containers: [container({ name: 'get', image: netcheck, args: ['get', `http://${ip}:8080/`, String(tries)] })] },
      });
    expect(await from('web', 20)).toMatchObject({ phase: 'Succeeded' });

    const networking = kubeConfigFor(stack.host!).makeApiClient(NetworkingV1Api);
    await networking.createNamespacedNetworkPolicy({
      namespace: 'guarded',
      body: { metadata: { name: 'deny-all' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
    });
    await eventually(async () => expect(await from('web')).toMatchObject({ phase: 'Failed' }), { timeoutMs: 60_000 });

    await networking.createNamespacedNetworkPolicy({
      namespace: 'guarded',
      body: {
        metadata: { name: 'from-friend' },
        spec: { podSelector: { matchLabels: { app: 'server' } }, policyTypes: ['Ingress'], ingress: [{ _from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'friend' } } }] }] },
      },
    });
    expect(await from('friend', 20)).toMatchObject({ phase: 'Succeeded' });
    expect(await from('web')).toMatchObject({ phase: 'Failed' });
  }, 240_000);

  it('finishes a namespace deletion: its pods stop and the namespace disappears', async () => {
    await namespace('doomed');
    await core().createNamespacedPod({
      namespace: 'doomed',
      body: { metadata: { name: 'server' }, spec: { ...restricted, containers: [container({ name: 'http', image: netcheck, args: ['serve', '8080', 'doomed'] })] } },
    });
    await eventually(async () => expect((await core().readNamespacedPod({ name: 'server', namespace: 'doomed' })).status?.phase).toBe('Running'), { timeoutMs: 60_000 });
    await core().deleteNamespace({ name: 'doomed' });
    await eventually(
      async () => {
        const gone = await core().readNamespace({ name: 'doomed' }).then(() => false, (e: { code?: number }) => e.code === 404);
        expect(gone).toBe(true);
      },
      { timeoutMs: 90_000 },
    );
  });
});
