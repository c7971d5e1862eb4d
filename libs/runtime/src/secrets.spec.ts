import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encryptionKey, openSecret, sealSecret } from './secrets';

describe('sealed secrets', () => {
  const key = randomBytes(32);

  it('round-trips, and never stores the plain text', () => {
    const sealed = sealSecret('apiVersion: v1\nkind: Config', key);
    expect(JSON.stringify(sealed)).not.toContain('apiVersion');
    expect(openSecret(sealed, key)).toBe('apiVersion: v1\nkind: Config');
  });

  it('refuses a tampered secret or another key', () => {
    const sealed = sealSecret('secret', key);
    const data = Buffer.from(sealed.data, 'base64');
    data[0] = data[0]! ^ 1;
    expect(() => openSecret({ ...sealed, data: data.toString('base64') }, key)).toThrow();
    expect(() => openSecret(sealed, randomBytes(32))).toThrow();
  });

  it('accepts only 32-byte keys', () => {
    expect(() => encryptionKey(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
    expect(encryptionKey(key.toString('base64'))).toHaveLength(32);
  });
});
