import { describe, expect, it, vi } from 'vitest';
import { cacheTtl, decodeSessionRecord, encodeSessionRecord } from './redis-cache-entry.js';
import type { SessionRecord } from './session-storage.interface.js';

// ioredis is an optional peer: an app without it must be able to load the library.
vi.mock('ioredis', () => {
  throw new Error('ioredis is not installed');
});

const record: SessionRecord = {
  id: 'ab'.repeat(32),
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
});
