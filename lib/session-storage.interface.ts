import type { UserId } from './user-sessions-module-options.interface.js';

/** A session row as storage reads and writes it. */
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

/** Columns an update may write; `id` renames the row (a new key for the same session). */
export type SessionRecordChanges = Partial<Omit<SessionRecord, 'createdAt'>>;

/**
 * Where sessions live. The default is the TypeORM table; an app may provide its own under
 * the `SessionStorage` token. Every method is one statement: the store relies on that to
 * keep each request at one primary-key read and at most one write.
 */
export interface SessionStorage {
  /** The row with this digest, expired or not, or null. */
  find(id: string): Promise<SessionRecord | null>;
  /** Inserts a new row. */
  insert(record: SessionRecord): Promise<void>;
  /**
   * Updates only the given columns of the row `id`. Returns false when there is no such row
   * (it was deleted meanwhile), so that a revoked session is never written back.
   */
  update(id: string, changes: SessionRecordChanges): Promise<boolean>;
  /** Deletes the row `id` (only if it belongs to `userId`, when given). Returns whether it existed. */
  delete(id: string, userId?: UserId): Promise<boolean>;
  /** The user's rows that expire after `now`, most recent activity first. */
  listActive(userId: UserId, now: Date): Promise<SessionRecord[]>;
  /** Deletes the user's unexpired rows except `exceptId`; returns how many. */
  deleteOthers(userId: UserId, exceptId: string | null, now: Date): Promise<number>;
  /**
   * Deletes rows that expired at or before `now`; returns how many. A storage that deletes in
   * batches calls `onProgress` after each one with the number deleted so far; others may
   * ignore it.
   */
  deleteExpired(now: Date, onProgress?: (deleted: number) => void): Promise<number>;
}

/** Injection token of the `SessionStorage` in use. */
export const SessionStorage = Symbol('USER_SESSIONS:SessionStorage');
