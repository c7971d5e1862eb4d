// The portal's only way to the API: same origin, the token as `Authorization: Bearer` and nowhere
// else, problem+json read into ApiError. Each view reads through a Reader of its own, which
// remembers the last ETag and body per path and sends If-None-Match: a 304 answers the remembered
// body, marked unchanged (polling costs the server no serialisation and the page no re-render).
// A new view starts with an empty memory, so its first read is always a full answer. Without
// ETags every answer simply counts as changed.

import type { FieldError, Problem } from './types';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail);
  }
  get code(): string {
    return this.problem.code;
  }
  get errors(): FieldError[] {
    return this.problem.errors ?? [];
  }
}

export const isApiError = (e: unknown, status?: number): e is ApiError => e instanceof ApiError && (status === undefined || e.status === status);

/** A GET's answer: the body, and whether it differs from the previous answer to the same path. */
export interface Fetched<T> {
  body: T;
  changed: boolean;
}

export interface ApiOptions {
  token: () => string | undefined;
  /** Called on 401: the token is gone or revoked. */
  onUnauthenticated: (e: ApiError) => void;
  /** Called when a request starts (true) and when the last one ends (false): the page's busy state. */
  onBusy?: (busy: boolean) => void;
}

async function problemOf(res: Response): Promise<Problem> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body = (await res.json()) as Partial<Problem>;
      if (typeof body.code === 'string' && typeof body.detail === 'string') return body as Problem;
    } catch {
      // not JSON after all: described below
    }
  }
  return { type: 'about:blank', title: res.statusText || 'Error', status: res.status, code: 'internal', detail: `the API answered ${res.status} ${res.statusText}` };
}

export class Api {
  private pending = 0;

  constructor(private readonly opts: ApiOptions) {}

  /** A reader for one view: its own memory of ETags, and the writes. */
  reader(): Reader {
    return new Reader(this);
  }

  /** @internal One request with the token; the page's busy state around it. */
  async request(method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
    const token = this.opts.token();
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...init.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (this.pending++ === 0) this.opts.onBusy?.(true);
    try {
      // no-store: this code handles revalidation itself (a 304 must reach it), and no answer
      // holding tenant data is kept in the browser's HTTP cache.
      return await fetch(path, {
        method,
        headers,
        cache: 'no-store',
        credentials: 'omit',
        redirect: 'error',
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
    } finally {
      if (--this.pending === 0) this.opts.onBusy?.(false);
    }
  }

  /** @internal Throws the answer's problem (and reports a 401). */
  async fail(res: Response): Promise<never> {
    const error = new ApiError(res.status, await problemOf(res));
    if (res.status === 401) this.opts.onUnauthenticated(error);
    throw error;
  }

  /** A write; the answer's body (undefined for 204 and bodiless 202s). */
  async send<T = unknown>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T | undefined> {
    const res = await this.request(method, path, { body, headers });
    if (!res.ok) return this.fail(res);
    const text = await res.text();
    return text ? (JSON.parse(text) as T) : undefined;
  }
}

/** Reads for one view (revalidated against what this view last saw) and writes. */
export class Reader {
  private readonly remembered = new Map<string, { etag: string; body: unknown }>();

  constructor(private readonly api: Api) {}

  send<T = unknown>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T | undefined> {
    return this.api.send<T>(method, path, body, headers);
  }

  /** A GET, revalidated with the ETag of this reader's last answer to the same path. */
  async get<T>(path: string): Promise<Fetched<T>> {
    const known = this.remembered.get(path);
    const res = await this.api.request('GET', path, known ? { headers: { 'if-none-match': known.etag } } : {});
    if (res.status === 304 && known) return { body: known.body as T, changed: false };
    if (!res.ok) {
      this.remembered.delete(path);
      return this.api.fail(res);
    }
    const body = (await res.json()) as T;
    const etag = res.headers.get('etag');
    if (etag) this.remembered.set(path, { etag, body });
    else this.remembered.delete(path);
    return { body, changed: true };
  }

  /**
   * Every item of a list, following `continue` (pages of 500, the API's largest): the first page
   * revalidated by ETag, the list unchanged only when that page is and there is no other.
   */
  async list<T>(path: string): Promise<Fetched<T[]>> {
    const sep = path.includes('?') ? '&' : '?';
    const first = await this.get<{ items: T[]; continue?: string }>(`${path}${sep}limit=500`);
    if (first.body.continue === undefined) return { body: first.body.items, changed: first.changed };
    const items = [...first.body.items];
    let next: string | undefined = first.body.continue;
    while (next !== undefined) {
      const page: Fetched<{ items: T[]; continue?: string }> = await this.get(`${path}${sep}limit=500&continue=${encodeURIComponent(next)}`);
      items.push(...page.body.items);
      next = page.body.continue;
    }
    return { body: items, changed: true };
  }
}

/** A read's answer, or undefined when the API answers 404 (the thing is absent); other failures are thrown. */
export async function unlessAbsent<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (e) {
    if (!isApiError(e, 404)) throw e;
    return undefined;
  }
}
