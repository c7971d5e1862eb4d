import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, renameSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from './eventually';
import { httpsGet } from './http';
import { freePort } from './ports';
import { auditFlags, type AuditOptions } from './audit';
import { standaloneBackend, type ServerBackend, type ServerProcess } from './backends';
import { ServerExitedError } from './process';
import { operatorSetup } from './nats-jwt';
import { issueCertificate } from './pki';

export type OnExit = (e: ServerExitedError) => void;

const STARTUP_TIMEOUT_MS = 60_000;
const BIND_RETRIES = 3;

const portTaken = (e: unknown) => e instanceof ServerExitedError && /address already in use|bind: address/i.test(e.logTail);

/**
 * Starts a server on fresh ports and waits until `ready` passes; if the server dies because a port
 * was taken in the meantime (another suite raced for it), starts again on new ports.
 */
async function startOnFreePorts<T>(
  name: string,
  portCount: number,
  onExit: OnExit,
  launch: (ports: number[], attempt: number, onExit: OnExit) => Promise<{ proc: ServerProcess; ready: () => Promise<T> }>,
): Promise<{ proc: ServerProcess; value: T }> {
  for (let attempt = 1; ; attempt++) {
    const ports = await Promise.all(Array.from({ length: portCount }, () => freePort()));
    // Deaths during start-up are this function's to report; after it, the caller's.
    let started = false;
    const { proc, ready } = await launch(ports, attempt, (e) => started && onExit(e));
    try {
      const value = await Promise.race([
        ready(),
        proc.exited.then((exit) => {
          throw new ServerExitedError(name, exit, proc.tail(), proc.logFile);
        }),
      ]);
      started = true;
      return { proc, value };
    } catch (e) {
      await proc.stop(1_000);
      if (attempt < BIND_RETRIES && portTaken(e)) continue;
      throw e;
    }
  }
}

// --- etcd ---------------------------------------------------------------------------------------

export interface EtcdServer {
  url: string;
  proc: ServerProcess;
}

export async function startEtcd(dir: string, onExit: OnExit, backend: ServerBackend = standaloneBackend): Promise<EtcdServer> {
  const { proc, value: url } = await startOnFreePorts('etcd', 2, onExit, async ([client, peer], attempt, onExit) => {
    const url = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    const proc = await backend.launch({ name: 'etcd', binary: 'etcd', dir, onExit, args: [
      '--name', 'default',
      '--data-dir', join(dir, `etcd-${attempt}`),
      '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `default=${peerUrl}`,
      '--unsafe-no-fsync', '--log-level', 'warn',
    ] });
    const ready = () =>
      eventually(async () => {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
        const body = (await res.json()) as { health?: string };
        if (body.health !== 'true') throw new Error(`etcd not healthy: ${JSON.stringify(body)}`);
        return url;
      }, { timeoutMs: STARTUP_TIMEOUT_MS });
    return { proc, ready };
  });
  return { url, proc };
}

// --- nats-server with JetStream -----------------------------------------------------------------

export interface NatsServer {
  url: string;
  monitorUrl: string;
  proc: ServerProcess;
  /** What a client needs besides the URL, as files in the server's dir (with `NatsOptions`). */
  files: NatsClientFiles;
}

export interface NatsClientFiles {
  /** The CA of the serving certificate (`tls`). */
  caFile?: string;
  /** A client certificate and key of that CA (`tls.verify`). */
  clientCertFile?: string;
  clientKeyFile?: string;
  /** A user's .creds file (`auth.operator`). */
  credsFile?: string;
}

export interface NatsOptions {
  /**
   * Who may connect: a token, users with passwords, or decentralised JWT auth (an operator with
   * one JetStream account, whose user's .creds file lands in `files.credsFile`).
   */
  auth?: { token: string } | { users: ReadonlyArray<{ user: string; password: string }> } | { operator: true };
  /**
   * TLS required, with a CA and a certificate for 127.0.0.1 made here (node:crypto, no openssl);
   * the URL is `tls://`. `verify`: clients must present a certificate of that CA (mTLS).
   */
  tls?: { verify?: boolean };
  /** Where it listens (the monitoring port too); default loopback. */
  address?: string;
  /** The largest message it accepts, in bytes (`max_payload`; the server's default is 1 MB). */
  maxPayload?: number;
}

/**
 * The configuration lines for `opts` (auth, TLS), and the files clients need; written under `dir`
 * with `name` as prefix. One set serves every node of a cluster (nats-cluster.ts).
 */
export async function natsConfigLines(dir: string, name: string, opts: NatsOptions): Promise<{ lines: string[]; files: NatsClientFiles }> {
  const lines: string[] = [];
  const files: NatsClientFiles = {};
  const write = async (file: string, body: string) => {
    await writeFile(join(dir, file), body);
    return join(dir, file);
  };
  const auth = opts.auth;
  if (auth && 'token' in auth) lines.push(`authorization { token: ${JSON.stringify(auth.token)} }`);
  if (auth && 'users' in auth) lines.push(`authorization { users: [${auth.users.map((u) => `{ user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.password)} }`).join(', ')}] }`);
  if (auth && 'operator' in auth) {
    const setup = operatorSetup(new Date());
    lines.push(setup.serverConfig);
    files.credsFile = await write(`${name}-user.creds`, setup.creds);
  }
  if (opts.tls) {
    const now = new Date();
    const ca = issueCertificate({ cn: `${name} test CA`, kind: 'ca', now });
    const server = issueCertificate({ cn: name, kind: 'server', hosts: [...new Set([opts.address ?? '127.0.0.1', '127.0.0.1', 'localhost'])], issuer: ca, now });
    files.caFile = await write(`${name}-ca.pem`, ca.certPem);
    const [certFile, keyFile] = [await write(`${name}-server.pem`, server.certPem), await write(`${name}-server-key.pem`, server.keyPem)];
    if (opts.tls.verify) {
      const client = issueCertificate({ cn: `${name} client`, kind: 'client', issuer: ca, now });
      files.clientCertFile = await write(`${name}-client.pem`, client.certPem);
      files.clientKeyFile = await write(`${name}-client-key.pem`, client.keyPem);
    }
    const settings = { cert_file: certFile, key_file: keyFile, ca_file: files.caFile };
    lines.push(`tls { ${Object.entries(settings).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')}${opts.tls.verify ? ', verify: true' : ''} }`);
  }
  if (opts.maxPayload !== undefined) lines.push(`max_payload: ${opts.maxPayload}`);
  return { lines, files };
}

/** nats-server's arguments for `opts` (a configuration file, when any), and the files clients need. */
async function natsConfig(dir: string, name: string, opts: NatsOptions): Promise<{ args: string[]; files: NatsClientFiles }> {
  const { lines, files } = await natsConfigLines(dir, name, opts);
  if (lines.length === 0) return { args: [], files };
  const file = join(dir, `${name}.conf`);
  await writeFile(file, `${lines.join('\n')}\n`);
  return { args: ['-c', file], files };
}

export async function startNats(dir: string, onExit: OnExit, name = 'nats-server', backend: ServerBackend = standaloneBackend, opts: NatsOptions = {}): Promise<NatsServer> {
  const { args: configArgs, files } = await natsConfig(dir, name, opts);
  const scheme = opts.tls ? 'tls' : 'nats';
  const address = opts.address ?? '127.0.0.1';
  const { proc, value } = await startOnFreePorts(name, 2, onExit, async ([port, monitor], attempt, onExit) => {
    const storeDir = join(dir, `${name}-js-${attempt}`);
    const proc = await backend.launch({ name, binary: 'nats-server', dir, onExit, args: [
      ...configArgs, '-js', '-a', address, '-p', String(port), '-m', String(monitor), '-sd', storeDir, '-n', name,
    ] });
    const monitorUrl = `http://${address}:${monitor}`;
    const ready = () =>
      eventually(async () => {
        const res = await fetch(`${monitorUrl}/healthz?js-enabled-only=true`, { signal: AbortSignal.timeout(1_000) });
        if (!res.ok) throw new Error(`nats-server not healthy: ${res.status} ${await res.text()}`);
        return { url: `${scheme}://${address}:${port}`, monitorUrl };
      }, { timeoutMs: STARTUP_TIMEOUT_MS });
    return { proc, ready };
  });
  return { ...value, proc, files };
}

// --- kube-apiserver -----------------------------------------------------------------------------

/** Everything a client needs to reach one apiserver. Plain data: it crosses process boundaries. */
export interface ClusterInfo {
  name: string;
  server: string;
  /** PEM of the self-signed serving certificate (the apiserver's own CA). */
  caPem: string;
  /** Token per user: `admin` is in system:masters; the others have no permissions until bound. */
  tokens: Record<string, string>;
  serviceCidr: string;
  etcdPrefix: string;
  /** The audit log (JSON lines) of an apiserver started with `audit`: read it with `auditEvents`. */
  auditLog?: string;
}

export interface KubeApiserver {
  info: ClusterInfo;
  proc: ServerProcess;
  /**
   * Starts it again once its process is gone (stopped or killed): same port, certificate, tokens
   * and etcd prefix, so clients reconnect to what they knew; resolves once it is ready. The
   * previous log is kept as `<name>.log.<ms>`.
   */
  restart(onExit: OnExit): Promise<ServerProcess>;
}

export interface KubeApiserverOptions {
  name: string;
  etcdUrl: string;
  serviceCidr: string;
  /** Users besides `admin`, with no groups: RBAC grants them nothing until a binding does. */
  users: string[];
  /** Extra apiservers on a shared etcd must not compact it. */
  compaction: boolean;
  /**
   * The host of a stack with a real node: listens and advertises on the root end of the node's
   * link (pods reach it through the `kubernetes` Service, whose endpoint it keeps), and admits
   * pods with their ServiceAccount tokens.
   */
  nodeLink?: string;
  /** Where it listens and what it advertises (its certificate covers it) when not `nodeLink`; default 127.0.0.1. */
  address?: string;
  /** Writes an audit log (`ClusterInfo.auditLog`). */
  audit?: AuditOptions;
}

const token = () => randomBytes(24).toString('base64url');

export async function startKubeApiserver(root: string, opts: KubeApiserverOptions, onExit: OnExit, backend: ServerBackend = standaloneBackend): Promise<KubeApiserver> {
  const dir = join(root, opts.name);
  await mkdir(join(dir, 'pki'), { recursive: true });
  const tokens: Record<string, string> = { admin: token() };
  for (const user of opts.users) tokens[user] = token();
  const lines = Object.entries(tokens).map(([user, t], i) =>
    user === 'admin' ? `${t},admin,uid-admin,"system:masters"` : `${t},${user},uid-${i}`,
  );
  await writeFile(join(dir, 'tokens.csv'), `${lines.join('\n')}\n`, { mode: 0o600 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await writeFile(join(dir, 'sa.key'), privateKey.export({ format: 'pem', type: 'sec1' }), { mode: 0o600 });

  const etcdPrefix = `/${opts.name}/registry`;
  const address = opts.nodeLink ?? opts.address ?? '127.0.0.1';
  const audit = opts.audit ? await auditFlags(dir, opts.audit) : undefined;
  const launchOn = async (port: number, onExit: OnExit) => {
    const proc = await backend.launch({ name: `kube-apiserver-${opts.name}`, binary: 'kube-apiserver', dir, onExit, args: [
      `--etcd-servers=${opts.etcdUrl}`, `--etcd-prefix=${etcdPrefix}`,
      `--bind-address=${address}`, `--secure-port=${port}`, `--advertise-address=${address}`,
      `--endpoint-reconciler-type=${opts.nodeLink ? 'lease' : 'none'}`, `--cert-dir=${join(dir, 'pki')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`, '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.key')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      `--service-cluster-ip-range=${opts.serviceCidr}`, '--allow-privileged=true',
      ...(opts.nodeLink ? [] : ['--disable-admission-plugins=ServiceAccount']), '--profiling=false',
      ...(opts.compaction ? [] : ['--etcd-compaction-interval=0']),
      ...(audit?.args ?? []),
    ] });
    const server = `https://${address}:${port}`;
    const certFile = join(dir, 'pki', 'apiserver.crt');
    const ready = () =>
      eventually(async () => {
        if (!existsSync(certFile)) throw new Error(`${opts.name}: no serving certificate yet`);
        const caPem = await readFile(certFile, 'utf8');
        const get = (path: string) => httpsGet(`${server}${path}`, { ca: caPem, token: tokens.admin! });
        const readyz = await get('/readyz');
        if (readyz.status !== 200) throw new Error(`${opts.name} /readyz: ${readyz.status} ${readyz.body}`);
        const ns = await get('/api/v1/namespaces/default');
        if (ns.status !== 200) throw new Error(`${opts.name}: namespace default not there yet (${ns.status})`);
        return { server, caPem };
      }, { timeoutMs: STARTUP_TIMEOUT_MS });
    return { proc, ready };
  };
  let port = 0;
  const { proc, value } = await startOnFreePorts(`kube-apiserver ${opts.name}`, 1, onExit, ([p], _attempt, onExit) => launchOn((port = p!), onExit));
  let current = proc;
  const restart = async (onExit: OnExit): Promise<ServerProcess> => {
    if (current.running) throw new Error(`kube-apiserver ${opts.name} is running: stop it first`);
    if (existsSync(current.logFile)) renameSync(current.logFile, `${current.logFile}.${Date.now()}`);
    let started = false;
    const next = await launchOn(port, (e) => started && onExit(e));
    try {
      await Promise.race([
        next.ready(),
        next.proc.exited.then((exit) => {
          throw new ServerExitedError(`kube-apiserver ${opts.name}`, exit, next.proc.tail(), next.proc.logFile);
        }),
      ]);
    } catch (e) {
      await next.proc.stop(1_000);
      throw e;
    }
    started = true;
    current = next.proc;
    return next.proc;
  };
  return {
    proc,
    info: { name: opts.name, ...value, tokens, serviceCidr: opts.serviceCidr, etcdPrefix, ...(audit ? { auditLog: audit.log } : {}) },
    restart,
  };
}
