import { z } from 'zod';
import { Name } from './ipam';

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

/** A vcluster values fragment (YAML or JSON) with `mapServices` or `networking.replicateServices`. */
export const MappingValuesRequest = z.object({ values: z.string().min(1).max(32_768) }).strict();
export type MappingValuesRequest = z.infer<typeof MappingValuesRequest>;

export const CreateMappingRequest = z.union([MappingSpec, MappingValuesRequest]);
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

export const MappingList = z.object({ items: z.array(Mapping) });
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
