import type { UserId } from './user-id.js';

/** A session row as storage reads and writes it: the one shape every layer shares. */
export interface SessionRecord {
  /** SHA-256 digest of the current session key: the primary key. */
  keyDigest: string;
  /** The public id, stable for the session's life. */
  id: string;
  /** Digest of the key the last rotation replaced, or null. */
  previousKeyDigest: string | null;
  /** The current key sealed under the previous one, or null. */
  keySeal: string | null;
  /** When the current key was issued. */
  keyIssuedAt: Date;
  /** Session data as JSON text. */
  data: string;
  expireDate: Date;
  userId: UserId | null;
  userAgent: string | null;
  clientPlatform: string | null;
  clientPlatformVersion: string | null;
  ip: string | null;
  lastActivity: Date;
  createdAt: Date;
}

/**
 * Columns an update may write; `keyDigest` renames the row (a new key for the same session),
 * and `createdAt` and `id` are written by `login()`, which starts the session afresh.
 */
export type SessionRecordChanges = Partial<SessionRecord>;

/** The columns that describe the client: written together by every save and activity update. */
export type SessionClient = Pick<SessionRecord, 'ip' | 'userAgent' | 'clientPlatform' | 'clientPlatformVersion'>;

/** The client columns of a session or row. */
export function clientOf(session: SessionClient): SessionClient {
  return {
    ip: session.ip,
    userAgent: session.userAgent,
    clientPlatform: session.clientPlatform,
    clientPlatformVersion: session.clientPlatformVersion,
  };
}

/** The columns of a row, checked against `SessionRecord`: for code that copies a row column by column. */
export const SESSION_RECORD_COLUMNS = Object.keys({
  keyDigest: true,
  id: true,
  previousKeyDigest: true,
  keySeal: true,
  keyIssuedAt: true,
  data: true,
  expireDate: true,
  userId: true,
  userAgent: true,
  clientPlatform: true,
  clientPlatformVersion: true,
  ip: true,
  lastActivity: true,
  createdAt: true,
} satisfies Record<keyof SessionRecord, true>) as (keyof SessionRecord)[];

/** The columns that hold a `Date`. */
export const SESSION_RECORD_DATE_COLUMNS = ['expireDate', 'lastActivity', 'createdAt', 'keyIssuedAt'] as const satisfies readonly (keyof SessionRecord)[];

/** The columns that name a session's key: written together when the key changes. */
export type SessionKeyColumns = Pick<SessionRecord, 'keyDigest' | 'previousKeyDigest' | 'keySeal' | 'keyIssuedAt'>;
