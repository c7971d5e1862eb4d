// The API's shapes, as types only: the contracts are the API's own zod schemas (z.infer), so the
// portal cannot drift from them, and no zod reaches the bundle (eslint allows type imports only).
export type {
  Exposure,
  ExposureList,
  FieldError,
  Import,
  ImportList,
  Mapping,
  MappingList,
  Peering,
  PeeringList,
  Problem,
  Project,
  ProjectDetail,
  ProjectList,
  ProjectRoutes,
  Tenant,
  TenantList,
  TenantPrivateNetworkList,
  VCluster,
} from '@netbroker/contracts';

// TODO(A): the contract of the pool map lands with the map routes; until then its agreed shape.
export interface PoolMap {
  pool: string;
  family: 4 | 6;
  window: string;
  cellPrefixLength: number;
  cells: number;
  allocated: number[];
  own?: number[];
  reserved: number[];
  free: number[];
  totals: { size: string; allocated: string; own?: string; reserved: string; free: string };
  blocks: Array<{ cidr: string; tenant?: string; project?: string; purpose?: string }>;
  truncated: boolean;
}
