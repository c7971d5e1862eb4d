import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

/**
 * Options of every keep-alive agent netbroker's Kubernetes clients use: Node's own global agent's
 * (a free socket is closed after 5 s idle; the timeout never touches a socket in use, e.g. a watch).
 */
export const KEEP_ALIVE = { keepAlive: true, timeout: 5_000, scheduling: 'lifo' } as const;

type AnyAgent = HttpAgent | HttpsAgent;

/** What makes two agents of client-node interchangeable: the TLS material and the server name. */
const MATERIAL = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'servername', 'rejectUnauthorized', 'ciphers', 'secureProtocol'] as const;

const materialOf = (agent: AnyAgent): unknown[] => {
  const o = (agent as AnyAgent & { options: Record<string, unknown> }).options;
  return [agent instanceof HttpsAgent, ...MATERIAL.map((field) => o[field])];
};

/** Equal values, Buffers by content (client-node decodes the certificates anew for every request). */
const sameMaterial = (a: unknown[], b: unknown[]) =>
  a.length === b.length && a.every((v, i) => v === b[i] || (Buffer.isBuffer(v) && Buffer.isBuffer(b[i]) && v.equals(b[i] as Buffer)));

/**
 * client-node (1.x) builds a new agent for every request, so no connection is ever reused: each
 * request, watch and list pays a TCP and TLS handshake on both sides, and every handshake builds
 * a new TLS context in native memory. This KubeConfig hands every request the same keep-alive
 * agent for as long as the TLS material it was built from is unchanged (a rotated client
 * certificate gets a new agent). Proxy agents are left as client-node makes them.
 */
export class PooledKubeConfig extends KubeConfig {
  private pooled: { material: unknown[]; agent: AnyAgent } | undefined;

  private shared<A>(given: A): A {
    const agent: unknown = given;
    if (!(agent instanceof HttpsAgent || agent instanceof HttpAgent)) return given;
    if (agent.constructor !== HttpsAgent && agent.constructor !== HttpAgent) return given;
    const material = materialOf(agent);
    if (!this.pooled || !sameMaterial(this.pooled.material, material)) {
      this.pooled?.agent.destroy();
      const options = { ...(agent as AnyAgent & { options: object }).options, ...KEEP_ALIVE };
      this.pooled = { material, agent: agent instanceof HttpsAgent ? new HttpsAgent(options) : new HttpAgent(options) };
    }
    return this.pooled.agent as A;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const agent = context.getAgent();
    if (agent) context.setAgent(this.shared(agent));
  }

  override async applyToHTTPSOptions(opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
    await super.applyToHTTPSOptions(opts);
    opts.agent = this.shared(opts.agent);
  }
}

/** A kubeconfig from a file, or the in-cluster service account when no path is given. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new PooledKubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromCluster();
  return kc;
}
