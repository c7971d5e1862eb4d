import { request } from 'node:https';

export interface HttpsGetOptions {
  ca: string;
  token: string;
  timeoutMs?: number;
}

/** GET over TLS with a bearer token and a private CA: what readiness probes of an apiserver need. */
export function httpsGet(url: string, opts: HttpsGetOptions): Promise<{ status: number; body: string }> {
  return httpsRequest('GET', url, opts);
}

export interface HttpsRequestOptions extends HttpsGetOptions {
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Any request over TLS with a bearer token and a private CA (an apiserver's raw endpoints: server-side apply with query flags client-node does not pass). */
export function httpsRequest(method: string, url: string, { ca, token, timeoutMs = 2_000, body, contentType, headers: extra }: HttpsRequestOptions): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { ...extra, authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) };
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
