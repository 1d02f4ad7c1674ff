import { describe, expect, it, vi } from 'vitest';
import { CacheEntrySigner, cacheTtl, decodeSessionRecord, encodeSessionRecord, userHex } from './redis-cache-entry.js';
import type { SessionRecord } from './session-storage.interface.js';

// ioredis is an optional peer: an app without it must be able to load the library.
vi.mock('ioredis', () => {
  throw new Error('ioredis is not installed');
});

const record: SessionRecord = {
  keyDigest: 'cd'.repeat(32),
  id: 'ab'.repeat(32),
  previousKeyDigest: 'ef'.repeat(32),
  keySeal: 'S'.repeat(43),
  keyIssuedAt: new Date('2030-12-31T23:59:59.999Z'),
  data: '{"cart":[1,2],"name":"Zoë"}',
  expireDate: new Date('2031-02-03T04:05:06.789Z'),
  userId: 42,
  userAgent: 'Mozilla/5.0',
  clientPlatform: 'Windows',
  clientPlatformVersion: '15.0.0',
  ip: '2001:db8::1',
  lastActivity: new Date('2031-01-01T00:00:00.001Z'),
  createdAt: new Date('2030-12-31T23:59:59.999Z'),
};

describe('RedisCachedSessionStorage', () => {
  it('the library and its testing entry load without ioredis installed', async () => {
    await expect(import('ioredis')).rejects.toThrow();
    const library = await import('../index.js');
    expect(library.UserSessionsModule).toBeTypeOf('function');
    expect((await import('../testing/index.js')).UserSessionsTestClient).toBeTypeOf('function');
  });

  it('a cached record reads back as it was written, dates to the millisecond', () => {
    const decoded = decodeSessionRecord(encodeSessionRecord(record));
    expect(decoded).toEqual(record);
    expect(decoded.expireDate).toBeInstanceOf(Date);
    const anonymous = { ...record, userId: null, userAgent: null, ip: null, clientPlatform: null, clientPlatformVersion: null };
    expect(decodeSessionRecord(encodeSessionRecord(anonymous))).toEqual(anonymous);
    expect(decodeSessionRecord(encodeSessionRecord({ ...record, userId: 'alice' })).userId).toBe('alice');
  });

  it('keeps only the record: fields a storage adds are not cached', () => {
    const extended = { ...record, key: 'the-session-key', tenant: 7 } as SessionRecord;
    expect(encodeSessionRecord(extended)).not.toContain('the-session-key');
    expect(Object.keys(decodeSessionRecord(encodeSessionRecord(extended))).sort()).toEqual(Object.keys(record).sort());
  });

  it.each(['', 'lease:12', '[]', '{"id":"x"}', '{"id":"x","data":"{}","expireDate":"2031-01-01"}'])('refuses %j as a cached record', (junk) => {
    expect(() => decodeSessionRecord(junk)).toThrow();
  });

  it('caches for ttl at most, never past the expiry, and an expired record not at all', () => {
    const now = record.expireDate.getTime();
    expect(cacheTtl(record, 60_000, now - 3_600_000)).toBe(60_000);
    expect(cacheTtl(record, 60_000, now - 5_000)).toBe(5_000);
    expect(cacheTtl(record, 60_000, now - 0.5)).toBe(0);
    expect(cacheTtl(record, 60_000, now + 1)).toBe(0);
  });

  describe('signed entries', () => {
    const key = `user-sessions:session:${record.id}`;
    const secret = 'a'.repeat(32);
    const signer = new CacheEntrySigner(secret);
    const now = Date.now();
    /** An entry as the fill script stores it. */
    const entry = (by: CacheEntrySigner, under = key, token = '1700000000000001', until = now + 60_000) =>
      `${token}|${userHex(record.userId)}|${by.sign(under, token, userHex(record.userId), record, until)}`;

    it('an entry reads back under the key it was signed for, until its time is up', () => {
      expect(signer.verify(key, entry(signer), now)).toEqual(record);
      expect(signer.verify(key, entry(signer), now + 60_000)).toEqual(record);
      expect(signer.verify(key, entry(signer), now + 60_001)).toBeNull();
    });

    it('is not believed moved to another key, changed in any field, or signed with another secret', () => {
      const genuine = entry(signer);
      const [token, user, mac, until] = genuine.split('|');
      const json = genuine.slice([token, user, mac, until].join('|').length + 1);
      expect(signer.verify(`user-sessions:session:${'cd'.repeat(32)}`, genuine, now)).toBeNull();
      expect(signer.verify('other-app:session:' + record.id, genuine, now)).toBeNull();
      for (const changed of [
        [String(Number(token) + 1), user, mac, until, json],
        [token, userHex('admin'), mac, until, json],
        [token, user, mac, String(Number(until) + 1), json],
        [token, user, mac, until, json.replace('"userId":42', '"userId":"admin"')],
        [token, user, Buffer.alloc(32).toString('base64url'), until, json],
        [token, user, mac.slice(0, -2), until, json],
      ]) {
        expect(signer.verify(key, changed.join('|'), now)).toBeNull();
      }
      expect(signer.verify(key, entry(new CacheEntrySigner('b'.repeat(32))), now)).toBeNull();
    });

    it('refuses what is not a signed entry', () => {
      for (const junk of ['', 'lease:12', `1|${userHex(42)}|${encodeSessionRecord(record)}`, '1|2a|x|y|{}', `1|2a||${now}|{}`]) {
        expect(signer.verify(key, junk, now)).toBeNull();
      }
    });

    it('with several secrets, signs with the first and believes any (rotation)', () => {
      const [newer, older] = ['n'.repeat(32), Buffer.alloc(32, 7)];
      const rotated = new CacheEntrySigner([newer, older]);
      expect(rotated.verify(key, entry(new CacheEntrySigner(older)), now)).toEqual(record);
      expect(rotated.verify(key, entry(new CacheEntrySigner(newer)), now)).toEqual(record);
      expect(new CacheEntrySigner(newer).verify(key, entry(rotated), now)).toEqual(record);
      expect(new CacheEntrySigner(older).verify(key, entry(rotated), now)).toBeNull();
    });
  });
});
