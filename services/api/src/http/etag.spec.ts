import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { carriesEtag, etagOf, etagOnSend, ifNoneMatchMatches } from './etag';

describe('carriesEtag', () => {
  it.each<[string, string, boolean]>([
    ['GET', '/v1/projects', true],
    ['GET', '/v1/projects?limit=5', true],
    ['GET', '/v1', true],
    ['GET', '/admin/pools/projects/map?cells=16', true],
    ['POST', '/v1/projects', false],
    ['PUT', '/admin/pools/projects', false],
    ['GET', '/openapi.json', false],
    ['GET', '/docs/static/index.html', false],
    ['GET', '/ui/app.js', false],
    ['GET', '/v10/projects', false],
    ['GET', '/administrators', false],
  ])('%s %s → %s', (method, url, expected) => {
    expect(carriesEtag(method, url)).toBe(expected);
  });
});

describe('etagOf', () => {
  it('is a quoted strong tag of 22 base64url characters', () => {
    expect(etagOf('{"items":[]}')).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
  });

  it('is the same for the same bytes, string or buffer, and differs with any byte', () => {
    expect(etagOf('{"a":1}')).toBe(etagOf(Buffer.from('{"a":1}')));
    expect(etagOf('{"a":1}')).not.toBe(etagOf('{"a":2}'));
    expect(etagOf('{"a":1}')).not.toBe(etagOf('{"a":1} '));
  });
});

describe('ifNoneMatchMatches', () => {
  const etag = '"abc"';
  it.each<[string, string | string[] | undefined, boolean]>([
    ['no header', undefined, false],
    ['the same tag', '"abc"', true],
    ['the same tag, weak (If-None-Match compares weakly)', 'W/"abc"', true],
    ['another tag', '"abd"', false],
    ['a list holding it', '"x", "abc" ,W/"y"', true],
    ['a list without it', '"x","y"', false],
    ['any tag', '*', true],
    ['any tag, padded', ' * ', true],
    ['a tag with a comma inside', '"a,bc", "abc"', true],
    ['the tag without quotes', 'abc', false],
    ['an empty header', '', false],
    ['two header lines', ['"x"', '"abc"'], true],
  ])('%s → %s', (_name, header, expected) => {
    expect(ifNoneMatchMatches(header, etag)).toBe(expected);
  });
});

describe('the onSend hook in fastify', () => {
  const app = Fastify();
  app.addHook('onSend', etagOnSend);
  app.get('/v1/things', async (_req, reply) => reply.type('application/json; charset=utf-8').send('{"items":[1]}'));
  app.get('/v1/missing', async (_req, reply) => reply.code(404).type('application/problem+json').send('{"code":"not-found"}'));
  app.get('/elsewhere', async (_req, reply) => reply.type('application/json').send('{}'));

  it('tags a 200 answer to a GET under /v1 and keeps it private and revalidated', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/things' });
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ etag: etagOf('{"items":[1]}'), 'cache-control': 'private, no-cache', vary: 'Authorization' });
    expect(res.body).toBe('{"items":[1]}');
  });

  it('answers 304 with the tag and no body when If-None-Match matches, 200 when it does not', async () => {
    const etag = etagOf('{"items":[1]}');
    const same = await app.inject({ method: 'GET', url: '/v1/things', headers: { 'if-none-match': etag } });
    expect(same.statusCode).toBe(304);
    expect(same.body).toBe('');
    expect(same.headers.etag).toBe(etag);
    expect(same.headers['content-type']).toBeUndefined();
    expect(same.headers['content-length']).toBeUndefined();
    const other = await app.inject({ method: 'GET', url: '/v1/things', headers: { 'if-none-match': '"stale"' } });
    expect(other.statusCode).toBe(200);
    expect(other.body).toBe('{"items":[1]}');
  });

  it.each([
    ['a problem', '/v1/missing'],
    ['a path outside /v1 and /admin', '/elsewhere'],
  ])('leaves %s untagged', async (_name, url) => {
    const res = await app.inject({ method: 'GET', url, headers: { 'if-none-match': '*' } });
    expect(res.statusCode).not.toBe(304);
    expect(res.headers.etag).toBeUndefined();
  });
});
