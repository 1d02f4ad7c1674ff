import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  Allow,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
  validateSync,
} from 'class-validator';
import {
  DEFAULT_ACTIVITY_INTERVAL,
  DEFAULT_CACHE_KEY_PREFIX,
  DEFAULT_CACHE_TIMEOUT,
  DEFAULT_CACHE_TTL,
  DEFAULT_CLEANUP_BATCH_SIZE,
  DEFAULT_COOKIE_NAME,
  DEFAULT_MAX_AGE,
  DEFAULT_PATH,
  DEFAULT_STORAGE_TIMEOUT,
  DEFAULT_TABLE_NAME,
} from '../user-sessions.constants.js';
import type {
  LegacyCookieOptions,
  ResolvedUserSessionsOptions,
  SessionCacheOptions,
  UserSessionsModuleOptions,
} from './user-sessions-module-options.interface.js';
import { InvalidUserSessionsOptionsError } from '../exceptions/invalid-user-sessions-options.error.js';
import { EXPRESS_SESSION_TABLE_PATTERN } from '../express-session/express-session-table.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

class GeoIpOptionsSchema {
  @IsOptional()
  @IsString({ message: 'geoip.path must be the path of a directory or a .mmdb file' })
  path?: string;

  @IsOptional()
  @IsString({ message: 'geoip.cityDatabase must be the path of a GeoLite2/GeoIP2 City .mmdb file' })
  cityDatabase?: string;

  @IsOptional()
  @IsString({ message: 'geoip.countryDatabase must be the path of a GeoLite2/GeoIP2 Country .mmdb file' })
  countryDatabase?: string;

  @IsOptional()
  @Matches(/^[a-z]{2}(-[A-Z]{2,4})?$/, { message: 'geoip.locale must be a locale the database carries, such as "en", "de" or "pt-BR"; got "$value"' })
  locale?: string;
}

class LegacyCookieOptionsSchema {
  @IsString()
  @Matches(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, {
    message: 'legacyCookie.name must be a cookie token such as "connect.sid", got "$value"',
  })
  name: string;

  // Checked in resolveUserSessionsOptions: a string or a non-empty array of them.
  @Allow()
  secret: string | string[];

  @IsString()
  @Matches(EXPRESS_SESSION_TABLE_PATTERN, {
    message: 'legacyCookie.table must be a plain SQL table name such as "session" or "public.session", got "$value"',
  })
  table: string;
}

class SessionCacheOptionsSchema {
  @IsInt({ message: 'cache.ttl is in milliseconds and must be a whole number, got $value' })
  @Min(1000, { message: 'cache.ttl must be at least 1000 milliseconds, got $value' })
  @Max(MAX_TIMER_MS, { message: `cache.ttl must be at most ${MAX_TIMER_MS} milliseconds, got $value` })
  ttl: number;

  @IsString({ message: "cache.keyPrefix must be a string such as 'user-sessions:'" })
  @Matches(/^[\x21-\x7e]{1,100}$/, {
    message: 'cache.keyPrefix must be 1 to 100 printable ASCII characters without spaces, got "$value"',
  })
  keyPrefix: string;

  @IsInt({ message: 'cache.timeout is in milliseconds and must be a whole number, got $value' })
  @Min(1, { message: 'cache.timeout must be at least 1 millisecond, got $value' })
  @Max(10_000, { message: 'cache.timeout must be at most 10000 milliseconds: a cache slower than that is down, got $value' })
  timeout: number;
}

class RequireRecentLoginOptionsSchema {
  @IsOptional()
  @IsInt({ message: 'requireRecentLogin.endOtherSessions is in milliseconds and must be a whole number, got $value' })
  @Min(1000, { message: 'requireRecentLogin.endOtherSessions must be at least 1000 milliseconds (one second), got $value' })
  @Max(Number.MAX_SAFE_INTEGER)
  endOtherSessions?: number;

  @IsOptional()
  @IsInt({ message: 'requireRecentLogin.endSession is in milliseconds and must be a whole number, got $value' })
  @Min(1000, { message: 'requireRecentLogin.endSession must be at least 1000 milliseconds (one second), got $value' })
  @Max(Number.MAX_SAFE_INTEGER)
  endSession?: number;
}

/** The validation rules of every option; each message says how to fix the value. */
class UserSessionsOptionsSchema {
  @IsString()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, {
    message: 'tableName must be a plain SQL identifier (letters, digits, _; at most 63), got "$value"',
  })
  tableName: string;

  @IsIn(['string', 'number', 'uuid'], {
    message: "userIdType must be 'string', 'number' or 'uuid', got \"$value\"",
  })
  userIdType: string;

  @IsString({ message: "path must be a string such as 'account/sessions'" })
  @Matches(/^\/?[A-Za-z0-9._~\-/]*$/, {
    message: 'path may only contain letters, digits and . _ ~ - / (no route parameters), got "$value"',
  })
  path: string;

  @IsString()
  @Matches(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, {
    message: 'cookieName must be a cookie token (letters, digits and !#$%&\'*+-.^_`|~), got "$value"',
  })
  cookieName: string;

  @IsInt({ message: 'maxAge is in milliseconds and must be a whole number, got $value' })
  @Min(1000, { message: 'maxAge is in milliseconds and must be at least 1000 (one second), got $value' })
  @Max(Number.MAX_SAFE_INTEGER)
  maxAge: number;

  @IsInt({ message: 'idleTimeout is in milliseconds and must be a whole number (0 turns it off), got $value' })
  @Min(0, { message: 'idleTimeout must be 0 (off) or a number of milliseconds, got $value' })
  @Max(Number.MAX_SAFE_INTEGER)
  idleTimeout: number;

  @IsBoolean({ message: 'expireAtBrowserClose must be true or false' })
  expireAtBrowserClose: boolean;

  @ValidateIf((_, value) => value !== 'auto')
  @IsBoolean({ message: "secure must be true, false or 'auto'" })
  secure: boolean | 'auto';

  @IsIn(['lax', 'strict', 'none'], { message: "sameSite must be 'lax', 'strict' or 'none', got \"$value\"" })
  sameSite: string;

  @IsOptional()
  @IsString()
  @Matches(/^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/, {
    message: 'cookieDomain must be a host name such as "example.com", got "$value"',
  })
  cookieDomain?: string;

  @IsString()
  @Matches(/^\/[\x21-\x3a\x3c-\x7e]*$/, {
    message: 'cookiePath must start with "/" and contain no spaces or ";", got "$value"',
  })
  cookiePath: string;

  @IsInt({ message: 'activityInterval is in milliseconds and must be a whole number, got $value' })
  @Min(0, { message: 'activityInterval must be 0 or more milliseconds, got $value' })
  @Max(MAX_TIMER_MS)
  activityInterval: number;

  @IsBoolean({ message: 'checkOrigin must be true or false' })
  checkOrigin: boolean;

  @IsArray({ message: "trustedOrigins must be an array such as ['https://app.example.com']" })
  @Matches(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, {
    each: true,
    message:
      'each of trustedOrigins must be an origin: scheme, host and optional port without a path, such as "https://app.example.com"; got "$value"',
  })
  trustedOrigins: string[];

  @IsOptional()
  @ValidateNested()
  @Type(() => GeoIpOptionsSchema)
  geoip?: GeoIpOptionsSchema;

  @IsBoolean({ message: 'requestClientHints must be true or false' })
  requestClientHints: boolean;

  @IsInt({ message: 'cleanupBatchSize must be a whole number of rows, got $value' })
  @Min(1, { message: 'cleanupBatchSize must be at least 1, got $value' })
  @Max(100_000, { message: 'cleanupBatchSize must be at most 100000 rows per statement, got $value' })
  cleanupBatchSize: number;

  @IsInt({ message: 'cleanupInterval is in milliseconds and must be a whole number, got $value' })
  @ValidateIf((_, value) => value !== 0)
  @Min(1000, { message: 'cleanupInterval must be 0 (off) or at least 1000 milliseconds, got $value' })
  @Max(MAX_TIMER_MS, { message: `cleanupInterval must be at most ${MAX_TIMER_MS} milliseconds (about 24 days), got $value` })
  cleanupInterval: number;

  @IsInt({ message: 'storageTimeout is in milliseconds and must be a whole number, got $value' })
  @Min(0, { message: 'storageTimeout must be 0 (no limit) or more milliseconds, got $value' })
  @Max(MAX_TIMER_MS, { message: `storageTimeout must be at most ${MAX_TIMER_MS} milliseconds, got $value` })
  storageTimeout: number;

  @IsIn(['full', 'truncated', 'none'], { message: "ipAddresses must be 'full', 'truncated' or 'none', got \"$value\"" })
  ipAddresses: string;

  @IsBoolean({ message: 'storeUserAgent must be true or false' })
  storeUserAgent: boolean;

  @IsOptional()
  @IsString({ message: "adminPath must be a string such as 'admin/sessions'" })
  @Matches(/^\/?[A-Za-z0-9._~\-/]+$/, {
    message: 'adminPath may only contain letters, digits and . _ ~ - / (no route parameters), got "$value"',
  })
  adminPath?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => LegacyCookieOptionsSchema)
  legacyCookie?: LegacyCookieOptionsSchema;

  @IsOptional()
  @ValidateNested()
  @Type(() => RequireRecentLoginOptionsSchema)
  requireRecentLogin?: RequireRecentLoginOptionsSchema;
}

const OPTIONAL_OPTIONS = [
  'userEntity',
  'cookieDomain',
  'storage',
  'geoip',
  'adminPath',
  'legacyCookie',
  'isAdmin',
  'onEvent',
  'requireRecentLogin',
  'cache',
];
const REQUIRE_RECENT_LOGIN_OPTIONS = ['endOtherSessions', 'endSession'];
const CACHE_OPTIONS = ['redis', 'ttl', 'keyPrefix', 'timeout'];
/** What the cache calls on its Redis client: ioredis's `Redis` has them all. */
const REDIS_METHODS = ['evalsha', 'eval', 'del', 'on', 'off'];
const LEGACY_COOKIE_OPTIONS = ['name', 'secret', 'table'];
const GEOIP_OPTIONS = ['path', 'cityDatabase', 'countryDatabase', 'locale'];
const STORAGE_METHODS = ['find', 'insert', 'update', 'delete', 'listActive', 'deleteOthers', 'deleteAllForUser', 'list', 'deleteExpired'];

const DEFAULTS: Omit<ResolvedUserSessionsOptions, (typeof OPTIONAL_OPTIONS)[number] & keyof ResolvedUserSessionsOptions> = {
  tableName: DEFAULT_TABLE_NAME,
  userIdType: 'string',
  path: DEFAULT_PATH,
  cookieName: DEFAULT_COOKIE_NAME,
  maxAge: DEFAULT_MAX_AGE,
  idleTimeout: 0,
  expireAtBrowserClose: false,
  secure: 'auto',
  sameSite: 'lax',
  cookiePath: '/',
  activityInterval: DEFAULT_ACTIVITY_INTERVAL,
  checkOrigin: true,
  trustedOrigins: [],
  requestClientHints: true,
  cleanupBatchSize: DEFAULT_CLEANUP_BATCH_SIZE,
  cleanupInterval: 0,
  storageTimeout: DEFAULT_STORAGE_TIMEOUT,
  ipAddresses: 'full',
  storeUserAgent: true,
};

/**
 * Applies the defaults and validates the result. Throws `InvalidUserSessionsOptionsError`
 * naming every wrong or unknown option, so that a typo fails at start-up, not in production.
 */
export function resolveUserSessionsOptions(
  options: UserSessionsModuleOptions = {},
  scope: 'all' | 'static' = 'all',
): ResolvedUserSessionsOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidUserSessionsOptionsError(['options must be an object']);
  }
  const defined = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  );
  const resolved = { ...DEFAULTS, ...defined } as ResolvedUserSessionsOptions;
  const problems: string[] = [];

  for (const key of Object.keys(defined)) {
    if (!(key in DEFAULTS) && !OPTIONAL_OPTIONS.includes(key)) {
      problems.push(`unknown option "${key}"; the options are: ${[...Object.keys(DEFAULTS), ...OPTIONAL_OPTIONS].join(', ')}`);
    }
  }
  if (resolved.geoip !== undefined) {
    if (resolved.geoip === null || typeof resolved.geoip !== 'object') {
      problems.push("geoip must be an object such as { path: '/usr/share/GeoIP' }");
    } else {
      for (const key of Object.keys(resolved.geoip)) {
        if (!GEOIP_OPTIONS.includes(key)) problems.push(`unknown option "geoip.${key}"; the geoip options are: ${GEOIP_OPTIONS.join(', ')}`);
      }
    }
  }
  if (resolved.legacyCookie !== undefined) {
    if (resolved.legacyCookie === null || typeof resolved.legacyCookie !== 'object') {
      problems.push("legacyCookie must be an object such as { name: 'connect.sid', secret: process.env.SESSION_SECRET }");
    } else {
      for (const key of Object.keys(resolved.legacyCookie)) {
        if (!LEGACY_COOKIE_OPTIONS.includes(key)) problems.push(`unknown option "legacyCookie.${key}"; the legacyCookie options are: ${LEGACY_COOKIE_OPTIONS.join(', ')}`);
      }
      const { name = 'connect.sid', table = 'session', secret } = resolved.legacyCookie as LegacyCookieOptions;
      resolved.legacyCookie = { name, table, secret };
      const secrets = ([] as unknown[]).concat(resolved.legacyCookie.secret);
      if (secrets.length === 0 || !secrets.every((secret) => typeof secret === 'string' && secret.length > 0)) {
        problems.push('legacyCookie.secret must be the express-session secret (a non-empty string), or an array of them, newest first');
      }
    }
  }
  if (resolved.cache !== undefined) {
    resolved.cache = resolveCacheOptions(resolved.cache, problems);
  }
  if (resolved.onEvent !== undefined && typeof resolved.onEvent !== 'function') {
    problems.push("onEvent must be a function, e.g. onEvent: (event) => audit.record(event)");
  }
  if (resolved.requireRecentLogin !== undefined) {
    if (resolved.requireRecentLogin === null || typeof resolved.requireRecentLogin !== 'object') {
      problems.push('requireRecentLogin must be an object such as { endOtherSessions: 5 * 60_000 }');
    } else {
      for (const key of Object.keys(resolved.requireRecentLogin)) {
        if (!REQUIRE_RECENT_LOGIN_OPTIONS.includes(key)) {
          problems.push(`unknown option "requireRecentLogin.${key}"; the requireRecentLogin options are: ${REQUIRE_RECENT_LOGIN_OPTIONS.join(', ')}`);
        }
      }
    }
  }
  if (resolved.isAdmin !== undefined && typeof resolved.isAdmin !== 'function') {
    problems.push('isAdmin must be a function, e.g. isAdmin: ({ session }) => session.get(\'role\') === \'admin\'');
  }
  if (scope === 'all' && resolved.adminPath !== undefined && resolved.isAdmin === undefined) {
    problems.push('adminPath turns the admin API on, so isAdmin must say who is an administrator');
  }
  if (resolved.isAdmin !== undefined && resolved.adminPath === undefined) {
    problems.push('isAdmin is only used by the admin API: set adminPath too (e.g. \'admin/sessions\') or drop isAdmin');
  }
  const storage = resolved.storage as unknown as Record<string, unknown> | undefined;
  const missing = STORAGE_METHODS.filter((method) => typeof storage?.[method] !== 'function');
  if (storage !== undefined && missing.length > 0) {
    problems.push(`storage must implement SessionStorage; it lacks ${missing.join(', ')}`);
  }
  if (resolved.userEntity !== undefined && typeof resolved.userEntity !== 'function') {
    problems.push('userEntity must be a function returning the entity class, e.g. userEntity: () => User');
  }
  const { storage: _storage, userEntity: _userEntity, isAdmin: _isAdmin, onEvent: _onEvent, cache, ...plain } = resolved;
  const schema = plainToInstance(UserSessionsOptionsSchema, plain);
  for (const error of validateSync(schema)) {
    problems.push(...Object.values(error.constraints ?? {}));
    for (const child of error.children ?? []) problems.push(...Object.values(child.constraints ?? {}));
  }
  if (resolved.sameSite === 'none' && resolved.secure !== true) {
    problems.push("sameSite 'none' requires secure: true (browsers drop SameSite=None cookies without Secure)");
  }
  if (typeof resolved.idleTimeout === 'number' && resolved.idleTimeout > 0) {
    // Last activity is written at most once per activityInterval: a shorter idle timeout
    // would end sessions that are in use.
    if (resolved.idleTimeout <= resolved.activityInterval) {
      problems.push(
        `idleTimeout (${resolved.idleTimeout}) must be longer than activityInterval (${resolved.activityInterval}), since last activity is recorded at most once per activityInterval; lower activityInterval to a small part of idleTimeout`,
      );
    }
    if (resolved.idleTimeout >= resolved.maxAge) {
      problems.push(`idleTimeout (${resolved.idleTimeout}) must be shorter than maxAge (${resolved.maxAge}), or it never applies; 0 turns it off`);
    }
  }
  if (cache && resolved.storageTimeout > 0 && cache.timeout >= resolved.storageTimeout) {
    problems.push(
      `cache.timeout (${cache.timeout}) must be shorter than storageTimeout (${resolved.storageTimeout}), or a slow Redis would leave the database no time to answer`,
    );
  }
  if (problems.length > 0) {
    throw new InvalidUserSessionsOptionsError(problems);
  }
  return {
    ...resolved,
    path: resolved.path.replace(/^\/+|\/+$/g, ''),
    adminPath: resolved.adminPath?.replace(/^\/+|\/+$/g, ''),
    trustedOrigins: resolved.trustedOrigins.map((origin) => origin.toLowerCase()),
  };
}

/** The `cache` option with its defaults, or undefined when it is wrong (`problems` says why). */
function resolveCacheOptions(value: unknown, problems: string[]): Required<SessionCacheOptions> | undefined {
  if (value === null || typeof value !== 'object') {
    problems.push('cache must be an object such as { redis: new Redis(process.env.REDIS_URL) }');
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!CACHE_OPTIONS.includes(key)) problems.push(`unknown option "cache.${key}"; the cache options are: ${CACHE_OPTIONS.join(', ')}`);
  }
  const given = Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<SessionCacheOptions>;
  const redis = given.redis as unknown as Record<string, unknown> | undefined;
  const lacks = REDIS_METHODS.filter((method) => typeof redis?.[method] !== 'function');
  if (redis === null || typeof redis !== 'object' || typeof redis.status !== 'string' || lacks.length > 0) {
    problems.push('cache.redis must be an ioredis client (5 or later), e.g. new Redis(process.env.REDIS_URL)');
  }
  const resolved = { ttl: DEFAULT_CACHE_TTL, keyPrefix: DEFAULT_CACHE_KEY_PREFIX, timeout: DEFAULT_CACHE_TIMEOUT, ...given } as Required<SessionCacheOptions>;
  const { redis: _redis, ...plain } = resolved;
  for (const error of validateSync(plainToInstance(SessionCacheOptionsSchema, plain))) {
    problems.push(...Object.values(error.constraints ?? {}));
  }
  return resolved;
}
