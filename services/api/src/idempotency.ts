import { IdempotencyKey, type IdempotencyRecord } from '@netbroker/contracts';
import { isConflict, type JsonKv } from '@netbroker/bus';
import { openSecret, sealSecret } from '@netbroker/runtime';
import { sha256Hex } from './auth';
import { isProblem, problem, type ProblemError } from './problems';

/** An HTTP answer as routes produce it, and as it is stored for replay. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const problemReply = (e: ProblemError): Reply => ({
  status: e.status,
  body: e.toProblem(),
  headers: { 'content-type': 'application/problem+json', ...e.extra.headers },
});

/** JSON with sorted keys: two bodies that differ only in key order or spacing hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface IdempotencyOptions {
  kv: JsonKv<typeof IdempotencyRecord>;
  /** Seals stored answers: a token-creating POST answers the token itself. */
  key: Buffer;
  now: () => Date;
  /** A pending record older than this belongs to a request that died: it may be taken over. */
  staleMs?: number;
}

/**
 * Idempotency-Key for POST: the first answer (2xx or 4xx) is stored under `<scope>.<sha256(key)>`
 * and replayed for the same request; another request with the same key is refused.
 */
export class Idempotency {
  constructor(private readonly opts: IdempotencyOptions) {}

  async run(scope: string, idempotencyKey: string, request: { method: string; url: string; body: unknown }, work: () => Promise<Reply>): Promise<Reply> {
    if (!IdempotencyKey.safeParse(idempotencyKey).success) {
      throw problem('invalid-parameter', 'the Idempotency-Key header must be 1-255 visible ASCII characters', {
        errors: [{ path: 'header.idempotency-key', message: 'must be 1-255 visible ASCII characters' }],
      });
    }
    const { kv, now } = this.opts;
    const key = `${scope}.${sha256Hex(idempotencyKey)}`;
    const requestHash = sha256Hex(`${request.method} ${request.url}\n${canonicalJson(request.body)}`);
    const pending: IdempotencyRecord = { v: 1, requestHash, state: 'pending', createdAt: now().toISOString() };

    let revision: number | undefined;
    for (let attempt = 0; revision === undefined; attempt++) {
      try {
        revision = await kv.create(key, pending);
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e;
        const existing = await kv.get(key);
        if (!existing) continue; // expired or abandoned in the meantime
        if (existing.value.requestHash !== requestHash) {
          throw problem('idempotency-key-reused', 'this Idempotency-Key was used with another request in the last 24 hours; use a new key');
        }
        if (existing.value.state === 'done') return this.replay(existing.value);
        const age = now().getTime() - Date.parse(existing.value.createdAt);
        if (age < (this.opts.staleMs ?? 60_000)) throw problem('idempotency-key-in-progress', 'a request with this Idempotency-Key is still being processed; retry later');
        revision = await kv.update(key, pending, existing.revision).catch((err: unknown) => {
          if (isConflict(err)) throw problem('idempotency-key-in-progress', 'a request with this Idempotency-Key is being processed; retry later');
          throw err;
        });
      }
    }

    let reply: Reply;
    try {
      reply = await work();
    } catch (e) {
      if (isProblem(e) && e.status < 500) reply = problemReply(e);
      else {
        // Nothing to replay: free the key for a retry (a failed cleanup just leaves a stale record).
        // If that fails too, the pending record goes stale and a retry takes it over.
        await kv.delete(key, revision).catch(() => undefined);
        throw e;
      }
    }
    const done: IdempotencyRecord = {
      ...pending,
      state: 'done',
      status: reply.status,
      ...(reply.headers ? { headers: reply.headers } : {}),
      ...(reply.body !== undefined ? { body: sealSecret(JSON.stringify(reply.body), this.opts.key) } : {}),
    };
    await kv.update(key, done, revision);
    return reply;
  }

  private replay(record: IdempotencyRecord): Reply {
    return {
      status: record.status ?? 200,
      headers: { ...record.headers, 'idempotent-replayed': 'true' },
      ...(record.body ? { body: JSON.parse(openSecret(record.body, this.opts.key)) as unknown } : {}),
    };
  }
}
