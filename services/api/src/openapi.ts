import * as contracts from '@netbroker/contracts';
import { Cidr, IdempotencyKey, IpAddress, Problem, problemStatus, type ProblemCode } from '@netbroker/contracts';
import { z } from 'zod';
import { carriesEtag, ETAG_CACHE_CONTROL } from './http/etag';
import { fillUrl, MAX_PATH_SEGMENT, type Route } from './http/route';

type Json = Record<string, unknown>;

/** Exported contract schemas by identity, so that components carry the contract's name. */
const contractNames = new Map<unknown, string>(
  Object.entries(contracts).flatMap(([name, value]) => (value instanceof z.ZodType ? [[value, name] as const] : [])),
);

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
export const openApiPath = (url: string) => fillUrl(url, (name) => `{${name}}`);
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** Methods whose requests may carry a body: the server reads one, if sent, even where the route takes none. */
const bodyMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every problem code a route can answer: the common ones from its auth, method, path and inputs,
 * plus its own.
 */
export function problemCodesOf(route: Route): ProblemCode[] {
  const codes = new Set<ProblemCode>(route.problems);
  const add = (...more: ProblemCode[]) => more.forEach((c) => codes.add(c));
  // Authentication reads the token records; every handler reads or writes the buses' buckets.
  if (route.auth !== 'public') add('unauthenticated', 'forbidden', 'dependency-unavailable');
  if (route.auth === 'tenant') add('rate-limited');
  if (bodyMethods.has(route.method)) add('malformed-json', 'payload-too-large', 'unsupported-media-type');
  if (route.body) add('invalid-body');
  if (route.query) add('invalid-parameter');
  // The router refuses a segment over its limit (414) or one that is not percent-encoded right (400).
  if (route.params) add(route.invalidParams === 'invalid-parameter' ? 'invalid-parameter' : 'not-found', 'uri-too-long', 'bad-request');
  if (route.method === 'POST') add('idempotency-key-reused', 'idempotency-key-in-progress', 'invalid-parameter');
  add('internal');
  return [...codes];
}

function withoutMeta(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** The JSON Schemas of a registry as OpenAPI components (no `$schema`/`$id` per schema). */
function components(registry: z.core.$ZodRegistry<{ id: string }>, io: 'input' | 'output'): Record<string, Json> {
  const { schemas } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, withoutMeta(schema as Json)]));
}

/** Schemas kept in one component each (large patterns): a parameter of one refers to it. */
const shared = new Set<unknown>([Cidr, IpAddress]);

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, prop]) => {
    const inner = prop instanceof z.ZodOptional ? (prop.unwrap() as z.ZodType) : prop;
    const description = prop.meta()?.description;
    return {
      name,
      in: where,
      required: where === 'path' || !prop.safeParse(undefined).success,
      ...(shared.has(inner) && description ? { description } : {}),
      schema: shared.has(inner) ? ref(contractNames.get(inner)!) : withoutMeta(z.toJSONSchema(prop, { io: 'input', unrepresentable: 'any' }) as Json),
    };
  });
}

/** What the server answers before any operation: part of the contract, stated once. */
const routingNote =
  `Every path below answers the methods listed for it and no other: any other method (HEAD, OPTIONS, TRACE, QUERY…) gets 405 \`method-not-allowed\` with an \`Allow\` header (components.responses.MethodNotAllowed); a path not listed gets 404 \`not-found\`. A path segment longer than ${MAX_PATH_SEGMENT} characters is 414 \`uri-too-long\`. Every error is application/problem+json with a \`code\` from Problem.code.`;

/** Conditional GETs, stated once; each GET under /v1 and /admin also lists its 304. */
const conditionalNote =
  `Every 200 answer to a GET under /v1 and /admin carries a strong \`ETag\` (a hash of the exact body bytes) and \`Cache-Control: ${ETAG_CACHE_CONTROL}\`; sent back in \`If-None-Match\`, it is answered 304 Not Modified with no body while the answer would be the same.`;

const etagHeader = { ETag: { required: true, schema: { type: 'string' }, description: 'A strong entity tag of the body: the same bytes, the same tag' } };

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

/**
 * The OpenAPI 3.1 document of a route table: every route with its security, parameters, body,
 * answers and problems, the schemas generated from the zod contracts.
 */
export function buildOpenApi(routes: Route[], info: OpenApiInfo): Json {
  const inputs = z.registry<{ id: string }>();
  const outputs = z.registry<{ id: string }>();
  const idOf = (registry: typeof inputs, schema: z.ZodType, fallback: string): string => {
    const existing = registry.get(schema)?.id;
    if (existing) return existing;
    const id = contractNames.get(schema) ?? fallback;
    registry.add(schema, { id });
    return id;
  };
  idOf(outputs, Problem, 'Problem');
  // Large patterns, one component each rather than one copy per field.
  idOf(inputs, Cidr, 'Cidr');
  idOf(inputs, IpAddress, 'IpAddress');

  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const op: Json = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      security: route.auth === 'admin' ? [{ adminToken: [] }] : route.auth === 'tenant' ? [{ tenantToken: [] }] : [],
    };
    const params = [...parameters(route.params, 'path'), ...parameters(route.query, 'query')];
    if (route.method === 'POST') {
      params.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Same key and request within 24 h: the first answer is replayed (header Idempotent-Replayed: true). The key with another request: 409 idempotency-key-reused.',
        schema: withoutMeta(z.toJSONSchema(IdempotencyKey, { io: 'input' }) as Json),
      });
    }
    const conditional = carriesEtag(route.method, route.url);
    if (conditional) {
      params.push({
        name: 'If-None-Match',
        in: 'header',
        required: false,
        description: 'The ETag of an earlier answer: 304 with no body while the answer is the same.',
        schema: { type: 'string' },
      });
    }
    if (params.length) op.parameters = params;
    if (route.body) {
      const id = idOf(inputs, route.body, `${capitalize(route.operationId)}Request`);
      const media = { schema: ref(id), ...(route.example !== undefined ? { example: route.example } : {}) };
      op.requestBody = {
        required: true,
        // The server reads a merge patch (RFC 7396) as JSON too.
        content: route.method === 'PATCH' ? { 'application/json': media, 'application/merge-patch+json': media } : { 'application/json': media },
      };
    }
    const responses: Record<string, Json> = {};
    for (const [status, doc] of Object.entries(route.responses)) {
      const answer: Json = { description: doc.description };
      if (doc.schema) answer.content = { 'application/json': { schema: ref(idOf(outputs, doc.schema, `${capitalize(route.operationId)}Response`)) } };
      if (doc.headers?.length) answer.headers = Object.fromEntries(doc.headers.map((h) => [h, { schema: { type: 'string' } }]));
      if (doc.links) answer.links = doc.links;
      if (conditional && status === '200') {
        answer.headers = { ...(answer.headers as Json | undefined), ...etagHeader, 'Cache-Control': { required: true, schema: { type: 'string', const: ETAG_CACHE_CONTROL } } };
      }
      responses[status] = answer;
    }
    if (conditional) responses['304'] = { description: 'Not Modified: If-None-Match names the ETag of the current answer; no body', headers: etagHeader };
    const byStatus = new Map<number, ProblemCode[]>();
    for (const code of problemCodesOf(route)) byStatus.set(problemStatus[code], [...(byStatus.get(problemStatus[code]) ?? []), code]);
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
      const answer: Json = { description: `Problem: ${codes.join(', ')}`, content: { 'application/problem+json': { schema: ref('Problem') } } };
      if (status === 401) answer.headers = { 'WWW-Authenticate': { schema: { type: 'string' } } };
      if (status === 429) answer.headers = { 'Retry-After': { schema: { type: 'integer' } } };
      const retried = codes.filter((c) => c === 'ipam-unavailable' || c === 'unavailable');
      if (retried.length) {
        answer.headers = { 'Retry-After': { schema: { type: 'integer' }, description: `With ${retried.join(', ')}: seconds after which to try again` } };
      }
      responses[String(status)] = answer;
    }
    op.responses = responses;
    (paths[openApiPath(route.url)] ??= {})[route.method.toLowerCase()] = op;
  }

  const inputSchemas = components(inputs, 'input');
  const outputSchemas = components(outputs, 'output');
  for (const id of Object.keys(inputSchemas)) if (id in outputSchemas) throw new Error(`schema ${id} is both a request and a response`);
  return {
    openapi: '3.1.0',
    info: { ...info, description: [info.description, routingNote, conditionalNote].filter(Boolean).join('\n\n') },
    paths,
    components: {
      schemas: { ...inputSchemas, ...outputSchemas },
      responses: {
        MethodNotAllowed: {
          description: 'Problem: method-not-allowed. The path exists but not with this method; `Allow` lists the methods it serves.',
          headers: { Allow: { schema: { type: 'string' }, description: 'e.g. `GET, POST`' } },
          content: { 'application/problem+json': { schema: ref('Problem') } },
        },
      },
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'The install’s admin token (NETBROKER_ADMIN_TOKEN): /admin routes only.' },
        tenantToken: { type: 'http', scheme: 'bearer', bearerFormat: 'nbt_…', description: 'A tenant token issued by an admin: /v1 routes only.' },
      },
    },
  };
}
