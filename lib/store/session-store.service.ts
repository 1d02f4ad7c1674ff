import { Inject, Injectable, Logger } from '@nestjs/common';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import { GuardedSessionStorage } from '../storage/guarded-session.storage.js';
import type { ExpiredSession } from '../storage/session-storage.interface.js';
import { clientOf, type SessionKeyColumns, type SessionRecord } from '../session/session-record.js';
import { RESERVED_DATA_KEY } from '../session/session-data.js';
import { UserSession } from '../session/user-session.js';
import { SessionLifetime } from '../session/session-lifetime.js';
import { SessionMapper } from '../session/session-mapper.js';
import { ClientRecorder } from '../session/client.js';
import { digestSessionKey, generateSessionKey, isWellFormedSessionKey } from '../session/session-key.js';
import { normalizeUserId, type UserId } from '../session/user-id.js';
import { UserSessionsEventsPublisher } from '../events/user-sessions-events.publisher.js';
import { UserSessionsEvents, type EndSessionsOptions, type SecurityEventReason } from '../events/user-sessions.events.js';
import { decodeSessionListCursor, encodeSessionListCursor } from './session-list-cursor.js';
import { SessionLimit } from './session-limit.js';
import { KeyRotation, type KeyChange } from './key-rotation.js';
import { SignInRecord } from './sign-in-record.js';
import { RiskSignals } from '../risk/risk-signals.js';
import { SecurityActivityService } from '../activity/security-activity.service.js';
import type { RecognizedDevice } from '../devices/device-registry.js';
import type { ActiveSession, ClearExpiredOptions, CreateSessionInput, LoginOptions, SessionListOptions, SessionListPage } from './session-store.types.js';

/** A session as listed: its row without the data and the key columns. */
function summaryOf({ data: _data, keyDigest: _keyDigest, previousKeyDigest: _previous, keySeal: _seal, keyIssuedAt: _issued, ...summary }: SessionRecord): ActiveSession {
  return summary;
}

/** A new key, issued at `now`, replacing none: what sign-in, re-authentication and `cycleKey()` give. */
function freshKey(now: Date): KeyChange {
  const key = generateSessionKey();
  return { key, columns: { keyDigest: digestSessionKey(key), previousKeyDigest: null, keySeal: null, keyIssuedAt: now } };
}

/**
 * The database session store (the seed's `SessionStore`): sessions by key (create, load, save,
 * sign in and out, new keys) and by user (list, end), for administration, and the cleanup. Apps
 * inject it to sign users in and out and to list and end sessions; every method works outside
 * HTTP too. Each method is one statement (`login()` with a listener of sign-ins: two), through
 * the outage guard (`GuardedSessionStorage`).
 */
@Injectable()
export class SessionStoreService {
  constructor(
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
    private readonly storage: GuardedSessionStorage,
    private readonly lifetime: SessionLifetime,
    private readonly mapper: SessionMapper,
    private readonly client: ClientRecorder,
    private readonly events: UserSessionsEventsPublisher,
    private readonly limit: SessionLimit,
    private readonly rotation: KeyRotation,
    private readonly signIns: SignInRecord,
    private readonly risk: RiskSignals,
    private readonly activity: SecurityActivityService,
  ) {}

  // ---------------------------------------------------------------- sessions by key

  /** Creates and stores a new session (for code outside HTTP, and for tests). */
  async create(input: CreateSessionInput = {}): Promise<UserSession> {
    if (input.data && Object.hasOwn(input.data, RESERVED_DATA_KEY)) {
      throw new RangeError(`"${RESERVED_DATA_KEY}" is where the library keeps its own records in the session data; choose another name`);
    }
    const session = this.mapper.newSession({ ip: this.client.ip(input.ip), userAgent: this.client.userAgent(input.userAgent), hints: null });
    if (input.data) session.replaceData(structuredClone(input.data));
    if (input.userId !== undefined && input.userId !== null) {
      session.userId = this.normalizeUserId(input.userId);
    }
    await this.save(session);
    return session;
  }

  /**
   * The unexpired session with this key, or null. Junk keys cost no query. With
   * `rotationInterval`, a key its session's last rotation replaced finds the session too, within
   * the grace (its `key` is then the current one, to hand to the client); past it, the session is
   * ended as stolen (see `KeyRotation`) and this returns null.
   */
  async load(key: string): Promise<UserSession | null> {
    if (!isWellFormedSessionKey(key)) return null;
    const digest = digestSessionKey(key);
    const record = await this.storage.find(digest);
    if (record && this.lifetime.isActive(record)) return this.mapper.fromRecord(record, key, this.mapper.recordedClient(record));
    const previous = await this.rotation.findByPreviousKey(key, digest, null);
    return previous === 'ended' ? null : previous;
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

  /**
   * `save()`, giving the stored row a new key in the same statement when `keyChange` is set. A
   * signed-in session's change of country or network (see `RiskSignals`) is reported once written.
   */
  private async write(session: UserSession, keyChange: KeyChange | null, checkPlace = true): Promise<boolean> {
    const now = new Date();
    const placeChange = checkPlace && session.isStored ? this.risk.placeChange(session, now) : null;
    const data = session.serializeData();
    if (this.lifetime.slidingExpiry) session.expireDate = this.lifetime.expiryAt(session.createdAt, now);
    const inserting = !session.isStored;
    if (inserting) {
      const change = keyChange ?? (session.key === null ? freshKey(now) : null);
      if (change) session.setKey(change.key, change.columns.keyDigest, now);
      // The public id: the digest of the key the session starts with, kept when the key changes.
      session.id ??= session.keyDigest;
      await this.storage.insert(this.mapper.toRecord(session, now, data));
    } else {
      const written = await this.rotation.update(session, { ...keyChange?.columns, ...this.mapper.toChanges(session, now, data) });
      if (!written) {
        session.markVanished();
        return false;
      }
      if (keyChange) session.setKey(keyChange.key, keyChange.columns.keyDigest, keyChange.columns.keyIssuedAt);
    }
    session.markStored(now);
    if (inserting) this.events.created(session, now);
    if (placeChange) await this.risk.reportPlaceChange(session, placeChange, now);
    return true;
  }

  /**
   * Records activity and the client (IP, user agent, platform hints): those columns only, and
   * with `idleTimeout` the expiry it moves, so data saved by a concurrent request is never
   * overwritten. With `rotationInterval`, a signed-in session whose key is older than that gets
   * a new one in the same statement (`session.key` is then the new key, for the client). One
   * UPDATE by primary key; nothing when the row is gone. A request that came with the previous
   * key records nothing (see `UserSession.cameWithPreviousKey`). `rotateKey: false` for a
   * client that cannot be given a new cookie (a WebSocket). Returns false when no row has the
   * session's key (nor, with `rotationInterval`, the key that replaced it).
   */
  async touch(session: UserSession, options: { rotateKey?: boolean } = {}): Promise<boolean> {
    if (session.cameWithPreviousKey || !session.isStored) return true;
    const now = new Date();
    const placeChange = this.risk.placeChange(session, now);
    // The change made the session enter its password again: its records must be written too.
    if (placeChange && session.dataModified) {
      const written = await this.write(session, null, false);
      if (written) await this.risk.reportPlaceChange(session, placeChange, now);
      return written;
    }
    const expireDate = this.lifetime.activityExpiry(session, now);
    const rotation = options.rotateKey === false ? null : this.rotation.due(session, now);
    const changes = { ...clientOf(session), lastActivity: now, ...(expireDate && { expireDate }), ...rotation?.columns };
    // Without a rotation of its own, it follows one made meanwhile by a concurrent request (a
    // WebSocket's session, loaded before an HTTP request rotated the key); a rotation of its own
    // must not replace the key a second time.
    const written = rotation ? await this.storage.update(session.keyDigest!, changes) : await this.rotation.update(session, changes);
    if (!written) return false;
    session.markTouched(now, expireDate);
    if (rotation) session.setKey(rotation.key, rotation.columns.keyDigest, now);
    if (placeChange) await this.risk.reportPlaceChange(session, placeChange, now);
    return true;
  }

  /**
   * Deletes a session (by object or by id); returns whether it existed. Its `ended` event says
   * `endedBy: 'self'` for a session object, `'admin'` for an id, unless `options` say otherwise.
   */
  async delete(session: UserSession | string, options: EndSessionsOptions = {}): Promise<boolean> {
    if (typeof session === 'string') {
      // Read first: the delete is scoped to the session's user (see `SessionStorage.delete()`).
      const record = await this.storage.findById(session);
      const existed = record !== null && (await this.storage.delete(record));
      if (existed) await this.events.ended('session', options, 'admin', { sessionId: session, userId: record.userId, count: 1 });
      return existed;
    }
    const { id, userId, keyDigest } = session;
    const existed = id !== null && session.isStored ? await this.storage.delete({ id, userId, keyDigest }) : false;
    // The history names the device and place of a sign-out.
    const client = existed && userId !== null ? { ip: session.ip, userAgent: session.userAgent, deviceId: session.deviceId } : undefined;
    session.markEnded();
    // Signing out is done by the session itself, unless the caller says who did it.
    if (existed) await this.events.ended('session', { actor: { id, userId }, ...options }, 'self', { sessionId: id, userId, count: 1, client });
    return existed;
  }

  /** Gives the session a new key and keeps its data. The old key stops working at once. */
  async cycleKey(session: UserSession): Promise<void> {
    const { key, columns } = freshKey(new Date());
    if (session.isStored && !(await this.rotation.update(session, columns))) {
      session.markVanished();
      return;
    }
    session.setKey(key, columns.keyDigest, columns.keyIssuedAt);
  }

  /**
   * Signs `userId` in on this session, and stores it. The session always gets a new key,
   * so a key planted in the browser before login (session fixation) is worthless after it.
   * Signing in as another user than the session's starts with empty data. Login restarts the
   * session's lifetime: `createdAt` becomes now, and `maxAge` counts from it.
   */
  async login(session: UserSession, userId: UserId, options: LoginOptions = {}): Promise<void> {
    const user = this.normalizeUserId(userId);
    if (options.endSession !== undefined) await this.deleteForUser(user, options.endSession, { actor: null });
    await this.limit.checkBefore(session, user);
    if (session.userId !== null && session.userId !== user) session.replaceData({});
    const now = new Date();
    // Signing in is entering the password: "sudo mode" counts from here (see reauthenticate()).
    session.setAuthenticatedAt(now);
    // Before the row is written: the session's records name its device.
    const device = await this.signIns.recognizeDevice(session, user, now);
    const data = session.serializeData();
    const { key, columns } = freshKey(now);
    const previous = { id: session.id, userId: session.userId };
    session.userId = user;
    session.createdAt = now;
    session.expireDate = this.lifetime.expiryAt(now, now);
    session.lastActivity = now;
    const previousDigest = session.keyDigest;
    // A sign-in starts a new session: new key, and the new key's digest as its public id.
    session.setKey(key, columns.keyDigest, now);
    session.id = columns.keyDigest;
    const record = { ...this.mapper.toRecord(session, now, data), ...columns };
    // One UPDATE renames the row; a new session, or one ended meanwhile, gets a fresh row.
    const renamed = session.isStored && (await this.storage.update(previousDigest!, record));
    if (!renamed) await this.storage.insert(record);
    else if (previous.id !== null) this.events.sessionIdReplaced(previous.id, previous.userId);
    session.markStored(now);
    if (!renamed) this.events.created(session, now);
    await this.limit.enforceAfter(session, user);
    await this.signIns.recordSignIn(session, device, now);
    if (this.events.isListening(UserSessionsEvents.signedIn)) await this.publishSignedIn(session, now, device);
    await this.signIns.afterSignIn(session, device, now);
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
    const now = new Date();
    // A change of place this request brought is found first: the password entered now counts.
    this.risk.placeChange(session, now);
    session.setAuthenticatedAt(now);
    const written = await this.write(session, freshKey(now));
    if (written) await this.signIns.reauthenticated(session, now);
    return written;
  }

  /** Signs out: deletes the session's row; in a request, the cookie is cleared too. */
  async logout(session: UserSession): Promise<void> {
    await this.delete(session);
  }

  // ---------------------------------------------------------------- sessions by user

  /** The user's unexpired sessions, most recent activity first. */
  async listActive(userId: UserId): Promise<ActiveSession[]> {
    const now = new Date();
    const records = await this.storage.listActive(this.normalizeUserId(userId), now);
    return records.filter((record) => this.lifetime.isActive(record, now)).map(summaryOf);
  }

  /** @internal `listActive()` with each session's row (its data included). */
  async listActiveRecords(userId: UserId): Promise<SessionRecord[]> {
    const now = new Date();
    const records = await this.storage.listActive(this.normalizeUserId(userId), now);
    return records.filter((record) => this.lifetime.isActive(record, now));
  }

  /**
   * Whether a session (as `list()` or `listActive()` gives it) is still valid: before its
   * expiry and, with `idleTimeout`, used within it. The request path applies the same rule.
   */
  isActive(session: Pick<ActiveSession, 'expireDate' | 'lastActivity'>, now: Date = new Date()): boolean {
    return this.lifetime.isActive(session, now);
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
    const existed = await this.storage.delete({ id, userId: user });
    if (existed) await this.events.ended('session', options, 'other-session', { sessionId: id, userId: user, count: 1 });
    return existed;
  }

  /**
   * Ends every unexpired session of the user but `exceptSession`; returns how many. The
   * `ended` event names `exceptSession` (a session object) as the one who did it.
   */
  async deleteOthers(userId: UserId, exceptSession: UserSession | string | null, options: EndSessionsOptions = {}): Promise<number> {
    const user = this.normalizeUserId(userId);
    const exceptId = typeof exceptSession === 'string' ? exceptSession : exceptSession?.id ?? null;
    const count = await this.storage.deleteOthers(user, exceptId, new Date());
    if (count > 0) {
      const actor = typeof exceptSession === 'object' && exceptSession !== null ? exceptSession : null;
      await this.events.ended('others', { actor, ...options }, 'other-session', { userId: user, keptSessionId: exceptId, count });
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
    const count = await this.storage.deleteAllForUser(user);
    if (count > 0) await this.events.ended('user', options, 'admin', { userId: user, count });
    return count;
  }

  /**
   * Signs the user out everywhere after a security event: a password, email or two-factor
   * change, a role taken away, a locked account. Ends all their sessions, or all but `keep`
   * (the session that made the change, which stays signed in); one DELETE. Its `ended` event
   * carries `reason`, with `endedBy: 'other-session'` when a kept session of theirs did it, else
   * `'admin'`. Returns how many ended.
   *
   * @example await sessions.signOutEverywhere(user.id, 'password-changed', { keep: session })
   */
  async signOutEverywhere(userId: UserId, reason: SecurityEventReason, options: { keep?: UserSession | null } = {}): Promise<number> {
    const keep = options.keep ?? null;
    if (keep === null) return this.deleteAllForUser(userId, { reason });
    const user = this.normalizeUserId(userId);
    if (keep.userId !== user) {
      throw new RangeError(`signOutEverywhere(): the session to keep is not one of user ${JSON.stringify(user)}'s`);
    }
    return this.deleteOthers(user, keep, { reason });
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
    const records = await this.storage.list(
      // IPs are stored in lower case; one more row tells whether there is a next page.
      { status, userId, ipPrefix: ipPrefix?.toLowerCase(), after, limit: limit + 1 },
      new Date(),
    );
    const sessions = records.slice(0, limit).map(summaryOf);
    const last = sessions.at(-1);
    return {
      sessions,
      nextCursor: records.length > limit && last ? encodeSessionListCursor(last) : null,
    };
  }

  /**
   * Deletes every expired session, `cleanupBatchSize` rows per statement, and the security
   * activity older than `activityHistoryDays`; returns how many sessions.
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
      const onExpired = this.activity.enabled ? (sessions: ExpiredSession[]) => this.activity.recordExpired(sessions) : undefined;
      deleted = await this.storage.deleteExpired(new Date(), { ...options, onProgress, onExpired });
      // The history's window is the cleanup's too.
      await this.activity.purge(new Date(), options.signal);
      return deleted;
    } finally {
      // One event per run, not per row: a backlog may be millions of rows. A run that failed
      // part way still reports the batches it deleted.
      if (deleted > 0) await this.events.ended('expired', {}, 'expiry', { count: deleted });
    }
  }

  // ---------------------------------------------------------------- internals

  /**
   * The sign-in event, with the user's other unexpired sessions: one SELECT on the indexed
   * `user_id`, made only for a listener. A failure to read them does not fail the sign-in,
   * which is stored already: the event says null (unknown).
   */
  private async publishSignedIn(session: UserSession, at: Date, device: RecognizedDevice | null): Promise<void> {
    let others: SessionRecord[] | null = null;
    try {
      const records = await this.storage.listActive(session.userId!, at);
      others = records.filter((record) => record.id !== session.id && this.lifetime.isActive(record, at));
    } catch (error) {
      Logger.warn(`A sign-in's other sessions could not be read for its event: ${(error as Error)?.message ?? error}`, 'UserSessions');
    }
    this.events.signedIn(session, others, at, device && { id: device.device.id, isNew: device.isNew });
  }

  private normalizeUserId(userId: UserId): UserId {
    return normalizeUserId(userId, this.options.userIdType);
  }
}
