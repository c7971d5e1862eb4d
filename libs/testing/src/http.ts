import { request } from 'node:https';

export interface HttpsGetOptions {
  ca: string;
  token: string;
  timeoutMs?: number;
}

/** GET over TLS with a bearer token and a private CA: what readiness probes of an apiserver need. */
export function httpsGet(url: string, { ca, token, timeoutMs = 2_000 }: HttpsGetOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca, headers: { authorization: `Bearer ${token}` }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
