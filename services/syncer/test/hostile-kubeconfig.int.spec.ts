import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectBuckets, syncerBuckets, VClusterRecord, VClusterStatus } from '@netbroker/contracts';
import { openKv, type JsonKv, type NatsConnection } from '@netbroker/bus';
import {
  connectNats,
  countingListener,
  eventually,
  kubeconfigFile,
  startNats,
  type CountingListener,
  type ServerProcess,
  type ServiceProcess,
} from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSyncer, vclusterRecord } from './registration';

// Kubeconfigs written straight into KV (as a record stored before the sanitiser, or by anything
// but the API) are refused by the syncer before it builds a client: no program runs, no file is
// read, nothing is contacted. Its own nats-server, so no syncer of another file reads these records.
// Every server here is on loopback, so that even a broken guard sends nothing off this machine.

const stack = inject('stack');
const suffix = randomUUID().slice(0, 6);
const tenant = `hk${suffix}`;
const key = randomBytes(32);

let dir: string;
let nats: { url: string; proc: ServerProcess };
let nc: NatsConnection;
let vclusters: JsonKv<typeof VClusterRecord>;
let statuses: JsonKv<typeof VClusterStatus>;
let syncer: ServiceProcess;
/** Allowed by the policy: a refused kubeconfig pointing here must still never connect. */
let open: CountingListener;
/** Denied by the operator (`VCLUSTER_SERVERS_DENIED`). */
let denied: CountingListener;

const FILE_SECRET = `file-secret-${suffix}`;
const marker = () => join(dir, 'exec-ran');

const kubeconfig = (server: string, user: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'vc', cluster: { server } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'vc', context: { cluster: 'vc', user: 'u' } }],
    'current-context': 'vc',
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-hostile-'));
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  writeFileSync(join(dir, 'token'), FILE_SECRET);
  [open, denied] = await Promise.all([countingListener(), countingListener()]);
  nats = await startNats(dir, () => undefined, `nats-hostile-${suffix}`);
  nc = await connectNats(nats.url);
  vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord);
  statuses = await openKv(nc, syncerBuckets.status, VClusterStatus);
  syncer = await startSyncer({ name: `syncer-hostile-${suffix}`, natsUrl: nats.url, dir, key, env: { VCLUSTER_SERVERS_DENIED: `127.0.0.1:${denied.port}` } });
});

afterAll(async () => {
  await syncer?.stop();
  await nc?.close();
  await nats?.proc.stop();
  await Promise.all([open?.close(), denied?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const openServer = () => `https://127.0.0.1:${open.port}`;
const natsPort = () => new URL(nats.url).port;

// [project, kubeconfig, status reason]
const cases: Array<[string, () => string, string]> = [
  ['exec', () => kubeconfig(openServer(), { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', `touch ${marker()}`] } }), 'KubeconfigRefused'],
  ['token-file', () => kubeconfig(openServer(), { tokenFile: join(dir, 'token') }), 'KubeconfigRefused'],
  ['auth-provider', () => kubeconfig(openServer(), { 'auth-provider': { name: 'oidc', config: { 'id-token': 'x', 'idp-issuer-url': openServer() } } }), 'KubeconfigRefused'],
  ['cert-files', () => kubeconfig(openServer(), { 'client-certificate': join(dir, 'token'), 'client-key': join(dir, 'token') }), 'KubeconfigRefused'],
  ['host-apiserver', () => kubeconfigFile(stack.host!), 'ServerNotAllowed'],
  ['nats', () => kubeconfig(`https://127.0.0.1:${natsPort()}`, { token: 't' }), 'ServerNotAllowed'],
  ['resolves-to-denied', () => kubeconfig(`https://localhost:${denied.port}`, { token: 't' }), 'ServerNotAllowed'],
];

describe('the syncer and kubeconfigs stored in KV', () => {
  it.each(cases)('refuses %s with a reason in the registration status, before any connection', async (project, text, reason) => {
    const k = `${tenant}.${project}`;
    await vclusters.put(k, vclusterRecord({ tenant, project, vcluster: `v${project}`, kubeconfig: text(), key }));
    const status = await eventually(
      async () => {
        const found = (await statuses.get(k))?.value;
        expect(found?.reason).toBe(reason);
        return found!;
      },
      { timeoutMs: 15_000 },
    );
    expect(status.phase).toBe('Failed');
    expect(status.message).not.toContain(FILE_SECRET);
    expect(status.message).not.toMatch(/touch|sh -c/);
  });

  it('ran no program, read no file into a request, and connected to neither listener', async () => {
    // Every record above was refused; the first one long enough ago for an exec plugin to have run.
    const refused = await statuses.get(`${tenant}.exec`);
    expect(refused?.value.reason).toBe('KubeconfigRefused');
    expect(existsSync(marker())).toBe(false);
    expect(open.connections).toBe(0);
    expect(denied.connections).toBe(0);
    expect(open.received + denied.received).not.toContain(FILE_SECRET);
    expect(syncer.proc.running).toBe(true);
  });
});
