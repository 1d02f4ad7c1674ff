import { describe, expect, it } from 'vitest';
import { decodeSessionListCursor, encodeSessionListCursor } from './session-list-cursor.js';

const ID = 'ab'.repeat(32);

describe('session list cursors', () => {
  it('give back the position they were made from', () => {
    for (const time of [0, 1_700_000_000_123, -86_400_000, 8.64e15]) {
      const cursor = encodeSessionListCursor({ lastActivity: new Date(time), id: ID });
      expect(cursor).toMatch(/^[A-Za-z0-9_-]{54}$/);
      expect(decodeSessionListCursor(cursor)).toEqual({ lastActivity: new Date(time), id: ID });
    }
  });

  it('refuse anything they did not make', () => {
    const cursor = encodeSessionListCursor({ lastActivity: new Date(1_700_000_000_000), id: ID });
    const outOfRange = Buffer.concat([Buffer.from('7fffffffffffffff', 'hex'), Buffer.alloc(32)]).toString('base64url');
    // The same bytes spelled differently: the unused low bits of the last character set.
    const respelled = cursor.slice(0, -1) + String.fromCharCode(cursor.charCodeAt(53) + 1);
    for (const junk of [undefined, null, 5, ['x'], '', 'junk', `${cursor}A`, cursor.slice(1), `${cursor.slice(0, 53)}=`, outOfRange, respelled]) {
      expect(decodeSessionListCursor(junk)).toBeNull();
    }
  });
});
