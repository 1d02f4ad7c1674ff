import type { SessionRecord } from '../session/session-record.js';
import type { SessionData } from '../session/session-data.js';
import type { UserId } from '../session/user-id.js';
import type { SessionListFilter } from '../storage/session-storage.interface.js';

/**
 * A session as listed for its user: everything but the key columns and the data. `id` is the
 * public, opaque id (it cannot be used as a cookie, and stays the same while the key changes);
 * `expireDate` moves with activity under `idleTimeout` (see `UserSession.expireDate`);
 * `createdAt` is when the session was created or last signed in, from which `maxAge` counts.
 */
export interface ActiveSession extends Omit<SessionRecord, 'data' | 'keyDigest' | 'previousKeyDigest' | 'keySeal' | 'keyIssuedAt'> {}

/** Options of `clearExpired()`. */
export interface ClearExpiredOptions {
  /** Called after each batch with the number of rows deleted so far (to show progress). */
  onProgress?: (deleted: number) => void;
  /** Stops the cleanup between two batches; the rows deleted so far stay deleted. */
  signal?: AbortSignal;
}

/** Filters and page of `list()`. */
export interface SessionListOptions {
  /**
   * `'active'`: unexpired sessions; `'expired'`: expired ones the cleanup has not deleted yet;
   * `'all'`: both.
   * @default 'active'
   */
  status?: SessionListFilter['status'];
  /** Only this user's sessions. */
  userId?: UserId;
  /** Only sessions whose IP starts with this text, e.g. `'203.0.113.'` or `'2001:db8:'`. */
  ipPrefix?: string;
  /**
   * Sessions per page, 1 to 200.
   * @default 50
   */
  limit?: number;
  /** The `nextCursor` of the previous page; unset for the first page. */
  cursor?: string | null;
}

/** A page of `list()`. */
export interface SessionListPage {
  /** Most recent activity first; sessions with the same activity in a fixed order. */
  sessions: ActiveSession[];
  /** Pass it as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Fields to start a session with, for `create()`. */
export interface CreateSessionInput {
  userId?: UserId | null;
  ip?: string | null;
  userAgent?: string | null;
  data?: SessionData;
}

/** Options of `SessionStoreService.login()`. */
export interface LoginOptions {
  /**
   * One of the user's sessions to end first (its public id): the one the user chose when a
   * sign-in was refused with `SessionLimitReachedException`. Another user's id ends nothing.
   */
  endSession?: string;
}
