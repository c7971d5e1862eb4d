import { startStack, type StackInfo } from '@netbroker/testing';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

/** One shared stack for the integration project: nats-server, etcd, host + 2 virtual apiservers. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const stack = await startStack({ virtualClusters: 2 });
  console.log(`[harness] nats, etcd, host + 2 virtual kube-apiservers ready in ${Date.now() - started} ms`);
  project.provide('stack', stack.info());
  return () => stack.stop();
}
