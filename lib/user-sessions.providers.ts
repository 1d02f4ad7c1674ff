import { Logger, type Provider } from '@nestjs/common';
import { getDataSourceToken, getRepositoryToken } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import { ExpressSessionTable } from './express-session/express-session-table.js';
import { GEOIP_LOCATOR, USER_SESSIONS_MODULE_OPTIONS } from './user-sessions.constants.js';
import { GeoIpLocator } from './details/location.js';
import { SessionDetailsService } from './details/session-details.service.js';
import type { ResolvedUserSessionsOptions } from './options/user-sessions-module-options.interface.js';
import { SessionStorage } from './storage/session-storage.interface.js';
import { TypeOrmSessionStorage } from './storage/typeorm-session.storage.js';
import { RedisCachedSessionStorage } from './storage/redis-cached-session.storage.js';
import { Session } from './session/session.entity.js';
import { SessionStoreService } from './store/session-store.service.js';
import { UserSessionsGuard } from './user-sessions.guard.js';
import { UserSessionsReauthGuard } from './user-sessions-reauth.guard.js';
import { UserSessionsMiddleware } from './http/user-sessions.middleware.js';
import { UserSessionsFastifyHook } from './http/user-sessions-fastify.hook.js';
import { UserSessionsCleanupService } from './store/user-sessions-cleanup.service.js';
import { UserSessionsEventsPublisher } from './events/user-sessions-events.publisher.js';

/** The providers every configuration of the module shares, given the options provider. */
export function createUserSessionsProviders(): Provider[] {
  return [
    {
      provide: SessionStorage,
      useFactory: (options: ResolvedUserSessionsOptions, repository: Repository<Session>) => {
        const storage = options.storage ?? new TypeOrmSessionStorage(repository, options.cleanupBatchSize);
        return options.cache
          ? new RedisCachedSessionStorage(storage, options.cache, new Logger('UserSessions'))
          : storage;
      },
      inject: [USER_SESSIONS_MODULE_OPTIONS, getRepositoryToken(Session)],
    },
    {
      // Read into memory once, at start-up: lookups never touch the disk.
      provide: GEOIP_LOCATOR,
      useFactory: (options: ResolvedUserSessionsOptions) =>
        GeoIpLocator.open(options.geoip, (message) => new Logger('UserSessions').warn(message)),
      inject: [USER_SESSIONS_MODULE_OPTIONS],
    },
    {
      // The old express-session table, written only when a session moves over (legacyCookie).
      provide: ExpressSessionTable,
      useFactory: (options: ResolvedUserSessionsOptions, dataSource: DataSource) =>
        options.legacyCookie ? new ExpressSessionTable(dataSource, options.legacyCookie.table) : null,
      inject: [USER_SESSIONS_MODULE_OPTIONS, getDataSourceToken()],
    },
    SessionStoreService,
    SessionDetailsService,
    UserSessionsGuard,
    UserSessionsReauthGuard,
    UserSessionsMiddleware,
    UserSessionsFastifyHook,
    UserSessionsCleanupService,
    UserSessionsEventsPublisher,
  ];
}
