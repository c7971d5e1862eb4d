import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problem } from '../problems';
import { etagOf, ifNoneMatchMatches } from './etag';

// The web portal's static files under /ui/ (docs/adr/0008-portal-served-by-the-api.md): no
// server-side rendering, no API of its own — the portal calls the public API with the user's
// bearer token, same origin. Outside the route table: not an API operation, not in the OpenAPI
// document.

/** Every answer under /ui: what the page may load and run (nothing inline, nothing foreign). */
export const PORTAL_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** What esbuild writes into assets/: `<name>-<8-character content hash>.<js|css>[.map]`. */
const HASHED_ASSET = /^[A-Za-z0-9_]+-[A-Z0-9]{8}\.(js|css)(\.map)?$/;

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

/**
 * Where the built portal is: PORTAL_DIR when set; else `../portal` beside the api's bundle
 * (dist/api/main.mjs → dist/portal, in the image and after `npm run build`), else the repo's
 * dist/portal when the api runs from its sources.
 */
export function portalDir(configured: string | undefined, moduleUrl: string = import.meta.url): string {
  if (configured) return configured;
  const candidates = [fileURLToPath(new URL('../portal/', moduleUrl)), fileURLToPath(new URL('../../../../dist/portal/', moduleUrl))];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

const notBuilt = (dir: string) =>
  problem('not-found', `the portal is not built: run \`npm run build\` (it writes dist/portal), or set PORTAL_DIR to a built portal (looked in ${dir})`);

async function readOrUndefined(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Serves the portal: `/ui` → `/ui/`, `/ui/` the page (`no-cache`, revalidated by ETag), the
 * hashed assets `immutable` for a year. Files are read when asked for, so a rebuild is served at
 * once; a portal that was never built answers 404 with a problem saying so, the API unaffected.
 */
export async function portal(app: FastifyInstance, opts: { dir: string }): Promise<void> {
  app.addHook('onSend', async (_req, reply) => {
    for (const [name, value] of Object.entries(PORTAL_HEADERS)) reply.header(name, value);
  });

  // Relative, so it holds behind a proxy that serves the API under a path prefix.
  app.get('/ui', async (_req, reply) => reply.code(301).header('location', 'ui/').send());

  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    const html = await readOrUndefined(join(opts.dir, 'index.html'));
    if (!html) throw notBuilt(opts.dir);
    const etag = etagOf(html);
    reply.header('cache-control', 'no-cache').header('etag', etag);
    if (ifNoneMatchMatches(req.headers['if-none-match'], etag)) return reply.code(304).send();
    return reply.type('text/html; charset=utf-8').send(html);
  };
  app.get('/ui/', page);
  app.get('/ui/index.html', page);

  app.get<{ Params: { file: string } }>('/ui/assets/:file', async (req, reply) => {
    const { file } = req.params;
    const content = HASHED_ASSET.test(file) ? await readOrUndefined(join(opts.dir, 'assets', file)) : undefined;
    if (!content) {
      if (!existsSync(join(opts.dir, 'index.html'))) throw notBuilt(opts.dir);
      throw problem('not-found', `no portal file ${file.slice(0, 100)}`);
    }
    // The name changes with the content: it never needs asking again.
    return reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .type(TYPES[file.split('.').pop()!]!)
      .send(content);
  });
  // Anything else under /ui: a problem, with the headers above.
  app.get('/ui/*', async (req) => {
    throw problem('not-found', `no portal file ${req.url.split('?')[0]!.slice(0, 200)}`);
  });
}
