import { randomUUID } from 'node:crypto';
import {
  CreatedToken,
  CreateTenantRequest,
  CreateTokenRequest,
  ListQuery,
  pageOf,
  Quotas,
  Tenant,
  TenantList,
  TenantName,
  TokenId,
  tenantSubjects,
  TokenList,
  UpdateTenantRequest,
  type TenantEvent,
  type TenantRecord,
  type TokenRecord,
} from '@netbroker/contracts';
import { isConflict } from '@netbroker/bus';
import { actorOf, newTenantToken } from '../auth';
import { updateWithRetry } from '../cas';
import { notFound, problem } from '../problems';
import { defineRoute, json, links, noContent, PAGE_DESCRIPTION, pathParams } from './route';

const tenantPath = pathParams({ tenant: TenantName });

export function tenantView(r: TenantRecord): Tenant {
  return {
    name: r.name,
    ...(r.displayName !== undefined ? { displayName: r.displayName } : {}),
    uid: r.uid,
    createdAt: r.createdAt,
    quotas: r.quotas,
    hostnameSuffixes: r.hostnameSuffixes,
    importNamespaces: r.importNamespaces,
    ...(r.projectPool !== undefined ? { projectPool: r.projectPool } : {}),
  };
}


export const tenantRoutes = [
  defineRoute({
    method: 'POST',
    url: '/admin/tenants',
    auth: 'admin',
    operationId: 'createTenant',
    summary: 'Create a tenant',
    tag: 'admin',
    body: CreateTenantRequest,
    example: { name: 'acme', displayName: 'ACME Corp', quotas: { maxProjects: 20, maxAddressesPerPool: { projects: 4096 } } },
    responses: {
      201: {
        description: 'Created',
        schema: Tenant,
        headers: ['location'],
        links: links({ tenant: '$response.body#/name' }, 'getTenant', 'updateTenant', 'createTenantToken', 'listTenantTokens', 'deleteTenant'),
      },
    },
    problems: ['already-exists'],
    async handler({ body, deps, principal }) {
      const record: TenantRecord = {
        v: 1,
        name: body.name,
        ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
        uid: randomUUID(),
        createdAt: deps.now().toISOString(),
        quotas: body.quotas ?? Quotas.parse({}),
        hostnameSuffixes: body.hostnameSuffixes ?? [],
        importNamespaces: [],
        ...(body.projectPool !== undefined ? { projectPool: body.projectPool } : {}),
      };
      try {
        await deps.store.tenants.create(record.name, record);
      } catch (e) {
        if (isConflict(e)) throw problem('already-exists', `tenant ${record.name} already exists`);
        throw e;
      }
      const event: TenantEvent = { v: 1, tenant: record.name, uid: record.uid, actor: actorOf(principal) };
      await deps.facts.publish(tenantSubjects.created, event, `${record.uid}:created`);
      return json(201, tenantView(record), { location: `/admin/tenants/${record.name}` });
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/admin/tenants',
    auth: 'admin',
    operationId: 'listTenants',
    summary: 'List tenants',
    tag: 'admin',
    query: ListQuery,
    responses: { 200: { description: `Tenants by name. ${PAGE_DESCRIPTION}`, schema: TenantList } },
    async handler({ query, deps }) {
      const page = pageOf(deps.view.tenantNames(), query);
      const items = page.keys.flatMap((name) => {
        const record = deps.view.tenants.get(name);
        return record ? [tenantView(record)] : [];
      });
      return json(200, { items, ...page.next } satisfies TenantList);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/admin/tenants/:tenant',
    auth: 'admin',
    operationId: 'getTenant',
    summary: 'Get a tenant',
    tag: 'admin',
    params: tenantPath,
    responses: { 200: { description: 'The tenant', schema: Tenant } },
    problems: ['not-found'],
    async handler({ params, deps }) {
      const found = deps.view.tenant(params.tenant);
      if (!found) throw notFound(`tenant ${params.tenant}`);
      return json(200, tenantView(found));
    },
  }),
  defineRoute({
    method: 'PATCH',
    url: '/admin/tenants/:tenant',
    auth: 'admin',
    operationId: 'updateTenant',
    summary: 'Change a tenant (merge patch: null clears displayName or projectPool)',
    tag: 'admin',
    params: tenantPath,
    body: UpdateTenantRequest,
    example: { quotas: { maxProjects: 100 }, hostnameSuffixes: ['acme.example.com'] },
    responses: { 200: { description: 'The tenant after the change', schema: Tenant } },
    problems: ['not-found', 'conflict'],
    async handler({ params, body, deps }) {
      const updated = await updateWithRetry(deps.store.tenants, params.tenant, ({ value }) => {
        const next: TenantRecord = {
          ...value,
          quotas: { ...value.quotas, ...body.quotas },
          ...(body.hostnameSuffixes !== undefined ? { hostnameSuffixes: body.hostnameSuffixes } : {}),
          ...(body.importNamespaces !== undefined ? { importNamespaces: body.importNamespaces } : {}),
        };
        if (body.displayName === null) delete next.displayName;
        else if (body.displayName !== undefined) next.displayName = body.displayName;
        if (body.projectPool === null) delete next.projectPool;
        else if (body.projectPool !== undefined) next.projectPool = body.projectPool;
        return next;
      });
      if (!updated) throw notFound(`tenant ${params.tenant}`);
      return json(200, tenantView(updated.after));
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/admin/tenants/:tenant',
    auth: 'admin',
    operationId: 'deleteTenant',
    summary: 'Delete a tenant without projects, and its tokens',
    tag: 'admin',
    params: tenantPath,
    responses: { 204: { description: 'Deleted' } },
    problems: ['not-found', 'tenant-not-empty'],
    async handler({ params, deps, principal }) {
      const { store } = deps;
      const found = await store.tenants.get(params.tenant);
      if (!found) throw notFound(`tenant ${params.tenant}`);
      const projects = deps.view.projectNames(params.tenant);
      if (projects.length > 0) throw problem('tenant-not-empty', `tenant ${params.tenant} still has ${projects.length} project(s); delete them first`);
      try {
        await store.tenants.delete(params.tenant, found.revision);
      } catch (e) {
        if (isConflict(e)) throw problem('conflict', `tenant ${params.tenant} changed meanwhile; retry`);
        throw e;
      }
      for (const [hash] of deps.view.tokensOf(params.tenant)) await store.tokens.delete(hash);
      const event: TenantEvent = { v: 1, tenant: params.tenant, uid: found.value.uid, actor: actorOf(principal) };
      await deps.facts.publish(tenantSubjects.deleted, event, `${found.value.uid}:deleted`);
      return noContent();
    },
  }),

  // --- tokens ---
  defineRoute({
    method: 'POST',
    url: '/admin/tenants/:tenant/tokens',
    auth: 'admin',
    operationId: 'createTenantToken',
    summary: 'Issue a tenant token (shown only in this answer)',
    tag: 'admin',
    params: tenantPath,
    body: CreateTokenRequest,
    example: { name: 'ci' },
    responses: {
      201: {
        description: 'The token; store it now, it is never shown again',
        schema: CreatedToken,
        links: links({ tenant: '$request.path.tenant', id: '$response.body#/id' }, 'revokeTenantToken'),
      },
    },
    problems: ['not-found'],
    async handler({ params, body, deps }) {
      if (!deps.view.tenant(params.tenant)) throw notFound(`tenant ${params.tenant}`);
      const { token, hash, id } = newTenantToken();
      const record: TokenRecord = { v: 1, id, tenant: params.tenant, name: body.name, createdAt: deps.now().toISOString() };
      await deps.store.tokens.create(hash, record);
      return json(201, { id, name: record.name, createdAt: record.createdAt, token } satisfies CreatedToken);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/admin/tenants/:tenant/tokens',
    auth: 'admin',
    operationId: 'listTenantTokens',
    summary: "List a tenant's tokens (never the tokens themselves)",
    tag: 'admin',
    params: tenantPath,
    query: ListQuery,
    responses: { 200: { description: `The tokens, oldest first. ${PAGE_DESCRIPTION}`, schema: TokenList } },
    problems: ['not-found'],
    async handler({ params, query, deps }) {
      if (!deps.view.tenant(params.tenant)) throw notFound(`tenant ${params.tenant}`);
      // Sorted by creation, then id: the sort key is both, so a page resumes between equal times.
      const byKey = new Map(deps.view.tokensOf(params.tenant).map(([, t]) => [`${t.createdAt} ${t.id}`, t]));
      const page = pageOf([...byKey.keys()].sort(), query);
      const items = page.keys.map((k) => byKey.get(k)!).map((t) => ({ id: t.id, name: t.name, createdAt: t.createdAt }));
      return json(200, { items, ...page.next } satisfies TokenList);
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/admin/tenants/:tenant/tokens/:id',
    auth: 'admin',
    operationId: 'revokeTenantToken',
    summary: 'Revoke a tenant token (at once)',
    tag: 'admin',
    params: pathParams({ tenant: TenantName, id: TokenId }),
    responses: { 204: { description: 'Revoked' } },
    problems: ['not-found'],
    async handler({ params, deps }) {
      const token = deps.view.tokensOf(params.tenant).find(([, t]) => t.id === params.id);
      if (!token) throw notFound(`token ${params.id} of tenant ${params.tenant}`);
      await deps.store.tokens.delete(token[0]);
      return noContent();
    },
  }),
];
