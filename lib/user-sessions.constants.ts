/** Token of the resolved module options (see `UserSessionsModuleOptions`). */
export const USER_SESSIONS_MODULE_OPTIONS = 'USER_SESSIONS:MODULE_OPTIONS';

/**
 * Where a request's lazy session handle lives on the platform's request object. In the global
 * symbol registry, so that two copies of the library in one app (a duplicated dependency)
 * still find each other's handles.
 */
export const REQUEST_SESSION = Symbol.for('USER_SESSIONS:REQUEST_SESSION');

export const DEFAULT_COOKIE_NAME = 'sessionid';
export const DEFAULT_TABLE_NAME = 'user_sessions';
export const DEFAULT_PATH = 'account/sessions';
/** 14 days, Django's SESSION_COOKIE_AGE. */
export const DEFAULT_MAX_AGE = 14 * 24 * 60 * 60 * 1000;
export const DEFAULT_ACTIVITY_INTERVAL = 60 * 1000;
/** How long a key replaced by rotation keeps working for requests in flight (`rotationGrace`). */
export const DEFAULT_ROTATION_GRACE = 30 * 1000;
/** Expired rows deleted per statement by `clearExpired()`. */
export const DEFAULT_CLEANUP_BATCH_SIZE = 1000;
/** How long one storage call may take before the request gets a 503. */
export const DEFAULT_STORAGE_TIMEOUT = 10_000;

/** How long a session stays in the Redis cache at most (`cache.ttl`). */
export const DEFAULT_CACHE_TTL = 60_000;
/**
 * The largest `cache.ttl`, 5 minutes: it bounds how long a stale entry can be served when a
 * write bypassed the cache (see docs/redis-cache.md, "the worst case").
 */
export const MAX_CACHE_TTL = 300_000;
/** The shortest `cache.secret`: 32 characters, or 32 bytes for a Buffer (256 bits, as SHA-256's output). */
export const MIN_CACHE_SECRET_LENGTH = 32;
/** What the Redis cache's keys start with (`cache.keyPrefix`). */
export const DEFAULT_CACHE_KEY_PREFIX = 'user-sessions:';
/** How long one Redis command may take before a lookup goes to the database (`cache.timeout`). */
export const DEFAULT_CACHE_TIMEOUT = 200;

/** Default table of the known devices (`devicesTableName`). */
export const DEFAULT_DEVICES_TABLE_NAME = 'user_devices';
/** Default table of the security activity history (`activityTableName`). */
export const DEFAULT_ACTIVITY_TABLE_NAME = 'user_security_activity';
/** How long "Was this you?" answers stay valid by default: a week. */
export const DEFAULT_DEVICE_ANSWER_TTL = 7 * 24 * 60 * 60 * 1000;
/** How many days of security activity are kept by default. */
export const DEFAULT_ACTIVITY_HISTORY_DAYS = 30;

/** Sessions per page of `SessionStoreService.list()` (and the admin API) when no limit is given. */
export const DEFAULT_LIST_LIMIT = 50;
/** The largest page `SessionStoreService.list()` returns: a page is one query and one response. */
export const MAX_LIST_LIMIT = 200;

/** The seed project keeps 200 characters of a user agent; longer ones are truncated. */
export const MAX_USER_AGENT_LENGTH = 200;
/** Session data must fit a MySQL/MariaDB TEXT column. */
export const MAX_DATA_BYTES = 65_535;

/** Token of the app's TypeORM `DataSource` as the module found it (null with the `storage` option and no TypeORM). */
export const USER_SESSIONS_DATA_SOURCE = 'USER_SESSIONS:DATA_SOURCE';

/** Token of the `GeoIpLocator` the module opened at start-up. */
export const GEOIP_LOCATOR = 'USER_SESSIONS:GEOIP_LOCATOR';

/** Metadata key of `@RequireRecentLogin()`: how recent the password entry must be. */
export const RECENT_LOGIN_METADATA = 'USER_SESSIONS:RECENT_LOGIN';
