import type { ModuleMetadata, Type } from '@nestjs/common';
import type { SessionStorage } from '../storage/session-storage.interface.js';
import type { LiveSessionsOptions } from './live-sessions.options.js';
import type { KnownDevicesOptions, RiskSignalsOptions } from './trust.options.js';
import type { SessionCacheOptions } from '../storage/redis-cache.options.js';
import type { GeoIpOptions } from '../details/location.js';
import type { UserSession } from '../session/user-session.js';
import type { UserSessionsEventListener } from '../events/user-sessions.events.js';

import type { UserId, UserIdType } from '../session/user-id.js';

export type { UserId, UserIdType };
export type { LiveSessionsOptions, LiveSessionsRedis, LiveSessionsRedisSubscriber } from './live-sessions.options.js';
export type { KnownDevicesOptions, RiskSignalsOptions } from './trust.options.js';
export type { SessionCacheOptions, SessionCacheRedis, SessionCacheSecret } from '../storage/redis-cache.options.js';

/**
 * Options that shape the database table and the routes. They are read when the module is
 * declared, before any database connects, so `forRootAsync()` takes them beside its
 * factory rather than from it.
 */
export interface UserSessionsStaticOptions {
  /**
   * Name of the session table.
   * @default 'user_sessions'
   */
  tableName?: string;

  /**
   * Type of the app's user ids: `'string'` (VARCHAR 255), `'number'` (INTEGER) or `'uuid'`
   * (the database's UUID type). Must match the primary key of `userEntity` when that is set.
   * @default 'string'
   */
  userIdType?: UserIdType;

  /**
   * The app's own User entity. When set, `user_id` becomes a foreign key to it with
   * `ON DELETE CASCADE`, so deleting a user deletes their sessions. When unset, `user_id`
   * is a plain indexed column.
   * @example userEntity: () => User
   */
  userEntity?: () => Type<unknown>;

  /**
   * Route prefix of the sessions API (list, end one, end all others).
   * @default 'account/sessions'
   */
  path?: string;

  /**
   * Route prefix of the admin API (list every session with filters, end any session, end all
   * sessions of a user). Unset, there is no admin API; set, `isAdmin` must be given too.
   * @default unset: no admin API
   * @example adminPath: 'admin/sessions'
   */
  adminPath?: string;

  /** Table of the known devices (`knownDevices`); `user_id` follows `userIdType`. @default 'user_devices' */
  devicesTableName?: string;

  /** Table of the security activity history (`activityHistoryDays`). @default 'user_security_activity' */
  activityTableName?: string;
}

/** Options that govern cookies, activity tracking and request checks. */
export interface UserSessionsRuntimeOptions {
  /**
   * Name of the session cookie.
   * @default 'sessionid'
   */
  cookieName?: string;

  /**
   * Absolute lifetime of a session in milliseconds, counted from the last `login()` (from its
   * creation for a session nobody signed in to): activity never extends it. Also the cookie's
   * Max-Age. Enforced on the server whatever the cookie says.
   * @default 1_209_600_000 (14 days)
   */
  maxAge?: number;

  /**
   * Idle timeout in milliseconds: a session with no request for this long is refused, on the
   * server, whatever the cookie says (the cookie keeps its `maxAge`). Last activity is written
   * at most once per `activityInterval`, so a session ends between `idleTimeout -
   * activityInterval` and `idleTimeout` after its last request: it must be longer than
   * `activityInterval` (keep that a small part of it) and shorter than `maxAge`. With it, the
   * store moves the expiry on every write and `setExpiry()` is not available. 0 turns it off.
   * @default 0 (off)
   * @example idleTimeout: 30 * 60_000 // 30 minutes
   */
  idleTimeout?: number;

  /**
   * Send a browser-session cookie (no Max-Age) so that the browser forgets it when it
   * closes. The row still expires after `maxAge` on the server.
   * @default false
   */
  expireAtBrowserClose?: boolean;

  /**
   * `Secure` flag of the cookie: `'auto'` sets it when the request came over HTTPS (as seen
   * through the app's `trust proxy` setting), `true` always, `false` never.
   * @default 'auto'
   */
  secure?: boolean | 'auto';

  /**
   * `SameSite` attribute of the cookie. `'none'` requires `secure: true`.
   * @default 'lax'
   */
  sameSite?: 'lax' | 'strict' | 'none';

  /**
   * `Domain` attribute of the cookie; unset keeps the cookie to the exact host.
   * @default undefined
   */
  cookieDomain?: string;

  /**
   * `Path` attribute of the cookie.
   * @default '/'
   */
  cookiePath?: string;

  /**
   * Name the cookie `__Host-<cookieName>`: browsers then take it only from this host, over
   * HTTPS, with `Path=/` and no `Domain`, so a sibling subdomain can neither plant nor shadow
   * it. True with `secure` other than `true`, a `cookieDomain` or another `cookiePath` is an
   * error. A session created before the app started and still carried under the plain name is
   * moved to the prefixed one on its next request; a plain cookie of a newer session is ignored.
   * @default true when `secure: true`, no `cookieDomain` and `cookiePath` '/'; otherwise false
   */
  hostPrefix?: boolean;

  /**
   * How stale, in milliseconds, `lastActivity` may get before a request refreshes it. Reads
   * within this interval cost one primary-key SELECT and no write.
   * @default 60_000
   */
  activityInterval?: number;

  /**
   * Replace a signed-in session's key (a new cookie) at most once per this many milliseconds,
   * and recognise a stolen cookie: the replaced key used after `rotationGrace`, while the new one
   * is in use, ends the session and raises `user-sessions.theft-suspected` with both devices.
   * The new key rides on the activity write that is due anyway (no extra statement), so it
   * comes once per `rotationInterval` or `activityInterval`, whichever is longer. Clients must
   * keep the cookies they are sent (browsers do). 0 turns it off.
   * @default 0 (off)
   * @example rotationInterval: 15 * 60_000 // 15 minutes
   */
  rotationInterval?: number;

  /**
   * How long, in milliseconds, the key a rotation replaced keeps working for requests already
   * on their way (they get the new cookie too). After it, that key ends the session as stolen
   * once the new key has been used; until the new key is used (its response was lost), it
   * keeps working, and is given the new key again.
   * @default 30_000
   */
  rotationGrace?: number;

  /**
   * Refuse (403) POST, PUT, PATCH and DELETE requests whose `Origin` (or, without it,
   * `Referer`) names another origin (host, port and scheme) than the request's own and is not
   * in `trustedOrigins`. Behind a proxy that ends TLS, trust the proxy, or HTTPS origins fail.
   * Applies to every route of the app: a session cookie makes every route a CSRF target.
   * @default true
   */
  checkOrigin?: boolean;

  /**
   * Other origins allowed to send state-changing requests, e.g. `'https://app.example.com'`.
   * @default []
   */
  trustedOrigins?: string[];

  /**
   * Expired rows deleted per statement by `clearExpired()`: small batches keep each lock and
   * transaction short on a table with millions of expired rows.
   * @default 1000
   */
  cleanupBatchSize?: number;

  /**
   * How long, in milliseconds, one call to the session storage (a read of the request's session,
   * a write, a list) may take before the request is answered 503 instead. It bounds what no
   * driver setting bounds on its own: a database that accepts connections but does not answer
   * (a network that drops packets, a server hung on a lock). The call is not cancelled and may
   * still finish; set the driver's timeouts too (see docs/reliability.md), which
   * do cancel. `clearExpired()` has no limit. 0 waits as long as the driver does.
   * @default 10_000
   */
  storageTimeout?: number;

  /**
   * What the module does at start-up when the session table is missing or does not match these
   * options (columns and their types, the `user_id` foreign key with `userEntity`, the indexes
   * the store relies on): `'error'` refuses to start, naming what differs and the migration
   * that fixes it; `'warn'` logs the same and starts; `'off'` does not look (a schema managed
   * elsewhere). One metadata read at start-up; nothing per request. Not with `storage`.
   * @default 'error'
   */
  schemaCheck?: 'error' | 'warn' | 'off';

  /**
   * Where sessions are kept. Unset uses the `Session` entity's table through TypeORM; set it
   * to put sessions in another store that implements `SessionStorage`.
   * @default a TypeORM storage on the `Session` repository
   */
  storage?: SessionStorage;

  /**
   * A Redis read cache in front of the storage, for apps that run several instances: the
   * per-request session lookup is answered from Redis, from entries signed with `secret`.
   * Every write (activity updates, data, renames, revocations) clears the cached entry before
   * it returns, so a revoked session is refused at once on every instance. The database stays
   * the source of truth; when Redis is down or slow, lookups go to the database and a warning
   * is logged once, and a write that must clear an entry (sign-out, ending sessions, a new
   * key, data) answers 503 without changing anything, since it could not stop the other
   * instances from serving the old entry. Every instance must use the cache, with the same
   * Redis, `keyPrefix` and `secret`.
   * @default unset: no cache
   * @example cache: { redis: new Redis(process.env.REDIS_URL), secret: process.env.SESSION_CACHE_SECRET! }
   */
  cache?: SessionCacheOptions;

  /**
   * How ending a session closes its WebSocket connections and GraphQL subscriptions on every
   * app instance (see docs/websockets.md): through Redis pub/sub, PostgreSQL's LISTEN/NOTIFY, or
   * on this instance only.
   * @default Redis of `cache` if set; else LISTEN/NOTIFY on PostgreSQL; else this instance only
   */
  liveSessions?: LiveSessionsOptions;

  /**
   * The GeoIP database that turns IPs into "City, Country" (`location` in the sessions API and
   * `SessionDetailsService`): a directory or file (`path`), or `cityDatabase` /
   * `countryDatabase`, and the `locale` of the names. Opened once at start-up; a missing or
   * corrupt file is a warning and empty locations.
   * @default unset: no locations
   */
  geoip?: GeoIpOptions;

  /**
   * Ask browsers for the `Sec-CH-UA-Platform-Version` Client Hint (with `Accept-CH`), which
   * tells Windows 11 from Windows 10. Off sends no header.
   * @default true
   */
  requestClientHints?: boolean;

  /**
   * Run `clearExpired()` every this many milliseconds inside the app (timer unref'd, never
   * two runs at once, stopped on shutdown). 0 leaves the cleanup to a cron job running
   * `npx nestjs-user-sessions clear-expired`.
   * @default 0 (off)
   */
  cleanupInterval?: number;

  /**
   * What is stored of the client's IP address: `'full'`; `'truncated'` to its network
   * (IPv4 /24, IPv6 /48), which still gives a city but no longer names a household; or
   * `'none'`, which hides the IP and the location from the sessions page.
   * @default 'full'
   */
  ipAddresses?: 'full' | 'truncated' | 'none';

  /**
   * Store the client's user agent and platform hints. Off, the sessions page shows no
   * device, browser or platform for new sessions.
   * @default true
   */
  storeUserAgent?: boolean;

  /**
   * The most unexpired sessions a user may have at once; a sign-in beyond it follows
   * `sessionLimitStrategy`. Costs each sign-in one indexed SELECT of the user's sessions.
   * @default unset: no limit
   */
  maxSessionsPerUser?: number;

  /**
   * What a sign-in beyond `maxSessionsPerUser` does: `'end-least-recent'` signs in and ends the
   * user's least recently active session (its `ended` event says `endedBy: 'session-limit'`);
   * `'refuse'` throws `SessionLimitReachedException` (409, listing the sessions) so that the
   * user can choose one, then sign in again with `login(session, userId, { endSession: id })`.
   * @default 'end-least-recent'
   */
  sessionLimitStrategy?: 'end-least-recent' | 'refuse';

  /**
   * Give every request an express-session-compatible `req.session` (`regenerate`, `save`,
   * `destroy`, `reload`, `touch`, `id`, `cookie`, the data as properties), so that an app
   * written for express-session and Passport (`req.login()`, `req.logout()`,
   * `req.isAuthenticated()`, `passport.session()`) works unchanged. Passport's `passport.user`
   * is the session's user. The session is then loaded before the app's own middleware, on every
   * request that carries a cookie (one primary-key SELECT), as express-session does, rather
   * than when a guard first asks. `passport.session()` is Express middleware: on Fastify,
   * `req.login()` in a guard works, and `UserSessionsGuard` sets `req.user`.
   * @default false
   */
  expressSessionApi?: boolean;

  /**
   * Accept the signed cookie of `express-session` (`connect.sid`) while moving over: a
   * session imported with `npx nestjs-user-sessions import-express-sessions` is found by
   * that cookie once, gets a new key and our own cookie, and the old cookie is cleared.
   * @default unset: old cookies are ignored
   */
  legacyCookie?: LegacyCookieOptions;

  /**
   * Decides who may use the admin API (`adminPath`); called for signed-in users only, after
   * the session is loaded. Return true to allow; everyone else gets 404, as if there were
   * no such route.
   * @example isAdmin: ({ session }) => session.get('role') === 'admin'
   */
  isAdmin?: (context: AdminCheckContext) => boolean | Promise<boolean>;

  /**
   * Called with each of the store's events (session created, user signed in, sessions ended;
   * see `UserSessionsEvents`), after the database write it reports. For apps without
   * `@nestjs/event-emitter`; with `EventEmitterModule` registered, the events are emitted there
   * too. A returned promise is not awaited; an error, thrown or rejected, is logged. Being set,
   * it hears every sign-in, so each one also reads the user's other sessions (one indexed
   * SELECT) to tell `newDevice` and `newIp`.
   * @default unset
   * @example onEvent: (event) => { if (event.type === 'user-sessions.signed-in') audit.log(event) }
   */
  onEvent?: UserSessionsEventListener;

  /**
   * Require a recent password entry ("sudo mode", see `@RequireRecentLogin()`) for the sessions
   * API's routes that end sessions: the most milliseconds since the user signed in or
   * re-authenticated (`SessionStoreService.reauthenticate()`). Older, the route answers 403
   * with `reauthenticate: true`. `endSession` follows `endOtherSessions` unless given a shorter
   * limit (ending the others one by one must not sidestep the rule); `endSession` alone is an
   * error for the same reason.
   * @default unset: no route needs it
   * @example requireRecentLogin: { endOtherSessions: 5 * 60_000 }
   */
  requireRecentLogin?: RequireRecentLoginOptions;

  /**
   * A device cookie per browser and a `user_devices` row per user and device: "new device"
   * means new to the user, with "Was this you?" answers in its event. `{ enabled: false }` turns it off.
   * @default on, with the defaults of `KnownDevicesOptions`
   */
  knownDevices?: KnownDevicesOptions;

  /**
   * Days of security activity kept per user (sign-ins, sign-outs, ends, re-authentication, new
   * devices and their answers, risk signals), for `GET {path}/activity`; the cleanup deletes
   * older entries. 0 keeps none. Written only when something happens: never on a read.
   * @default 30
   */
  activityHistoryDays?: number;

  /** What the risk signals (they need `geoip`) do besides their events. @default { requireRecentLogin: false, maxTravelSpeed: 1000 } */
  riskSignals?: RiskSignalsOptions;
}

/** Routes of the sessions API that `requireRecentLogin` can protect, with their time limit in milliseconds. */
export interface RequireRecentLoginOptions {
  /** `DELETE /<path>`: "End all other sessions". */
  endOtherSessions?: number;
  /** `DELETE /<path>/:id`: ending one other session (signing out the current one never needs it). Defaults to `endOtherSessions`. */
  endSession?: number;
}

/** What `isAdmin` is given to decide. */
export interface AdminCheckContext {
  /** The signed-in user. */
  userId: UserId;
  /** The request's session (its data may carry the user's roles). */
  session: UserSession;
  /** The platform's request object (Express or Fastify). */
  request: unknown;
}

/** The old express-session cookie accepted during a move-over (`legacyCookie`). */
export interface LegacyCookieOptions {
  /**
   * Name of the old cookie.
   * @default 'connect.sid'
   */
  name?: string;
  /** The `secret` express-session signed it with; several when it was rotated (newest first). */
  secret: string | string[];
  /**
   * The connect-typeorm table the sessions were imported from (`--table` of the import). A
   * session that moves over has its old row marked destroyed there, so that running the
   * import again cannot bring back its old id.
   * @default 'session'
   */
  table?: string;
}

/** Options of `UserSessionsModule.forRoot()`. */
export interface UserSessionsModuleOptions
  extends UserSessionsStaticOptions,
    UserSessionsRuntimeOptions {}

/** A class that builds the runtime options, for `forRootAsync({ useClass })`. */
export interface UserSessionsOptionsFactory {
  createUserSessionsOptions(): Promise<UserSessionsRuntimeOptions> | UserSessionsRuntimeOptions;
}

/** Options of `UserSessionsModule.forRootAsync()`. */
export interface UserSessionsModuleAsyncOptions
  extends UserSessionsStaticOptions,
    Pick<ModuleMetadata, 'imports'> {
  /** Builds the runtime options, with `inject`ed providers as arguments. */
  useFactory?: (
    ...args: any[]
  ) => Promise<UserSessionsRuntimeOptions> | UserSessionsRuntimeOptions;
  /** Providers passed to `useFactory`. */
  inject?: any[];
  /** A class, instantiated by the module, that implements `UserSessionsOptionsFactory`. */
  useClass?: Type<UserSessionsOptionsFactory>;
  /** An existing provider that implements `UserSessionsOptionsFactory`. */
  useExisting?: Type<UserSessionsOptionsFactory>;
}

/** The options after defaults are applied and validation passed. */
export interface ResolvedUserSessionsOptions
  extends Required<Omit<UserSessionsModuleOptions, keyof UnsetByDefault>>,
    UnsetByDefault {}

/** The options whose default is "unset", as they are once resolved (nested ones with their defaults). */
interface UnsetByDefault {
  userEntity?: () => Type<unknown>;
  cookieDomain?: string;
  storage?: SessionStorage;
  geoip?: GeoIpOptions;
  adminPath?: string;
  legacyCookie?: Required<LegacyCookieOptions>;
  cache?: Required<SessionCacheOptions>;
  liveSessions?: LiveSessionsOptions;
  hostPrefix?: boolean;
  maxSessionsPerUser?: number;
  isAdmin?: (context: AdminCheckContext) => boolean | Promise<boolean>;
  onEvent?: UserSessionsEventListener;
  requireRecentLogin?: RequireRecentLoginOptions;
  knownDevices: Required<KnownDevicesOptions>;
  riskSignals: Required<RiskSignalsOptions>;
}
