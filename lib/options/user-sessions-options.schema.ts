import 'reflect-metadata';
import type { Type } from '@nestjs/common';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import {
  DEFAULT_ACTIVITY_INTERVAL,
  DEFAULT_ROTATION_GRACE,
  DEFAULT_CACHE_KEY_PREFIX,
  DEFAULT_CACHE_TIMEOUT,
  DEFAULT_CACHE_TTL,
  DEFAULT_CLEANUP_BATCH_SIZE,
  DEFAULT_COOKIE_NAME,
  DEFAULT_MAX_AGE,
  DEFAULT_PATH,
  DEFAULT_STORAGE_TIMEOUT,
  DEFAULT_TABLE_NAME,
  DEFAULT_ACTIVITY_HISTORY_DAYS,
  DEFAULT_ACTIVITY_TABLE_NAME,
  DEFAULT_DEVICES_TABLE_NAME,
  MAX_CACHE_TTL,
  MIN_CACHE_SECRET_LENGTH,
} from '../user-sessions.constants.js';
import type { UserIdType } from '../session/user-id.js';
import type { SessionStorage } from '../storage/session-storage.interface.js';
import { SESSION_STORAGE_METHODS } from '../storage/session-storage-methods.js';
import {
  SESSION_CACHE_REDIS_METHODS,
  type SessionCacheOptions,
  type SessionCacheRedis,
  type SessionCacheSecret,
} from '../storage/redis-cache.options.js';
import type { LiveSessionsOptions, LiveSessionsRedis } from './live-sessions.options.js';
import type { KnownDevicesOptions, RiskSignalsOptions } from './trust.options.js';
import { KnownDevicesOptionsSchema, RiskSignalsOptionsSchema } from './trust-options.schema.js';
import type { GeoIpOptions } from '../details/location.js';
import type { UserSessionsEventListener } from '../events/user-sessions.events.js';
import type {
  AdminCheckContext,
  LegacyCookieOptions,
  RequireRecentLoginOptions,
  ResolvedUserSessionsOptions,
  UserSessionsModuleOptions,
  UserSessionsStaticOptions,
} from './user-sessions-module-options.interface.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** The express-session table (`legacyCookie.table`, the import's `--table`): a name, optionally behind a schema (PostgreSQL) or database (MySQL) name. */
export const EXPRESS_SESSION_TABLE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;
const NESTED_OPTIONS = Symbol('USER_SESSIONS:NESTED_OPTIONS');

/** A schema class: a new instance holds every option of its level, at its default. */
export type OptionsSchema = new () => object;

/** An option that is itself an object of options, with its own schema. */
export interface NestedOptionsSchema {
  schema: () => OptionsSchema;
  /** What to say when the value is not an object. */
  example: string;
}

/** Marks an option as an object of options with its own schema (validated with it by `resolveUserSessionsOptions`). */
function NestedOptions(schema: () => OptionsSchema, example: string): PropertyDecorator {
  return (target, key) => {
    const nested: Record<string, NestedOptionsSchema> = Reflect.getMetadata(NESTED_OPTIONS, target) ?? {};
    Reflect.defineMetadata(NESTED_OPTIONS, { ...nested, [key]: { schema, example } }, target);
    IsOptional()(target, key);
  };
}

/** The nested options of a schema, by key. */
export function nestedOptionsOf(schema: object): Record<string, NestedOptionsSchema> {
  return Reflect.getMetadata(NESTED_OPTIONS, schema) ?? {};
}

/** An option that is a function (a callback, an entity class); unset is fine. */
function IsFunctionOption(message: string): PropertyDecorator {
  return (target, key) => {
    ValidateIf((_, value) => value !== undefined)(target, key);
    ValidateBy({ name: 'isFunctionOption', validator: { validate: (value) => typeof value === 'function', defaultMessage: () => message } })(target, key);
  };
}

/** An option that is an object with these methods (an app's storage, a Redis client). */
function HasMethods(
  methods: readonly string[],
  message: (missing: string[]) => string,
  { required = false, also = () => true }: { required?: boolean; also?: (value: Record<string, unknown>) => boolean } = {},
): PropertyDecorator {
  const missing = (value: unknown) => methods.filter((method) => typeof (value as Record<string, unknown> | null)?.[method] !== 'function');
  return (target, key) => {
    if (!required) ValidateIf((_, value) => value !== undefined)(target, key);
    ValidateBy({
      name: 'hasMethods',
      validator: {
        validate: (value) => value !== null && typeof value === 'object' && missing(value).length === 0 && also(value as Record<string, unknown>),
        defaultMessage: (args) => message(missing(args?.value)),
      },
    })(target, key);
  };
}

/** The express-session secret: a non-empty string, or a non-empty array of them. */
function IsSecrets({ message }: { message: string }): PropertyDecorator {
  const isSecret = (value: unknown) => typeof value === 'string' && value.length > 0;
  return ValidateBy({
    name: 'isSecrets',
    validator: {
      validate: (value) => (Array.isArray(value) ? value.length > 0 && value.every(isSecret) : isSecret(value)),
      defaultMessage: () => message,
    },
  });
}

/** The cache's HMAC key: a long enough string or Buffer, or a non-empty array of them. */
function IsCacheSecret(): PropertyDecorator {
  const isSecret = (value: unknown) =>
    (typeof value === 'string' || Buffer.isBuffer(value)) && value.length >= MIN_CACHE_SECRET_LENGTH;
  const fix =
    `a random string of at least ${MIN_CACHE_SECRET_LENGTH} characters (or a Buffer of ${MIN_CACHE_SECRET_LENGTH} bytes), or an array of them, newest first, ` +
    'the same on every instance: it signs the cache entries, so that whoever can write to Redis cannot sign anyone in ' +
    '(e.g. secret: process.env.SESSION_CACHE_SECRET, made with `openssl rand -base64 32`)';
  return ValidateBy({
    name: 'isCacheSecret',
    validator: {
      validate: (value) => (Array.isArray(value) ? value.length > 0 && value.every(isSecret) : isSecret(value)),
      defaultMessage: (args) => (args?.value === undefined ? `cache.secret is required: ${fix}` : `cache.secret must be ${fix}`),
    },
  });
}

export class GeoIpOptionsSchema implements GeoIpOptions {
  @IsOptional()
  @IsString({ message: 'geoip.path must be the path of a directory or a .mmdb file' })
  path: string | undefined = undefined;

  @IsOptional()
  @IsString({ message: 'geoip.cityDatabase must be the path of a GeoLite2/GeoIP2 City .mmdb file' })
  cityDatabase: string | undefined = undefined;

  @IsOptional()
  @IsString({ message: 'geoip.countryDatabase must be the path of a GeoLite2/GeoIP2 Country .mmdb file' })
  countryDatabase: string | undefined = undefined;

  @IsOptional()
  @IsString({ message: 'geoip.asnDatabase must be the path of a GeoLite2/GeoIP2 ASN .mmdb file' })
  asnDatabase: string | undefined = undefined;

  @IsOptional()
  @Matches(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$/, { message: 'geoip.locale must be a language tag, such as "en", "de", "pt-BR" or "zh-Hans"; got "$value"' })
  locale: string | undefined = undefined;
}

export class LegacyCookieOptionsSchema implements Required<LegacyCookieOptions> {
  @IsString()
  @Matches(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, {
    message: 'legacyCookie.name must be a cookie token such as "connect.sid", got "$value"',
  })
  name: string = 'connect.sid';

  @IsSecrets({ message: 'legacyCookie.secret must be the express-session secret (a non-empty string), or an array of them, newest first' })
  secret: string | string[] = '';

  @IsString()
  @Matches(EXPRESS_SESSION_TABLE_PATTERN, {
    message: 'legacyCookie.table must be a plain SQL table name such as "session" or "public.session", got "$value"',
  })
  table: string = 'session';
}

export class SessionCacheOptionsSchema implements Required<SessionCacheOptions> {
  @HasMethods(SESSION_CACHE_REDIS_METHODS, () => 'cache.redis must be an ioredis client (5 or later), e.g. new Redis(process.env.REDIS_URL)', {
    required: true,
    also: (redis) => typeof redis.status === 'string',
  })
  redis: SessionCacheRedis = undefined as unknown as SessionCacheRedis;

  @IsCacheSecret()
  secret: SessionCacheSecret = undefined as unknown as SessionCacheSecret;

  @IsInt({ message: 'cache.ttl is in milliseconds and must be a whole number, got $value' })
  @Min(1000, { message: 'cache.ttl must be at least 1000 milliseconds, got $value' })
  @Max(MAX_CACHE_TTL, {
    message: `cache.ttl must be at most ${MAX_CACHE_TTL} milliseconds (5 minutes), the longest a stale entry may be served (see docs/redis-cache.md), got $value`,
  })
  ttl: number = DEFAULT_CACHE_TTL;

  @IsString({ message: "cache.keyPrefix must be a string such as 'user-sessions:'" })
  @Matches(/^[\x21-\x7e]{1,100}$/, {
    message: 'cache.keyPrefix must be 1 to 100 printable ASCII characters without spaces, got "$value"',
  })
  keyPrefix: string = DEFAULT_CACHE_KEY_PREFIX;

  @IsInt({ message: 'cache.timeout is in milliseconds and must be a whole number, got $value' })
  @Min(1, { message: 'cache.timeout must be at least 1 millisecond, got $value' })
  @Max(10_000, { message: 'cache.timeout must be at most 10000 milliseconds: a cache slower than that is down, got $value' })
  timeout: number = DEFAULT_CACHE_TIMEOUT;
}

export class LiveSessionsOptionsSchema implements Record<keyof LiveSessionsOptions, unknown> {
  @HasMethods(['publish', 'duplicate'], () => 'liveSessions.redis must be an ioredis client (5 or later), e.g. new Redis(process.env.REDIS_URL)')
  redis: LiveSessionsRedis | undefined = undefined;

  @IsOptional()
  @IsString({ message: "liveSessions.channel must be a string such as 'user_sessions:ended'" })
  @Matches(/^[\x21-\x7e]{1,63}$/, {
    message: 'liveSessions.channel must be 1 to 63 printable ASCII characters without spaces (a PostgreSQL channel name), got "$value"',
  })
  channel: string | undefined = undefined;
}

export class RequireRecentLoginOptionsSchema implements RequireRecentLoginOptions {
  @IsOptional()
  @IsInt({ message: 'requireRecentLogin.endOtherSessions is in milliseconds and must be a whole number, got $value' })
  @Min(1000, { message: 'requireRecentLogin.endOtherSessions must be at least 1000 milliseconds (one second), got $value' })
  @Max(Number.MAX_SAFE_INTEGER)
  endOtherSessions: number | undefined = undefined;

  @IsOptional()
  @IsInt({ message: 'requireRecentLogin.endSession is in milliseconds and must be a whole number, got $value' })
  @Min(1000, { message: 'requireRecentLogin.endSession must be at least 1000 milliseconds (one second), got $value' })
  @Max(Number.MAX_SAFE_INTEGER)
  endSession: number | undefined = undefined;
}

/** The options read when the module is declared (see `UserSessionsStaticOptions`). */
export class StaticOptionsSchema implements Record<keyof UserSessionsStaticOptions, unknown> {
  @IsString()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, {
    message: 'tableName must be a plain SQL identifier (letters, digits, _; at most 63), got "$value"',
  })
  tableName: string = DEFAULT_TABLE_NAME;

  @IsIn(['string', 'number', 'uuid'], {
    message: "userIdType must be 'string', 'number' or 'uuid', got \"$value\"",
  })
  userIdType: UserIdType = 'string';

  @IsFunctionOption('userEntity must be a function returning the entity class, e.g. userEntity: () => User')
  userEntity: (() => Type<unknown>) | undefined = undefined;

  @IsString({ message: "path must be a string such as 'account/sessions'" })
  @Matches(/^\/?[A-Za-z0-9._~\-/]*$/, {
    message: 'path may only contain letters, digits and . _ ~ - / (no route parameters), got "$value"',
  })
  path: string = DEFAULT_PATH;

  @IsOptional()
  @IsString({ message: "adminPath must be a string such as 'admin/sessions'" })
  @Matches(/^\/?[A-Za-z0-9._~\-/]+$/, {
    message: 'adminPath may only contain letters, digits and . _ ~ - / (no route parameters), got "$value"',
  })
  adminPath: string | undefined = undefined;

  @IsString()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, {
    message: 'devicesTableName must be a plain SQL identifier (letters, digits, _; at most 63), got "$value"',
  })
  devicesTableName: string = DEFAULT_DEVICES_TABLE_NAME;

  @IsString()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, {
    message: 'activityTableName must be a plain SQL identifier (letters, digits, _; at most 63), got "$value"',
  })
  activityTableName: string = DEFAULT_ACTIVITY_TABLE_NAME;
}

/**
 * Every option: its rule (each message says how to fix the value) and its default. The keys
 * of a new instance are the options there are: every property has an initializer.
 */
export class UserSessionsOptionsSchema
  extends StaticOptionsSchema
  implements ResolvedUserSessionsOptions, Record<keyof UserSessionsModuleOptions, unknown>
{
  @IsString()
  @Matches(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, {
    message: 'cookieName must be a cookie token (letters, digits and !#$%&\'*+-.^_`|~), got "$value"',
  })
  cookieName: string = DEFAULT_COOKIE_NAME;

  @IsInt({ message: 'maxAge is in milliseconds and must be a whole number, got $value' })
  @Min(1000, { message: 'maxAge is in milliseconds and must be at least 1000 (one second), got $value' })
  @Max(Number.MAX_SAFE_INTEGER)
  maxAge: number = DEFAULT_MAX_AGE;

  @IsInt({ message: 'idleTimeout is in milliseconds and must be a whole number (0 turns it off), got $value' })
  @Min(0, { message: 'idleTimeout must be 0 (off) or a number of milliseconds, got $value' })
  @Max(Number.MAX_SAFE_INTEGER)
  idleTimeout: number = 0;

  @IsBoolean({ message: 'expireAtBrowserClose must be true or false' })
  expireAtBrowserClose: boolean = false;

  @ValidateIf((_, value) => value !== 'auto')
  @IsBoolean({ message: "secure must be true, false or 'auto'" })
  secure: boolean | 'auto' = 'auto';

  @IsIn(['lax', 'strict', 'none'], { message: "sameSite must be 'lax', 'strict' or 'none', got \"$value\"" })
  sameSite: 'lax' | 'strict' | 'none' = 'lax';

  @IsOptional()
  @IsString()
  @Matches(/^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/, {
    message: 'cookieDomain must be a host name such as "example.com", got "$value"',
  })
  cookieDomain: string | undefined = undefined;

  @IsString()
  @Matches(/^\/[\x21-\x3a\x3c-\x7e]*$/, {
    message: 'cookiePath must start with "/" and contain no spaces or ";", got "$value"',
  })
  cookiePath: string = '/';

  @IsInt({ message: 'activityInterval is in milliseconds and must be a whole number, got $value' })
  @Min(0, { message: 'activityInterval must be 0 or more milliseconds, got $value' })
  @Max(MAX_TIMER_MS)
  activityInterval: number = DEFAULT_ACTIVITY_INTERVAL;

  @IsInt({ message: 'rotationInterval is in milliseconds and must be a whole number (0 turns it off), got $value' })
  @Min(0, { message: 'rotationInterval must be 0 (off) or a number of milliseconds, got $value' })
  @Max(MAX_TIMER_MS)
  rotationInterval: number = 0;

  @IsInt({ message: 'rotationGrace is in milliseconds and must be a whole number, got $value' })
  @Min(0, { message: 'rotationGrace must be 0 or more milliseconds, got $value' })
  @Max(MAX_TIMER_MS)
  rotationGrace: number = DEFAULT_ROTATION_GRACE;

  @IsBoolean({ message: 'checkOrigin must be true or false' })
  checkOrigin: boolean = true;

  @IsArray({ message: "trustedOrigins must be an array such as ['https://app.example.com']" })
  @Matches(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, {
    each: true,
    message:
      'each of trustedOrigins must be an origin: scheme, host and optional port without a path, such as "https://app.example.com"; got "$value"',
  })
  trustedOrigins: string[] = [];

  @NestedOptions(() => GeoIpOptionsSchema, "geoip must be an object such as { path: '/usr/share/GeoIP' }")
  geoip: GeoIpOptionsSchema | undefined = undefined;

  @IsBoolean({ message: 'requestClientHints must be true or false' })
  requestClientHints: boolean = true;

  @IsOptional()
  @IsBoolean({ message: 'hostPrefix must be true or false' })
  hostPrefix: boolean | undefined = undefined;

  @IsBoolean({ message: 'expressSessionApi must be true or false' })
  expressSessionApi: boolean = false;

  @IsOptional()
  @IsInt({ message: 'maxSessionsPerUser must be a whole number of sessions, got $value' })
  @Min(1, { message: 'maxSessionsPerUser must be at least 1, got $value' })
  @Max(1000, { message: 'maxSessionsPerUser must be at most 1000, got $value' })
  maxSessionsPerUser: number | undefined = undefined;

  @IsIn(['end-least-recent', 'refuse'], { message: "sessionLimitStrategy must be 'end-least-recent' or 'refuse', got \"$value\"" })
  sessionLimitStrategy: 'end-least-recent' | 'refuse' = 'end-least-recent';

  @IsInt({ message: 'cleanupBatchSize must be a whole number of rows, got $value' })
  @Min(1, { message: 'cleanupBatchSize must be at least 1, got $value' })
  @Max(100_000, { message: 'cleanupBatchSize must be at most 100000 rows per statement, got $value' })
  cleanupBatchSize: number = DEFAULT_CLEANUP_BATCH_SIZE;

  @IsInt({ message: 'cleanupInterval is in milliseconds and must be a whole number, got $value' })
  @ValidateIf((_, value) => value !== 0)
  @Min(1000, { message: 'cleanupInterval must be 0 (off) or at least 1000 milliseconds, got $value' })
  @Max(MAX_TIMER_MS, { message: `cleanupInterval must be at most ${MAX_TIMER_MS} milliseconds (about 24 days), got $value` })
  cleanupInterval: number = 0;

  @IsInt({ message: 'storageTimeout is in milliseconds and must be a whole number, got $value' })
  @Min(0, { message: 'storageTimeout must be 0 (no limit) or more milliseconds, got $value' })
  @Max(MAX_TIMER_MS, { message: `storageTimeout must be at most ${MAX_TIMER_MS} milliseconds, got $value` })
  storageTimeout: number = DEFAULT_STORAGE_TIMEOUT;

  @IsIn(['error', 'warn', 'off'], { message: "schemaCheck must be 'error', 'warn' or 'off', got \"$value\"" })
  schemaCheck: 'error' | 'warn' | 'off' = 'error';

  @IsIn(['full', 'truncated', 'none'], { message: "ipAddresses must be 'full', 'truncated' or 'none', got \"$value\"" })
  ipAddresses: 'full' | 'truncated' | 'none' = 'full';

  @IsBoolean({ message: 'storeUserAgent must be true or false' })
  storeUserAgent: boolean = true;

  @NestedOptions(
    () => LegacyCookieOptionsSchema,
    "legacyCookie must be an object such as { name: 'connect.sid', secret: process.env.SESSION_SECRET }",
  )
  legacyCookie: LegacyCookieOptionsSchema | undefined = undefined;

  @NestedOptions(() => RequireRecentLoginOptionsSchema, 'requireRecentLogin must be an object such as { endOtherSessions: 5 * 60_000 }')
  requireRecentLogin: RequireRecentLoginOptionsSchema | undefined = undefined;

  @NestedOptions(() => SessionCacheOptionsSchema, 'cache must be an object such as { redis: new Redis(process.env.REDIS_URL), secret: process.env.SESSION_CACHE_SECRET }')
  cache: SessionCacheOptionsSchema | undefined = undefined;

  @NestedOptions(() => LiveSessionsOptionsSchema, 'liveSessions must be an object such as { redis: new Redis(process.env.REDIS_URL) }')
  liveSessions: LiveSessionsOptionsSchema | undefined = undefined;

  @NestedOptions(() => KnownDevicesOptionsSchema, 'knownDevices must be an object such as { enabled: false }')
  knownDevices: Required<KnownDevicesOptions> = undefined as unknown as Required<KnownDevicesOptions>;

  @IsInt({ message: 'activityHistoryDays must be a whole number of days (0 turns the history off), got $value' })
  @Min(0, { message: 'activityHistoryDays must be 0 (off) or more days, got $value' })
  @Max(3650, { message: 'activityHistoryDays must be at most 3650 days, got $value' })
  activityHistoryDays: number = DEFAULT_ACTIVITY_HISTORY_DAYS;

  @NestedOptions(() => RiskSignalsOptionsSchema, 'riskSignals must be an object such as { requireRecentLogin: true }')
  riskSignals: Required<RiskSignalsOptions> = undefined as unknown as Required<RiskSignalsOptions>;

  @HasMethods(SESSION_STORAGE_METHODS, (missing) => `storage must implement SessionStorage; it lacks ${missing.join(', ')}`)
  storage: SessionStorage | undefined = undefined;

  @IsFunctionOption("isAdmin must be a function, e.g. isAdmin: ({ session }) => session.get('role') === 'admin'")
  isAdmin: ((context: AdminCheckContext) => boolean | Promise<boolean>) | undefined = undefined;

  @IsFunctionOption('onEvent must be a function, e.g. onEvent: (event) => audit.record(event)')
  onEvent: UserSessionsEventListener | undefined = undefined;
}
