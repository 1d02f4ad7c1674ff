import type { SessionListPosition } from '../storage/session-storage.interface.js';

/** 8 bytes of last activity (ms since 1970, signed) and the 32 bytes of the session id. */
const CURSOR_BYTES = 40;
const CURSOR_PATTERN = /^[A-Za-z0-9_-]{54}$/;
/** The range of a JS Date. */
const MAX_TIME = 8.64e15;

/**
 * The opaque `nextCursor` of a page: the position of its last row. It is not signed: it only
 * says where the next page starts, and an administrator may read every row anyway. What keeps
 * it safe is the strict decoding below (a tampered cursor is either refused or just another
 * position) and that it reaches SQL only as bound parameters. Unsigned, it also survives
 * restarts and works across the instances behind a load balancer.
 */
export function encodeSessionListCursor(position: SessionListPosition): string {
  const bytes = Buffer.alloc(CURSOR_BYTES);
  bytes.writeBigInt64BE(BigInt(position.lastActivity.getTime()), 0);
  bytes.write(position.id, 8, 'hex');
  return bytes.toString('base64url');
}

/** The position a cursor names, or null when it is not one `encodeSessionListCursor()` made. */
export function decodeSessionListCursor(cursor: unknown): SessionListPosition | null {
  if (typeof cursor !== 'string' || !CURSOR_PATTERN.test(cursor)) return null;
  const bytes = Buffer.from(cursor, 'base64url');
  // Base64 has several spellings of the same bytes (in the last character's unused bits).
  if (bytes.length !== CURSOR_BYTES || bytes.toString('base64url') !== cursor) return null;
  const time = Number(bytes.readBigInt64BE(0));
  if (Math.abs(time) > MAX_TIME) return null;
  return { lastActivity: new Date(time), id: bytes.subarray(8).toString('hex') };
}
