import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { StackInfo } from './stack';

/** One rule of an `audit.k8s.io/v1` Policy (kube-apiserver reads it; the first rule that matches a request decides). */
export interface AuditRule {
  level: 'None' | 'Metadata' | 'Request' | 'RequestResponse';
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: Array<{ group?: string; resources?: string[]; resourceNames?: string[] }>;
  namespaces?: string[];
  nonResourceURLs?: string[];
  omitStages?: string[];
}

export interface AuditPolicy {
  rules: AuditRule[];
  omitStages?: string[];
}

/**
 * Every request of a ServiceAccount at Metadata level (who, verb, object, response code; no
 * bodies), nothing of anyone else; one event per request (the stage a response completed, or a
 * watch started).
 */
export const SERVICE_ACCOUNT_AUDIT_POLICY: AuditPolicy = {
  omitStages: ['RequestReceived'],
  rules: [{ level: 'Metadata', userGroups: ['system:serviceaccounts'] }, { level: 'None' }],
};

export interface AuditOptions {
  /** Default SERVICE_ACCOUNT_AUDIT_POLICY. */
  policy?: AuditPolicy;
}

const LOG_FILE = 'audit.log';

/** Writes the policy into the apiserver's dir; the flags that make it log there as JSON lines. */
export async function auditFlags(dir: string, { policy = SERVICE_ACCOUNT_AUDIT_POLICY }: AuditOptions): Promise<{ args: string[]; log: string }> {
  const policyFile = join(dir, 'audit-policy.yaml');
  // JSON is YAML: the apiserver reads it as it is.
  await writeFile(policyFile, `${JSON.stringify({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', ...policy }, null, 2)}\n`);
  const log = join(dir, LOG_FILE);
  return {
    log,
    args: [
      `--audit-policy-file=${policyFile}`, `--audit-log-path=${log}`, '--audit-log-format=json',
      // The log backend's default mode (blocking): an event is written before its response is sent.
      '--audit-log-maxsize=100', '--audit-log-maxbackup=3', '--audit-log-maxage=1',
    ],
  };
}

/** An `audit.k8s.io/v1` Event, the fields that say who did what to which object and how it ended. */
export const AuditEvent = z.object({
  auditID: z.string(),
  stage: z.string(),
  requestURI: z.string(),
  verb: z.string(),
  user: z.object({ username: z.string().default(''), groups: z.array(z.string()).default([]) }),
  sourceIPs: z.array(z.string()).default([]),
  userAgent: z.string().optional(),
  objectRef: z
    .object({
      resource: z.string().optional(),
      subresource: z.string().optional(),
      namespace: z.string().optional(),
      name: z.string().optional(),
      apiGroup: z.string().optional(),
      apiVersion: z.string().optional(),
    })
    .optional(),
  responseStatus: z.object({ code: z.number().optional(), reason: z.string().optional() }).optional(),
  requestReceivedTimestamp: z.string(),
  stageTimestamp: z.string(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

/** Fields an event must equal (`username` may be a pattern); `namespace: ''` selects cluster-scoped requests. */
export interface AuditFilter {
  username?: string | RegExp;
  verb?: string;
  resource?: string;
  namespace?: string;
  stage?: string;
}

const matches = (e: AuditEvent, f: AuditFilter): boolean =>
  (f.username === undefined || (typeof f.username === 'string' ? e.user.username === f.username : f.username.test(e.user.username))) &&
  (f.verb === undefined || e.verb === f.verb) &&
  (f.resource === undefined || e.objectRef?.resource === f.resource) &&
  (f.namespace === undefined || (e.objectRef?.namespace ?? '') === f.namespace) &&
  (f.stage === undefined || e.stage === f.stage);

/** The JSON lines of one log file; a last line still being written is left for the next read. */
export function parseAuditLog(text: string): AuditEvent[] {
  const lines = text.split('\n');
  lines.pop();
  return lines.filter((l) => l.trim()).map((l) => AuditEvent.parse(JSON.parse(l)));
}

/**
 * The events the host apiserver of a stack started with `audit` logged so far, oldest first
 * (rotated files included), that match `filter`.
 */
export async function auditEvents(stack: StackInfo, filter: AuditFilter = {}): Promise<AuditEvent[]> {
  const log = stack.host?.auditLog;
  if (!log) throw new Error('the stack has no audit log: start it with startStack({ audit: {} })');
  const dir = dirname(log);
  const stem = basename(log, '.log');
  // Rotated files are `audit-<timestamp>.log`: their names sort by age.
  const rotated = (await readdir(dir)).filter((f) => f.startsWith(`${stem}-`) && f.endsWith('.log')).sort();
  const texts = await Promise.all([...rotated.map((f) => join(dir, f)), log].map((f) => readFile(f, 'utf8').catch(() => '')));
  return texts.flatMap(parseAuditLog).filter((e) => matches(e, filter));
}

/** One right a request used: what an RBAC rule would have to grant. `namespace` is absent for cluster scope. */
export interface AuditedAccess {
  username: string;
  verb: string;
  apiGroup: string;
  resource: string;
  namespace?: string;
}

/**
 * The distinct (user, verb, group, resource[/subresource], namespace) of resource requests, sorted:
 * the material for least-privilege RBAC. Non-resource requests (`/version`, `/healthz`) are left out.
 */
export function auditedAccess(events: readonly AuditEvent[]): AuditedAccess[] {
  const seen = new Map<string, AuditedAccess>();
  for (const e of events) {
    const ref = e.objectRef;
    if (!ref?.resource) continue;
    const access: AuditedAccess = {
      username: e.user.username,
      verb: e.verb,
      apiGroup: ref.apiGroup ?? '',
      resource: ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource,
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
    };
    seen.set([access.username, access.namespace ?? '', access.apiGroup, access.resource, access.verb].join('\u0000'), access);
  }
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, access]) => access);
}
