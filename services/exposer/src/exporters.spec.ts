import type { ExposureRecord, GrantRecord } from '@netbroker/contracts';
import type { KvChange } from '@netbroker/bus';
import { describe, expect, it } from 'vitest';
import { ExporterCache } from './exporters';

const exposure = (tenant: string, project: string, name: string) => ({ tenant, project, name }) as ExposureRecord;
const grant = (consumer: { tenant: string; project: string }) => ({ consumer }) as GrantRecord;
const put = <T>(key: string, value: T): KvChange<T> => ({ op: 'put', key, revision: 1, value });

describe('ExporterCache', () => {
  it.each<[string, string, string[]]>([
    ['an exposure key', 'acme.web.postgres', ['acme.web']],
    ['a key with no record name', 'acme.web', []],
    ['a key whose tenant is no name', 'ACME.web.postgres', []],
    ['a key of one token', 'stray', []],
  ])('enqueues the exporter of %s (%s): %j', (_what, key, expected) => {
    const cache = new ExporterCache();
    expect(cache.exposure(put(key, exposure('acme', 'web', 'postgres')))).toStrictEqual(expected);
    expect(cache.counts.exposures).toBe(expected.length);
  });

  it('holds the records of one exporter only, and forgets a deleted one', () => {
    const cache = new ExporterCache();
    cache.exposure(put('acme.web.postgres', exposure('acme', 'web', 'postgres')));
    cache.exposure(put('acme.webx.redis', exposure('acme', 'webx', 'redis')));
    cache.grant(put('acme.web.postgres.globex.billing', grant({ tenant: 'globex', project: 'billing' })));
    expect(cache.exposuresOf('acme.web').map((r) => r.key)).toStrictEqual(['acme.web.postgres']);
    expect(cache.grantsOf('acme.web').map((r) => r.key)).toStrictEqual(['acme.web.postgres.globex.billing']);
    expect(cache.exporters().sort()).toStrictEqual(['acme.web', 'acme.webx']);
    expect(cache.exposure({ op: 'delete', key: 'acme.web.postgres', revision: 2 })).toStrictEqual(['acme.web']);
    expect(cache.exposuresOf('acme.web')).toStrictEqual([]);
  });

  it('finds the exporters a consumer project affects through its grants', () => {
    const cache = new ExporterCache();
    cache.exposure(put('acme.web.postgres', exposure('acme', 'web', 'postgres')));
    cache.grant(put('acme.web.postgres.globex.billing', grant({ tenant: 'globex', project: 'billing' })));
    cache.grant(put('acme.api.redis.globex.billing', grant({ tenant: 'globex', project: 'billing' })));
    expect(cache.affectedBy('globex.billing').sort()).toStrictEqual(['acme.api', 'acme.web']);
    expect(cache.affectedBy('acme.web')).toStrictEqual(['acme.web']);
    expect(cache.affectedBy('globex.other')).toStrictEqual([]);
  });
});
