import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decoyPasswordHash, hashPassword, needsRehash, OWASP_SCRYPT_COST, verifyPassword } from './password-hash.js';

/** Cheap enough to hash many times here; OWASP's cost is checked once. */
const CHEAP = { N: 2 ** 10, r: 8, p: 1 };

/** A hash of the first format, as the sample app stored them before costs were: Node's default scrypt. */
function firstFormatHash(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('hex')}$${scryptSync(password, salt, 64).toString('hex')}`;
}

describe('password hashes', () => {
  it("are salted scrypt hashes at OWASP's cost (N=2^17, r=8, p=1) that name their cost", async () => {
    expect(OWASP_SCRYPT_COST).toEqual({ N: 131072, r: 8, p: 1 });
    const hash = await hashPassword('alice-password');
    expect(hash).toMatch(/^scrypt\$N=131072,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==$/);
    expect(await verifyPassword('alice-password', hash)).toBe(true);
    expect(needsRehash(hash, OWASP_SCRYPT_COST)).toBe(false);
  });

  it('only the same password matches, at the cost the hash names', async () => {
    const hash = await hashPassword('alice-password', CHEAP);
    expect(hash).toMatch(/^scrypt\$N=1024,r=8,p=1\$/);
    expect(await hashPassword('alice-password', CHEAP)).not.toBe(hash);
    expect(await verifyPassword('alice-password', hash)).toBe(true);
    expect(await verifyPassword('alice-password ', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('hashes of the first format (scrypt$<salt hex>$<hash hex>, N=2^14) still match, and need a re-hash', async () => {
    const hash = firstFormatHash('alice-password');
    expect(await verifyPassword('alice-password', hash)).toBe(true);
    expect(await verifyPassword('bob-password', hash)).toBe(false);
    expect(needsRehash(hash, OWASP_SCRYPT_COST)).toBe(true);
    expect(needsRehash(hash, { N: 2 ** 14, r: 8, p: 1 })).toBe(false);
  });

  it('a hash needs a re-hash when any of its N, r, p is below the cost asked for', async () => {
    const hash = await hashPassword('alice-password', CHEAP);
    expect(needsRehash(hash, CHEAP)).toBe(false);
    expect(needsRehash(hash, { ...CHEAP, N: 2 ** 11 })).toBe(true);
    expect(needsRehash(hash, { ...CHEAP, r: 9 })).toBe(true);
    expect(needsRehash(hash, { ...CHEAP, p: 2 })).toBe(true);
    expect(needsRehash(hash, { ...CHEAP, N: 2 ** 9 })).toBe(false);
    expect(needsRehash('garbled', CHEAP)).toBe(false);
  });

  it('no password matches the decoy, which names the cost it is made for', async () => {
    const decoy = decoyPasswordHash(CHEAP);
    expect(decoy).toMatch(/^scrypt\$N=1024,r=8,p=1\$/);
    expect(decoyPasswordHash(OWASP_SCRYPT_COST)).toMatch(/^scrypt\$N=131072,r=8,p=1\$/);
    expect(await verifyPassword('', decoy)).toBe(false);
    expect(await verifyPassword('alice-password', decoy)).toBe(false);
  });

  it('a malformed or tampered hash matches nothing, and is refused before any scrypt it would make heavy', async () => {
    const hash = await hashPassword('alice-password', CHEAP);
    const [, , salt, key] = hash.split('$');
    const tampered = [
      '',
      'alice-password',
      'bcrypt$00$00',
      'scrypt$$',
      'scrypt$00',
      'scrypt$00$00',
      hash.slice(0, -3),
      `${hash}$`,
      hash.replace('scrypt$', 'SCRYPT$'),
      hash.replace('N=1024', 'N=1000'),
      hash.replace('N=1024', 'N=1'),
      hash.replace('N=1024', 'N=0'),
      hash.replace('N=1024', 'N=-1024'),
      hash.replace('r=8', 'r=0'),
      hash.replace('p=1', 'p=0'),
      // N not below 2^(16r): scrypt itself refuses it.
      hash.replace('N=1024,r=8', 'N=65536,r=1'),
      // Far more work than any cost we make: a day of CPU, or gigabytes.
      hash.replace('N=1024', 'N=1073741824'),
      hash.replace('p=1', 'p=999'),
      hash.replace('N=1024,r=8', 'N=262144,r=999'),
      `scrypt$N=1024,r=8,p=1$${salt}$${key.slice(0, 40)}`,
      `scrypt$N=1024,r=8,p=1$AAAA$${key}`,
      `scrypt$N=1024,r=8,p=1$${salt}$${key.replace(/==$/, '')}`,
      `scrypt$N=1024,r=8,p=1$${salt}$=${key.slice(1)}`,
      `scrypt$N=1024,r=8,p=1$${salt.replace('=', '-')}$${key}`,
    ];
    const started = Date.now();
    for (const malformed of tampered) {
      expect(await verifyPassword('alice-password', malformed), malformed).toBe(false);
    }
    // None of them ran scrypt at a tampered cost: N=2^30 alone would take minutes.
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
