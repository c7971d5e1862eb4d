import type { FaultPlatform, Replica } from './platform';
import { SERVICES } from './platform';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long each fault lasts: the figures in the full suite, shorter in `npm test`. */
export interface FaultTimes {
  /** A killed leader is restarted this long after, plus up to the same again (the seed picks). */
  leaderDownMs: number;
  /** SIGSTOP this long: more than an election (4-9 s), so the others elect without it. */
  pauseMs: number;
  /** Two of three nodes down this long: no quorum. */
  twoDownMs: number;
  hostApiserverDownMs: number;
}

export const FULL_TIMES: FaultTimes = { leaderDownMs: 5_000, pauseMs: 12_000, twoDownMs: 20_000, hostApiserverDownMs: 15_000 };
export const SHORT_TIMES: FaultTimes = { leaderDownMs: 3_000, pauseMs: 10_000, twoDownMs: 8_000, hostApiserverDownMs: 6_000 };

export interface Scenario {
  name: string;
  /** Injects the fault and heals it; resolves once healed. */
  inject(platform: FaultPlatform, random: () => number, log: (line: string) => void, times: FaultTimes): Promise<void>;
}

export const scenarios: Scenario[] = [
  {
    name: 'none',
    inject: async () => undefined,
  },
  {
    name: 'service-crash',
    // SIGKILL one replica of each service in turn, restart it; the other replica carries on.
    async inject(platform, random, log) {
      for (const service of SERVICES) {
        const pick = platform.replicas.filter((r) => r.service === service);
        const victim: Replica = pick[Math.floor(random() * pick.length)]!;
        const t0 = Date.now();
        await platform.crashAndRestart(victim, 500 + Math.floor(random() * 1_500));
        log(`${victim.name} killed and ready again after ${Date.now() - t0} ms`);
      }
    },
  },
  {
    name: 'nats-leader-kill',
    // SIGKILL the node leading KV_projects or EVENTS (the seed picks), restart it 1-2 leaderDownMs later (5-10 s in the full suite).
    async inject(platform, random, log, times) {
      const nats = platform.stack.natsCluster!;
      const stream = random() < 0.5 ? 'KV_projects' : 'EVENTS';
      const leader = await nats.waitLeader(stream);
      await nats.kill(leader);
      log(`killed nats-${leader}, leader of ${stream}`);
      await sleep(times.leaderDownMs + Math.floor(random() * times.leaderDownMs));
      await nats.restart(leader);
      await nats.waitCurrent(stream);
      log(`nats-${leader} restarted, ${stream} current`);
    },
  },
  {
    name: 'nats-pause',
    // SIGSTOP one node (the seed picks it) for pauseMs (12 s in the full suite), longer than an election, then SIGCONT.
    async inject(platform, random, log, times) {
      const nats = platform.stack.natsCluster!;
      const node = Math.floor(random() * 3);
      await nats.pause(node);
      log(`paused nats-${node}`);
      await sleep(times.pauseMs);
      await nats.resume(node);
      await nats.waitCurrent('KV_projects');
      log(`resumed nats-${node}`);
    },
  },
  {
    name: 'nats-two-down',
    // SIGKILL two of three nodes for twoDownMs (20 s in the full suite; no quorum: writes are refused), then restart them.
    async inject(platform, random, log, times) {
      const nats = platform.stack.natsCluster!;
      const spared = Math.floor(random() * 3);
      const victims = [0, 1, 2].filter((i) => i !== spared);
      for (const i of victims) await nats.kill(i);
      log(`killed nats-${victims.join(', nats-')}`);
      await sleep(times.twoDownMs);
      for (const i of victims) await nats.restart(i);
      await nats.waitCurrent('KV_projects');
      log(`restarted nats-${victims.join(', nats-')}`);
    },
  },
  {
    name: 'host-apiserver-down',
    // Stop the host kube-apiserver for hostApiserverDownMs (15 s in the full suite), start it again on its port with its etcd data: informers relist.
    async inject(platform, _random, log, times) {
      await platform.stack.stopApiserver('host');
      log('host kube-apiserver stopped');
      await sleep(times.hostApiserverDownMs);
      await platform.stack.restartApiserver('host');
      log('host kube-apiserver ready again');
    },
  },
];
