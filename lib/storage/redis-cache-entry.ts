import { createHmac, timingSafeEqual } from 'node:crypto';
import { SESSION_RECORD_COLUMNS, SESSION_RECORD_DATE_COLUMNS, type SessionRecord } from '../session/session-record.js';
import type { UserId } from '../session/user-id.js';
import type { SessionCacheSecret } from './redis-cache.options.js';

const DATES = new Set<string>(SESSION_RECORD_DATE_COLUMNS);
const MAC_BYTES = 32;

/** A record as cached: JSON of its columns, the dates as milliseconds. Never the session key (there is none in a record). */
export function encodeSessionRecord(record: SessionRecord): string {
  const entry: Record<string, unknown> = {};
  for (const column of SESSION_RECORD_COLUMNS) {
    entry[column] = DATES.has(column) ? (record[column] as Date).getTime() : record[column];
  }
  return JSON.stringify(entry);
}

/** The record `encodeSessionRecord()` wrote; throws on anything else. */
export function decodeSessionRecord(json: string): SessionRecord {
  const value = JSON.parse(json) as Record<string, unknown>;
  if (typeof value.id !== 'string' || typeof value.data !== 'string') throw new Error('cached session has no id or data');
  const record: Record<string, unknown> = {};
  for (const column of SESSION_RECORD_COLUMNS) {
    if (!DATES.has(column)) record[column] = value[column];
    else if (typeof value[column] === 'number') record[column] = new Date(value[column]);
    else throw new Error(`cached session has no ${column}`);
  }
  return record as unknown as SessionRecord;
}

/** How long a record may stay cached: `ttl`, but never past its expiry; 0 when it has expired. */
export function cacheTtl(record: SessionRecord, ttl: number, now = Date.now()): number {
  return Math.max(0, Math.floor(Math.min(ttl, record.expireDate.getTime() - now)));
}

/** A user id as the cache's keys and entries name it: its text in hex ('' for none). */
export function userHex(userId: UserId | null): string {
  return userId === null ? '' : Buffer.from(String(userId)).toString('hex');
}

/**
 * Signs and checks cache entries. An entry, as stored under its Redis key, is
 *   <token>|<user id, hex>|<MAC>|<good until, ms>|<record JSON>
 * where the Lua scripts read the token and user id, and the MAC is an HMAC-SHA256 (with
 * `cache.secret`, base64url) of the Redis key and every other field. So an entry is believed
 * only as this app wrote it and where it wrote it: whoever can write to Redis cannot make one
 * up, change one, or move one under another session's key; and "good until" (ttl after the
 * fill) bounds how long an old entry put back in Redis could be believed.
 */
export class CacheEntrySigner {
  /** The secrets, newest first: entries are signed with the first and believed with any. */
  private readonly secrets: Buffer[];

  constructor(secret: SessionCacheSecret) {
    this.secrets = (Array.isArray(secret) ? secret : [secret]).map((each: string | Buffer) => Buffer.from(each));
  }

  /** What the fill script appends to "<token>|<user>|" under `key`. */
  sign(key: string, token: string, user: string, record: SessionRecord, goodUntil: number): string {
    const json = encodeSessionRecord(record);
    const mac = this.mac(this.secrets[0], key, token, user, String(goodUntil), json).toString('base64url');
    return `${mac}|${goodUntil}|${json}`;
  }

  /**
   * The record of the entry `value` found under `key`, or null when it is not one this app
   * wrote there with one of its secrets, or its time is up.
   */
  verify(key: string, value: string, now = Date.now()): SessionRecord | null {
    const fields: string[] = [];
    let start = 0;
    for (let i = 0; i < 4; i++) {
      const end = value.indexOf('|', start);
      if (end < 0) return null;
      fields.push(value.slice(start, end));
      start = end + 1;
    }
    const [token, user, macText, goodUntil] = fields;
    const json = value.slice(start);
    const mac = Buffer.from(macText, 'base64url');
    if (mac.length !== MAC_BYTES || !/^\d+$/.test(token) || !/^([0-9a-f]{2})*$/.test(user) || !/^\d+$/.test(goodUntil)) return null;
    // Compared in constant time, with each secret.
    const genuine = this.secrets.some((secret) => timingSafeEqual(this.mac(secret, key, token, user, goodUntil, json), mac));
    if (!genuine || Number(goodUntil) < now) return null;
    try {
      return decodeSessionRecord(json);
    } catch {
      return null;
    }
  }

  private mac(secret: Buffer, key: string, token: string, user: string, goodUntil: string, json: string): Buffer {
    // Newline-separated: no field but the last (the JSON) can hold one (keyPrefix is printable ASCII).
    return createHmac('sha256', secret).update(`${key}\n${token}\n${user}\n${goodUntil}\n${json}`).digest();
  }
}
