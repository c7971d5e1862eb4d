import { randomUUID } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { kubeConfigFor, kubeconfigFile, type ClusterInfo } from '@netbroker/testing';

export interface WorkloadSize {
  projects: number;
  /** The writes are spread over this long (at most one starts per spanMs / writes), so that a fault meets them. */
  spanMs: number;
  /** Virtual Services per project, in its own namespace of its virtual cluster. */
  services: number;
  /** Exposures in all, each from a kept project with two grants (one revoked for every other exposure). */
  exposures: number;
}

export const FULL: WorkloadSize = { spanMs: 120_000, projects: 200, services: 10, exposures: 20 };
export const SHORT: WorkloadSize = { spanMs: 10_000, projects: 6, services: 2, exposures: 2 };

/** One API write the api acknowledged (2xx), with what it acknowledged. */
export interface Ack {
  kind: 'project-created' | 'vcluster-registered' | 'exposure-created' | 'grant-revoked' | 'project-deleted';
  /** `project`, `project/exposure`, `project/exposure/consumer`. */
  key: string;
  status: number;
  attempts: number;
  /** A retry whose answer said the first attempt had been stored (409 name taken, 404 already gone), confirmed by a read. */
  confirmedByRead: boolean;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

/** Calls the api replicas in turn; a request that fails (connection, time-out, 5xx) is retried on the next replica. */
export class ApiClient {
  private turn = 0;
  private nextStart = 0;
  /** The least time between the starts of two writes (pacing). */
  intervalMs = 0;
  /** Requests sent again after a failure (connection refused, time-out, 5xx, key in progress). */
  retries = 0;

  constructor(
    private readonly apis: string[],
    readonly token: string,
    private readonly deadlineMs = 120_000,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async once(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const api = this.apis[this.turn++ % this.apis.length]!;
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(25_000),
    });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { raw: text };
    }
    return { status: res.status, body: parsed, text };
  }

  /** A write retried until it gets a 2xx/4xx answer; POSTs carry one Idempotency-Key across attempts. */
  async write(method: string, path: string, body?: unknown): Promise<Answer & { attempts: number }> {
    const headers: Record<string, string> = method === 'POST' ? { 'idempotency-key': randomUUID() } : {};
    const start = Math.max(Date.now(), this.nextStart);
    this.nextStart = start + this.intervalMs;
    if (start > Date.now()) await new Promise((r) => setTimeout(r, start - Date.now()));
    const deadline = Date.now() + this.deadlineMs;
    let last = '';
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) this.retries++;
      try {
        const answer = await this.once(method, path, body, headers);
        const inProgress = answer.status === 409 && answer.body.code === 'idempotency-key-in-progress';
        if (answer.status < 500 && !inProgress) return { ...answer, attempts: attempt };
        last = `${answer.status} ${answer.text.slice(0, 300)}`;
      } catch (e) {
        last = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      if (attempt === 1 || attempt % 10 === 0) this.log(`${method} ${path}: attempt ${attempt} failed (${last.slice(0, 200)}); retrying`);
      if (Date.now() > deadline) throw new Error(`${method} ${path}: no answer but failures for ${this.deadlineMs} ms (${attempt} attempts); last: ${last}`);
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** Math.min(attempt, 5))));
    }
  }

  /** A read retried through failures: for the invariant checks. */
  async read(path: string): Promise<Answer> {
    const answer = await this.once('GET', path);
    if (answer.status >= 500) throw new Error(`GET ${path}: ${answer.status} ${answer.text.slice(0, 300)}`);
    return answer;
  }
}

export interface Plan {
  tenant: string;
  size: WorkloadSize;
  projects: string[];
  /**
   * The projects that register a virtual cluster: one virtual apiserver each. A virtual cluster
   * cannot be shared: each registration gives the virtual Services its own host copy's ClusterIP
   * (deleting and re-creating them), so two registrations of one server fight forever.
   */
  registered: string[];
  vclusterOf: (project: string) => ClusterInfo;
  /** Each exposure's exporter (a registered project that is kept) and its grants' consumers; every other one has a grant revoked. */
  exposures: Array<{ exporter: string; name: string; consumers: string[]; revoke: string | undefined }>;
  deleted: string[];
}

export function plan(tenant: string, size: WorkloadSize, virtual: ClusterInfo[]): Plan {
  const projects = Array.from({ length: size.projects }, (_, i) => `p${i}`);
  const deleted = projects.filter((_, i) => i % 2 === 1);
  const registered = projects.slice(0, Math.min(virtual.length, projects.length));
  const exporters = registered.filter((x) => !deleted.includes(x));
  const exposures: Plan['exposures'] = [];
  for (let j = 0; j < size.exposures && exporters.length > 0; j++) {
    const exporter = exporters[j % exporters.length]!;
    const i = projects.indexOf(exporter);
    const consumers = [projects[(i + 1 + 2 * j) % projects.length]!, projects[(i + 2 + 2 * j) % projects.length]!].filter((c) => c !== exporter);
    exposures.push({ exporter, name: `x${j}`, consumers: [...new Set(consumers)], revoke: j % 2 === 0 ? consumers[consumers.length - 1] : undefined });
  }
  return { tenant, size, projects, registered, vclusterOf: (x) => virtual[registered.indexOf(x)]!, exposures, deleted };
}

/** The namespace of a project's Services in its virtual cluster. */
export const virtualNamespace = (tenant: string, project: string) => `${tenant}-${project}-v`;

/** Runs the workload: every write through the api with retries, every acknowledgement recorded in `acks`. */
export async function runWorkload(p: Plan, api: ApiClient, acks: Ack[], log: (line: string) => void = () => undefined): Promise<void> {
  const ack = (kind: Ack['kind'], key: string, answer: { status: number; attempts: number }, confirmedByRead = false) =>
    acks.push({ kind, key, status: answer.status, attempts: answer.attempts, confirmedByRead });
  const expect2xx = (what: string, a: Answer) => {
    if (a.status < 200 || a.status >= 300) throw new Error(`${what}: ${a.status} ${a.text.slice(0, 300)}`);
  };
  const parallel = async <T>(items: T[], n: number, f: (item: T) => Promise<void>) => {
    const queue = [...items];
    await Promise.all(Array.from({ length: n }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await f(item);
    }));
  };

  api.intervalMs = p.size.spanMs / plannedWrites(p);
  log(`creating ${p.projects.length} projects`);
  await parallel(p.projects, 4, async (project) => {
    const a = await api.write('POST', '/v1/projects', { name: project, egressNetworkType: 'cloud' });
    if (a.status === 409 && a.attempts > 1 && (await api.read(`/v1/projects/${project}`)).status === 200) return void ack('project-created', project, a, true);
    expect2xx(`create ${project}`, a);
    ack('project-created', project, a);
  });

  log(`virtual Services and registrations (${acks.length} acknowledged so far)`);
  await parallel(p.registered, 4, async (project) => {
    const cluster = p.vclusterOf(project);
    const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);
    const namespace = virtualNamespace(p.tenant, project);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    for (let s = 0; s < p.size.services; s++) {
      await core.createNamespacedService({ namespace, body: { metadata: { name: `s${s}` }, spec: { selector: { app: `s${s}` }, ports: [{ port: 80, protocol: 'TCP' }] } } });
    }
    const a = await api.write('PUT', `/v1/projects/${project}/vcluster`, { kubeconfig: kubeconfigFile(cluster) });
    expect2xx(`register ${project}`, a);
    ack('vcluster-registered', project, a);
  });

  log(`exposures (${acks.length} acknowledged so far)`);
  await parallel(p.exposures, 2, async (x) => {
    const body = { name: x.name, service: `${virtualNamespace(p.tenant, x.exporter)}/s0`, ports: [{ port: 80 }], grants: x.consumers };
    const a = await api.write('POST', `/v1/projects/${x.exporter}/exposures`, body);
    if (a.status === 409 && a.attempts > 1 && (await api.read(`/v1/projects/${x.exporter}/exposures/${x.name}`)).status === 200) {
      ack('exposure-created', `${x.exporter}/${x.name}`, a, true);
    } else {
      expect2xx(`expose ${x.exporter}/${x.name}`, a);
      ack('exposure-created', `${x.exporter}/${x.name}`, a);
    }
    if (x.revoke) {
      const r = await api.write('DELETE', `/v1/projects/${x.exporter}/exposures/${x.name}/grants/${p.tenant}/${x.revoke}`);
      if (r.status === 404 && r.attempts > 1) return void ack('grant-revoked', `${x.exporter}/${x.name}/${x.revoke}`, r, true);
      expect2xx(`revoke ${x.exporter}/${x.name}/${x.revoke}`, r);
      ack('grant-revoked', `${x.exporter}/${x.name}/${x.revoke}`, r);
    }
  });

  log(`deleting ${p.deleted.length} projects (${acks.length} acknowledged so far)`);
  await parallel(p.deleted, 4, async (project) => {
    const a = await api.write('DELETE', `/v1/projects/${project}`);
    if (a.status === 404 && a.attempts > 1) return void ack('project-deleted', project, a, true);
    expect2xx(`delete ${project}`, a);
    ack('project-deleted', project, a);
  });
  log(`workload done: ${acks.length} acknowledged, ${api.retries} retries`);
}

/** How many writes the workload makes: the fault's trigger is a point in this count. */
export const plannedWrites = (p: Plan) => p.projects.length + p.registered.length + p.exposures.length + p.exposures.filter((x) => x.revoke).length + p.deleted.length;
