import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CoreV1Api } from '@kubernetes/client-node';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats, eventually, isServerExited, kubeConfigFor, repoRoot, startStack, type Stack } from '../src';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

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

  it('kills the servers of a test process that was itself SIGKILLed, and sweeps its dir later', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'libs/testing/test/fixtures/hold-stack.ts')], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`fixture exited early with ${code}`)));
    });
    const { pids, dir } = JSON.parse(line) as { pids: number[]; dir: string };
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.every(alive)).toBe(true);

    child.kill('SIGKILL');
    await eventually(() => expect(pids.filter(alive)).toEqual([]), { timeoutMs: 10_000 });
    expect(existsSync(dir)).toBe(true);
    // The next stack to start removes directories whose owner is gone.
    const next = await startStack({ nats: true, host: false });
    await next.stop();
    expect(existsSync(dir)).toBe(false);
  });
});
