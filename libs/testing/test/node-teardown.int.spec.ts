import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backendKind, eventually, isAlive, isServerExited, startStack } from '../src';
import { holdInChild } from './fixtures/hold';

const alive = isAlive;
/** Every cgroup (v1 pids hierarchy or v2) whose name says it belongs to this process. */
const cgroupsOf = (pid: number) => {
  const root = existsSync('/sys/fs/cgroup/pids') ? '/sys/fs/cgroup/pids' : '/sys/fs/cgroup';
  return readdirSync(root).filter((d) => d.startsWith('netbroker-') && d.endsWith(`-${pid}`));
};
const mountsUnder = (dir: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(`${dir}/`));

describe('a real node whose test process is SIGKILLed', () => {
  it('leaves no pod, container, daemon, network namespace, link, mount or cgroup behind', async () => {
    const { child, held } = await holdInChild<{ pids: number[]; dir: string; netns: string; podNetns: string[]; slot: number }>('hold-node-stack.ts');
    try {
      expect(held.podNetns).toHaveLength(2); // CoreDNS and the held pod
      expect(held.pids.every(alive)).toBe(true);
      // The node's and its private dockerd's, and with the container backend the servers' dockerd.
      expect(cgroupsOf(child.pid!)).toHaveLength(backendKind() === 'containers' ? 3 : 2);
      expect(mountsUnder(held.dir).length).toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL'); // a failed check above must not leave the node running
    }
    await eventually(
      () => {
        expect(held.pids.filter(alive)).toEqual([]);
        expect(cgroupsOf(child.pid!)).toEqual([]); // every pod, shim, containerd and dockerd was in one
        expect(existsSync(`/run/netns/${held.netns}`), held.netns).toBe(false);
        expect(existsSync(`/sys/class/net/nbnode${held.slot}h`)).toBe(false);
        // The pods' network namespaces (held.podNetns) are nsfs mounts under the dir: unmounted, and with their processes dead, gone.
        expect(mountsUnder(held.dir)).toEqual([]);
      },
      { timeoutMs: 30_000 },
    );
  }, 180_000);
});

describe('a real node whose kubelet cannot start', () => {
  it('fails the stack at once, naming the kubelet, and cleans up what it had started', async () => {
    process.env.NETBROKER_BIN_KUBELET = '/bin/false';
    try {
      const started = Date.now();
      const failure = await startStack({ nats: false, node: true }).then(
        async (stack) => {
          await stack.stop();
          throw new Error('the stack started with a kubelet that exits at once');
        },
        (e: unknown) => e,
      );
      expect(isServerExited(failure)).toBe(true);
      expect(String(failure)).toMatch(/^ServerExitedError: kubelet exited unexpectedly \(exit code 1\)/);
      expect(Date.now() - started).toBeLessThan(60_000); // not the 90 s wait for Ready
      expect(cgroupsOf(process.pid)).toEqual([]);
    } finally {
      delete process.env.NETBROKER_BIN_KUBELET;
    }
  }, 120_000);
});
