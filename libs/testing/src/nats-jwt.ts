import { createHash } from 'node:crypto';
import { nkeys } from '@nats-io/transport-node';

// NATS decentralised auth without nsc: an operator, its system account and one account with
// JetStream, and a user of that account, as JWTs signed with nkeys (the v2 claim format).

const UNLIMITED = -1;
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function jwt(issuer: nkeys.KeyPair, subject: string, name: string, nats: Record<string, unknown>, iat: number): string {
  const claims = { iat, iss: issuer.getPublicKey(), name, sub: subject, nats: { ...nats, version: 2 } };
  const jti = createHash('sha256').update(JSON.stringify(claims)).digest('base64url');
  const signed = `${base64url({ typ: 'JWT', alg: 'ed25519-nkey' })}.${base64url({ jti, ...claims })}`;
  return `${signed}.${Buffer.from(issuer.sign(Buffer.from(signed))).toString('base64url')}`;
}

export interface OperatorSetup {
  /** Lines for nats-server's configuration: operator, system account, preloaded account JWTs. */
  serverConfig: string;
  /** A user's .creds file: its JWT and nkey seed, the format `nsc` writes. */
  creds: string;
}

export function operatorSetup(now: Date): OperatorSetup {
  const iat = Math.floor(now.getTime() / 1000);
  const [operator, system, account, user] = [nkeys.createOperator(), nkeys.createAccount(), nkeys.createAccount(), nkeys.createUser()];
  const limits = { subs: UNLIMITED, data: UNLIMITED, payload: UNLIMITED, imports: UNLIMITED, exports: UNLIMITED, wildcards: true, conn: UNLIMITED, leaf: UNLIMITED };
  const jetstream = { mem_storage: UNLIMITED, disk_storage: UNLIMITED, streams: UNLIMITED, consumer: UNLIMITED };
  const accounts = {
    [system.getPublicKey()]: jwt(operator, system.getPublicKey(), 'SYS', { type: 'account' }, iat),
    [account.getPublicKey()]: jwt(operator, account.getPublicKey(), 'netbroker', { type: 'account', limits: { ...limits, ...jetstream } }, iat),
  };
  const userJwt = jwt(account, user.getPublicKey(), 'service', { type: 'user', pub: {}, sub: {}, subs: UNLIMITED, data: UNLIMITED, payload: UNLIMITED }, iat);
  const preload = Object.entries(accounts).map(([key, token]) => `  ${key}: ${token}`);
  return {
    serverConfig: [
      `operator: ${jwt(operator, operator.getPublicKey(), 'netbroker-test', { type: 'operator' }, iat)}`,
      `system_account: ${system.getPublicKey()}`,
      'resolver: MEMORY',
      `resolver_preload: {\n${preload.join('\n')}\n}`,
    ].join('\n'),
    creds: [
      '-----BEGIN NATS USER JWT-----', userJwt, '------END NATS USER JWT------', '',
      '-----BEGIN USER NKEY SEED-----', new TextDecoder().decode(user.getSeed()), '------END USER NKEY SEED------', '',
    ].join('\n'),
  };
}
