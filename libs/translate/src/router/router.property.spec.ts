import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PeeringState, Route } from '@netbroker/contracts';
import { compile, deliver, deviceName, type ForcedRoute, type RouterPlan } from './compile';
import { contains, overlaps, parseAddress4, parseInterface4, parseNet4 } from './ipv4';
import { snapshot, type World } from './world';
import { validatePeering, validateRoutes } from './validate';

// Properties of the compiled plans over random worlds: reachability is exactly the programmed
// peering adjacency (never its transitive closure, even with routes forced by hand), every next
// hop is on-link, no route overlaps its project's own CIDR, and whatever validation admits
// leaves every project's reachable networks overlap-free.

const states: PeeringState[] = ['PendingAcceptance', 'Programming', 'Active', 'Degraded', 'Failed', 'Deleting'];
const programmed = new Set<PeeringState>(['Programming', 'Active', 'Degraded']);

/** Up to 7 projects; CIDRs are /24s or /23s of 10.30.0.0/20, so some overlap; peerings as pairs with a state. */
const worlds = fc
  .record({
    cidrs: fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.constantFrom(23, 24)), { minLength: 2, maxLength: 7 }),
    pairs: fc.array(fc.tuple(fc.nat(6), fc.nat(6), fc.constantFrom(...states)), { maxLength: 14 }),
    routes: fc.array(fc.tuple(fc.nat(6), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
  })
  .map(({ cidrs, pairs, routes }) => {
    const keys = cidrs.map((_, i) => `t.p${i}`);
    const cidrOf = ([third, prefix]: [number, number]) => `10.30.${prefix === 23 ? third - (third % 2) : third}.0/${prefix}`;
    return { keys, cidrs: cidrs.map(cidrOf), pairs: pairs.filter(([a, b]) => a < keys.length && b < keys.length), routes: routes.filter(([p]) => p < keys.length) };
  });

/** Admits peerings and routes one by one through validation, as the router holder does. */
function admitted(w: { keys: string[]; cidrs: string[]; pairs: Array<[number, number, PeeringState]>; routes: Array<[number, number]> }) {
  const world: World = { projects: {}, peerings: [] };
  w.keys.forEach((k, i) => (world.projects![k] = { cidr: w.cidrs[i], routes: [] }));
  for (const [a, b, state] of w.pairs) {
    const s = snapshot(world);
    if (validatePeering(s, { requester: w.keys[a]!, accepter: w.keys[b]! }).ok) world.peerings!.push([w.keys[a]!, w.keys[b]!, state]);
  }
  for (const [p, third] of w.routes) {
    const key = w.keys[p]!;
    const route: Route = { destination: `192.168.${third}.0/24`, nexthop: `${w.cidrs[p]!.split('.').slice(0, 3).join('.')}.9` };
    const proposed = [...world.projects![key]!.routes!, route];
    const result = validateRoutes(snapshot(world), key, proposed);
    if (result.ok) world.projects![key]!.routes = result.value;
  }
  return world;
}

const host = (cidr: string) => `${cidr.split('.').slice(0, 3).join('.')}.77`;

function adjacency(world: World): Set<string> {
  const edges = new Set<string>();
  for (const [a, b, state = 'Active'] of world.peerings ?? []) {
    if (!programmed.has(state)) continue;
    edges.add(`${a}>${b}`);
    edges.add(`${b}>${a}`);
  }
  return edges;
}

function reached(plan: RouterPlan, forced: (from: string) => ForcedRoute[] = () => []): Set<string> {
  const edges = new Set<string>();
  for (const from of plan.projects) {
    for (const to of plan.projects) {
      if (from.key === to.key) continue;
      const d = deliver(plan, from.key, host(from.cidr), host(to.cidr), forced(from.key));
      if (d.to === 'project' && d.key === to.key) edges.add(`${from.key}>${to.key}`);
    }
  }
  return edges;
}

describe('the compiled router plans', () => {
  it('reach exactly the programmed peers: the adjacency, never its transitive closure', () => {
    fc.assert(
      fc.property(worlds, (w) => {
        const world = admitted(w);
        expect([...reached(compile(snapshot(world)))].sort()).toEqual([...adjacency(world)].sort());
      }),
      { numRuns: 300 },
    );
  });

  it('stay non-transitive with routes to every other project forced into each router and its own guard opened', () => {
    fc.assert(
      fc.property(worlds, (w) => {
        const world = admitted(w);
        const plan = compile(snapshot(world));
        // Each router gets a route via each of its links to every project it does not already
        // reach (a route over a peer's or its own CIDR would only hijack that traffic), and
        // forwards anything from its lan.
        const opened: RouterPlan = { projects: plan.projects.map((p) => ({ ...p, forward: p.forward.map((f) => (f.from.kind === 'lan' ? { ...f, destinations: ['0.0.0.0/0'] } : f)) })) };
        const forced = (from: string): ForcedRoute[] => {
          const p = plan.projects.find((x) => x.key === from)!;
          const reachedNets = [p.cidr, ...p.links.map((l) => l.peerCidr)].map((c) => parseNet4(c)!);
          const others = plan.projects.filter((q) => !reachedNets.some((n) => overlaps(n, parseNet4(q.cidr)!)));
          return p.links.flatMap((l) => others.map((q) => ({ at: from, destination: q.cidr, via: l.remote, device: { kind: 'link' as const, peering: l.peering } })));
        };
        expect([...reached(opened, forced)].sort()).toEqual([...adjacency(world)].sort());
      }),
      { numRuns: 200 },
    );
  });

  it('put every next hop on-link and no route over its own CIDR', () => {
    fc.assert(
      fc.property(worlds, (w) => {
        const plan = compile(snapshot(admitted(w)));
        for (const p of plan.projects) {
          const own = parseNet4(p.cidr)!;
          for (const route of p.routes) {
            expect(overlaps(parseNet4(route.destination)!, own), `${p.key} ${route.destination}`).toBe(false);
            const via = parseAddress4(route.via)!;
            const onLink =
              route.device.kind === 'lan'
                ? contains(own, via)
                : route.device.kind === 'link'
                  ? contains(parseInterface4(p.links.find((l) => l.peering === (route.device as { peering: string }).peering)!.local)!.net, via)
                  : contains(parseNet4(p.attachments.find((a) => a.network === (route.device as { network: string }).network)!.cidr)!, via);
            expect(onLink, `${p.key} ${route.destination} via ${route.via} on ${deviceName(route.device)}`).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('admit nothing that makes two networks a project reaches overlap', () => {
    fc.assert(
      fc.property(worlds, (w) => {
        const world = admitted(w);
        const plan = compile(snapshot(world));
        for (const p of plan.projects) {
          const nets = [p.cidr, ...p.routes.map((r) => r.destination)].map((c) => parseNet4(c)!);
          for (let i = 0; i < nets.length; i++) for (let j = i + 1; j < nets.length; j++) expect(overlaps(nets[i]!, nets[j]!), `${p.key}`).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
