import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  DEFAULT_LIST_LIMIT,
  MAX_DATA_BYTES,
  MAX_LIST_LIMIT,
  USER_SESSIONS_MODULE_OPTIONS,
} from '../user-sessions.constants.js';
import type {
  ResolvedUserSessionsOptions,
  UserId,
} from '../options/user-sessions-module-options.interface.js';
import {
  SessionStorage,
  type SessionListFilter,
  type SessionRecord,
} from '../storage/session-storage.interface.js';
import { RESERVED_DATA_KEY, splitReservedData, UserSession, type ReadSessionData, type SessionData } from '../session/user-session.js';
import { findHandle, keepHandle, RequestSessionHandle, type SessionLoader } from '../http/request-session-handle.js';
import {
  digestLegacySessionId,
  digestSessionKey,
  generateSessionKey,
  isWellFormedSessionKey,
} from '../session/session-key.js';
import { unsignExpressSessionCookie } from '../express-session/express-session-cookie.js';
import { ExpressSessionTable } from '../express-session/express-session-table.js';
import { normalizeIp, normalizeUserAgent, readClientHints, requestIp, truncateIp, type ClientRequestLike } from '../http/client-info.js';
import { appendHeader, readCookies, serializeCookie } from '../http/cookies.js';
import { isStatementError } from '../storage/database-errors.js';
import { normalizeUserId } from '../session/user-id.js';
import { decodeSessionListCursor, encodeSessionListCursor } from './session-list-cursor.js';
import { SessionStoreUnavailableException } from '../exceptions/session-store-unavailable.exception.js';
import { withStorageTimeout } from '../storage/storage-timeout.js';
import { UserSessionsEventsPublisher } from '../events/user-sessions-events.publisher.js';
import {
  UserSessionsEvents,
  type EndSessionsOptions,
  type SessionEndedBy,
  type SessionEndedEvent,
} from '../events/user-sessions.events.js';

/** A session as listed for its user: everything but the key and the data. */
export interface ActiveSession {
  /** The public, opaque id (the key's SHA-256 digest); it cannot be used as a cookie. */
  id: string;
  userId: UserId | null;
  ip: string | null;
  userAgent: string | null;
  clientPlatform: string | null;
  clientPlatformVersion: string | null;
  lastActivity: Date;
  /** With `idleTimeout`, moves with activity (see `UserSession.expireDate`). */
  expireDate: Date;
  /** Created, or last signed in: `maxAge` counts from it. */
  createdAt: Date;
}

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

/**
 * The parts of a request the session layer reads: Express's request, a FastifyRequest, or
 * the Node.js request that Nest middleware gets on Fastify, on which @fastify/middie sets
 * `ip` and `protocol` as Fastify's `trustProxy` option sees them.
 */
interface PlatformRequest extends ClientRequestLike {
  protocol?: string;
}

/** The platform hints a request sent, or null when it sent none. */
type ClientHintsSeen = RequestSessionHandle['clientHints'];

/** The columns that describe the client: written together by every save and activity update. */
function clientOf(session: UserSession) {
  return {
    ip: session.ip,
    userAgent: session.userAgent,
    clientPlatform: session.clientPlatform,
    clientPlatformVersion: session.clientPlatformVersion,
  };
}

/**
 * The database session store (the seed's `SessionStore`). Apps inject it to sign users in
 * and out, and to list and end sessions; the module's middleware uses it to load and
 * commit the session of each request. Every method works outside HTTP too.
 */
@Injectable()
export class SessionStoreService implements SessionLoader {
  private readonly logger = new Logger('UserSessions');

  constructor(
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
    @Inject(SessionStorage) private readonly storage: SessionStorage,
    /** The old express-session table, with `legacyCookie` only. */
    @Optional() @Inject(ExpressSessionTable) private readonly legacyTable: ExpressSessionTable | null = null,
    private readonly events: UserSessionsEventsPublisher,
  ) {}

  // ---------------------------------------------------------------- sessions by key

  /** Creates and stores a new session (for code outside HTTP, and for tests). */
  async create(input: CreateSessionInput = {}): Promise<UserSession> {
    if (input.data && Object.hasOwn(input.data, RESERVED_DATA_KEY)) {
      throw new RangeError(`"${RESERVED_DATA_KEY}" is where the library keeps its own records in the session data; choose another name`);
    }
    const session = this.newSession(this.recordedIp(input.ip), this.recordedUserAgent(input.userAgent), null);
    if (input.data) session.replaceData(structuredClone(input.data));
    if (input.userId !== undefined && input.userId !== null) {
      session.userId = this.normalizeUserId(input.userId);
    }
    await this.save(session);
    return session;
  }

  /** The unexpired session with this key, or null. Junk keys cost no query. */
  async load(key: string): Promise<UserSession | null> {
    if (!isWellFormedSessionKey(key)) return null;
    const record = await this.findUnexpired(key);
    return record && this.fromRecord(record, key, record.ip, record.userAgent, null);
  }

  /** Whether an unexpired session with this key exists. */
  async exists(key: string): Promise<boolean> {
    return (await this.load(key)) !== null;
  }

  /**
   * Writes the whole session: inserts it with a new key when it is not stored yet, else
   * updates its row. Returns false, writing nothing, when the row was deleted meanwhile
   * (the session was ended elsewhere): a revoked session is never brought back.
   */
  async save(session: UserSession): Promise<boolean> {
    return this.write(session, null);
  }

  /** `save()`, giving the stored row the key `rename` in the same statement when set. */
  private async write(session: UserSession, rename: { key: string; id: string } | null): Promise<boolean> {
    const data = this.serialize(session);
    const now = new Date();
    if (this.options.idleTimeout > 0) session.expireDate = this.expiryAt(session.createdAt, now);
    const inserting = !session.isStored;
    if (inserting) {
      if (rename) session.setKey(rename.key, rename.id);
      else if (session.key === null) {
        const key = generateSessionKey();
        session.setKey(key, digestSessionKey(key));
      }
      await this.query(() => this.storage.insert({ ...this.toRecord(session, now), data }));
    } else {
      const written = await this.query(() =>
        this.storage.update(session.id!, {
          ...(rename && { id: rename.id }),
          data,
          userId: session.userId,
          expireDate: session.expireDate,
          ...clientOf(session),
          lastActivity: now,
        }),
      );
      if (!written) {
        this.markVanished(session);
        return false;
      }
      if (rename) session.setKey(rename.key, rename.id);
    }
    this.markStored(session, now);
    if (inserting) this.publishCreated(session, now);
    return true;
  }

  /**
   * Deletes a session (by object or by id); returns whether it existed. Its `ended` event says
   * `endedBy: 'self'` for a session object, `'admin'` for an id, unless `options` say otherwise.
   */
  async delete(session: UserSession | string, options: EndSessionsOptions = {}): Promise<boolean> {
    if (typeof session === 'string') {
      // The event names the session's user: read it first, only when someone listens.
      const record = this.events.isListening(UserSessionsEvents.ended)
        ? await this.query(() => this.storage.find(session))
        : null;
      const existed = await this.query(() => this.storage.delete(session));
      if (existed) {
        this.publishEnded('session', options, 'admin', { sessionId: session, userId: record?.userId ?? null, count: 1 });
      }
      return existed;
    }
    const { id, userId } = session;
    const existed = id !== null && session.isStored
      ? await this.query(() => this.storage.delete(id))
      : false;
    this.markEnded(session);
    // Signing out is done by the session itself, unless the caller says who did it.
    if (existed) this.publishEnded('session', { actor: { id, userId }, ...options }, 'self', { sessionId: id, userId, count: 1 });
    return existed;
  }

  /**
   * Gives the session a new key and keeps its data. The old key stops working at once.
   */
  async cycleKey(session: UserSession): Promise<void> {
    const key = generateSessionKey();
    const id = digestSessionKey(key);
    if (session.isStored) {
      const written = await this.query(() => this.storage.update(session.id!, { id }));
      if (!written) {
        this.markVanished(session);
        return;
      }
    }
    session.setKey(key, id);
  }

  /**
   * Signs `userId` in on this session, and stores it. The session always gets a new key,
   * so a key planted in the browser before login (session fixation) is worthless after it.
   * Signing in as another user than the session's starts with empty data. Login restarts the
   * session's lifetime: `createdAt` becomes now, and `maxAge` counts from it.
   */
  async login(session: UserSession, userId: UserId): Promise<void> {
    const user = this.normalizeUserId(userId);
    if (session.userId !== null && session.userId !== user) {
      session.replaceData({});
    }
    const now = new Date();
    // Signing in is entering the password: "sudo mode" counts from here (see reauthenticate()).
    session.setAuthenticatedAt(now);
    const data = this.serialize(session);
    const key = generateSessionKey();
    const id = digestSessionKey(key);
    session.userId = user;
    session.createdAt = now;
    session.expireDate = this.expiryAt(now, now);
    session.lastActivity = now;
    const renamed =
      session.isStored &&
      (await this.query(() =>
        this.storage.update(session.id!, {
          id,
          data,
          userId: user,
          expireDate: session.expireDate,
          ...clientOf(session),
          lastActivity: now,
          createdAt: now,
        }),
      ));
    session.setKey(key, id);
    if (!renamed) {
      // New session, or its row was ended meanwhile: login starts a fresh row.
      await this.query(() => this.storage.insert({ ...this.toRecord(session, now), data }));
    }
    this.markStored(session, now);
    if (!renamed) this.publishCreated(session, now);
    if (this.events.isListening(UserSessionsEvents.signedIn)) await this.publishSignedIn(session, now);
  }

  /**
   * Records that the signed-in user has just entered their password again ("sudo mode": see
   * `@RequireRecentLogin()`), after the app checked it, and stores the session. Like `login()`
   * it gives the session a new key, so a copy of the old cookie, wherever it went, does not
   * share the new privilege. One UPDATE by primary key. Returns false when the session is not
   * signed in, or was ended meanwhile (it is then anonymous, as after any write that finds its
   * row gone).
   */
  async reauthenticate(session: UserSession): Promise<boolean> {
    if (!session.isAuthenticated || !session.isStored) return false;
    session.setAuthenticatedAt(new Date());
    const key = generateSessionKey();
    // One UPDATE renames the row and records the time; false when it was ended meanwhile.
    return this.write(session, { key, id: digestSessionKey(key) });
  }

  /** Signs out: deletes the session's row; in a request, the cookie is cleared too. */
  async logout(session: UserSession): Promise<void> {
    await this.delete(session);
  }

  // ---------------------------------------------------------------- sessions by user

  /** The user's unexpired sessions, most recent activity first. */
  async listActive(userId: UserId): Promise<ActiveSession[]> {
    const user = this.normalizeUserId(userId);
    const now = new Date();
    const records = await this.query(() => this.storage.listActive(user, now));
    return records.filter((record) => this.isActive(record, now)).map(({ data: _data, ...summary }) => summary);
  }

  /**
   * Whether a session (as `list()` or `listActive()` gives it) is still valid: before its
   * expiry and, with `idleTimeout`, used within it. The request path applies the same rule.
   */
  isActive(session: Pick<ActiveSession, 'expireDate' | 'lastActivity'>, now: Date = new Date()): boolean {
    const { idleTimeout } = this.options;
    return (
      session.expireDate.getTime() > now.getTime() &&
      // Implied by the expiry for every row written with idleTimeout on; this catches rows
      // written before it was turned on, and imported ones, until their next write.
      (idleTimeout === 0 || session.lastActivity.getTime() + idleTimeout > now.getTime())
    );
  }

  /**
   * Ends one of the user's sessions by id. Returns false for an id that is unknown or another
   * user's: the caller cannot tell these apart. (The user's own expired session, not cleaned
   * up yet, is deleted and counts as found: it tells them nothing about anyone else.) Its
   * `ended` event says `endedBy: 'other-session'` unless `options` say otherwise; pass the
   * caller's session as `options.actor`.
   */
  async deleteForUser(userId: UserId, id: string, options: EndSessionsOptions = {}): Promise<boolean> {
    const user = this.normalizeUserId(userId);
    const existed = await this.query(() => this.storage.delete(id, user));
    if (existed) this.publishEnded('session', options, 'other-session', { sessionId: id, userId: user, count: 1 });
    return existed;
  }

  /**
   * Ends every unexpired session of the user but `exceptSession`; returns how many. The
   * `ended` event names `exceptSession` (a session object) as the one who did it.
   */
  async deleteOthers(
    userId: UserId,
    exceptSession: UserSession | string | null,
    options: EndSessionsOptions = {},
  ): Promise<number> {
    const user = this.normalizeUserId(userId);
    const exceptId = typeof exceptSession === 'string' ? exceptSession : exceptSession?.id ?? null;
    const count = await this.query(() => this.storage.deleteOthers(user, exceptId, new Date()));
    if (count > 0) {
      const actor = typeof exceptSession === 'object' && exceptSession !== null ? exceptSession : null;
      this.publishEnded('others', { actor, ...options }, 'other-session', { userId: user, keptSessionId: exceptId, count });
    }
    return count;
  }

  /**
   * Ends every session of the user, expired or not, this one included: after a password
   * reset or when an account is locked, say. Returns how many there were. Its `ended` event
   * says `endedBy: 'admin'` unless `options` say otherwise.
   */
  async deleteAllForUser(userId: UserId, options: EndSessionsOptions = {}): Promise<number> {
    const user = this.normalizeUserId(userId);
    const count = await this.query(() => this.storage.deleteAllForUser(user));
    if (count > 0) this.publishEnded('user', options, 'admin', { userId: user, count });
    return count;
  }

  /**
   * Sessions of every user, for administration: filtered, most recent activity first, a page
   * at a time (one query per page, by position, so sessions that come and go between pages
   * neither repeat nor shift the rest). Never the keys.
   *
   * @example
   * let page = await store.list({ userId: 42, status: 'all' });
   * while (page.nextCursor) page = await store.list({ userId: 42, status: 'all', cursor: page.nextCursor });
   */
  async list(options: SessionListOptions = {}): Promise<SessionListPage> {
    const { status = 'active', ipPrefix, limit = DEFAULT_LIST_LIMIT, cursor } = options;
    if (!['active', 'expired', 'all'].includes(status)) {
      throw new RangeError(`status must be 'active', 'expired' or 'all', got ${JSON.stringify(status)}`);
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new RangeError(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got ${limit}`);
    }
    if (ipPrefix !== undefined && (typeof ipPrefix !== 'string' || ipPrefix.length === 0)) {
      throw new RangeError('ipPrefix must be the non-empty start of an IP address');
    }
    const after = cursor === undefined || cursor === null ? undefined : decodeSessionListCursor(cursor);
    if (after === null) {
      throw new RangeError('cursor must be the nextCursor of a page of list()');
    }
    const userId = options.userId === undefined ? undefined : this.normalizeUserId(options.userId);
    const records = await this.query(() =>
      this.storage.list(
        // IPs are stored in lower case; one more row tells whether there is a next page.
        { status, userId, ipPrefix: ipPrefix?.toLowerCase(), after, limit: limit + 1 },
        new Date(),
      ),
    );
    const sessions = records.slice(0, limit).map(({ data: _data, ...summary }) => summary);
    const last = sessions.at(-1);
    return {
      sessions,
      nextCursor: records.length > limit && last ? encodeSessionListCursor(last) : null,
    };
  }

  /**
   * Deletes every expired session, `cleanupBatchSize` rows per statement; returns how many.
   * `onProgress` is called after each batch with the number deleted so far; an aborted
   * `signal` stops it before the next batch.
   */
  async clearExpired(options: ClearExpiredOptions = {}): Promise<number> {
    let deleted = 0;
    const onProgress = (total: number) => {
      deleted = total;
      options.onProgress?.(total);
    };
    try {
      // No time limit: deleting a large backlog takes long by design, one short batch at a time.
      deleted = await this.query(() => this.storage.deleteExpired(new Date(), { ...options, onProgress }), 0);
      return deleted;
    } finally {
      // One event per run, not per row: a backlog may be millions of rows. A run that failed
      // part way still reports the batches it deleted.
      if (deleted > 0) this.publishEnded('expired', {}, 'expiry', { count: deleted });
    }
  }

  // ---------------------------------------------------------------- the request path

  /**
   * The session handle of a request, created on first use. Reads the cookie, IP and user
   * agent; costs no query.
   */
  forRequest(request: object): RequestSessionHandle {
    let handle = findHandle(request);
    if (!handle) {
      const platformRequest = request as PlatformRequest;
      const headers = platformRequest.headers;
      handle = new RequestSessionHandle(
        readCookies(headers?.cookie, this.options.cookieName).find(isWellFormedSessionKey) ?? null,
        this.recordedIp(requestIp(platformRequest)),
        this.recordedUserAgent(headers?.['user-agent']),
        this.options.storeUserAgent ? readClientHints(headers) : null,
        platformRequest,
        this,
      );
      if (this.options.legacyCookie) {
        handle.legacyCookies = readCookies(headers?.cookie, this.options.legacyCookie.name);
      }
      keepHandle(request, handle);
    }
    return handle;
  }

  /**
   * The request's session: loaded from the cookie on first use with one primary-key
   * SELECT, or a new, empty session (not stored until something modifies it).
   */
  getSession(request: object): Promise<UserSession> {
    return this.forRequest(request).load();
  }

  /**
   * Writes what the request changed and sets the cookie; the middleware calls it when the
   * response is about to be sent. What it costs the database:
   * - session never used, or used and unchanged within `activityInterval`: nothing;
   * - IP, user agent or platform hints changed, or activity older than `activityInterval`:
   *   one UPDATE of those columns only, so data saved by a concurrent request is never
   *   overwritten;
   * - data, user or expiry changed, or a new session with data: one UPDATE or INSERT.
   */
  async commit(request: object, response: unknown): Promise<void> {
    const session = findHandle(request)?.session;
    if (!session) return;
    if (session.dataModified) {
      await this.save(session);
    } else if (session.isStored && this.activityIsDue(session)) {
      await this.touch(session);
    }
    this.setCookie(request, response);
  }

  /** Whether `commit()` would write to the database; false lets a response go out at once. */
  needsWrite(request: object): boolean {
    const session = findHandle(request)?.session;
    return session !== undefined && (session.dataModified || (session.isStored && this.activityIsDue(session)));
  }

  /**
   * Whether the request moved a session over from the old express-session cookie: its new key
   * is in the database already, so the cookie must go out even with an error response.
   */
  movedOverLegacySession(request: object): boolean {
    return findHandle(request)?.legacyMovedOver === true;
  }

  /**
   * Sets `Vary` and, when the key or expiry changed or the user signed out, `Set-Cookie`;
   * clears the old express-session cookie once its session has moved over.
   */
  setCookie(request: object, response: unknown): void {
    const handle = findHandle(request);
    const session = handle?.session;
    if (!handle || !session) return;
    appendHeader(response, 'Vary', 'Cookie');
    if (handle.legacyMovedOver && this.options.legacyCookie) {
      // Path=/ and no Domain: express-session's defaults. An old cookie set elsewhere stays in
      // the browser, but it is dead: its session has a new key and its old row is destroyed.
      appendHeader(response, 'Set-Cookie', serializeCookie(this.options.legacyCookie.name, '', {
        ...this.cookieAttributes(handle),
        path: '/',
        domain: undefined,
        maxAge: 0,
      }));
      handle.legacyMovedOver = false;
    }
    if (session.ended && !session.isStored) {
      // Signed out (and nothing new was stored): the browser forgets the key.
      if (handle.cookieKey !== null) {
        appendHeader(response, 'Set-Cookie', serializeCookie(this.options.cookieName, '', {
          ...this.cookieAttributes(handle),
          maxAge: 0,
        }));
      }
      return;
    }
    if (session.cookieStale && session.key !== null) {
      const attributes = this.cookieAttributes(handle);
      if (!this.options.expireAtBrowserClose) {
        attributes.maxAge = (this.cookieExpiry(session) - Date.now()) / 1000;
      }
      appendHeader(response, 'Set-Cookie', serializeCookie(this.options.cookieName, session.key, attributes));
      session.cookieStale = false;
    }
    // Why no cookie is cleared for a missing or expired row: a slow request still carrying
    // the old key after a login elsewhere in the same browser would erase the new cookie.
  }

  // ---------------------------------------------------------------- internals

  /** @internal The session of a request's handle (see `RequestSessionHandle.load()`). */
  async loadSession(handle: RequestSessionHandle): Promise<UserSession> {
    const key = handle.cookieKey;
    // findUnexpired(), inlined: this is the read every authenticated request makes.
    const record = key === null ? null : await this.query(() => this.storage.find(digestSessionKey(key)));
    if (record && this.isActive(record)) return this.fromRecord(record, key, handle.ip, handle.userAgent, handle.clientHints);
    // Only a request that carries the old express-session cookie gets here with something to do.
    const movedOver = handle.legacyCookies.length > 0 ? await this.moveOverLegacySession(handle) : null;
    return movedOver ?? this.newSession(handle.ip, handle.userAgent, handle.clientHints);
  }

  /**
   * The session that `importExpressSessions()` copied for the request's old express-session
   * cookie, moved over to a new key of ours (like `cycleKey()`: the old id is dead after it);
   * null when the cookie is not signed by a `legacyCookie.secret` or names no live imported
   * session. What it costs: one primary-key SELECT; for a session found, two UPDATEs, once.
   *
   * A validly signed cookie that finds nothing is left in the browser: the import may not
   * have run yet when the new app starts serving.
   */
  private async moveOverLegacySession(handle: RequestSessionHandle): Promise<UserSession | null> {
    const legacy = this.options.legacyCookie!;
    const secrets = ([] as string[]).concat(legacy.secret);
    let sid: string | null = null;
    for (const value of handle.legacyCookies) {
      sid = unsignExpressSessionCookie(value, secrets);
      if (sid !== null) break;
    }
    if (sid === null) return null;
    const legacyId = digestLegacySessionId(sid);
    const record = await this.query(() => this.storage.find(legacyId));
    if (!record || !this.isActive(record)) return null;

    // The old row first: should the rename fail, the old cookie still finds the session, and
    // at no moment can a later import copy the old id back in.
    await this.markLegacyRowDestroyed(sid);
    const session = this.fromRecord(record, null, handle.ip, handle.userAgent, handle.clientHints);
    const key = generateSessionKey();
    const id = digestSessionKey(key);
    const now = new Date();
    // The rename records the client too: the import left IP and user agent unknown.
    const expiry = this.activityExpiry(session, now);
    const renamed = await this.query(() =>
      this.storage.update(legacyId, { id, ...clientOf(session), lastActivity: now, ...expiry }),
    );
    if (!renamed) return null; // a concurrent request with the same cookie moved it over first
    session.setKey(key, id);
    this.markTouched(session, now, expiry);
    handle.legacyMovedOver = true;
    return session;
  }

  /**
   * Soft-deletes the old express-session row of a session that moves over. A missing table
   * (dropped after the import, or a wrong `legacyCookie.table`) does not stop the move-over,
   * since it is what a re-import would read: it is logged.
   */
  private async markLegacyRowDestroyed(sid: string): Promise<void> {
    if (!this.legacyTable) return;
    try {
      await this.query(() => this.legacyTable!.markDestroyed(sid));
    } catch (error) {
      if (error instanceof SessionStoreUnavailableException) throw error;
      this.logger.warn(
        `A session moved over from express-session, but its old row could not be marked destroyed in table "${this.legacyTable.name}" ` +
          `(${(error as Error)?.message ?? error}); set legacyCookie.table to the table the import read, or a later import copies it back.`,
      );
    }
  }

  /**
   * The row of a key, by one primary-key SELECT on its digest; null when there is none or it
   * has expired (or been idle too long), whether or not the cleanup has deleted it yet.
   */
  private async findUnexpired(key: string): Promise<SessionRecord | null> {
    const record = await this.query(() => this.storage.find(digestSessionKey(key)));
    return record && this.isActive(record) ? record : null;
  }

  /**
   * The expiry a session created (or signed in) at `createdAt` gets from a write at `now`:
   * `createdAt + maxAge`; with `idleTimeout`, no later than `now + idleTimeout`. Why the idle
   * timeout lives in `expire_date` rather than in a check of `last_activity`: every query that
   * decides validity (the request's SELECT, the lists, "end all others", the cleanup) already
   * compares `expire_date` with the clock, on an index, in every storage; and the activity
   * update that moves it is one the request path makes anyway (once per `activityInterval`).
   */
  private expiryAt(createdAt: Date, now: Date): Date {
    const deadline = createdAt.getTime() + this.options.maxAge;
    const idle = this.options.idleTimeout;
    return new Date(idle > 0 ? Math.min(deadline, now.getTime() + idle) : deadline);
  }

  /** What an activity update writes besides `last_activity`: the moved expiry, with `idleTimeout` only. */
  private activityExpiry(session: UserSession, now: Date): { expireDate?: Date } {
    return this.options.idleTimeout > 0 ? { expireDate: this.expiryAt(session.createdAt, now) } : {};
  }

  /**
   * When the cookie should expire: the session's expiry, but with `idleTimeout` the absolute
   * deadline, since the expiry then moves with activity updates that send no cookie. The
   * server enforces both either way; the cookie's Max-Age only lets the browser forget.
   */
  private cookieExpiry(session: UserSession): number {
    return this.options.idleTimeout > 0
      ? session.createdAt.getTime() + this.options.maxAge
      : session.expireDate.getTime();
  }

  /** The client's IP as the `ipAddresses` privacy option lets us keep it. */
  private recordedIp(value: unknown): string | null {
    if (this.options.ipAddresses === 'none') return null;
    const ip = normalizeIp(value);
    return ip !== null && this.options.ipAddresses === 'truncated' ? truncateIp(ip) : ip;
  }

  /** The user agent, unless the `storeUserAgent` privacy option is off. */
  private recordedUserAgent(value: unknown): string | null {
    return this.options.storeUserAgent ? normalizeUserAgent(value) : null;
  }

  private activityIsDue(session: UserSession): boolean {
    const stored = session.stored!;
    return (
      session.clientChanged ||
      Date.now() - stored.lastActivity.getTime() >= this.options.activityInterval
    );
  }

  /**
   * Records activity and the client (IP, user agent, platform hints): those columns only, and
   * with `idleTimeout` the expiry it moves.
   */
  private async touch(session: UserSession): Promise<void> {
    const now = new Date();
    const expiry = this.activityExpiry(session, now);
    const written = await this.query(() =>
      this.storage.update(session.id!, { ...clientOf(session), lastActivity: now, ...expiry }),
    );
    if (written) this.markTouched(session, now, expiry);
  }

  /** After an activity update: what the row now holds. */
  private markTouched(session: UserSession, now: Date, expiry: { expireDate?: Date }): void {
    Object.assign(session, expiry);
    session.lastActivity = now;
    session.stored = { ...clientOf(session), lastActivity: now };
  }

  private newSession(ip: string | null, userAgent: string | null, hints: ClientHintsSeen): UserSession {
    const now = new Date();
    return new UserSession({
      key: null,
      id: null,
      userId: null,
      data: {},
      expireDate: this.expiryAt(now, now),
      ip,
      userAgent,
      clientPlatform: hints?.platform ?? null,
      clientPlatformVersion: hints?.platformVersion ?? null,
      lastActivity: now,
      createdAt: now,
      stored: null,
      slidingExpiry: this.options.idleTimeout > 0,
    });
  }

  private fromRecord(
    record: SessionRecord,
    key: string | null,
    ip: string | null,
    userAgent: string | null,
    hints: ClientHintsSeen,
  ): UserSession {
    // A request without hints (Firefox, Safari, plain HTTP) keeps the ones recorded before.
    return new UserSession({
      key,
      id: record.id,
      userId: record.userId,
      // Parsed on first use: a request that only asks who is signed in never reads the JSON.
      data: record.data,
      readData: this.readStoredData,
      expireDate: record.expireDate,
      ip,
      userAgent,
      clientPlatform: hints ? hints.platform : record.clientPlatform,
      clientPlatformVersion: hints ? hints.platformVersion : record.clientPlatformVersion,
      lastActivity: record.lastActivity,
      createdAt: record.createdAt,
      // The record has the stored state's fields (and is never changed: a write replaces it).
      stored: record,
      slidingExpiry: this.options.idleTimeout > 0,
    });
  }

  private toRecord(session: UserSession, now: Date): Omit<SessionRecord, 'data'> {
    return {
      id: session.id!,
      userId: session.userId,
      expireDate: session.expireDate,
      ...clientOf(session),
      lastActivity: now,
      createdAt: session.createdAt,
    };
  }

  private markStored(session: UserSession, now: Date): void {
    this.markTouched(session, now, {});
    session.dataModified = false;
    session.ended = false;
  }

  /** Deleted on purpose (logout, delete): the request's cookie is cleared. */
  private markEnded(session: UserSession): void {
    this.markVanished(session);
    session.ended = true;
  }

  /**
   * The row was gone when we wrote (ended elsewhere): the session is anonymous from now on,
   * but the cookie is left alone, since the browser may hold a newer key by now.
   */
  private markVanished(session: UserSession): void {
    session.stored = null;
    session.userId = null;
    session.replaceData({});
    session.setAuthenticatedAt(null);
    session.dataModified = false;
    session.clearKey();
  }

  // ---------------------------------------------------------------- events

  private publishCreated(session: UserSession, at: Date): void {
    if (!this.events.isListening(UserSessionsEvents.created)) return;
    this.events.publish({
      type: UserSessionsEvents.created,
      sessionId: session.id!,
      userId: session.userId,
      ip: session.ip,
      userAgent: session.userAgent,
      at,
    });
  }

  /**
   * The sign-in event, with whether the user's other unexpired sessions know this user agent
   * and IP: one SELECT on the indexed `user_id`, made only for a listener. A failure to read
   * them does not fail the sign-in, which is stored already: the event says null (unknown).
   */
  private async publishSignedIn(session: UserSession, at: Date): Promise<void> {
    let others: SessionRecord[] | null = null;
    try {
      const records = await this.query(() => this.storage.listActive(session.userId!, at));
      others = records.filter((record) => record.id !== session.id && this.isActive(record, at));
    } catch (error) {
      this.logger.warn(`A sign-in's other sessions could not be read for its event: ${(error as Error)?.message ?? error}`);
    }
    const isNew = (field: 'ip' | 'userAgent') =>
      others === null || session[field] === null ? null : !others.some((other) => other[field] === session[field]);
    this.events.publish({
      type: UserSessionsEvents.signedIn,
      sessionId: session.id!,
      userId: session.userId!,
      ip: session.ip,
      userAgent: session.userAgent,
      ...this.events.describe(session),
      newDevice: isNew('userAgent'),
      newIp: isNew('ip'),
      at,
    });
  }

  private publishEnded(
    scope: SessionEndedEvent['scope'],
    options: EndSessionsOptions,
    defaultEndedBy: SessionEndedBy,
    ended: Partial<Pick<SessionEndedEvent, 'sessionId' | 'keptSessionId' | 'userId'>> & { count: number },
  ): void {
    if (!this.events.isListening(UserSessionsEvents.ended)) return;
    const actor = options.actor ? { userId: options.actor.userId, sessionId: options.actor.id } : null;
    this.events.publish({
      type: UserSessionsEvents.ended,
      endedBy: options.endedBy ?? defaultEndedBy,
      scope,
      sessionId: ended.sessionId ?? null,
      keptSessionId: ended.keptSessionId ?? null,
      userId: ended.userId ?? null,
      count: ended.count,
      actor,
      at: new Date(),
    });
  }

  /** How a session loaded from a row reads its data's JSON, on first use. */
  private readonly readStoredData = (json: string, id: string | null): ReadSessionData => splitReservedData(this.parseData(json, id));

  private parseData(json: string, id: string | null): SessionData {
    try {
      const data: unknown = JSON.parse(json);
      if (data !== null && typeof data === 'object' && !Array.isArray(data)) return data as SessionData;
    } catch {
      // fall through
    }
    this.logger.warn(`Session ${id?.slice(0, 8) ?? ''}… has unreadable data; it is treated as empty.`);
    return {};
  }

  private serialize(session: UserSession): string {
    const data = session.serializeData();
    if (Buffer.byteLength(data) > MAX_DATA_BYTES) {
      throw new RangeError(
        `Session data is ${Buffer.byteLength(data)} bytes of JSON; at most ${MAX_DATA_BYTES} fit. Store large values elsewhere and keep their ids in the session.`,
      );
    }
    return data;
  }

  private normalizeUserId(userId: UserId): UserId {
    return normalizeUserId(userId, this.options.userIdType);
  }

  private cookieAttributes(handle: RequestSessionHandle) {
    return {
      path: this.options.cookiePath,
      domain: this.options.cookieDomain,
      httpOnly: true as const,
      secure: this.options.secure === 'auto' ? handle.secure : this.options.secure,
      sameSite: this.options.sameSite,
      maxAge: undefined as number | undefined,
    };
  }

  /**
   * Runs one storage call. An unreachable database, or one that does not answer within
   * `storageTimeout`, becomes a 503 (clients retry, nothing hangs or crashes), logged with the
   * driver's message; a statement the database refused (a foreign key to a missing user, say)
   * is rethrown as the bug it is. Only digests reach the database, so no message can carry a
   * session key.
   */
  private query<T>(action: () => Promise<T>, timeoutMs = this.options.storageTimeout): Promise<T> {
    let work: Promise<T>;
    try {
      work = action();
    } catch (error) {
      work = Promise.reject(error);
    }
    // Not an async function with try/await: this runs on every request, and the mapping inside
    // the timeout's own promise saves a promise and a turn of the microtask queue.
    return withStorageTimeout(work, timeoutMs, (error) => this.storageFailure(error));
  }

  private storageFailure(error: unknown): unknown {
    if (isStatementError(error)) return error;
    this.logger.error(`Session store failure: ${(error as Error)?.message ?? error}`);
    return new SessionStoreUnavailableException(error);
  }
}
