import { SESSION_RECORD_COLUMNS, SESSION_RECORD_DATE_COLUMNS, type SessionRecord } from '../session/session-record.js';

const DATES = new Set<string>(SESSION_RECORD_DATE_COLUMNS);

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
