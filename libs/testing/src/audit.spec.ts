import { describe, expect, it } from 'vitest';
import { auditedAccess, parseAuditLog, type AuditEvent } from './audit';

const event = (username: string, verb: string, objectRef?: AuditEvent['objectRef'], code = 200): AuditEvent => ({
  auditID: `${username}-${verb}`,
  stage: 'ResponseComplete',
  requestURI: '/',
  verb,
  user: { username, groups: [] },
  sourceIPs: [],
  objectRef,
  responseStatus: { code },
  requestReceivedTimestamp: '2025-01-01T00:00:00.000000Z',
  stageTimestamp: '2025-01-01T00:00:00.000000Z',
});

const sa = 'system:serviceaccount:netbroker:syncer';

describe('auditedAccess', () => {
  it.each([
    ['a namespaced request', [event(sa, 'list', { resource: 'configmaps', namespace: 'a', apiVersion: 'v1' })], [{ username: sa, verb: 'list', apiGroup: '', resource: 'configmaps', namespace: 'a' }]],
    ['a cluster-scoped request, without a namespace', [event(sa, 'get', { resource: 'namespaces', name: 'a' })], [{ username: sa, verb: 'get', apiGroup: '', resource: 'namespaces' }]],
    ['a subresource, joined to its resource', [event(sa, 'patch', { resource: 'services', subresource: 'status', namespace: 'a' })], [{ username: sa, verb: 'patch', apiGroup: '', resource: 'services/status', namespace: 'a' }]],
    ['the API group', [event(sa, 'watch', { resource: 'deployments', apiGroup: 'apps', namespace: 'a' })], [{ username: sa, verb: 'watch', apiGroup: 'apps', resource: 'deployments', namespace: 'a' }]],
    ['the same right used twice, once', [event(sa, 'get', { resource: 'secrets', namespace: 'a', name: 'x' }), event(sa, 'get', { resource: 'secrets', namespace: 'a', name: 'y' })], [{ username: sa, verb: 'get', apiGroup: '', resource: 'secrets', namespace: 'a' }]],
    ['a non-resource request, not at all', [event(sa, 'get')], []],
  ])('keeps %s', (_name, events, expected) => {
    expect(auditedAccess(events)).toEqual(expected);
  });

  it('sorts by user, namespace, group, resource and verb', () => {
    const events = [
      event('b', 'list', { resource: 'pods', namespace: 'x' }),
      event('a', 'watch', { resource: 'pods', namespace: 'x' }),
      event('a', 'list', { resource: 'pods', namespace: 'x' }),
      event('a', 'get', { resource: 'nodes' }),
    ];
    expect(auditedAccess(events).map((a) => `${a.username} ${a.namespace ?? '-'} ${a.resource} ${a.verb}`)).toEqual(['a - nodes get', 'a x pods list', 'a x pods watch', 'b x pods list']);
  });
});

describe('parseAuditLog', () => {
  const line = JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', ...event(sa, 'list', { resource: 'pods', namespace: 'a' }) });

  it('reads complete lines and leaves a last line still being written', () => {
    expect(parseAuditLog(`${line}\n${line}\n${line.slice(0, 40)}`)).toHaveLength(2);
  });

  it('refuses a line that is not an audit event', () => {
    expect(() => parseAuditLog('{"verb":"get"}\n')).toThrow();
  });
});
