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

/** One session, as `SessionStorage.delete()` names it. */
export interface SessionTarget {
  /** Its public id. */
  id: string;
  /** Its user; null for an anonymous session. */
  userId: UserId | null;
  /** Its current key's digest: required for an anonymous session. */
  keyDigest?: string | null;
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
  /** The row whose current key has this digest, expired or not, or null: the read of every request. */
  find(keyDigest: string): Promise<SessionRecord | null>;
  /** The row whose previous key (replaced by its last rotation) has this digest, or null. */
  findByPreviousKey(keyDigest: string): Promise<SessionRecord | null>;
  /** The row with this public id, expired or not, or null. */
  findById(id: string): Promise<SessionRecord | null>;
  /** Inserts a new row. */
  insert(record: SessionRecord): Promise<void>;
  /**
   * Updates only the given columns of the row whose current key has this digest. Returns false
   * when there is no such row (it was deleted, or given a new key, meanwhile), so that a revoked
   * session is never written back.
   */
  update(keyDigest: string, changes: SessionRecordChanges): Promise<boolean>;
  /**
   * Deletes the session `target.id` if it belongs to `target.userId`; an anonymous one
   * (`userId` null) only while its key is still `target.keyDigest`. Returns whether it existed.
   */
  delete(target: SessionTarget): Promise<boolean>;
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
  /**
   * Called after each batch with the signed-in sessions it deleted, for the security activity
   * history; the batch then reads its rows before deleting them (two statements instead of
   * one). A storage that cannot name them may ignore it: the history then has no expiries.
   */
  onExpired?: (sessions: ExpiredSession[]) => Promise<void>;
}

/** A signed-in session the cleanup deleted, as `DeleteExpiredOptions.onExpired` hears of it. */
export interface ExpiredSession {
  id: string;
  userId: UserId;
  ip: string | null;
  userAgent: string | null;
  expireDate: Date;
}

/** Injection token of the `SessionStorage` in use. */
export const SessionStorage = Symbol('USER_SESSIONS:SessionStorage');
