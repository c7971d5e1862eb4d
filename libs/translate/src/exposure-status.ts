import type { ConsumerStatus, ExposureRecord, ExposureStatus, GrantRecord, ProjectRecord, ProjectStatus } from '@netbroker/contracts';

// The exposer's decisions about consumers and status: who is admitted, whether the load
// balancer's answer lets consumers in, what the status says. Pure: the records are passed in.

/** An exposure's status before it is stamped (`v`, `observedAt`). */
export type ExposureOutcome = Omit<ExposureStatus, 'v' | 'observedAt'>;

/** Not ready, nothing written for it (yet). */
export const notReady = (reason: string, message: string, extra: Partial<ExposureOutcome> = {}): ExposureOutcome => ({
  ready: false,
  reason,
  message,
  consumers: [],
  policyPeers: [],
  virtualEntries: [],
  ...extra,
});

/** A consumer project as the buckets have it. */
export interface ConsumerRecords {
  project?: Pick<ProjectRecord, 'uid' | 'deletionRequestedAt'>;
  status?: Pick<ProjectStatus, 'uid' | 'phase' | 'cidr' | 'egressIp'>;
}

export interface Admitted {
  grant: GrantRecord;
  cidr?: string;
  egressIp?: string;
}

export interface Admission {
  /** Consumers not admitted, and why. */
  consumers: ConsumerStatus[];
  admitted: Admitted[];
  /** Keys of grants accepted by a project that is gone: they go too (never carried over to a new project of that name). */
  gone: string[];
}

const consumerRef = (g: GrantRecord) => `${g.consumer.tenant}/${g.consumer.project}`;

/** Who an exposure admits: accepted grants of the very project that accepted, existing and Ready. */
export function admitConsumers(grants: ReadonlyArray<{ key: string; value: GrantRecord }>, records: (g: GrantRecord) => ConsumerRecords): Admission {
  const out: Admission = { consumers: [], admitted: [], gone: [] };
  for (const { key, value: g } of grants) {
    if (g.state === 'pending') {
      out.consumers.push({ project: consumerRef(g), ready: false, reason: 'AwaitingAcceptance', message: 'the consumer has not accepted the grant yet' });
      continue;
    }
    const { project, status } = records(g);
    if (!project || project.uid !== g.consumer.uid) out.gone.push(key);
    else if (project.deletionRequestedAt || status?.phase !== 'Ready' || status.uid !== project.uid) {
      out.consumers.push({ project: consumerRef(g), ready: false, reason: 'ConsumerNotReady', message: `project ${consumerRef(g)} is not Ready` });
    } else out.admitted.push({ grant: g, cidr: status.cidr, egressIp: status.egressIp });
  }
  return out;
}

/** Why consumers get no entry yet: the load balancer gave no address, or not the EIP. Undefined: serve them. */
export function loadBalancerWait(address: string | undefined, eip: string, service: string): { reason: string; message: string } | undefined {
  if (!address) return { reason: 'WaitingForLoadBalancer', message: `Service ${service} has no address from the load balancer yet (asked for ${eip})` };
  if (address !== eip) return { reason: 'AddressMismatch', message: `the load balancer gave ${address}, not the EIP ${eip}; consumers get no entry until it does` };
  return undefined;
}

/** What every outcome of an exposure with its objects written says. */
export type OutcomeBase = Pick<ExposureOutcome, 'eip' | 'address' | 'loadBalancerService' | 'policyPeers'>;

const byProject = (a: ConsumerStatus, b: ConsumerStatus) => a.project.localeCompare(b.project);

/** The load balancer is not there yet: admitted consumers wait for the same reason. */
export function waitingOutcome(base: OutcomeBase, admission: Pick<Admission, 'consumers' | 'admitted'>, wait: { reason: string; message: string }): ExposureOutcome {
  const waiting = admission.admitted.map(({ grant }) => ({ project: consumerRef(grant), ready: false, ...wait }));
  return { ...base, ready: false, ...wait, consumers: [...admission.consumers, ...waiting].sort(byProject), virtualEntries: [] };
}

/** Served: Ready, with each admitted consumer's entry as written (`served`, in the order of `admitted`). */
export function readyOutcome(
  e: Pick<ExposureRecord, 'service' | 'ports'>,
  base: OutcomeBase,
  admission: Pick<Admission, 'consumers' | 'admitted'>,
  served: ReadonlyArray<{ status: ConsumerStatus; virtual: boolean }>,
): ExposureOutcome {
  const consumers = [...admission.consumers, ...served.map((s) => s.status)].sort(byProject);
  const virtualEntries = served.flatMap((s, i) => (s.virtual ? [`${admission.admitted[i]!.grant.consumer.tenant}.${admission.admitted[i]!.grant.consumer.project}`] : [])).sort();
  const connected = consumers.filter((c) => c.ready).length;
  const ports = e.ports.map((p) => `${p.port}/${p.protocol}`).join(', ');
  return { ...base, ready: true, reason: 'Ready', message: `${e.service} on ${base.address} (${ports}); ${connected} consumer(s) connected`, consumers, virtualEntries };
}

/** JSON with object keys sorted and undefined dropped: equal values, equal text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Equal but for when it was observed: a status that says the same is not written again. */
export const sameStatus = (current: ExposureStatus | undefined, next: ExposureOutcome): boolean =>
  current !== undefined && canonical({ ...current, v: undefined, observedAt: undefined }) === canonical(next);
