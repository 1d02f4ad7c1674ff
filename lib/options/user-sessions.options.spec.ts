import { describe, expect, it } from 'vitest';
import { resolveUserSessionsOptions } from './user-sessions.options.js';
import { InvalidUserSessionsOptionsError } from '../exceptions/invalid-user-sessions-options.error.js';

/** What `cache.redis` is checked for: the shape of an ioredis client. */
const fakeRedis = {
  status: 'ready',
  ...Object.fromEntries(['evalsha', 'eval', 'del', 'on', 'off'].map((name) => [name, () => undefined])),
};
const secret = 'x'.repeat(32);

describe('resolveUserSessionsOptions', () => {
  it('applies the documented defaults', () => {
    expect(resolveUserSessionsOptions()).toEqual({
      tableName: 'user_sessions',
      userIdType: 'string',
      path: 'account/sessions',
      cookieName: 'sessionid',
      maxAge: 1_209_600_000,
      idleTimeout: 0,
      expireAtBrowserClose: false,
      secure: 'auto',
      sameSite: 'lax',
      cookiePath: '/',
      activityInterval: 60_000,
      rotationInterval: 0,
      rotationGrace: 30_000,
      checkOrigin: true,
      trustedOrigins: [],
      requestClientHints: true,
      expressSessionApi: false,
      sessionLimitStrategy: 'end-least-recent',
      hostPrefix: false,
      cleanupBatchSize: 1000,
      cleanupInterval: 0,
      storageTimeout: 10_000,
      schemaCheck: 'error',
      ipAddresses: 'full',
      storeUserAgent: true,
      devicesTableName: 'user_devices',
      activityTableName: 'user_security_activity',
      knownDevices: { enabled: true, cookieName: 'sessionid_device', answerTtl: 7 * 24 * 60 * 60 * 1000 },
      activityHistoryDays: 30,
      riskSignals: { requireRecentLogin: false, maxTravelSpeed: 1000 },
    });
  });

  it('defaults the legacy cookie name and keeps the secrets', () => {
    const options = resolveUserSessionsOptions({ legacyCookie: { secret: ['new', 'old'] } });
    expect(options.legacyCookie).toEqual({ name: 'connect.sid', table: 'session', secret: ['new', 'old'] });
    const custom = resolveUserSessionsOptions({ legacyCookie: { name: 'app.sid', table: 'public.express_sessions', secret: 's' } });
    expect(custom.legacyCookie).toEqual({ name: 'app.sid', table: 'public.express_sessions', secret: 's' });
  });

  it('checks adminPath alone when only the static options are known (forRootAsync)', () => {
    expect(resolveUserSessionsOptions({ adminPath: '/admin/sessions/' }, 'static').adminPath).toBe('admin/sessions');
  });

  it('keeps onEvent; ending one other session follows the rule of ending them all unless given its own', () => {
    const onEvent = () => undefined;
    const options = resolveUserSessionsOptions({ onEvent, requireRecentLogin: { endOtherSessions: 300_000 } });
    expect(options.onEvent).toBe(onEvent);
    expect(options.requireRecentLogin).toEqual({ endOtherSessions: 300_000, endSession: 300_000 });
    expect(resolveUserSessionsOptions({ requireRecentLogin: { endOtherSessions: 300_000, endSession: 60_000 } }).requireRecentLogin).toEqual({
      endOtherSessions: 300_000,
      endSession: 60_000,
    });
    expect(resolveUserSessionsOptions({}).requireRecentLogin).toBeUndefined();
  });

  it('turns the __Host- prefix on where browsers take it: secure: true, no cookieDomain, cookiePath /', () => {
    expect(resolveUserSessionsOptions({ secure: true }).hostPrefix).toBe(true);
    expect(resolveUserSessionsOptions({ secure: true, cookieDomain: 'example.test' }).hostPrefix).toBe(false);
    expect(resolveUserSessionsOptions({ secure: true, cookiePath: '/app' }).hostPrefix).toBe(false);
    expect(resolveUserSessionsOptions({}).hostPrefix).toBe(false);
    expect(resolveUserSessionsOptions({ secure: true, hostPrefix: false }).hostPrefix).toBe(false);
  });

  it('normalises the path and trusted origins', () => {
    const options = resolveUserSessionsOptions({ path: '/me/sessions/', trustedOrigins: ['https://App.Example.com'] });
    expect(options.path).toBe('me/sessions');
    expect(options.trustedOrigins).toEqual(['https://app.example.com']);
  });

  it('applies the cache defaults and keeps the client itself', () => {
    const { cache } = resolveUserSessionsOptions({ cache: { redis: fakeRedis as never, secret } });
    expect(cache).toEqual({ redis: fakeRedis, secret, ttl: 60_000, keyPrefix: 'user-sessions:', timeout: 200 });
    expect(cache!.redis).toBe(fakeRedis);
    const custom = resolveUserSessionsOptions({ cache: { redis: fakeRedis as never, secret, ttl: 300_000, keyPrefix: '{app}:sessions:', timeout: 50 } });
    expect(custom.cache).toMatchObject({ ttl: 300_000, keyPrefix: '{app}:sessions:', timeout: 50 });
    expect(resolveUserSessionsOptions({ cache: { redis: fakeRedis as never, secret, timeout: 10_000 }, storageTimeout: 0 }).cache!.timeout).toBe(10_000);
    // A Buffer of 32 bytes, and several secrets (newest first) while one is being rotated.
    const rotated = [Buffer.alloc(32, 1), 'y'.repeat(40)];
    expect(resolveUserSessionsOptions({ cache: { redis: fakeRedis as never, secret: rotated } }).cache!.secret).toBe(rotated);
  });

  it('accepts an idle timeout longer than activityInterval and shorter than maxAge', () => {
    expect(resolveUserSessionsOptions({ idleTimeout: 30 * 60_000 }).idleTimeout).toBe(1_800_000);
    expect(resolveUserSessionsOptions({ idleTimeout: 2000, activityInterval: 1000, maxAge: 3000 }).idleTimeout).toBe(2000);
  });

  it.each([
    [{ idleTimeout: -1 }, /idleTimeout must be 0 \(off\) or a number of milliseconds/],
    [{ idleTimeout: 1.5 }, /idleTimeout is in milliseconds and must be a whole number/],
    [{ idleTimeout: '30m' }, /idleTimeout is in milliseconds and must be a whole number/],
    [{ idleTimeout: 60_000 }, /idleTimeout \(60000\) must be longer than activityInterval \(60000\)/],
    [{ idleTimeout: 5000, activityInterval: 10_000 }, /must be longer than activityInterval/],
    [{ idleTimeout: 1_209_600_000 }, /idleTimeout \(1209600000\) must be shorter than maxAge \(1209600000\)/],
    [{ idleTimeout: 120_000, maxAge: 100_000 }, /must be shorter than maxAge/],
    [{ tableName: 'drop table;' }, /tableName must be a plain SQL identifier/],
    [{ cleanupInterval: 10 }, /cleanupInterval must be 0 \(off\) or at least 1000/],
    [{ cleanupInterval: 2 ** 31 }, /cleanupInterval must be at most/],
    [{ storageTimeout: -1 }, /storageTimeout must be 0 \(no limit\) or more milliseconds/],
    [{ storageTimeout: 1.5 }, /storageTimeout is in milliseconds and must be a whole number/],
    [{ storageTimeout: '5s' }, /storageTimeout is in milliseconds and must be a whole number/],
    [{ storageTimeout: 2 ** 31 }, /storageTimeout must be at most/],
    [{ ipAddresses: 'masked' }, /ipAddresses must be 'full', 'truncated' or 'none'/],
    [{ schemaCheck: 'strict' }, /schemaCheck must be 'error', 'warn' or 'off'/],
    [{ storeUserAgent: 'no' }, /storeUserAgent must be true or false/],
    [{ adminPath: 'admin/:id', isAdmin: (): boolean => true }, /adminPath may only contain/],
    [{ adminPath: 'admin/sessions' }, /isAdmin must say who is an administrator/],
    [{ isAdmin: (): boolean => true }, /set adminPath too/],
    [{ adminPath: 'admin/sessions', isAdmin: true }, /isAdmin must be a function/],
    [{ legacyCookie: 'connect.sid' }, /legacyCookie must be an object/],
    [{ legacyCookie: { secret: '' } }, /legacyCookie.secret must be the express-session secret/],
    [{ legacyCookie: { secret: [] } }, /legacyCookie.secret must be the express-session secret/],
    [{ legacyCookie: { secret: 's', name: 'a b' } }, /legacyCookie.name must be a cookie token/],
    [{ legacyCookie: { secret: 's', signed: true } }, /unknown option "legacyCookie.signed"/],
    [{ legacyCookie: { secret: 's', table: 'session; drop table users' } }, /legacyCookie.table must be a plain SQL table name/],
    [{ userIdType: 'bigint' }, /userIdType must be 'string', 'number' or 'uuid'/],
    [{ userEntity: 'User' }, /userEntity must be a function/],
    [{ path: 'sessions/:id' }, /path may only contain/],
    [{ cookieName: 'my cookie' }, /cookieName must be a cookie token/],
    [{ maxAge: 14 }, /maxAge is in milliseconds and must be at least 1000/],
    [{ maxAge: 1.5e3 + 0.5 }, /maxAge is in milliseconds and must be a whole number/],
    [{ expireAtBrowserClose: 'yes' }, /expireAtBrowserClose must be true or false/],
    [{ secure: 'always' }, /secure must be true, false or 'auto'/],
    [{ sameSite: 'None' }, /sameSite must be 'lax', 'strict' or 'none'/],
    [{ sameSite: 'none' }, /sameSite 'none' requires secure: true/],
    [{ cookieDomain: 'a b' }, /cookieDomain must be a host name/],
    [{ cookiePath: 'app' }, /cookiePath must start with "\/"/],
    [{ activityInterval: -5 }, /activityInterval must be 0 or more/],
    [{ checkOrigin: 1 }, /checkOrigin must be true or false/],
    [{ trustedOrigins: 'https://a.example' }, /trustedOrigins must be an array/],
    [{ trustedOrigins: ['https://a.example/'] }, /each of trustedOrigins must be an origin/],
    [{ storage: {} }, /storage must implement SessionStorage; it lacks find/],
    [
      { storage: Object.fromEntries(['find', 'insert', 'update', 'delete', 'listActive', 'deleteOthers', 'deleteExpired'].map((name) => [name, () => undefined])) },
      /storage must implement SessionStorage; it lacks findByPreviousKey, findById, deleteAllForUser, list$/,
    ],
    [{ cookie: { maxAge: 1 } }, /unknown option "cookie"/],
    [{ rotationInterval: 60_000, rotationGrace: 60_000 }, /rotationGrace \(60000\) must be shorter than rotationInterval \(60000\)/],
    [{ rotationInterval: -1 }, /rotationInterval must be 0 \(off\) or a number of milliseconds/],
    [{ rotationInterval: 1.5 }, /rotationInterval is in milliseconds and must be a whole number/],
    [{ geoip: '/usr/share/GeoIP' }, /geoip must be an object/],
    [{ geoip: { path: 5 } }, /geoip.path must be the path of a directory/],
    [{ geoip: { locale: 'English' } }, /geoip.locale must be a language tag/],
    [{ geoip: { file: 'x.mmdb' } }, /unknown option "geoip.file"/],
    [{ requestClientHints: 'yes' }, /requestClientHints must be true or false/],
    [{ cleanupBatchSize: 0 }, /cleanupBatchSize must be at least 1/],
    [{ cache: 'redis://127.0.0.1:6379' }, /cache must be an object such as \{ redis: new Redis/],
    [{ cache: {} }, /cache.redis must be an ioredis client/],
    [{ cache: { redis: 'redis://127.0.0.1:6379', secret } }, /cache.redis must be an ioredis client/],
    [{ cache: { redis: { ...fakeRedis, status: undefined }, secret } }, /cache.redis must be an ioredis client/],
    [{ cache: { redis: { ...fakeRedis, evalsha: undefined }, secret } }, /cache.redis must be an ioredis client/],
    [{ cache: { redis: fakeRedis, secret, tll: 5000 } }, /unknown option "cache.tll"; the cache options are: redis, secret, ttl, keyPrefix, timeout/],
    [{ cache: { redis: fakeRedis, secret, ttl: 10 } }, /cache.ttl must be at least 1000 milliseconds/],
    [{ cache: { redis: fakeRedis, secret, ttl: 1500.5 } }, /cache.ttl is in milliseconds and must be a whole number/],
    [{ cache: { redis: fakeRedis, secret, ttl: 2 ** 31 } }, /cache.ttl must be at most/],
    [{ cache: { redis: fakeRedis, secret, ttl: 300_001 } }, /cache.ttl must be at most 300000 milliseconds \(5 minutes\), the longest a stale entry may be served/],
    [{ cache: { redis: fakeRedis, secret, ttl: 24 * 86_400_000 } }, /cache.ttl must be at most 300000 milliseconds/],
    [{ cache: { redis: fakeRedis } }, /cache.secret is required: a random string of at least 32 characters .*secret: process.env.SESSION_CACHE_SECRET/],
    [{ cache: { redis: fakeRedis, secret: 'x'.repeat(31) } }, /cache.secret must be a random string of at least 32 characters \(or a Buffer of 32 bytes\)/],
    [{ cache: { redis: fakeRedis, secret: Buffer.alloc(31) } }, /cache.secret must be a random string of at least 32 characters/],
    [{ cache: { redis: fakeRedis, secret: [] } }, /cache.secret must be a random string/],
    [{ cache: { redis: fakeRedis, secret: [secret, 'old'] } }, /cache.secret must be a random string/],
    [{ cache: { redis: fakeRedis, secret: 12345678901234567890123456789012 } }, /cache.secret must be a random string/],
    [{ cache: { redis: fakeRedis, secret, keyPrefix: '' } }, /cache.keyPrefix must be 1 to 100 printable ASCII characters/],
    [{ cache: { redis: fakeRedis, secret, keyPrefix: 'my app:' } }, /cache.keyPrefix must be 1 to 100 printable ASCII characters without spaces/],
    [{ cache: { redis: fakeRedis, secret, keyPrefix: 7 } }, /cache.keyPrefix must be a string/],
    [{ cache: { redis: fakeRedis, secret, timeout: 0 } }, /cache.timeout must be at least 1 millisecond/],
    [{ cache: { redis: fakeRedis, secret, timeout: '1s' } }, /cache.timeout is in milliseconds and must be a whole number/],
    [{ cache: { redis: fakeRedis, secret, timeout: 20_000 }, storageTimeout: 0 }, /cache.timeout must be at most 10000/],
    [{ cache: { redis: fakeRedis, secret, timeout: 1000 }, storageTimeout: 1000 }, /cache.timeout \(1000\) must be shorter than storageTimeout \(1000\)/],
    [{ onEvent: 'audit' }, /onEvent must be a function/],
    [{ requireRecentLogin: 300_000 }, /requireRecentLogin must be an object such as \{ endOtherSessions/],
    [{ requireRecentLogin: { endAll: 300_000 } }, /unknown option "requireRecentLogin.endAll"; the requireRecentLogin options are: endOtherSessions, endSession/],
    [{ requireRecentLogin: { endOtherSessions: '5m' } }, /requireRecentLogin.endOtherSessions is in milliseconds and must be a whole number/],
    [{ requireRecentLogin: { endSession: 500 } }, /requireRecentLogin.endSession must be at least 1000 milliseconds/],
    [{ maxSessionsPerUser: 0 }, /maxSessionsPerUser must be at least 1, got 0/],
    [{ maxSessionsPerUser: 2.5 }, /maxSessionsPerUser must be a whole number of sessions/],
    [{ maxSessionsPerUser: 3, sessionLimitStrategy: 'oldest' }, /sessionLimitStrategy must be 'end-least-recent' or 'refuse', got "oldest"/],
    [{ requireRecentLogin: { endSession: 60_000 } }, /requireRecentLogin.endSession without endOtherSessions would let "End all other sessions"/],
    [{ requireRecentLogin: { endOtherSessions: 60_000, endSession: 300_000 } }, /endSession \(300000\) must not be longer than endOtherSessions \(60000\)/],
  ])('refuses %o', (options, message) => {
    expect(() => resolveUserSessionsOptions(options as never)).toThrow(InvalidUserSessionsOptionsError);
    expect(() => resolveUserSessionsOptions(options as never)).toThrow(message);
  });

  it('lists every problem at once', () => {
    try {
      resolveUserSessionsOptions({ maxAge: 1, cookieName: '' } as never);
      expect.unreachable();
    } catch (error) {
      expect((error as InvalidUserSessionsOptionsError).problems.length).toBeGreaterThanOrEqual(2);
    }
  });
  it('refuses a device cookie named as the session cookie', () => {
    expect(() => resolveUserSessionsOptions({ cookieName: 'sid', knownDevices: { cookieName: 'sid' } })).toThrow(/knownDevices.cookieName "sid" must differ/);
    expect(resolveUserSessionsOptions({ cookieName: 'sid' }).knownDevices.cookieName).toBe('sid_device');
    expect(() => resolveUserSessionsOptions({ knownDevices: { answerTtl: 10 } })).toThrow(/knownDevices.answerTtl must be at least 60000/);
    expect(() => resolveUserSessionsOptions({ activityHistoryDays: -1 })).toThrow(/activityHistoryDays must be 0 \(off\) or more days/);
    expect(() => resolveUserSessionsOptions({ riskSignals: { maxTravelSpeed: 20 } })).toThrow(/riskSignals.maxTravelSpeed must be at least 100/);
    expect(() => resolveUserSessionsOptions({ knownDevices: false as never })).toThrow(/knownDevices must be an object such as \{ enabled: false \}/);
  });
});
