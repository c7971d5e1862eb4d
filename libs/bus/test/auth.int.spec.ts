import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { busOptionsFrom, loadConfig, serviceEnv } from '@netbroker/runtime';
import { eventually, startNats, type NatsServer } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectBus, isBusConnectError, type NatsConnection } from '../src/index';

// A service's way to NATS with credentials and TLS from files (a mounted Secret), against real
// nats-servers: each auth mode and TLS on a server of its own.

const schema = z.object(serviceEnv);
let dir: string;
const servers: NatsServer[] = [];
const connections: NatsConnection[] = [];

/** What a service's main.ts does: parse the environment, map it, connect. */
async function connectAsService(env: NodeJS.ProcessEnv): Promise<NatsConnection> {
  const nc = await connectBus(busOptionsFrom(loadConfig(schema, env), 'auth-test'));
  connections.push(nc);
  return nc;
}

/** Connected as a service does its work: JetStream answers. */
async function jetstreamAnswers(nc: NatsConnection): Promise<void> {
  const info = await (await jetstreamManager(nc)).getAccountInfo();
  expect(info.limits).toBeDefined();
}

const refusal = async (connecting: Promise<unknown>) => {
  const error = await connecting.then(() => undefined, (e: unknown) => e);
  expect(error, 'expected the connection to be refused').toBeDefined();
  return error;
};

const secretFile = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const start = async (name: string, opts: Parameters<typeof startNats>[4]) => {
  const server = await startNats(dir, () => undefined, `nats-auth-${name}-${randomBytes(3).toString('hex')}`, undefined, opts);
  servers.push(server);
  return server;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-bus-auth-'));
});
afterAll(async () => {
  for (const nc of connections) await nc.close();
  for (const server of servers) await server.proc.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a token from NATS_TOKEN_FILE', () => {
  const token = randomBytes(18).toString('base64url');
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await start('token', { auth: { token } });
  });

  it('connects, with a trailing newline in the file as kubectl writes it', async () => {
    const nc = await connectAsService({ NATS_URL: nats.url, NATS_TOKEN_FILE: secretFile('token', `${token}\n`) });
    await jetstreamAnswers(nc);
  });

  it('is refused without a token, or with another, as an authorization BusConnectError', async () => {
    for (const env of [{ NATS_URL: nats.url }, { NATS_URL: nats.url, NATS_TOKEN_FILE: secretFile('wrong-token', 'not-the-token') }]) {
      const error = await refusal(connectAsService(env));
      expect(isBusConnectError(error) && error.kind).toBe('authorization');
      expect((error as Error).message).toMatch(/refused the credentials \(Authorization Violation\)/);
      expect((error as Error).message).not.toContain(token);
    }
  });

  it('is read again at each reconnect: a rotated file is used without a restart, and refusals meanwhile do not end the connection', async () => {
    const file = secretFile('rotating-token', token);
    const nc = await connectAsService({ NATS_URL: nats.url, NATS_TOKEN_FILE: file });
    const seen: string[] = [];
    void (async () => {
      for await (const s of nc.status()) seen.push(s.type === 'error' ? `error:${s.error.name}` : s.type);
    })();
    writeFileSync(file, 'rotated-too-early');
    nc.reconnect();
    await eventually(() => expect(seen.filter((s) => s === 'error:AuthorizationError').length).toBeGreaterThanOrEqual(3));
    expect(nc.isClosed()).toBe(false);
    writeFileSync(file, token);
    await eventually(() => expect(seen).toContain('reconnect'));
    await jetstreamAnswers(nc);
  });
});

describe('a user with NATS_PASSWORD_FILE', () => {
  const password = randomBytes(18).toString('base64url');
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await start('user', { auth: { users: [{ user: 'svc', password }] } });
  });

  it('connects with the password from the file', async () => {
    await jetstreamAnswers(await connectAsService({ NATS_URL: nats.url, NATS_USER: 'svc', NATS_PASSWORD_FILE: secretFile('password', password) }));
  });

  it('is refused with another password', async () => {
    const error = await refusal(connectAsService({ NATS_URL: nats.url, NATS_USER: 'svc', NATS_PASSWORD_FILE: secretFile('wrong-password', 'nope') }));
    expect(isBusConnectError(error) && error.kind).toBe('authorization');
  });
});

describe('a .creds file from NATS_CREDS_FILE (operator, account and user JWTs)', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await start('creds', { auth: { operator: true } });
  });

  it("connects as the account's user, with JetStream", async () => {
    await jetstreamAnswers(await connectAsService({ NATS_URL: nats.url, NATS_CREDS_FILE: nats.files.credsFile! }));
  });

  it('connects with a .creds file that lost its last newline (a Secret made with --from-literal)', async () => {
    const text = readFileSync(nats.files.credsFile!, 'utf8').trimEnd();
    await jetstreamAnswers(await connectAsService({ NATS_URL: nats.url, NATS_CREDS_FILE: secretFile('trimmed.creds', text) }));
  });

  it('is refused without it', async () => {
    const error = await refusal(connectAsService({ NATS_URL: nats.url }));
    expect(isBusConnectError(error) && error.kind).toBe('authorization');
  });
});

describe('TLS', () => {
  let nats: NatsServer;
  let mtls: NatsServer;
  beforeAll(async () => {
    [nats, mtls] = await Promise.all([start('tls', { tls: {} }), start('mtls', { tls: { verify: true } })]);
  });

  it('connects to a tls:// URL trusting the CA of NATS_CA_FILE', async () => {
    expect(nats.url).toMatch(/^tls:\/\//);
    await jetstreamAnswers(await connectAsService({ NATS_URL: nats.url, NATS_CA_FILE: nats.files.caFile! }));
  });

  it('connects to a nats:// URL of a server that requires TLS, with NATS_CA_FILE', async () => {
    await jetstreamAnswers(await connectAsService({ NATS_URL: nats.url.replace('tls://', 'nats://'), NATS_CA_FILE: nats.files.caFile! }));
  });

  it('fails with a certificate error without the CA, or with another CA', async () => {
    const otherCa = (await start('other-ca', { tls: {} })).files.caFile!;
    for (const env of [{ NATS_URL: nats.url }, { NATS_URL: nats.url, NATS_CA_FILE: otherCa }]) {
      const error = await refusal(connectAsService(env));
      expect(isBusConnectError(error) && error.kind).toBe('tls');
      expect((error as Error).message).toMatch(/unable to verify the first certificate|self[- ]signed|certificate/i);
    }
  });

  it('presents the client certificate of NATS_CERT_FILE and NATS_KEY_FILE to a server that verifies clients', async () => {
    const env = { NATS_URL: mtls.url, NATS_CA_FILE: mtls.files.caFile!, NATS_CERT_FILE: mtls.files.clientCertFile!, NATS_KEY_FILE: mtls.files.clientKeyFile! };
    await jetstreamAnswers(await connectAsService(env));
  });

  // nats.js sees the server's alert only as its connect timing out (20 s).
  it('is refused by that server without a client certificate', async () => {
    await refusal(connectAsService({ NATS_URL: mtls.url, NATS_CA_FILE: mtls.files.caFile! }));
  });
});

describe('configuration', () => {
  it('refuses a URL with credentials before connecting anywhere', () => {
    expect(() => loadConfig(schema, { NATS_URL: 'nats://svc:hunter2@127.0.0.1:4222' })).toThrow(/NATS_URL: carries credentials.*NATS_TOKEN_FILE/);
  });

  it('refuses a token file that cannot be read, naming the variable', () => {
    expect(() => busOptionsFrom(loadConfig(schema, { NATS_URL: 'nats://127.0.0.1:4222', NATS_TOKEN_FILE: join(dir, 'absent') }), 'auth-test')).toThrow(
      /NATS_TOKEN_FILE: cannot read .*absent \(ENOENT\)/,
    );
  });
});
