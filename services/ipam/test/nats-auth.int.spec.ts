import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNats, startService, type NatsServer, type ServiceProcess } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A service's main.ts passes the NATS credential and TLS files through (one code path in every
// service: busOptionsFrom), and never logs a secret. IPAM: the service with the fewest needs.

const token = randomBytes(18).toString('base64url');
let dir: string;
let nats: NatsServer;
let tokenFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-ipam-auth-'));
  nats = await startNats(dir, () => undefined, `nats-ipam-auth-${randomBytes(3).toString('hex')}`, undefined, { auth: { token }, tls: { verify: true } });
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, token);
});
afterAll(async () => {
  await nats?.proc.stop();
  rmSync(dir, { recursive: true, force: true });
});

const common = { HOST_SERVICE_CIDRS: '10.96.0.0/16', LOG_LEVEL: 'debug' };
// A refused start ends as soon as the process exits; the time-out only bounds a slow (loaded) start.
const startFailure = (name: string, env: Record<string, string>) =>
  startService({ service: 'ipam', name, env: { ...common, ...env }, timeoutMs: 45_000 }).then(
    async (service) => {
      await service.stop();
      throw new Error(`${name} started`);
    },
    (e: unknown) => (e as Error).message,
  );

describe('ipam with NATS credentials and TLS from files', () => {
  let ipam: ServiceProcess;
  afterAll(async () => {
    await ipam?.stop();
  });

  it('becomes ready with a token over mTLS, and never logs the token', async () => {
    const { caFile, clientCertFile, clientKeyFile } = nats.files;
    ipam = await startService({
      service: 'ipam',
      name: 'ipam-auth',
      env: { ...common, NATS_URL: nats.url, NATS_TOKEN_FILE: tokenFile, NATS_CA_FILE: caFile!, NATS_CERT_FILE: clientCertFile!, NATS_KEY_FILE: clientKeyFile! },
    });
    const log = ipam.proc.tail(10_000);
    expect(log).toContain('ipam ready');
    expect(log).not.toContain(token);
  });

  it('refuses to start with a token file it cannot read, naming NATS_TOKEN_FILE', async () => {
    const message = await startFailure('ipam-no-token', { NATS_URL: nats.url, NATS_TOKEN_FILE: join(dir, 'absent'), NATS_CA_FILE: nats.files.caFile! });
    expect(message).toMatch(/ConfigError: invalid configuration:\s+- NATS_TOKEN_FILE: cannot read .*absent \(ENOENT\)/);
  });

  it('refuses to start with credentials in NATS_URL, pointing at the *_FILE variables without logging them', async () => {
    const message = await startFailure('ipam-url-token', { NATS_URL: nats.url.replace('tls://', `tls://${token}@`) });
    expect(message).toMatch(/NATS_URL: carries credentials: put them in a file and set NATS_TOKEN_FILE/);
    expect(message).not.toContain(token);
  });
});
