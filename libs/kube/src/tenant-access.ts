import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { parseCidr, parsePolicyEntries, type ServerPolicy } from './server-policy';
import type { TenantAccess } from './tenant-client';

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

const entries = z.string().default('').refine((list) => {
  try {
    parsePolicyEntries(list);
    return true;
  } catch {
    return false;
  }
}, 'a comma-separated list of CIDRs, addresses, host:port endpoints and DNS names (a leading dot: names under it)');

/**
 * The operator's settings for where virtual cluster API servers may be: spread into the config
 * schema of every service that reads tenant kubeconfigs (`z.object({ ...tenantAccessEnv, … })`).
 */
export const tenantAccessEnv = {
  /** Empty: anywhere except the denied ranges; else CIDRs and DNS suffixes (`10.20.0.0/16,.vcluster.example.com`). */
  VCLUSTER_SERVERS_ALLOWED: entries,
  /** Added to the built-in denials (loopback, link-local, metadata, the host apiserver, NATS, own addresses). */
  VCLUSTER_SERVERS_DENIED: entries,
  /** Development only: loopback servers (everything of `npm start` lives there; its own endpoints stay denied). */
  VCLUSTER_ALLOW_LOOPBACK: bool(false),
  /** Accept `insecure-skip-tls-verify: true` in tenant kubeconfigs. */
  VCLUSTER_ALLOW_INSECURE_TLS: bool(false),
};

export const TenantAccessEnv = z.object(tenantAccessEnv);
export type TenantAccessEnv = z.infer<typeof TenantAccessEnv>;

/** What netbroker itself talks to: never a tenant's server. */
export interface Infrastructure {
  /** URLs (`https://10.0.0.1:6443`, `nats://nats:4222`, a comma-separated NATS list). */
  urls: string[];
  /** Add this machine's (pod's) own interface addresses (production: true). */
  ownAddresses?: boolean;
}

function hostPorts(urls: readonly string[]): Array<{ host: string; port: number }> {
  const defaults: Record<string, number> = { 'https:': 443, 'http:': 80, 'nats:': 4222, 'tls:': 4222 };
  return urls
    .flatMap((u) => u.split(','))
    .map((u) => u.trim())
    .filter((u) => URL.canParse(u))
    .map((u) => new URL(u))
    .map((u) => ({ host: u.hostname.replace(/^\[|\]$/g, '').toLowerCase(), port: u.port ? Number(u.port) : (defaults[u.protocol] ?? 0) }));
}

const isLoopback = (ip: string) => ip.startsWith('127.') || ip === '::1';

/**
 * The policy in force: the operator's lists plus netbroker's infrastructure, whose names are
 * resolved once here. A loopback infrastructure address is denied as an endpoint (host:port),
 * so that development stacks on 127.0.0.1 still work; any other as the whole address.
 */
export async function tenantAccessFrom(config: TenantAccessEnv, infra: Infrastructure): Promise<TenantAccess> {
  const allowed = parsePolicyEntries(config.VCLUSTER_SERVERS_ALLOWED);
  const denied = parsePolicyEntries(config.VCLUSTER_SERVERS_DENIED);
  const policy: ServerPolicy = {
    allowed: { cidrs: allowed.cidrs, suffixes: [...allowed.names] },
    denied: { cidrs: [...denied.cidrs], names: [...denied.names], endpoints: [...denied.endpoints] },
    allowLoopback: config.VCLUSTER_ALLOW_LOOPBACK,
  };
  if (allowed.endpoints.length > 0) throw new Error('VCLUSTER_SERVERS_ALLOWED takes CIDRs and DNS names, not host:port');
  for (const { host, port } of hostPorts(infra.urls)) {
    const addresses = isIP(host) ? [host] : await lookup(host, { all: true }).then((r) => r.map((a) => a.address), () => []);
    if (!isIP(host)) policy.denied.endpoints.push({ host, port });
    for (const address of addresses) {
      if (isLoopback(address)) policy.denied.endpoints.push({ host: address, port });
      else policy.denied.cidrs.push(parseCidr(address));
    }
  }
  if (infra.ownAddresses ?? true) {
    for (const nic of Object.values(networkInterfaces())) {
      for (const { address, internal } of nic ?? []) if (!internal && !address.startsWith('fe80:')) policy.denied.cidrs.push(parseCidr(address));
    }
  }
  return { policy, allowInsecureTls: config.VCLUSTER_ALLOW_INSECURE_TLS };
}

/** The in-cluster apiserver address a pod sees (`KUBERNETES_SERVICE_HOST`), as a URL, when set. */
export function inClusterApiUrl(env: NodeJS.ProcessEnv = process.env): string[] {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host) return [];
  return [`https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`];
}

/**
 * The policy of a service that holds the host cluster's credentials: the operator's lists plus the
 * host apiserver it talks to (kubeconfig and in-cluster address), NATS, and `extra` URLs.
 */
export function tenantAccessForService(config: TenantAccessEnv & { NATS_URL: string }, hostConfig?: KubeConfig, extra: string[] = []): Promise<TenantAccess> {
  const host = hostConfig?.getCurrentCluster()?.server;
  return tenantAccessFrom(config, { urls: [...(host ? [host] : []), config.NATS_URL, ...inClusterApiUrl(), ...extra] });
}
