import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { RESERVED_DATA_KEY, splitReservedData, UserSession } from './user-session.js';

function session(stored = false, slidingExpiry = false) {
  const now = new Date();
  return new UserSession({
    key: 'K'.repeat(43),
    keyDigest: 'd'.repeat(64),
    id: 'e'.repeat(64),
    userId: null,
    data: { a: 1 },
    expireDate: new Date(now.getTime() + 1000),
    ip: '127.0.0.1',
    userAgent: 'UA',
    clientPlatform: null,
    clientPlatformVersion: null,
    lastActivity: now,
    createdAt: now,
    keyIssuedAt: now,
    stored: stored ? { ip: '127.0.0.1', userAgent: 'UA', clientPlatform: null, clientPlatformVersion: null, lastActivity: now } : null,
    slidingExpiry,
  });
}

describe('UserSession', () => {
  it("reads a stored row's JSON on first use only, with the library's record in it", () => {
    const now = new Date();
    const reads: string[] = [];
    const stored = new UserSession({
      key: null,
      keyDigest: 'd'.repeat(64),
      id: 'e'.repeat(64),
      userId: 'alice',
      data: JSON.stringify({ theme: 'dark', [RESERVED_DATA_KEY]: { authenticatedAt: 1_700_000_000_000 } }),
      readData: (json) => {
        reads.push(json);
        return splitReservedData(JSON.parse(json) as Record<string, unknown>);
      },
      expireDate: new Date(now.getTime() + 1000),
      ip: null,
      userAgent: null,
      clientPlatform: null,
      clientPlatformVersion: null,
      lastActivity: now,
      createdAt: now,
      keyIssuedAt: now,
      stored: null,
    });
    expect(stored.isAuthenticated).toBe(true);
    expect(reads).toHaveLength(0);
    // Recording a new password entry before the data was read keeps the data.
    stored.setAuthenticatedAt(new Date(1_800_000_000_000));
    expect(reads).toHaveLength(1);
    expect(stored.get('theme')).toBe('dark');
    expect(stored.authenticatedAt).toEqual(new Date(1_800_000_000_000));
    expect(JSON.parse(stored.serializeData())).toEqual({ theme: 'dark', [RESERVED_DATA_KEY]: { authenticatedAt: 1_800_000_000_000 } });
    expect(reads).toHaveLength(1);
  });

  it('tracks accessed and modified like the seed: reads only access', () => {
    const s = session(true);
    expect([s.accessed, s.modified]).toEqual([false, false]);
    expect(s.has('a')).toBe(true);
    expect(s.get('a')).toBe(1);
    expect([s.accessed, s.modified]).toEqual([true, false]);
    s.remove('missing');
    expect(s.modified).toBe(false);
    s.set('b', 2);
    expect(s.modified).toBe(true);
  });

  it('counts another IP or user agent than the stored one as modified', () => {
    const s = session(true);
    s.ip = '10.0.0.1';
    expect(s.modified).toBe(true);
    expect(s.dataModified).toBe(false);
  });

  it('set(undefined) removes; clear() empties; toObject() is a copy', () => {
    const s = session();
    s.set('a', undefined);
    expect(s.has('a')).toBe(false);
    s.set('x', { deep: [1] });
    const copy = s.toObject();
    (copy.x as { deep: number[] }).deep.push(2);
    expect(s.get('x')).toEqual({ deep: [1] });
    s.clear();
    expect(s.toObject()).toEqual({});
  });

  it('names that Object.prototype has are plain names: own values only, "__proto__" included', () => {
    const s = session();
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      expect(s.get(name)).toBeUndefined();
      expect(s.has(name)).toBe(false);
    }
    s.set('__proto__', { isAdmin: true });
    expect(s.get('isAdmin')).toBeUndefined();
    expect(s.get('__proto__')).toEqual({ isAdmin: true });
    expect(s.has('__proto__')).toBe(true);
    // Stored as the data it is, and read back the same way JSON.parse reads it.
    expect(JSON.parse(s.serializeData())).toEqual(JSON.parse('{"a":1,"__proto__":{"isAdmin":true}}'));
    s.set('constructor', 'c');
    expect(s.get('constructor')).toBe('c');
    s.remove('__proto__');
    expect(s.toObject()).toEqual({ a: 1, constructor: 'c' });
  });

  it('setExpiry takes a date or milliseconds, and refuses junk', () => {
    const s = session();
    const at = new Date(Date.now() + 60_000);
    s.setExpiry(at);
    expect(s.getExpiryDate()).toEqual(at);
    s.setExpiry(1000);
    expect(Math.abs(s.getExpiryDate().getTime() - Date.now() - 1000)).toBeLessThan(100);
    expect(() => s.setExpiry(Number.NaN)).toThrow(TypeError);
  });

  it('setExpiry refuses with idleTimeout on, where the store moves the expiry itself', () => {
    const s = session(true, true);
    const before = s.getExpiryDate();
    expect(() => s.setExpiry(60_000)).toThrow(/setExpiry\(\) is not available with the idleTimeout option/);
    expect(s.getExpiryDate()).toBe(before);
    expect(s.modified).toBe(false);
  });

  it('never shows its key in JSON or inspection', () => {
    const s = session();
    expect(JSON.stringify(s)).not.toContain('KKKK');
    expect(inspect(s, { depth: 5, showHidden: true })).not.toContain('KKKK');
    expect(s.key).toBe('K'.repeat(43));
  });

  describe('the time of the last password entry', () => {
    it('is kept beside the data in the JSON, out of sight of get(), toObject() and clear()', () => {
      const s = session(true);
      expect(s.authenticatedAt).toBeNull();
      expect(JSON.parse(s.serializeData())).toEqual({ a: 1 });
      s.setAuthenticatedAt(new Date(1_700_000_000_000));
      expect(s.modified).toBe(true);
      expect(JSON.parse(s.serializeData())).toEqual({ a: 1, [RESERVED_DATA_KEY]: { authenticatedAt: 1_700_000_000_000 } });
      expect(s.toObject()).toEqual({ a: 1 });
      expect(s.has(RESERVED_DATA_KEY)).toBe(false);
      s.clear();
      expect(s.authenticatedAt).toEqual(new Date(1_700_000_000_000));
      expect(JSON.parse(s.serializeData())).toEqual({ [RESERVED_DATA_KEY]: { authenticatedAt: 1_700_000_000_000 } });
    });

    it('cannot be set, or overwritten, through set()', () => {
      const s = session(true);
      expect(() => s.set(RESERVED_DATA_KEY, { authenticatedAt: Date.now() })).toThrow(/where the library keeps its own records/);
      expect(s.modified).toBe(false);
    });

    it('is taken out of the data read from a row; a junk value reads as none', () => {
      const read = splitReservedData({ a: 1, [RESERVED_DATA_KEY]: { authenticatedAt: 5 } });
      expect(read).toEqual({ data: { a: 1 }, authenticatedAt: 5, deviceId: null });
      for (const junk of [null, 'x', [], { authenticatedAt: '5' }, { authenticatedAt: null }]) {
        expect(splitReservedData({ b: 2, [RESERVED_DATA_KEY]: junk })).toEqual({ data: { b: 2 }, authenticatedAt: null, deviceId: null });
      }
      expect(splitReservedData({ c: 3 })).toEqual({ data: { c: 3 }, authenticatedAt: null, deviceId: null });
      // The known device's id beside it; anything but a short string reads as none.
      expect(splitReservedData({ [RESERVED_DATA_KEY]: { authenticatedAt: 5, deviceId: 'abc' } })).toEqual({ data: {}, authenticatedAt: 5, deviceId: 'abc' });
      for (const junk of [7, '', 'x'.repeat(65), { id: 1 }]) {
        expect(splitReservedData({ [RESERVED_DATA_KEY]: { deviceId: junk } }).deviceId).toBeNull();
      }
    });

    it('keeps an own "__proto__" value a value when written with it', () => {
      const s = session(true);
      s.set('__proto__', { polluted: true });
      s.setAuthenticatedAt(new Date(7));
      const written = JSON.parse(s.serializeData()) as Record<string, unknown>;
      expect(Object.hasOwn(written, '__proto__')).toBe(true);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(written[RESERVED_DATA_KEY]).toEqual({ authenticatedAt: 7 });
    });
  });
});
