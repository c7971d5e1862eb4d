import { describe, expect, it } from 'vitest';
import { Conflicts, refused, requeueOf } from './refusals';

describe('Conflicts', () => {
  it('counts refused objects per kind, namespace and name; a synced or vanished object leaves', () => {
    const conflicts = new Conflicts();
    conflicts.record('Service', 'team/db', refused({ reason: 'HostObjectNotOwned' }));
    conflicts.record('Ingress', 'team/db', refused({ reason: 'HostnameClaimed' }));
    conflicts.record('Service', 'team/db', refused({ reason: 'HostObjectNotOwned' })); // refused again: still one
    conflicts.record('Service', 'team/web', undefined); // synced, never refused
    expect(conflicts.size).toBe(2);
    expect(conflicts.list()).toEqual(['Ingress/team/db', 'Service/team/db']);

    conflicts.record('Service', 'team/db', undefined); // synced now (or gone)
    expect(conflicts.list()).toEqual(['Ingress/team/db']);
    conflicts.record('Ingress', 'team/db', { requeueAfterMs: 1_000 }); // looked at later, but not refused
    expect(conflicts.size).toBe(0);
  });

  it('keys cluster-scoped kinds with an empty namespace', () => {
    const conflicts = new Conflicts();
    conflicts.record('IngressClass', 'nginx', refused({ reason: 'X' }));
    expect(conflicts.list()).toEqual(['IngressClass//nginx']);
  });

  it('lists refused objects with their reasons and keys, and objects synced without some annotations', () => {
    const conflicts = new Conflicts();
    conflicts.record('Ingress', 'team/web', refused({ reason: 'AnnotationRefused', keys: ['nginx.ingress.kubernetes.io/auth-url'] }));
    conflicts.record('Ingress', 'team/api', { dropped: ['nginx.ingress.kubernetes.io/server-snippet'] });
    conflicts.record('Service', 'team/db', refused({ reason: 'HostObjectNotOwned' }));
    expect(conflicts.size).toBe(2);
    expect(conflicts.refused()).toEqual([
      { kind: 'Ingress', namespace: 'team', name: 'web', reason: 'AnnotationRefused', keys: ['nginx.ingress.kubernetes.io/auth-url'] },
      { kind: 'Service', namespace: 'team', name: 'db', reason: 'HostObjectNotOwned' },
    ]);
    expect(conflicts.dropped()).toEqual([{ kind: 'Ingress', namespace: 'team', name: 'api', reason: 'AnnotationDropped', keys: ['nginx.ingress.kubernetes.io/server-snippet'] }]);
    expect(conflicts.droppedCount).toBe(1);

    conflicts.record('Ingress', 'team/api', undefined); // synced cleanly now
    expect(conflicts.dropped()).toEqual([]);
    expect(conflicts.droppedCount).toBe(0);
  });

  it('bounds the lists it hands to the status, and the keys per object', () => {
    const conflicts = new Conflicts();
    const keys = Array.from({ length: 30 }, (_, i) => `example.com/k${i}`);
    for (let i = 0; i < 25; i++) conflicts.record('Ingress', `team/i${String(i).padStart(2, '0')}`, { dropped: keys });
    expect(conflicts.dropped()).toHaveLength(20);
    expect(conflicts.dropped()[0]?.keys).toHaveLength(16);
    expect(conflicts.droppedCount).toBe(25);
    expect(conflicts.dropped(3).map((d) => d.name)).toEqual(['i00', 'i01', 'i02']);
  });
});

describe('requeueOf', () => {
  it.each([
    ['nothing to do', undefined, undefined],
    ['a refusal', refused({ reason: 'X' }), { requeueAfterMs: 30_000 }],
    ['annotations dropped only', { dropped: ['a'] }, undefined],
  ])('hands the work queue only the requeue for %s', (_case, result, expected) => {
    expect(requeueOf(result)).toEqual(expected);
  });
});
