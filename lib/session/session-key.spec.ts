import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  digestLegacySessionId,
  digestSessionKey,
  generateSessionKey,
  isWellFormedSessionKey,
  openRotatedKey,
  sealRotatedKey,
  SESSION_ID_PATTERN,
} from './session-key.js';

describe('session keys', () => {
  it('are 256 random bits, base64url, and never repeat', () => {
    const keys = new Set(Array.from({ length: 1000 }, generateSessionKey));
    expect(keys.size).toBe(1000);
    for (const key of keys) {
      expect(Buffer.from(key, 'base64url')).toHaveLength(32);
      expect(isWellFormedSessionKey(key)).toBe(true);
    }
  });

  it('are stored as their SHA-256 digest, which is not itself a key', () => {
    const key = generateSessionKey();
    const digest = digestSessionKey(key);
    expect(digest).toBe(createHash('sha256').update(key).digest('hex'));
    expect(SESSION_ID_PATTERN.test(digest)).toBe(true);
    expect(isWellFormedSessionKey(digest)).toBe(false);
    expect(SESSION_ID_PATTERN.test(key)).toBe(false);
  });

  it('refuses anything else before a query', () => {
    for (const value of ['', 'a', 'A'.repeat(42), 'A'.repeat(44), `${'A'.repeat(42)}=`, `${'A'.repeat(42)}+`, null, 5]) {
      expect(isWellFormedSessionKey(value)).toBe(false);
    }
  });

  it('imported express-session ids get digests of their own, which no key of ours can have', () => {
    const key = generateSessionKey();
    // An old id equal to one of our keys still hashes elsewhere: the prefix has a ":".
    expect(digestLegacySessionId(key)).not.toBe(digestSessionKey(key));
    expect(digestLegacySessionId('abc')).toBe(createHash('sha256').update('express-session:abc').digest('hex'));
    expect(SESSION_ID_PATTERN.test(digestLegacySessionId('abc'))).toBe(true);
    expect(isWellFormedSessionKey('express-session:abc')).toBe(false);
  });
});

describe('the rotated key seal', () => {
  it('opens with the replaced key only, and neither key shows in it', () => {
    const previous = generateSessionKey();
    const next = generateSessionKey();
    const seal = sealRotatedKey(next, previous);
    expect(isWellFormedSessionKey(seal)).toBe(true);
    expect(seal).not.toBe(next);
    expect(seal).not.toContain(previous);
    expect(openRotatedKey(seal, previous)).toBe(next);
    const wrong = openRotatedKey(seal, generateSessionKey());
    expect(wrong).not.toBe(next);
    // What the store checks before it believes an opened key.
    expect(digestSessionKey(wrong!)).not.toBe(digestSessionKey(next));
  });

  it('is null for a seal that is no key', () => {
    expect(openRotatedKey('not a seal', generateSessionKey())).toBeNull();
    expect(openRotatedKey('', generateSessionKey())).toBeNull();
  });
});
