import type { Problem } from '@netbroker/contracts';
import { httpOf, type ApiRequest } from './calls';

/** Where requests go and with which token (a context, or the environment). */
export interface Target {
  api: string;
  token: string;
}

/** What came back, classified: what the CLI prints and its exit code follow from it. */
export type Answer =
  /** A success; `etag` when the API tagged the representation (a GET). */
  | { kind: 'ok'; status: number; body: unknown; etag?: string | undefined }
  /** 304: the representation is still the one of the ETag the request sent in If-None-Match. */
  | { kind: 'not-modified'; status: 304 }
  /** An application/problem+json answer (every error the API itself gives). */
  | { kind: 'problem'; status: number; problem: Problem; retryAfter?: string | undefined }
  /** An error that is not the API's problem+json (a proxy's 502 page, …). */
  | { kind: 'http'; status: number; text: string }
  /** No answer: connection refused, DNS, TLS, time-out, a redirect. */
  | { kind: 'network'; message: string };

const USER_AGENT = 'netbroker-cli/0.1.0';
/** How long one request may take before it counts as unavailable. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** The full URL of a request: the API base (any path prefix kept, trailing slashes dropped) and the call's path. */
export const urlOf = (api: string, path: string): string => `${api.replace(/\/+$/, '')}${path}`;

function isProblem(v: unknown): v is Problem {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  return typeof p.code === 'string' && typeof p.status === 'number' && typeof p.detail === 'string';
}

/** The headers of an answer the CLI reads. */
export interface AnswerHeaders {
  retryAfter?: string | null | undefined;
  etag?: string | null | undefined;
}

/** An answer from its status, content type, text and headers. Pure. */
export function classify(status: number, contentType: string | null, text: string, headers: AnswerHeaders = {}): Answer {
  if (status === 304) return { kind: 'not-modified', status };
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const { retryAfter, etag } = headers;
  if (status >= 200 && status < 300) return { kind: 'ok', status, body, ...(etag ? { etag } : {}) };
  if (contentType?.startsWith('application/problem+json') && isProblem(body)) {
    return { kind: 'problem', status, problem: body, ...(retryAfter ? { retryAfter } : {}) };
  }
  return { kind: 'http', status, text: text.slice(0, 200) };
}

/**
 * Sends one request. The token goes in the Authorization header only; redirects are refused (a
 * redirect could carry the request, token included, elsewhere). With `ifNoneMatch` (an ETag the
 * API gave), a 304 answer is `not-modified`; `idempotencyKey` goes in Idempotency-Key. Never throws for a failed request: the answer says
 * what happened.
 */
export async function send(
  fetchFn: typeof fetch,
  target: Target,
  req: ApiRequest,
  opts: { ifNoneMatch?: string | undefined; idempotencyKey?: string | undefined } = {},
): Promise<Answer> {
  const { method, path, body } = httpOf(req);
  const headers: Record<string, string> = { authorization: `Bearer ${target.token}`, accept: 'application/json', 'user-agent': USER_AGENT };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.ifNoneMatch !== undefined) headers['if-none-match'] = opts.ifNoneMatch;
  if (opts.idempotencyKey !== undefined) headers['idempotency-key'] = opts.idempotencyKey;
  const url = urlOf(target.api, path);
  try {
    const res = await fetchFn(url, {
      method,
      headers,
      redirect: 'error',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return classify(res.status, res.headers.get('content-type'), text, { retryAfter: res.headers.get('retry-after'), etag: res.headers.get('etag') });
  } catch (e) {
    return { kind: 'network', message: `${method} ${urlOf(target.api, path.split('?')[0]!)}: ${networkReason(e)}` };
  }
}

/** Why a fetch failed, in words (undici hides the reason in `cause`). */
function networkReason(e: unknown): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = e instanceof Error ? (e.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  if (cause?.message) return cause.message;
  return e instanceof Error ? e.message : String(e);
}
