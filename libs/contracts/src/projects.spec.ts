import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExposureKey } from './exposures';
import { parentProjectKey, parseProjectKey, projectKey } from './projects';

const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);

describe('parseProjectKey', () => {
  it.each<[string, string, { tenant: string; project: string } | undefined]>([
    ['a tenant and a project', 'acme.web', { tenant: 'acme', project: 'web' }],
    ['names with digits and dashes', 'acme-2.web-01', { tenant: 'acme-2', project: 'web-01' }],
    ['one name only', 'acme', undefined],
    ['three names (an exposure key)', 'acme.web.postgres', undefined],
    ['an empty tenant', '.web', undefined],
    ['an empty project', 'acme.', undefined],
    ['the empty string', '', undefined],
    ['upper-case letters', 'Acme.web', undefined],
    ['a name starting with a dash', 'acme.-web', undefined],
    ['a subject wildcard', 'acme.>', undefined],
    ['a name of 64 characters', `acme.${'a'.repeat(64)}`, undefined],
  ])('%s: %j', (_what, key, expected) => {
    expect(parseProjectKey(key)).toStrictEqual(expected);
  });

  it('reads back every key projectKey makes of valid names', () => {
    fc.assert(
      fc.property(label, label, (tenant, project) => {
        expect(parseProjectKey(projectKey(tenant, project))).toStrictEqual({ tenant, project });
      }),
    );
  });
});

describe('parentProjectKey', () => {
  it.each<[string, string, string | undefined]>([
    ['an exposure key', 'acme.web.postgres', 'acme.web'],
    ['a grant key', 'acme.web.postgres.globex.billing', 'acme.web'],
    ['a mapping key', 'acme.web.7f3c', 'acme.web'],
    ['a project key (no record under it)', 'acme.web', undefined],
    ['an empty record name', 'acme.web.', undefined],
    ['an empty token in between', 'acme.web..x', undefined],
    ['an invalid tenant', 'ACME.web.postgres', undefined],
    ['one name only', 'acme', undefined],
  ])('%s: %j', (_what, key, expected) => {
    expect(parentProjectKey(key)).toBe(expected);
  });
});

describe('parseExposureKey', () => {
  it.each<[string, string, { tenant: string; project: string; name: string } | undefined]>([
    ['an exposure key', 'acme.web.postgres', { tenant: 'acme', project: 'web', name: 'postgres' }],
    ['a project key', 'acme.web', undefined],
    ['a grant key', 'acme.web.postgres.globex.billing', undefined],
    ['an exposure name over 40 characters', `acme.web.${'p'.repeat(41)}`, undefined],
    ['an invalid project', 'acme.Web.postgres', undefined],
    ['an empty name', 'acme.web.', undefined],
  ])('%s: %j', (_what, key, expected) => {
    expect(parseExposureKey(key)).toStrictEqual(expected);
  });
});
