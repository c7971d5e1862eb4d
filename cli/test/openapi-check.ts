import { calls, httpOf, pathParamsOf, type ApiRequest } from '../src/calls';

// Holds the CLI's requests to an OpenAPI document (the API's /openapi.json, or the same document
// built in-process): the operation exists under the call's name, and every path parameter, query
// parameter and body field the CLI sends is one the document declares. Pure: the document is given.

type Schema = Record<string, unknown>;
interface Operation {
  operationId?: string;
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

function deref(doc: OpenApiDocument, schema: Schema): Schema {
  let s = schema;
  for (let i = 0; typeof s.$ref === 'string' && i < 20; i++) {
    const id = s.$ref.replace('#/components/schemas/', '');
    const next = doc.components?.schemas?.[id];
    if (!next) throw new Error(`no component ${id}`);
    s = next;
  }
  return s;
}

/** Where `value` has a field `schema` does not declare: each as `path: why`. */
function undeclared(doc: OpenApiDocument, schema: Schema, value: unknown, path: string): string[] {
  const s = deref(doc, schema);
  const alternatives = [...((s.anyOf as Schema[]) ?? []), ...((s.oneOf as Schema[]) ?? [])];
  const own = { ...s, anyOf: undefined, oneOf: undefined };
  const ownProblems = s.type !== undefined || s.properties !== undefined || s.items !== undefined ? walk(doc, own, value, path) : [];
  if (alternatives.length === 0) return ownProblems;
  // A field is declared when one alternative, read together with the schema's own part (an
  // alternative may only narrow some of the own properties), declares all of it.
  const fits = alternatives.map((alt) => {
    const a = deref(doc, alt);
    if (a.properties === undefined || s.properties === undefined) return [...ownProblems, ...undeclared(doc, a, value, path)];
    return undeclared(doc, { ...own, ...a, properties: { ...(s.properties as Schema), ...(a.properties as Schema) } }, value, path);
  });
  return fits.find((p) => p.length === 0) ?? fits[0]!;
}

function walk(doc: OpenApiDocument, s: Schema, value: unknown, path: string): string[] {
  if (Array.isArray(value)) {
    if (!s.items) return s.type === 'array' ? [] : [`${path}: an array where the document has no items`];
    return value.flatMap((v, i) => undeclared(doc, s.items as Schema, v, `${path}[${i}]`));
  }
  if (typeof value === 'object' && value !== null) {
    const properties = (s.properties ?? {}) as Record<string, Schema>;
    return Object.entries(value).flatMap(([key, v]) => {
      const at = path ? `${path}.${key}` : key;
      if (properties[key]) return undeclared(doc, properties[key], v, at);
      if (s.additionalProperties && typeof s.additionalProperties === 'object') return undeclared(doc, s.additionalProperties as Schema, v, at);
      return [`${at}: not a property in the document`];
    });
  }
  return [];
}

/** Every way `request` departs from `doc` (empty: the document serves it as sent). */
export function checkRequest(doc: OpenApiDocument, request: ApiRequest): string[] {
  const call = calls[request.call];
  const where = `${request.call} (${call.method} ${call.path})`;
  const op = doc.paths[call.path]?.[call.method.toLowerCase()];
  if (!op) return [`${where}: not in the document`];
  const problems: string[] = [];
  if (op.operationId !== request.call) problems.push(`${where}: the document calls it ${op.operationId}`);
  const declared = (kind: string) => (op.parameters ?? []).filter((p) => p.in === kind).map((p) => p.name);
  if (pathParamsOf(call.path).sort().join() !== declared('path').sort().join()) {
    problems.push(`${where}: path parameters ${pathParamsOf(call.path).join(',')} vs the document's ${declared('path').join(',')}`);
  }
  for (const key of Object.keys(request.query ?? {})) if (!declared('query').includes(key)) problems.push(`${where}: query parameter ${key} not in the document`);
  const { body } = httpOf(request);
  const schema = op.requestBody?.content?.['application/json']?.schema;
  if (body !== undefined && !schema) problems.push(`${where}: sends a body the document does not take`);
  if (body === undefined && schema) problems.push(`${where}: sends no body where the document takes one`);
  if (body !== undefined && schema) problems.push(...undeclared(doc, schema, body, '').map((p) => `${where}: body ${p}`));
  return problems;
}
