import { describe, expect, it } from 'vitest';
import { Conflicts, refused } from './refusals';

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
});
