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
