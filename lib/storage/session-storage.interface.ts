import type { SessionRecord, SessionRecordChanges } from '../session/session-record.js';
import type { UserId } from '../session/user-id.js';

export type { SessionRecord, SessionRecordChanges };

/** Which rows `SessionStorage.list()` returns (the admin API's filters). */
export interface SessionListFilter {
  /** `'active'`: unexpired; `'expired'`: expired, not yet cleaned up; `'all'`: both. */
  status: 'active' | 'expired' | 'all';
  /** Only this user's rows. */
  userId?: UserId;
  /** Only rows whose IP starts with this text, taken literally (no LIKE wildcards); lower case. */
  ipPrefix?: string;
}

/** Where a page of `list()` ends: the sort key of its last row. */
export interface SessionListPosition {
  lastActivity: Date;
  id: string;
}

/** A filter and a page of `list()`. */
export interface SessionListQuery extends SessionListFilter {
  /** Rows after this position in the order of `list()`; unset starts at the first. */
  after?: SessionListPosition;
  /** At most this many rows. */
  limit: number;
}

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
  /** Deletes every row of the user, expired or not; returns how many. */
  deleteAllForUser(userId: UserId): Promise<number>;
  /**
   * Rows of any user that match `query`, in a stable order: most recent activity first, then
   * by id, descending. `now` decides what has expired. Pages by position (keyset), so a page
   * deep into the table costs what the first does.
   */
  list(query: SessionListQuery, now: Date): Promise<SessionRecord[]>;
  /**
   * Deletes rows that expired at or before `now`; returns how many. A storage that deletes in
   * batches calls `options.onProgress` after each one with the number deleted so far, and
   * stops before the next batch once `options.signal` is aborted; others may ignore both.
   */
  deleteExpired(now: Date, options?: DeleteExpiredOptions): Promise<number>;
}

/** How `deleteExpired()` reports and stops. */
export interface DeleteExpiredOptions {
  /** Called after each batch with the number of rows deleted so far. */
  onProgress?: (deleted: number) => void;
  /** Stops the cleanup between two batches (at shutdown, say). */
  signal?: AbortSignal;
}

/** Injection token of the `SessionStorage` in use. */
export const SessionStorage = Symbol('USER_SESSIONS:SessionStorage');
