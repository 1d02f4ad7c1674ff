import { Logger, type Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { GEOIP_LOCATOR, USER_SESSIONS_DATA_SOURCE, USER_SESSIONS_MODULE_OPTIONS } from './user-sessions.constants.js';
import { MissingDataSourceError } from './exceptions/missing-data-source.error.js';
import { SessionEntityNotRegisteredError } from './exceptions/session-entity-not-registered.error.js';
import type { ResolvedUserSessionsOptions } from './options/user-sessions-module-options.interface.js';
import { Session } from './session/session.entity.js';
import { ClientRecorder } from './session/client.js';
import { SessionLifetime } from './session/session-lifetime.js';
import { SessionMapper } from './session/session-mapper.js';
import { SessionStorage } from './storage/session-storage.interface.js';
import { TypeOrmSessionStorage } from './storage/typeorm-session.storage.js';
import { RedisCachedSessionStorage } from './storage/redis-cached-session.storage.js';
import { GuardedSessionStorage } from './storage/guarded-session.storage.js';
import { GeoIpLocator } from './details/location.js';
import { SessionDetailsService } from './details/session-details.service.js';
import { UserSessionsEventsPublisher } from './events/user-sessions-events.publisher.js';
import { SessionStoreService } from './store/session-store.service.js';
import { SessionLimit } from './store/session-limit.js';
import { KeyRotation } from './store/key-rotation.js';
import { UserSessionsCleanupService } from './store/user-sessions-cleanup.service.js';
import { ExpressSessionTable } from './express-session/express-session-table.js';
import { LegacySessionMoveOver } from './express-session/legacy-session-move-over.js';
import { SessionTableCheckService } from './migrations/session-table-check.service.js';
import { RequestSessionService } from './http/request-session.service.js';
import { UserSessionsMiddleware } from './http/user-sessions.middleware.js';
import { ExpressSessionApiService } from './http/express-session-api.service.js';
import { UserSessionsFastifyHook } from './http/user-sessions-fastify.hook.js';
import { UserSessionsGuard } from './user-sessions.guard.js';
import { UserSessionsInterceptor } from './user-sessions.interceptor.js';
import { LiveSessionsService } from './live/live-sessions.service.js';
import { InProcessSessionEndBus, SessionEndBus } from './live/session-end-bus.js';
import { RedisSessionEndBus } from './live/redis-session-end-bus.js';
import { PostgresSessionEndBus } from './live/postgres-session-end-bus.js';
import type { LiveSessionsRedis } from './options/live-sessions.options.js';
import { UserSessionsReauthGuard } from './user-sessions-reauth.guard.js';
import { SecurityActivityService } from './activity/security-activity.service.js';
import { SecurityActivityRecord } from './session/security-activity.entity.js';
import { DeviceRegistry } from './devices/device-registry.js';
import { UserDevice } from './session/user-device.entity.js';
import { RiskSignals } from './risk/risk-signals.js';
import { SignInRecord } from './store/sign-in-record.js';
import { KnownDevicesService } from './store/known-devices.service.js';
import { ActivityViews } from './api/activity-views.js';

/** The providers every configuration of the module shares, given the options provider. */
export function createUserSessionsProviders(): Provider[] {
  return [
    // session/: the rules, built from the options.
    {
      provide: SessionLifetime,
      useFactory: (options: ResolvedUserSessionsOptions) => new SessionLifetime(options),
      inject: [USER_SESSIONS_MODULE_OPTIONS],
    },
    {
      provide: SessionMapper,
      useFactory: (lifetime: SessionLifetime) => new SessionMapper(lifetime),
      inject: [SessionLifetime],
    },
    {
      provide: ClientRecorder,
      useFactory: (options: ResolvedUserSessionsOptions) => new ClientRecorder(options),
      inject: [USER_SESSIONS_MODULE_OPTIONS],
    },
    {
      // Found here, not injected where needed: without TypeOrmModule the app gets one error that says so.
      provide: USER_SESSIONS_DATA_SOURCE,
      useFactory: (options: ResolvedUserSessionsOptions, dataSource: DataSource | undefined) => {
        if (!dataSource) {
          if (options.storage) return null;
          throw new MissingDataSourceError();
        }
        // Before initialize() (TypeORM's manualInitialization) the entities are not known yet.
        if (dataSource.isInitialized) {
          const missing = [
            ...(!options.storage && !dataSource.hasMetadata(Session) ? ['Session'] : []),
            ...(options.knownDevices.enabled && !dataSource.hasMetadata(UserDevice) ? ['UserDevice'] : []),
            ...(options.activityHistoryDays > 0 && !dataSource.hasMetadata(SecurityActivityRecord) ? ['SecurityActivityRecord'] : []),
          ];
          if (missing.length > 0) throw new SessionEntityNotRegisteredError(missing);
        }
        return dataSource;
      },
      inject: [USER_SESSIONS_MODULE_OPTIONS, { token: getDataSourceToken(), optional: true }],
    },
    // storage/: the app's storage or the TypeORM table, the Redis cache in front, the outage guard around.
    {
      provide: SessionStorage,
      useFactory: (options: ResolvedUserSessionsOptions, dataSource: DataSource | null) => {
        const storage = options.storage ?? new TypeOrmSessionStorage(dataSource!.getRepository(Session), options.cleanupBatchSize);
        return options.cache ? new RedisCachedSessionStorage(storage, options.cache, new Logger('UserSessions')) : storage;
      },
      inject: [USER_SESSIONS_MODULE_OPTIONS, USER_SESSIONS_DATA_SOURCE],
    },
    {
      provide: GuardedSessionStorage,
      useFactory: (storage: SessionStorage, options: ResolvedUserSessionsOptions) => new GuardedSessionStorage(storage, options.storageTimeout),
      inject: [SessionStorage, USER_SESSIONS_MODULE_OPTIONS],
    },
    {
      // Read into memory once, at start-up: lookups never touch the disk.
      provide: GEOIP_LOCATOR,
      useFactory: (options: ResolvedUserSessionsOptions) =>
        GeoIpLocator.open(options.geoip, (message) => new Logger('UserSessions').warn(message)),
      inject: [USER_SESSIONS_MODULE_OPTIONS],
    },
    {
      // Only with legacyCookie: otherwise null, and the request path never reads the old cookie.
      provide: LegacySessionMoveOver,
      useFactory: (
        options: ResolvedUserSessionsOptions,
        dataSource: DataSource | null,
        storage: GuardedSessionStorage,
        lifetime: SessionLifetime,
        mapper: SessionMapper,
      ) =>
        options.legacyCookie
          ? new LegacySessionMoveOver(options.legacyCookie, storage, lifetime, mapper, new ExpressSessionTable(dataSource!, options.legacyCookie.table))
          : null,
      inject: [USER_SESSIONS_MODULE_OPTIONS, USER_SESSIONS_DATA_SOURCE, GuardedSessionStorage, SessionLifetime, SessionMapper],
    },
    {
      // Only with expressSessionApi: otherwise null, and requests get no req.session.
      provide: ExpressSessionApiService,
      useFactory: (options: ResolvedUserSessionsOptions, requests: RequestSessionService, store: SessionStoreService, lifetime: SessionLifetime) =>
        options.expressSessionApi ? new ExpressSessionApiService(options, requests, store, lifetime) : null,
      inject: [USER_SESSIONS_MODULE_OPTIONS, RequestSessionService, SessionStoreService, SessionLifetime],
    },
    SessionDetailsService,
    UserSessionsEventsPublisher,
    {
      provide: SessionLimit,
      useFactory: (
        options: ResolvedUserSessionsOptions,
        storage: GuardedSessionStorage,
        lifetime: SessionLifetime,
        details: SessionDetailsService,
        events: UserSessionsEventsPublisher,
      ) => new SessionLimit(options, storage, lifetime, details, events),
      inject: [USER_SESSIONS_MODULE_OPTIONS, GuardedSessionStorage, SessionLifetime, SessionDetailsService, UserSessionsEventsPublisher],
    },
    {
      provide: KeyRotation,
      useFactory: (
        options: ResolvedUserSessionsOptions,
        storage: GuardedSessionStorage,
        lifetime: SessionLifetime,
        mapper: SessionMapper,
        events: UserSessionsEventsPublisher,
      ) => new KeyRotation(options, storage, lifetime, mapper, events),
      inject: [USER_SESSIONS_MODULE_OPTIONS, GuardedSessionStorage, SessionLifetime, SessionMapper, UserSessionsEventsPublisher],
    },
    // activity/, devices/, risk/: what a sign-in, an end or a change of place leaves behind.
    {
      provide: SecurityActivityService,
      useFactory: (options: ResolvedUserSessionsOptions, dataSource: DataSource | null, events: UserSessionsEventsPublisher, storage: GuardedSessionStorage) =>
        new SecurityActivityService(
          dataSource && options.activityHistoryDays > 0 ? dataSource.getRepository(SecurityActivityRecord) : null,
          options.activityHistoryDays,
          events,
          (action) => storage.run(action),
        ),
      inject: [USER_SESSIONS_MODULE_OPTIONS, USER_SESSIONS_DATA_SOURCE, UserSessionsEventsPublisher, GuardedSessionStorage],
    },
    {
      provide: DeviceRegistry,
      useFactory: (options: ResolvedUserSessionsOptions, dataSource: DataSource | null, storage: GuardedSessionStorage) =>
        new DeviceRegistry(
          dataSource && options.knownDevices.enabled ? dataSource.getRepository(UserDevice) : null,
          options.knownDevices.answerTtl,
          (action) => storage.run(action),
        ),
      inject: [USER_SESSIONS_MODULE_OPTIONS, USER_SESSIONS_DATA_SOURCE, GuardedSessionStorage],
    },
    {
      provide: RiskSignals,
      useFactory: (options: ResolvedUserSessionsOptions, locator: GeoIpLocator, events: UserSessionsEventsPublisher, activity: SecurityActivityService) =>
        new RiskSignals(locator, options.riskSignals, events, activity),
      inject: [USER_SESSIONS_MODULE_OPTIONS, GEOIP_LOCATOR, UserSessionsEventsPublisher, SecurityActivityService],
    },
    {
      provide: SignInRecord,
      useFactory: (devices: DeviceRegistry, activity: SecurityActivityService, risk: RiskSignals, events: UserSessionsEventsPublisher) =>
        new SignInRecord(devices, activity, risk, events),
      inject: [DeviceRegistry, SecurityActivityService, RiskSignals, UserSessionsEventsPublisher],
    },
    SessionStoreService,
    KnownDevicesService,
    ActivityViews,
    UserSessionsCleanupService,
    SessionTableCheckService,
    RequestSessionService,
    UserSessionsMiddleware,
    UserSessionsFastifyHook,
    UserSessionsGuard,
    UserSessionsReauthGuard,
    // live/: WebSockets and subscriptions, and how ends reach every instance.
    {
      provide: SessionEndBus,
      useFactory: (options: ResolvedUserSessionsOptions, dataSource: DataSource | null) => createSessionEndBus(options, dataSource),
      inject: [USER_SESSIONS_MODULE_OPTIONS, USER_SESSIONS_DATA_SOURCE],
    },
    LiveSessionsService,
    UserSessionsInterceptor,
  ];
}

/**
 * The `liveSessions` option's transport: its Redis client, else the cache's; else PostgreSQL's
 * LISTEN/NOTIFY on a PostgreSQL data source; else this instance only.
 */
function createSessionEndBus(options: ResolvedUserSessionsOptions, dataSource: DataSource | null): SessionEndBus {
  const logger = new Logger('UserSessions');
  // PostgreSQL takes channel names of at most 63 bytes; table names are at most 63 too.
  const channel = options.liveSessions?.channel ?? `${options.tableName.slice(0, 57)}:ended`;
  const cacheRedis = options.cache?.redis as Partial<LiveSessionsRedis> | undefined;
  const redis =
    options.liveSessions?.redis ??
    (typeof cacheRedis?.publish === 'function' && typeof cacheRedis.duplicate === 'function' ? (cacheRedis as LiveSessionsRedis) : undefined);
  if (redis) return new RedisSessionEndBus(redis, channel, logger);
  if (dataSource?.options.type === 'postgres') return new PostgresSessionEndBus(dataSource, channel, logger);
  return new InProcessSessionEndBus();
}
