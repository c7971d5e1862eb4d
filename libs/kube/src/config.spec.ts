import { Agent } from 'node:https';
import { describe, expect, it } from 'vitest';
import { TEST_CERT_B64, TEST_KEY_B64 } from './fixtures/pem';
import { PooledKubeConfig } from './config';

const configWith = (user: { token?: string; certData?: string; keyData?: string }) => {
  const kc = new PooledKubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: TEST_CERT_B64, skipTLSVerify: false }],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
};
const agentOf = async (kc: PooledKubeConfig) => (await kc.applyToFetchOptions({})).agent as Agent;

describe('PooledKubeConfig', () => {
  it('hands every request the same keep-alive agent', async () => {
    const kc = configWith({ token: 't' });
    const first = await agentOf(kc);
    expect(first).toBeInstanceOf(Agent);
    expect(await agentOf(kc)).toBe(first);
    expect((first as Agent & { keepAlive: boolean }).keepAlive).toBe(true);
    expect(first.options.ca).toEqual(Buffer.from(TEST_CERT_B64, 'base64'));
  });

  it('builds a new agent when the TLS material changes', async () => {
    const kc = configWith({ token: 't' });
    const before = await agentOf(kc);
    kc.users[0] = { ...kc.users[0]!, certData: TEST_CERT_B64, keyData: TEST_KEY_B64 };
    const after = await agentOf(kc);
    expect(after).not.toBe(before);
    expect(after.options.cert).toEqual(Buffer.from(TEST_CERT_B64, 'base64'));
  });
});
