import type { ExposureStatus, GrantRecord } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { admitConsumers, loadBalancerWait, notReady, readyOutcome, sameStatus, waitingOutcome, type ConsumerRecords } from './exposure-status';

const grant = (project: string, state: GrantRecord['state'], uid?: string): { key: string; value: GrantRecord } => ({
  key: `acme.shop.db.acme.${project}`,
  value: {
    v: 1,
    exporter: { tenant: 'acme', project: 'shop', uid: 'u-shop' },
    exposure: 'db',
    consumer: { tenant: 'acme', project, ...(uid ? { uid } : {}) },
    state,
    grantedBy: 'tenant:acme/token:t',
    grantedAt: '2026-01-01T00:00:00.000Z',
  },
});
const ready = (uid: string): ConsumerRecords => ({ project: { uid }, status: { uid, phase: 'Ready', cidr: '10.0.1.0/24', egressIp: '100.64.0.2' } });

describe('admitConsumers', () => {
  it.each<[string, { key: string; value: GrantRecord }, ConsumerRecords, 'admitted' | 'gone' | string]>([
    ['admits an accepted grant of the very project, Ready', grant('billing', 'accepted', 'u1'), ready('u1'), 'admitted'],
    ['keeps a pending grant waiting for acceptance', grant('billing', 'pending'), ready('u1'), 'AwaitingAcceptance'],
    ['drops a grant whose project is gone', grant('billing', 'accepted', 'u1'), {}, 'gone'],
    ['drops a grant accepted by an older project of the same name', grant('billing', 'accepted', 'u1'), ready('u2'), 'gone'],
    ['holds back a consumer that is not Ready', grant('billing', 'accepted', 'u1'), { project: { uid: 'u1' }, status: { uid: 'u1', phase: 'Pending' } }, 'ConsumerNotReady'],
    ['holds back a consumer being deleted', grant('billing', 'accepted', 'u1'), { ...ready('u1'), project: { uid: 'u1', deletionRequestedAt: '2026-01-02T00:00:00.000Z' } }, 'ConsumerNotReady'],
    ["holds back a consumer whose status is an older project's", grant('billing', 'accepted', 'u1'), { project: { uid: 'u1' }, status: { uid: 'u0', phase: 'Ready' } }, 'ConsumerNotReady'],
  ])('%s', (_name, g, records, expected) => {
    const admission = admitConsumers([g], () => records);
    if (expected === 'admitted') expect(admission).toEqual({ consumers: [], admitted: [{ grant: g.value, cidr: '10.0.1.0/24', egressIp: '100.64.0.2' }], gone: [] });
    else if (expected === 'gone') expect(admission).toEqual({ consumers: [], admitted: [], gone: [g.key] });
    else expect(admission).toMatchObject({ consumers: [{ project: 'acme/billing', ready: false, reason: expected }], admitted: [], gone: [] });
  });
});

describe('loadBalancerWait', () => {
  it('waits while the load balancer gave no address', () => {
    expect(loadBalancerWait(undefined, '100.64.0.3', 'acme-shop/exposure-db')?.reason).toBe('WaitingForLoadBalancer');
  });
  it('holds consumers back when the address is not the EIP', () => {
    expect(loadBalancerWait('192.0.2.7', '100.64.0.3', 'acme-shop/exposure-db')).toEqual({
      reason: 'AddressMismatch',
      message: 'the load balancer gave 192.0.2.7, not the EIP 100.64.0.3; consumers get no entry until it does',
    });
  });
  it('serves consumers once the address is the EIP', () => {
    expect(loadBalancerWait('100.64.0.3', '100.64.0.3', 'acme-shop/exposure-db')).toBeUndefined();
  });
});

describe('outcomes', () => {
  const base = { eip: '100.64.0.3', address: '100.64.0.3', loadBalancerService: 'acme-shop/exposure-db', policyPeers: ['10.0.1.0/24'] };
  const admission = admitConsumers([grant('zeta', 'accepted', 'uz'), grant('alpha', 'pending')], () => ready('uz'));

  it('lets every admitted consumer wait for the same reason, sorted by project', () => {
    const o = waitingOutcome(base, admission, { reason: 'WaitingForLoadBalancer', message: 'not yet' });
    expect(o).toMatchObject({ ready: false, reason: 'WaitingForLoadBalancer', virtualEntries: [] });
    expect(o.consumers.map((c) => [c.project, c.reason])).toEqual([
      ['acme/alpha', 'AwaitingAcceptance'],
      ['acme/zeta', 'WaitingForLoadBalancer'],
    ]);
  });

  it('is Ready with the entries as written, counting the consumers connected and the virtual clusters visited', () => {
    const served = [{ status: { project: 'acme/zeta', ready: true, reason: 'Ready', message: 'db-ext points at 100.64.0.3' }, virtual: true }];
    const o = readyOutcome({ service: 'db', ports: [{ port: 5432, protocol: 'TCP' }] }, base, admission, served);
    expect(o).toMatchObject({ ready: true, reason: 'Ready', message: 'db on 100.64.0.3 (5432/TCP); 1 consumer(s) connected', virtualEntries: ['acme.zeta'] });
    expect(o.consumers.map((c) => c.project)).toEqual(['acme/alpha', 'acme/zeta']);
  });
});

describe('sameStatus', () => {
  const stored: ExposureStatus = { v: 1, ready: false, reason: 'ServiceNotFound', message: 'gone', eip: '100.64.0.3', consumers: [], policyPeers: [], virtualEntries: [], observedAt: '2026-01-01T00:00:00.000Z' };

  it('sees the same status whatever the key order and the observation time', () => {
    expect(sameStatus(stored, notReady('ServiceNotFound', 'gone', { eip: '100.64.0.3' }))).toBe(true);
  });
  it('sees a change of any field', () => {
    expect(sameStatus(stored, notReady('ServiceNotFound', 'gone'))).toBe(false);
    expect(sameStatus(undefined, notReady('ServiceNotFound', 'gone', { eip: '100.64.0.3' }))).toBe(false);
  });
});
