import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheDir, connectNats, dockerUsable, eventually, isAlive, isServerExited, kubeConfigFor, startStack, type Stack } from '../src';
import { holdInChild } from './fixtures/hold';

const alive = isAlive;

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // the process is gone
  }
};

/** Processes (pid and name) in the private Docker daemon's cgroup of the test process `owner`: dockerd, containerd, shims, containers. */
const inDockerCgroupOf = (owner: number) => {
  const cgroup = new RegExp(`/netbroker-docker-(\\d+)-${owner}(/|$)`, 'm');
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      const slot = cgroup.exec(read(`/proc/${pid}/cgroup`))?.[1];
      return slot === undefined ? [] : [{ pid: Number(pid), name: read(`/proc/${pid}/comm`).trim(), slot }];
    });
};

const mountPointsUnder = (prefix: string) =>
  read('/proc/self/mountinfo')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(prefix));

describe('a server killed mid-suite', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ nats: true, host: true });
  });
  afterAll(() => stack.stop());

  it('fails the waiting test at once with the server and the signal, instead of hanging', async () => {
    const nc = await connectNats(stack.natsUrl!);
    const kv = await new Kvm(nc).create('killed');
    await kv.put('k', 'v');
    const nats = stack.processes.get('nats-server')!;
    nats.kill('SIGKILL');

    const started = Date.now();
    const failure = await eventually(() => kv.get('k').then(() => Promise.reject(new Error('nats still answers'))), {
      timeoutMs: 30_000,
      signal: stack.signal,
    }).catch((e: unknown) => e);
    expect(isServerExited(failure)).toBe(true);
    expect(String(failure)).toMatch(/nats-server exited unexpectedly \(killed by SIGKILL\)/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(() => stack.assertHealthy()).toThrow(/nats-server/);
    await nc.close().catch(() => undefined);
  });

  it('makes a request to a killed apiserver fail with a connection error', async () => {
    const api = kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);
    await api.readNamespace({ name: 'default' });
    stack.processes.get('kube-apiserver-host')!.kill('SIGKILL');
    await eventually(() => expect(stack.processes.get('kube-apiserver-host')!.running).toBe(false));
    await expect(api.readNamespace({ name: 'default' })).rejects.toThrow(/ECONNREFUSED|socket hang up|ECONNRESET/);
  });
});

describe('teardown', () => {
  it('stop() ends every server and removes the temp dir', async () => {
    const stack = await startStack({ nats: true, host: false });
    const pids = [...stack.processes.values()].map((p) => p.pid);
    expect(pids.every(alive)).toBe(true);
    await stack.stop();
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(stack.dir)).toBe(false);
  });

});

describe.each(['process', ...(dockerUsable() ? ['containers'] : [])])('a test process SIGKILLed while holding a stack (%s)', (backend) => {
  it('takes its servers along, leaves nothing running, and its dir is swept by the next stack', async () => {
    // With containers, etcd and an apiserver too: three containers, three shims.
    const args = backend === 'containers' ? ['--host'] : [];
    const { child, held } = await holdInChild<{ pids: number[]; dir: string }>('hold-stack.ts', args, { ...process.env, NETBROKER_SERVER_BACKEND: backend });
    const { pids, dir } = held;
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.every(alive)).toBe(true);
    const docker = inDockerCgroupOf(child.pid!);
    if (backend === 'containers') {
      // The servers are containers of the fixture's own dockerd, which runs containerd and a shim per container.
      expect(docker.map((p) => p.name)).toEqual(expect.arrayContaining(['dockerd', 'containerd', 'containerd-shim']));
      expect(docker.map((p) => p.pid)).toEqual(expect.arrayContaining(pids));
    } else {
      expect(docker).toEqual([]);
    }

    child.kill('SIGKILL');
    await eventually(() => expect(pids.filter(alive)).toEqual([]), { timeoutMs: 10_000 });
    // Not a container process, a dockerd, a containerd or a shim of its daemon is left, nor any mount of it.
    await eventually(() => expect(inDockerCgroupOf(child.pid!)).toEqual([]), { timeoutMs: 15_000 });
    const slot = docker[0]?.slot;
    if (slot !== undefined) {
      await eventually(() => {
        expect(mountPointsUnder(`${tmpdir()}/netbroker-dockerd-${child.pid}/`)).toEqual([]);
        expect(mountPointsUnder(join(cacheDir(), 'docker', `data-${slot}`))).toEqual([]); // the data root itself is a mount too
      }, { timeoutMs: 15_000 });
    }
    expect(existsSync(dir)).toBe(true);
    // The next stack to start removes directories whose owner is gone.
    const next = await startStack({ nats: true, host: false });
    await next.stop();
    expect(existsSync(dir)).toBe(false);
  });
});
