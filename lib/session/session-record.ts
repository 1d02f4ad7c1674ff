import type { UserId } from './user-id.js';

/** A session row as storage reads and writes it: the one shape every layer shares. */
export interface SessionRecord {
  /** SHA-256 digest of the session key. */
  id: string;
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
 * Columns an update may write; `id` renames the row (a new key for the same session), and
 * `createdAt` is written by `login()`, which restarts the session's lifetime.
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
  id: true,
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
export const SESSION_RECORD_DATE_COLUMNS = ['expireDate', 'lastActivity', 'createdAt'] as const satisfies readonly (keyof SessionRecord)[];
