import { problemStatus, problemType, type FieldError, type Problem, type ProblemCode, type RouterErrorReason } from '@netbroker/contracts';
import { isIpamRefused, isIpamUnavailable } from '@netbroker/bus';
import type { z } from 'zod';

const titles: Record<Exclude<ProblemCode, RouterErrorReason>, string> = {
  'malformed-json': 'The body is not valid JSON',
  'bad-request': 'The request cannot be read',
  'invalid-body': 'The body does not match the schema',
  'invalid-parameter': 'A path, query or header parameter is invalid',
  'payload-too-large': 'The body is too large',
  'unsupported-media-type': 'Unsupported content type',
  'method-not-allowed': 'Method not allowed on this path',
  'uri-too-long': 'A path segment is too long',
  unauthenticated: 'Authentication required',
  forbidden: 'Not allowed with this token',
  'rate-limited': 'Too many requests',
  'quota-exceeded': 'Quota exceeded',
  'not-found': 'Not found',
  'unknown-reference': 'The body names an object that does not exist',
  'already-exists': 'Already exists',
  conflict: 'Concurrent modification',
  'name-too-long': 'Name too long',
  'tenant-not-empty': 'The tenant still has projects',
  'project-deleting': 'The project is being deleted',
  'invalid-kubeconfig': 'Invalid kubeconfig',
  'idempotency-key-reused': 'Idempotency-Key reused with another request',
  'idempotency-key-in-progress': 'A request with this Idempotency-Key is in progress',
  'invalid-mapping': 'Invalid service mapping',
  'import-not-allowed': 'Host namespace not allowed for import',
  'port-collision': 'Ports collide on a shared EIP',
  'pool-mismatch': 'Another pool than the shared EIP',
  'self-grant': 'An exposure cannot be granted to its own project',
  'invalid-cidr': 'Invalid CIDR',
  'wrong-family': 'Wrong address family',
  'prefix-too-large': 'Block too large',
  'prefix-too-small': 'Block too small',
  'outside-pool': 'Outside the pool',
  'overlaps-reserved': 'Overlaps a reserved range',
  'overlaps-allocated': 'Overlaps an allocated block',
  exhausted: 'Address pool exhausted',
  'unknown-pool': 'Unknown address pool',
  'pool-in-use': 'Pool in use',
  'invalid-request': 'Request refused by the address manager',
  'dependency-unavailable': 'A service the API depends on is unavailable',
  'ipam-unavailable': 'The address manager (ipam) is unavailable',
  unavailable: 'The router is unavailable',
  internal: 'Internal error',
};

/** The router's refusals (its reasons, passed through); one it adds later reads as the generic title. */
const routerTitles: Partial<Record<RouterErrorReason, string>> = {
  'invalid-route': 'Invalid route',
  'ipv6-unsupported': 'IPv6 is not supported',
  'default-route': 'The default route belongs to the egress',
  'overlaps-own-cidr': "Overlaps the project's CIDR",
  'overlaps-connected': 'Overlaps an attached private network',
  'overlaps-peer': 'Overlaps a peered network',
  'reserved-range': 'Overlaps a reserved range',
  'nexthop-not-connected': 'Next hop not on a connected network',
  'nexthop-on-peer-link': "Next hop on a peering's link",
  'invalid-nexthop': 'Invalid next hop',
  'conflicting-route': 'Two next hops for one destination',
  'route-quota': 'Too many routes',
  'self-peering': 'A project cannot peer with itself',
  'duplicate-peering': 'Already peered',
  'peering-quota': 'Too many peerings',
  'project-not-ready': 'The project has no CIDR yet',
  'link-pool-exhausted': 'No link network left',
  'invalid-link-address': 'Invalid link address',
  'unknown-project': 'Unknown project',
  'unknown-peering': 'Unknown peering',
  'unknown-private-network': 'Unknown private network',
  'private-network-not-allowed': 'Private network not allowed',
  'private-network-in-use': 'Private network in use',
  'invalid-private-network': 'Invalid private network',
  'invalid-attachment-address': 'Address not free on the private network',
  'private-network-full': 'No free address on the private network',
  'not-acceptable': 'The peering cannot be accepted',
};

const titleOf = (code: ProblemCode): string => (code in titles ? titles[code as keyof typeof titles] : (routerTitles[code as RouterErrorReason] ?? 'Refused by the router'));

/** An answer that is a problem: thrown anywhere below a route, turned into problem+json at the edge. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; correlationId?: string } = {},
    options?: ErrorOptions,
  ) {
    super(`${code}: ${detail}`, options);
  }

  get status(): number {
    return problemStatus[this.code];
  }

  toProblem(): Problem {
    return {
      type: problemType(this.code),
      title: titleOf(this.code),
      status: this.status,
      code: this.code,
      detail: this.detail,
      ...(this.extra.errors ? { errors: this.extra.errors } : {}),
      ...(this.extra.correlationId ? { correlationId: this.extra.correlationId } : {}),
    };
  }
}

export const isProblem = (e: unknown): e is ProblemError => e instanceof ProblemError;

export const problem = (code: ProblemCode, detail: string, extra?: ProblemError['extra']) => new ProblemError(code, detail, extra);

/** Seconds a client is asked to wait (Retry-After) when the address manager does not answer. */
export const IPAM_RETRY_AFTER_SECONDS = 5;

/**
 * The ipam client's failures as problems, for every route: a refusal is the problem of its reason
 * (`not-allocated` reads as not-found); no answer (time-out, nobody listening) is 503
 * `ipam-unavailable` with Retry-After. The address manager failing inside is no problem of the
 * request: it stays an unknown error, 500 `internal`, logged once with a correlation id.
 */
export function ipamProblem(e: unknown): unknown {
  if (isIpamRefused(e)) return new ProblemError(e.reason === 'not-allocated' ? 'not-found' : e.reason, e.detail, {}, { cause: e });
  if (isIpamUnavailable(e) && e.kind !== 'internal') {
    return new ProblemError('ipam-unavailable', 'the address manager (ipam) did not answer; retry later', { headers: { 'retry-after': String(IPAM_RETRY_AFTER_SECONDS) } }, { cause: e });
  }
  return e;
}

type Issue = z.ZodError['issues'][number];

/** The issues of a union's closest branch (fewest issues), under the union's own path. */
function closestBranch(issue: Extract<Issue, { code: 'invalid_union' }>): Issue[] | undefined {
  const branches = issue.errors.filter((b) => b.length > 0).sort((a, b) => a.length - b.length);
  return branches[0]?.map((nested) => ({ ...nested, path: [...issue.path, ...nested.path] }) as Issue);
}

/** Every zod issue as `{path, message}`; an unknown key is reported at its own path, a union by its closest branch. */
export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  const at = (path: readonly PropertyKey[]) => {
    const parts = [...(prefix ? [prefix] : []), ...path.map(String)];
    return parts.length ? parts.join('.') : '(root)';
  };
  const flatten = (issue: Issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => ({ path: at([...issue.path, k]), message: 'unknown field' }));
    if (issue.code === 'invalid_union') {
      const branch = closestBranch(issue);
      if (branch) return branch.flatMap(flatten);
    }
    return [{ path: at(issue.path), message: issue.message }];
  };
  return error.issues.flatMap(flatten);
}

export const notFound = (what: string) => problem('not-found', `${what} not found`);
