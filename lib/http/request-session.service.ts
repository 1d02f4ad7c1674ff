import { Inject, Injectable, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import { LegacySessionMoveOver } from '../express-session/legacy-session-move-over.js';
import { SessionStoreService } from '../store/session-store.service.js';
import { KeyRotation } from '../store/key-rotation.js';
import { RiskSignals } from '../risk/risk-signals.js';
import { GuardedSessionStorage } from '../storage/guarded-session.storage.js';
import { ClientRecorder } from '../session/client.js';
import { SessionLifetime } from '../session/session-lifetime.js';
import { SessionMapper } from '../session/session-mapper.js';
import { digestSessionKey, isWellFormedSessionKey } from '../session/session-key.js';
import type { UserSession } from '../session/user-session.js';
import { readClientHints, requestIp, type ClientRequestLike } from './client-info.js';
import { readCookies } from './cookies.js';
import { findHandle, keepHandle, RequestSessionHandle, type SessionLoader } from './request-session-handle.js';
import { deviceCookieName, sessionCookieName, SessionCookieWriter } from './session-cookie.js';
import { trustProxyOf, type TrustProxy } from './trust-proxy.js';

/**
 * The parts of a request the session layer reads: Express's request, a FastifyRequest, or
 * the Node.js request that Nest middleware gets on Fastify, on which @fastify/middie sets
 * `ip` and `protocol` as Fastify's `trustProxy` option sees them.
 */
interface PlatformRequest extends ClientRequestLike {
  protocol?: string;
}

/** What committing a request's session must write. */
type PendingWrite = 'row' | 'activity' | null;

/**
 * The session of each HTTP request: its lazy handle (cookie, IP, user agent; no query), the
 * load (one primary-key SELECT, shared by guard, decorators and handler), and the commit as the
 * response leaves, with the one decision of what to write. Apps inject it for the session of a
 * request in their own guards and middleware; signing in and out stays with `SessionStoreService`.
 */
@Injectable()
export class RequestSessionService implements SessionLoader {
  private readonly cookies: SessionCookieWriter;
  private readonly cookieName: string;
  private readonly deviceCookieName: string;
  /**
   * Sessions created before it may still carry the plain cookie name after `hostPrefix` came
   * on. In whole seconds, as MariaDB keeps `created_at`.
   */
  private readonly startedAt = Math.floor(Date.now() / 1000) * 1000;
  /** The app's trust-proxy rule, looked up for the first handshake request that needs it. */
  private trust: TrustProxy | null | undefined;
  private readonly trustProxy = (): TrustProxy | null => {
    if (this.trust === undefined) this.trust = trustProxyOf(this.adapterHost?.httpAdapter?.getInstance());
    return this.trust;
  };

  constructor(
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
    private readonly store: SessionStoreService,
    private readonly storage: GuardedSessionStorage,
    private readonly lifetime: SessionLifetime,
    private readonly mapper: SessionMapper,
    private readonly client: ClientRecorder,
    private readonly rotation: KeyRotation,
    private readonly risk: RiskSignals,
    /** Only with the `legacyCookie` option. */
    @Optional() @Inject(LegacySessionMoveOver) private readonly legacy: LegacySessionMoveOver | null = null,
    @Optional() @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost | null = null,
  ) {
    this.cookies = new SessionCookieWriter(options, lifetime);
    this.cookieName = sessionCookieName(options);
    this.deviceCookieName = deviceCookieName(options);
  }

  /**
   * The request's session: loaded from the cookie on first use with one primary-key SELECT
   * (memoised: the guard, the decorators and the handler share it), or a new, empty session
   * (not stored until something modifies it).
   *
   * @example const session = await this.requestSessions.getSession(context.switchToHttp().getRequest());
   */
  getSession(request: object): Promise<UserSession> {
    return this.forRequest(request).load();
  }

  /** @internal The session handle of a request, created on first use. Reads the cookie, IP and user agent; costs no query. */
  forRequest(request: object): RequestSessionHandle {
    let handle = findHandle(request);
    if (!handle) {
      handle = this.createHandle(request);
      keepHandle(request, handle);
    }
    return handle;
  }

  /**
   * @internal A new handle for a request, not kept on it: a WebSocket's, kept on the socket,
   * since socket.io shares one handshake request between the sockets of its namespaces.
   */
  createHandle(request: object): RequestSessionHandle {
    const platformRequest = request as PlatformRequest;
    const headers = platformRequest.headers;
    let key = readCookies(headers?.cookie, this.cookieName).find(isWellFormedSessionKey) ?? null;
    const unprefixed = key === null && this.options.hostPrefix === true;
    if (unprefixed) key = readCookies(headers?.cookie, this.options.cookieName).find(isWellFormedSessionKey) ?? null;
    const handle = new RequestSessionHandle(
      key,
      this.client.ip(requestIp(platformRequest, this.trustProxy)),
      this.client.userAgent(headers?.['user-agent']),
      this.client.keepsUserAgent ? readClientHints(headers) : null,
      platformRequest,
      this,
    );
    if (this.legacy) handle.legacyCookies = readCookies(headers?.cookie, this.legacy.options.name);
    if (this.options.knownDevices.enabled) handle.deviceKey = readCookies(headers?.cookie, this.deviceCookieName).find(isWellFormedSessionKey) ?? null;
    if (unprefixed && key !== null) handle.unprefixedCookie = true;
    return handle;
  }

  /** @internal The session of a request's handle (see `RequestSessionHandle.load()`). */
  async loadSession(handle: RequestSessionHandle): Promise<UserSession> {
    const key = handle.cookieKey;
    // SessionStoreService.load(), inlined: this is the read every authenticated request makes,
    // and it saves a promise.
    const digest = key === null ? null : digestSessionKey(key);
    const record = digest === null ? null : await this.storage.find(digest);
    if (record && this.lifetime.isActive(record) && !(handle.unprefixedCookie && record.createdAt.getTime() >= this.startedAt)) {
      const session = this.mapper.fromRecord(record, key, handle);
      // Under the plain name from before hostPrefix: the browser gets the prefixed cookie.
      if (handle.unprefixedCookie) session.cookieStale = true;
      // With riskSignals.requireRecentLogin, this request's own guard must already see the change.
      if (this.risk.checksAtLoad) this.risk.placeChange(session, new Date());
      return session;
    }
    // A key no row has: perhaps the one a rotation replaced (in flight, or a stolen copy).
    if (!record && digest !== null && !handle.unprefixedCookie) {
      const previous = await this.rotation.findByPreviousKey(key!, digest, handle);
      if (previous === 'ended') {
        const ended = this.mapper.newSession(handle);
        ended.markEnded();
        return ended;
      }
      if (previous) return previous;
    }
    // Only a request that carries the old express-session cookie gets here with something to do.
    const movedOver = this.legacy && handle.legacyCookies.length > 0 ? await this.legacy.moveOver(handle.legacyCookies, handle) : null;
    if (movedOver) handle.legacyMovedOver = true;
    return movedOver ?? this.mapper.newSession(handle);
  }

  /**
   * @internal The handle's session read again from the database (`req.session.reload()`), with
   * the request's client; null when it has ended or expired meanwhile.
   */
  async reloadSession(handle: RequestSessionHandle): Promise<UserSession | null> {
    const session = handle.session;
    const digest = session?.keyDigest ?? null;
    const record = digest === null ? null : await this.storage.find(digest);
    if (!record || !this.lifetime.isActive(record)) return null;
    const reloaded = this.mapper.fromRecord(record, session!.key, handle);
    reloaded.cameWithPreviousKey = session!.cameWithPreviousKey;
    return reloaded;
  }

  /** @internal A new, empty session for the handle's request, not stored until something modifies it. */
  newSession(handle: RequestSessionHandle): UserSession {
    const session = this.mapper.newSession(handle);
    session.deviceKey = handle.deviceKey;
    session.deviceCookieWritable = true;
    return session;
  }

  /**
   * Writes what the request changed and sets the cookie; the middleware calls it as the
   * response is about to leave. What it costs the database (see `pendingWrite`): nothing, one
   * UPDATE of the activity columns, or one UPDATE or INSERT of the row.
   */
  async commit(request: object, response: unknown): Promise<void> {
    const handle = findHandle(request);
    if (!handle?.session) return;
    if (handle.sessionObject) await handle.sessionObject.sync();
    const session = handle.session;
    const write = this.pendingWrite(session);
    if (write === 'row') await this.store.save(session);
    else if (write === 'activity') await this.store.touch(session);
    this.cookies.write(handle, response);
  }

  /**
   * @internal The common case of the commit, without a write: after a 5xx (nothing is saved),
   * or when the session has nothing to write, it sets the cookie and returns true; the response
   * can go at once. False: `commit()` must write first.
   */
  commitWithoutWriting(request: object, response: unknown, statusCode: number): boolean {
    const handle = findHandle(request);
    if (!handle) return true;
    const session = handle.session;
    if (!session) {
      this.cookies.write(handle, response);
      return true;
    }
    if (statusCode >= 500) {
      // Nothing is saved after a failure; but a session that moved over from the old cookie
      // has its new key in the database already, so the browser must get it.
      if (handle.legacyMovedOver) this.cookies.write(handle, response);
      return true;
    }
    if (this.pendingWrite(session) !== null || handle.sessionObject?.hasChanges()) return false;
    this.cookies.write(handle, response);
    return true;
  }

  /**
   * The one decision of what a request writes:
   * - session unchanged, activity recorded within `activityInterval`: nothing;
   * - IP, user agent or platform hints changed, or activity older than `activityInterval`:
   *   the activity and client columns only, so data saved by a concurrent request is never
   *   overwritten;
   * - data, user or expiry changed, or a new session with data: the whole row.
   */
  private pendingWrite(session: UserSession): PendingWrite {
    if (session.dataModified) return 'row';
    // A request with the previous key records no activity (see `UserSession.cameWithPreviousKey`).
    return !session.cameWithPreviousKey && this.lifetime.activityIsDue(session) ? 'activity' : null;
  }
}
