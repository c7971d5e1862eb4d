import { CoreV1Api, RbacAuthorizationV1Api, type AuthenticationV1TokenRequest } from '@kubernetes/client-node';
import { checkServer, tenantAccessFrom } from '@netbroker/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditedAccess,
  auditEvents,
  binaryPath,
  connectNats,
  eventually,
  kubeConfigFor,
  restrictedContainer,
  restrictedPodSecurity,
  runPodToCompletion,
  startStack,
  type Stack,
} from '../src';
import { httpsGet } from '../src/http';

// What netbroker installed as pods on the real node needs of the stack: NATS and the virtual
// apiservers reachable from pods (the host apiserver already is, through the `kubernetes`
// Service), the virtual ones on an address netbroker does not count as its own; and the host
// apiserver's audit log, from which the least RBAC of its ServiceAccounts is read.

describe('a stack whose servers pods reach, with an audit log', () => {
  let stack: Stack;
  let netcheck: string;
  const core = () => kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);
  const hostOf = (url: string) => new URL(url).hostname;
  const namespace = async (name: string) => {
    await core().createNamespace({ body: { metadata: { name } } });
    await eventually(() => core().readNamespacedServiceAccount({ name: 'default', namespace: name }), { signal: stack.signal });
  };
  /** Runs `netcheck ARGS` in a restricted pod; its phase and what it printed. */
  const probe = async (ns: string, args: string[], extra: { env?: Array<{ name: string; value: string }>; configMap?: string } = {}) => {
    const done = await runPodToCompletion(stack.host!, ns, {
      metadata: { generateName: 'probe-' },
      spec: {
        securityContext: restrictedPodSecurity,
        containers: [restrictedContainer({
          name: 'probe', image: netcheck, args, env: extra.env,
          volumeMounts: extra.configMap ? [{ name: 'ca', mountPath: '/ca', readOnly: true }] : undefined,
        })],
        volumes: extra.configMap ? [{ name: 'ca', configMap: { name: extra.configMap } }] : undefined,
      },
    });
    const pods = await core().listNamespacedPod({ namespace: ns, fieldSelector: `status.phase=${done.phase}` });
    const newest = pods.items.sort((a, b) => String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp))).at(-1)!;
    return { ...done, log: await stack.node!.podLogs(ns, newest.metadata!.name!) };
  };

  beforeAll(async () => {
    stack = await startStack({ virtualClusters: 1, node: { reachableFromPods: true }, audit: {} });
    netcheck = await stack.node!.loadImage({ name: 'netcheck', files: { '/netcheck': binaryPath('netcheck') }, entrypoint: ['/netcheck'] });
  }, 240_000);
  afterAll(() => stack?.stop());

  it('puts the virtual apiserver on an address of its own, which netbroker allows while it refuses NATS and the host apiserver', async () => {
    const network = stack.node!.network;
    expect(stack.info().inCluster).toEqual({
      natsUrl: stack.natsUrl,
      virtualServersCidr: `${network.tenantServersIp}/32`,
      hostApiserverIp: network.hostIp,
      podCidr: network.podCidr,
      serviceCidr: stack.host!.serviceCidr,
    });
    const virtual = stack.virtual[0]!;
    expect(hostOf(virtual.server)).toBe(network.tenantServersIp);
    expect(hostOf(stack.natsUrl!)).toBe(network.hostIp);
    expect(hostOf(stack.host!.server)).toBe(network.hostIp);

    // Its certificate carries the address: a verifying client on this machine gets in.
    const namespaces = await kubeConfigFor(virtual).makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain('default');
    const nc = await connectNats(stack.natsUrl!);
    await nc.close();

    // netbroker as pods: its infrastructure denied, the virtual servers allowed (pods do not have the root's addresses).
    const { policy } = await tenantAccessFrom(
      { VCLUSTER_SERVERS_ALLOWED: stack.inCluster!.virtualServersCidr, VCLUSTER_SERVERS_DENIED: '', VCLUSTER_ALLOW_LOOPBACK: false, VCLUSTER_ALLOW_INSECURE_TLS: false },
      { urls: [stack.host!.server, stack.natsUrl!], ownAddresses: false },
    );
    expect(checkServer(virtual.server, policy).ok).toBe(true);
    expect(checkServer(stack.host!.server, policy).ok).toBe(false);
    expect(checkServer(`https://${hostOf(stack.natsUrl!)}:6443`, policy).ok).toBe(false);
  });

  it('lets a pod reach the virtual apiserver over TLS it verifies, and NATS', async () => {
    await namespace('probes');
    const virtual = stack.virtual[0]!;
    await core().createNamespacedConfigMap({ namespace: 'probes', body: { metadata: { name: 'virtual-ca' }, data: { 'ca.crt': virtual.caPem } } });

    const readyz = await probe('probes', ['get', `${virtual.server}/readyz`, '10'], { env: [{ name: 'NETCHECK_CA', value: '/ca/ca.crt' }], configMap: 'virtual-ca' });
    expect(readyz, readyz.log).toMatchObject({ phase: 'Succeeded', exitCode: 0 });
    expect(readyz.log.trim()).toBe('ok');

    const nats = new URL(stack.natsUrl!);
    const info = await probe('probes', ['banner', nats.host, '10']);
    expect(info, info.log).toMatchObject({ phase: 'Succeeded', exitCode: 0 });
    expect(info.log).toMatch(/^INFO \{.*"jetstream":true/m);

    // The probe can fail: nothing listens on the virtual servers' address at another port.
    const closed = await probe('probes', ['banner', `${hostOf(virtual.server)}:1`]);
    expect(closed).toMatchObject({ phase: 'Failed', exitCode: 1 });
    expect(closed.log).toMatch(/connection refused/);
  });

  it("records a ServiceAccount's requests in the host apiserver's audit log, and not the admin's", async () => {
    await namespace('audited');
    const user = 'system:serviceaccount:audited:reader';
    await core().createNamespacedServiceAccount({ namespace: 'audited', body: { metadata: { name: 'reader' } } });
    const rbac = kubeConfigFor(stack.host!).makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: 'audited', body: { metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace: 'audited',
      body: { metadata: { name: 'reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'audited' }] },
    });
    const request: AuthenticationV1TokenRequest = { spec: { audiences: [], expirationSeconds: 600 } };
    const { status } = await core().createNamespacedServiceAccountToken({ name: 'reader', namespace: 'audited', body: request });
    const as = (path: string) => httpsGet(`${stack.host!.server}${path}`, { ca: stack.host!.caPem, token: status!.token });

    // RBAC takes a moment to see a new binding: the allowed request is retried until it passes.
    await eventually(async () => expect((await as('/api/v1/namespaces/audited/configmaps')).status).toBe(200), { signal: stack.signal });
    expect((await as('/api/v1/namespaces/audited/secrets/nothing')).status).toBe(403);
    await core().listNamespacedConfigMap({ namespace: 'audited' });

    const events = await eventually(async () => {
      const found = await auditEvents(stack, { username: user });
      expect(found.some((e) => e.verb === 'get' && e.objectRef?.resource === 'secrets')).toBe(true);
      return found;
    }, { signal: stack.signal });
    expect(events.find((e) => e.verb === 'list' && e.responseStatus?.code === 200)?.objectRef).toMatchObject({ resource: 'configmaps', namespace: 'audited', apiVersion: 'v1' });
    expect(events.find((e) => e.verb === 'get')).toMatchObject({ objectRef: { resource: 'secrets', namespace: 'audited', name: 'nothing' }, responseStatus: { code: 403 } });
    expect(auditedAccess(events)).toEqual([
      { username: user, verb: 'list', apiGroup: '', resource: 'configmaps', namespace: 'audited' },
      { username: user, verb: 'get', apiGroup: '', resource: 'secrets', namespace: 'audited' },
    ]);
    // The default policy logs ServiceAccounts only: the admin's list is not there.
    expect(await auditEvents(stack, { username: 'admin' })).toEqual([]);
    expect((await auditEvents(stack, { namespace: 'audited', resource: 'configmaps' })).every((e) => e.user.username === user)).toBe(true);
  });
});
