import { describe, expect, it } from 'vitest';
import { DECOY_PASSWORD_HASH, hashPassword, verifyPassword } from './password-hash.js';

describe('password hashes', () => {
  it('are salted scrypt hashes that only the same password matches', async () => {
    const hash = await hashPassword('alice-password');
    expect(hash).toMatch(/^scrypt\$[0-9a-f]{32}\$[0-9a-f]{128}$/);
    expect(await hashPassword('alice-password')).not.toBe(hash);
    expect(await verifyPassword('alice-password', hash)).toBe(true);
    expect(await verifyPassword('alice-password ', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('no password matches the decoy, and a malformed hash matches nothing', async () => {
    expect(await verifyPassword('', DECOY_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword('alice-password', DECOY_PASSWORD_HASH)).toBe(false);
    for (const malformed of ['', 'alice-password', 'bcrypt$00$00', 'scrypt$$', 'scrypt$00']) {
      expect(await verifyPassword('alice-password', malformed)).toBe(false);
    }
  });
});
