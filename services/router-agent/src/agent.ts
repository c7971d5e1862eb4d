import { createHash } from 'node:crypto';
import { DEVICE_ALIAS_PREFIX, NFT_TABLE, ROUTE_PROTOCOL, splitAddress, type RouterNamespaceSpec, type VethSpec } from '@netbroker/translate';
import { CommandError, type LinkInfo, type Netns } from './netns';

// Realises router namespace specs on this machine. Level-triggered and idempotent: it reads
// what is there (`ip -json`, the nft table's comment) and changes only the difference, so a
// second apply of the same specs runs no command, and an apply after a crash at any point
// converges. Fail closed: the new nftables table goes in before anything is added, and every
// removal (namespaces, routes, devices) comes before every addition. It touches only what it
// owns: namespaces `owns()` accepts, devices whose alias starts `netbroker:`, routes of protocol
// ROUTE_PROTOCOL and the `inet netbroker` table.

export interface ApplyResult {
  /** Commands that changed something (0: already as planned). */
  changes: number;
  /** Router namespaces that could not be brought to their spec, with why; the others were. */
  failed: Array<{ netns: string; error: string }>;
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * The ruleset with its digest in the comment of its last rule (nft 1.0.6 does not report a
 * table's comment): an unchanged plan is not loaded again, so its counters keep counting.
 */
export function withDigest(ruleset: string): { ruleset: string; comment: string } {
  const comment = `netbroker plan ${digest(ruleset)}`;
  return { ruleset: ruleset.replace('counter drop comment "not in the plan"', `counter drop comment "${comment}"`), comment };
}

const routeId = (r: { dst: string; gateway?: string; dev?: string }) => `${r.dst} ${r.gateway ?? ''} ${r.dev ?? ''}`;

export class RouterAgent {
  constructor(
    private readonly netns: Netns,
    /** Router namespaces this agent owns (created by it, deleted when no longer planned). */
    private readonly owns: (netns: string) => boolean,
  ) {}

  /**
   * Brings the router namespaces to `specs`. With `only`, steps 2–6 look at those namespaces
   * alone (the ones whose spec changed since they were last applied); namespaces no longer
   * planned are removed either way. Without it, every namespace is read and repaired (a resync).
   */
  async apply(all: readonly RouterNamespaceSpec[], only?: ReadonlySet<string>): Promise<ApplyResult> {
    const { netns } = this;
    const specs = only ? all.filter((s) => only.has(s.netns)) : all;
    netns.fresh();
    const start = netns.changes;
    const failed: ApplyResult['failed'] = [];
    const guard = async (ns: string, step: () => Promise<void>) => {
      if (failed.some((f) => f.netns === ns)) return;
      try {
        await step();
      } catch (e) {
        if (!(e instanceof CommandError)) throw e;
        failed.push({ netns: ns, error: e.message });
      }
    };
    const desired = new Map(all.map((s) => [s.netns, s]));
    const present = new Set(await netns.namespaces());

    // 1. Router namespaces no longer planned go first, with their devices and routes.
    for (const ns of present) if (this.owns(ns) && !desired.has(ns)) await guard(ns, () => netns.deleteNamespace(ns));
    // 2. Every planned namespace exists and forwards; 3. its table is the plan's.
    for (const spec of specs) {
      await guard(spec.netns, async () => {
        if (!present.has(spec.netns)) await netns.addNamespace(spec.netns);
        const lo = (await netns.links(spec.netns)).find((l) => l.ifname === 'lo');
        if (!lo?.flags?.includes('UP')) await netns.batch(spec.netns, ['link set lo up']);
        if (!(await netns.forwarding(spec.netns))) await netns.enableForwarding(spec.netns);
        const { ruleset, comment } = withDigest(spec.nft);
        if (!(await netns.ruleComments(spec.netns, NFT_TABLE)).includes(comment)) await netns.nft(spec.netns, ruleset);
      });
    }
    // 4. Removals: routes and devices of ours the plan no longer has.
    const owned = ownedDevices(all);
    for (const spec of specs) {
      await guard(spec.netns, async () => {
        const want = new Set(spec.routes.map((r) => routeId({ dst: r.destination, gateway: r.via, dev: r.dev })));
        const stale = (await netns.routes(spec.netns, ROUTE_PROTOCOL)).filter((r) => !want.has(routeId(r)));
        await netns.batch(spec.netns, stale.map((r) => `route del ${r.dst} proto ${ROUTE_PROTOCOL}${r.dev ? ` dev ${r.dev}` : ''}`));
        const keep = owned.get(spec.netns) ?? new Set<string>();
        const gone = (await netns.links(spec.netns)).filter((l) => l.ifalias?.startsWith(DEVICE_ALIAS_PREFIX) && !keep.has(l.ifname));
        await netns.batch(spec.netns, gone.map((l) => `link del ${l.ifname}`));
      });
    }
    // 5. Additions: devices and addresses, on every side, before any route needs them.
    for (const spec of specs) await guard(spec.netns, () => this.ensureDevices(spec));
    // 6. Routes.
    for (const spec of specs) {
      await guard(spec.netns, async () => {
        const have = new Set((await netns.routes(spec.netns, ROUTE_PROTOCOL)).map(routeId));
        const missing = spec.routes.filter((r) => !have.has(routeId({ dst: r.destination, gateway: r.via, dev: r.dev })));
        await netns.batch(spec.netns, missing.map((r) => `route replace ${r.destination} via ${r.via} dev ${r.dev} proto ${ROUTE_PROTOCOL}`));
      });
    }
    return { changes: netns.changes - start, failed };
  }

  private async ensureDevices(spec: RouterNamespaceSpec): Promise<void> {
    const { netns } = this;
    const links = new Map((await netns.links(spec.netns)).map((l) => [l.ifname, l]));
    const addresses = new Map((await netns.addresses(spec.netns)).map((a) => [a.ifname, a.addr_info]));
    for (const veth of spec.veths) {
      if (!links.has(veth.name)) {
        await netns.batch(undefined, [`link add name ${veth.name} netns ${spec.netns} type veth peer name ${veth.peer}${veth.peerNetns ? ` netns ${veth.peerNetns}` : ''}`]);
      }
      await netns.batch(spec.netns, endLines(veth.name, veth.alias, veth.address, links.get(veth.name), addresses.get(veth.name)));
      const peerLinks = await netns.links(veth.peerNetns);
      const peer = peerLinks.find((l) => l.ifname === veth.peer);
      const peerAddresses = veth.peerAddress === undefined ? undefined : (await netns.addresses(veth.peerNetns)).find((a) => a.ifname === veth.peer)?.addr_info;
      await netns.batch(veth.peerNetns, peerLines(veth, peer, peerAddresses));
    }
  }
}

const hasAddress = (info: Array<{ family: string; local: string; prefixlen: number }> | undefined, address: string) => {
  const want = splitAddress(address);
  return !!want && !!info?.some((a) => a.family === 'inet' && a.local === want.local && a.prefixlen === want.prefixlen);
};

/** What the router's end of a veth still needs: its alias, its address, up. */
function endLines(name: string, alias: string, address: string, link: LinkInfo | undefined, info: Parameters<typeof hasAddress>[0]): string[] {
  return [
    ...(link?.ifalias === alias ? [] : [`link set dev ${name} alias ${alias}`]),
    ...(hasAddress(info, address) ? [] : [`addr replace ${address} dev ${name}`]),
    ...(link?.flags?.includes('UP') ? [] : [`link set dev ${name} up`]),
  ];
}

/** What the outside end still needs: alias, its bridge or (a peering link) its address, up. */
function peerLines(veth: VethSpec, peer: LinkInfo | undefined, info: Parameters<typeof hasAddress>[0]): string[] {
  return [
    ...(peer?.ifalias === veth.alias ? [] : [`link set dev ${veth.peer} alias ${veth.alias}`]),
    ...(veth.bridge !== undefined && peer?.master !== veth.bridge ? [`link set dev ${veth.peer} master ${veth.bridge}`] : []),
    ...(veth.peerAddress !== undefined && !hasAddress(info, veth.peerAddress) ? [`addr replace ${veth.peerAddress} dev ${veth.peer}`] : []),
    ...(peer?.flags?.includes('UP') ? [] : [`link set dev ${veth.peer} up`]),
  ];
}

/** Per namespace, the devices of ours that belong there: router ends, and peering ends created by the other side. */
function ownedDevices(specs: readonly RouterNamespaceSpec[]): Map<string, Set<string>> {
  const owned = new Map<string, Set<string>>();
  const add = (ns: string | undefined, name: string) => {
    if (ns === undefined) return;
    owned.set(ns, (owned.get(ns) ?? new Set()).add(name));
  };
  for (const spec of specs) {
    for (const veth of spec.veths) {
      add(spec.netns, veth.name);
      if (veth.peerAddress !== undefined) add(veth.peerNetns, veth.peer);
    }
  }
  return owned;
}
