import { describe, expect, it } from 'vitest';
import { ExitCode } from './exit';
import { classify, urlOf, type Answer } from './http';
import { exitCodeOf, failureLines } from './problems';

const problem = (status: number, code: string, detail: string, more: Record<string, unknown> = {}) =>
  JSON.stringify({ type: `https://netbroker.dev/problems/${code}`, title: code, status, code, detail, ...more });
const PROBLEM = 'application/problem+json';

describe('an answer → stderr and the exit code', () => {
  it.each<[string, number, string | null, string, string[], number]>([
    ['a 404', 404, PROBLEM, problem(404, 'not-found', 'project web not found'), ['error: not-found: project web not found'], ExitCode.notFound],
    [
      'a 422 with its field errors',
      422,
      PROBLEM,
      problem(422, 'invalid-body', 'the body does not match the schema: cidr', { errors: [{ path: 'cidr', message: 'must be a CIDR with no host bits' }] }),
      ['error: invalid-body: the body does not match the schema: cidr', '  cidr: must be a CIDR with no host bits'],
      ExitCode.refused,
    ],
    [
      'a field error with a reason',
      422,
      PROBLEM,
      problem(422, 'invalid-kubeconfig', 'not accepted', { errors: [{ path: 'kubeconfig.users[0].user.exec', message: 'exec is not allowed', reason: 'forbidden-field' }] }),
      ['error: invalid-kubeconfig: not accepted', '  kubeconfig.users[0].user.exec: exec is not allowed [forbidden-field]'],
      ExitCode.refused,
    ],
    ['a 409', 409, PROBLEM, problem(409, 'overlaps-allocated', '10.20.0.0/24 overlaps'), ['error: overlaps-allocated: 10.20.0.0/24 overlaps'], ExitCode.refused],
    ['a 401', 401, PROBLEM, problem(401, 'unauthenticated', 'a valid bearer token is required'), ['error: unauthenticated: a valid bearer token is required'], ExitCode.refused],
    ['a 500 with its correlation id', 500, PROBLEM, problem(500, 'internal', 'unexpected error', { correlationId: 'c-1' }), ['error: internal: unexpected error', '  correlation id: c-1'], ExitCode.unavailable],
    ['a 502 from a proxy', 502, 'text/html', '<html>Bad Gateway</html>', ['error: http-502: the API answered 502 without a problem document: <html>Bad Gateway</html>'], ExitCode.unavailable],
    ['a 404 that is not a problem', 404, 'text/plain', '', ['error: http-404: the API answered 404 without a problem document'], ExitCode.notFound],
    ['a problem content type with a body that is not one', 400, PROBLEM, '{"oops":1}', ['error: http-400: the API answered 400 without a problem document: {"oops":1}'], ExitCode.refused],
  ])('%s', (_name, status, type, text, lines, code) => {
    const answer = classify(status, type, text) as Exclude<Answer, { kind: 'ok' }>;
    expect(failureLines(answer)).toEqual(lines);
    expect(exitCodeOf(answer)).toBe(code);
  });

  it('says when to retry a 503', () => {
    const answer = classify(503, PROBLEM, problem(503, 'ipam-unavailable', 'the address manager did not answer'), { retryAfter: '2' }) as Exclude<Answer, { kind: 'ok' }>;
    expect(failureLines(answer)).toEqual(['error: ipam-unavailable: the address manager did not answer', '  retry after 2 s']);
    expect(exitCodeOf(answer)).toBe(ExitCode.unavailable);
  });

  it('reports no answer as unavailable', () => {
    const answer: Answer = { kind: 'network', message: 'GET http://127.0.0.1:1/v1/projects: ECONNREFUSED' };
    expect(failureLines(answer)).toEqual(['error: unavailable: GET http://127.0.0.1:1/v1/projects: ECONNREFUSED']);
    expect(exitCodeOf(answer)).toBe(ExitCode.unavailable);
  });

  it('keeps a detail on one line', () => {
    const answer = classify(409, PROBLEM, problem(409, 'conflict', 'line one\n\u001b[31mred')) as Exclude<Answer, { kind: 'ok' }>;
    expect(failureLines(answer)).toEqual(['error: conflict: line one [31mred']);
  });

  it('reports a 304 to a request that was not conditional as an answer it cannot read (4)', () => {
    const answer = classify(304, null, '') as Exclude<Answer, { kind: 'ok' }>;
    expect(failureLines(answer)).toEqual(['error: unexpected-answer: the API answered 304 Not Modified to a request that was not conditional']);
    expect(exitCodeOf(answer)).toBe(ExitCode.unavailable);
  });

  it('reads a 2xx with its JSON body (and ETag), or none, and a 304 as not modified', () => {
    expect(classify(200, 'application/json', '{"items":[]}')).toEqual({ kind: 'ok', status: 200, body: { items: [] } });
    expect(classify(204, null, '')).toEqual({ kind: 'ok', status: 204, body: undefined });
    expect(classify(200, 'application/json', '{"name":"web"}', { etag: '"g7"' })).toEqual({ kind: 'ok', status: 200, body: { name: 'web' }, etag: '"g7"' });
    expect(classify(304, null, '', { etag: '"g7"' })).toEqual({ kind: 'not-modified', status: 304 });
  });
});

describe('urlOf', () => {
  it.each([
    ['http://127.0.0.1:8080', '/v1/projects', 'http://127.0.0.1:8080/v1/projects'],
    ['https://api.example.com/netbroker/', '/v1/projects', 'https://api.example.com/netbroker/v1/projects'],
  ])('%s + %s', (api, path, url) => {
    expect(urlOf(api, path)).toBe(url);
  });
});
