import type { Provider } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { getRepositoryToken } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { USER_SESSIONS_MODULE_OPTIONS } from './user-sessions.constants.js';
import type { ResolvedUserSessionsOptions } from './user-sessions-module-options.interface.js';
import { SessionStorage } from './session-storage.interface.js';
import { TypeOrmSessionStorage } from './typeorm-session.storage.js';
import { Session } from './session.entity.js';
import { SessionStoreService } from './session-store.service.js';
import { UserSessionsGuard } from './user-sessions.guard.js';
import { UserSessionsInterceptor } from './user-sessions.interceptor.js';
import { SameOriginGuard } from './same-origin.guard.js';

/** The providers every configuration of the module shares, given the options provider. */
export function createUserSessionsProviders(): Provider[] {
  return [
    {
      provide: SessionStorage,
      useFactory: (options: ResolvedUserSessionsOptions, repository: Repository<Session>) =>
        options.storage ?? new TypeOrmSessionStorage(repository),
      inject: [USER_SESSIONS_MODULE_OPTIONS, getRepositoryToken(Session)],
    },
    SessionStoreService,
    UserSessionsGuard,
    { provide: APP_INTERCEPTOR, useClass: UserSessionsInterceptor },
    { provide: APP_GUARD, useClass: SameOriginGuard },
  ];
}
