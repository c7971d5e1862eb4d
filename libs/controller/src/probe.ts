import { CoreV1Api, VersionApi, type KubeConfig } from '@kubernetes/client-node';
import { isServerRefused, SERVER_REFUSED_MESSAGE } from '@netbroker/kube';
import { Address4, Address6 } from 'ip-address';

/** What a look at a virtual API server found: healthy, down, or unusable. */
export type Probe = { ok: true } | { ok: false; phase: 'Unreachable' | 'Failed'; reason: string; message: string };

/** `ip` lies inside `cidr` (same family); false for anything unparsable. */
export function ipInCidr(ip: string, cidr: string): boolean {
  try {
    if (ip.includes(':') !== cidr.includes(':')) return false;
    return ip.includes(':') ? new Address6(ip).isInSubnet(new Address6(cidr)) : new Address4(ip).isInSubnet(new Address4(cidr));
  } catch {
    return false; // ip-address throws AddressError on malformed input: "not inside" is the answer.
  }
}

/** The virtual `default/kubernetes` ClusterIP must be a host service address, or back-synced ClusterIPs cannot work. */
export function serviceCidrProbe(clusterIP: string | undefined, hostServiceCidr: string): Probe {
  if (clusterIP && ipInCidr(clusterIP, hostServiceCidr)) return { ok: true };
  return {
    ok: false,
    phase: 'Failed',
    reason: 'ServiceCidrMismatch',
    message: `the virtual cluster's service CIDR (kubernetes Service at ${clusterIP ?? 'none'}) is not the host's ${hostServiceCidr}`,
  };
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

export const UNREACHABLE_MESSAGE = 'the virtual API server could not be reached, or did not answer as a Kubernetes API server with these credentials';

/** GET /version, then (with `hostServiceCidr`) the ClusterIP of `default/kubernetes` against the host's service CIDR. */
export async function probeVirtual(kc: KubeConfig, hostServiceCidr?: string, timeoutMs = 3_000): Promise<Probe> {
  let clusterIP: string | undefined;
  try {
    await withTimeout(kc.makeApiClient(VersionApi).getCode(), timeoutMs);
    if (hostServiceCidr) clusterIP = (await withTimeout(kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'kubernetes', namespace: 'default' }), timeoutMs)).spec?.clusterIP;
  } catch (e) {
    // One answer for every failure: the status is the tenant's to read, and must not turn the
    // probe into a port scanner (no banner, status code or error text of whatever answered).
    if (isServerRefused(e)) return { ok: false, phase: 'Failed', reason: 'ServerNotAllowed', message: SERVER_REFUSED_MESSAGE };
    return { ok: false, phase: 'Unreachable', reason: 'Unreachable', message: UNREACHABLE_MESSAGE };
  }
  return hostServiceCidr ? serviceCidrProbe(clusterIP, hostServiceCidr) : { ok: true };
}
