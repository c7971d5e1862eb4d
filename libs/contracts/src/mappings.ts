import { z } from 'zod';
import { Name } from './ipam';
import { listOf } from './paging';
import { dnsLabel, text } from './text';

// Service mappings between a project's host namespace and its virtual cluster (vcluster's
// `mapServices` / `networking.replicateServices`): records in KV, status, API shapes and facts.

export const mappingBuckets = { mappings: 'mappings', status: 'mapping-status' } as const;
export const mappingSubjects = { created: 'evt.mapping.created', deleted: 'evt.mapping.deleted' } as const;

/** `<tenant>.<project>.<id>`: the key of a mapping in both buckets and the mapper's work-queue key. */
export const mappingKey = (tenant: string, project: string, id: string) => `${tenant}.${project}.${id}`;

export const MappingDirection = z.enum(['fromHost', 'fromVirtual']);
export type MappingDirection = z.infer<typeof MappingDirection>;

/** netbroker's own shape. fromHost: `from` `name` or `ns/name`, `to` `ns/name`; fromVirtual: `from` `ns/name`, `to` a bare name. */
export const MappingSpec = z
  .object({
    direction: MappingDirection,
    from: z.string().min(1).max(253),
    to: z.string().min(1).max(253),
  })
  .strict();
export type MappingSpec = z.infer<typeof MappingSpec>;

const objectName = (form: string) => z.string().regex(new RegExp(`^${form.replaceAll('label', dnsLabel(63))}$`), `must be ${form.replaceAll('label', 'a DNS-1123 label')}`);

/** fromHost: `from` a Service of the host (`name` in the project's host namespace, or `namespace/name`), `to` `namespace/name` in the virtual cluster. */
export const FromHostMappingRequest = z
  .object({ direction: z.literal('fromHost'), from: objectName('(?:label/)?label'), to: objectName('label/label') })
  .strict();
/** fromVirtual: `from` `namespace/name` in the virtual cluster, `to` a Service name in the project's host namespace. */
export const FromVirtualMappingRequest = z.object({ direction: z.literal('fromVirtual'), from: objectName('label/label'), to: objectName('label') }).strict();

/**
 * A vcluster values fragment (YAML or JSON) with `mapServices` or `networking.replicateServices`.
 * Its content is a document JSON Schema cannot describe: the api reads it and answers 422
 * `invalid-mapping` with every problem when it holds no valid mapping.
 */
export const MappingValuesRequest = z.object({ values: text(1, 32_768) }).strict();
export type MappingValuesRequest = z.infer<typeof MappingValuesRequest>;

export const CreateMappingRequest = z.union([z.discriminatedUnion('direction', [FromHostMappingRequest, FromVirtualMappingRequest]), MappingValuesRequest]);
export type CreateMappingRequest = z.infer<typeof CreateMappingRequest>;

/**
 * A validated mapping, as stored (KV `mappings`): fromHost `from` is always `ns/name` (a bare
 * name resolved to the project's host namespace).
 */
export const MappingRecord = z.object({
  v: z.literal(1),
  tenant: Name,
  project: Name,
  projectUid: z.string(),
  id: z.string(),
  spec: MappingSpec,
  createdAt: z.string(),
});
export type MappingRecord = z.infer<typeof MappingRecord>;

/** Observed state, written by the mapper (KV `mapping-status`). */
export const MappingStatus = z.object({
  v: z.literal(1),
  ready: z.boolean(),
  reason: z.string(),
  message: z.string(),
  observedAt: z.string(),
});
export type MappingStatus = z.infer<typeof MappingStatus>;

export const MappingResourceStatus = MappingStatus.omit({ v: true, observedAt: true }).extend({ observedAt: z.string().optional() });
export type MappingResourceStatus = z.infer<typeof MappingResourceStatus>;

export const Mapping = MappingSpec.extend({ id: z.string(), createdAt: z.string(), status: MappingResourceStatus });
export type Mapping = z.infer<typeof Mapping>;

export const MappingList = listOf(Mapping);
export type MappingList = z.infer<typeof MappingList>;

export const MappingEvent = z.object({
  v: z.literal(1),
  tenant: Name,
  project: Name,
  projectUid: z.string(),
  id: z.string(),
  spec: MappingSpec,
  actor: z.string(),
});
export type MappingEvent = z.infer<typeof MappingEvent>;
