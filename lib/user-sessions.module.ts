import { LiveSessionsService } from './live/live-sessions.service.js';
import { UserSessionsInterceptor } from './user-sessions.interceptor.js';
import type { ServerResponse } from 'node:http';
import {
  Controller,
  Inject,
  Module,
  Optional,
  RequestMethod,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type Provider,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { USER_SESSIONS_MODULE_OPTIONS } from './user-sessions.constants.js';
import type {
  ResolvedUserSessionsOptions,
  UserSessionsModuleAsyncOptions,
  UserSessionsModuleOptions,
  UserSessionsOptionsFactory,
  UserSessionsRuntimeOptions,
  UserSessionsStaticOptions,
} from './options/user-sessions-module-options.interface.js';
import { resolveUserSessionsOptions, STATIC_OPTION_KEYS } from './options/user-sessions.options.js';
import { configureSessionEntity, Session } from './session/session.entity.js';
import { UserDevice } from './session/user-device.entity.js';
import { SecurityActivityRecord } from './session/security-activity.entity.js';
import { SecurityActivityService } from './activity/security-activity.service.js';
import { KnownDevicesService } from './store/known-devices.service.js';
import { UserActivityController } from './api/user-activity.controller.js';
import { UserDevicesController } from './api/user-devices.controller.js';
import { UserActivityAdminController } from './api/user-activity-admin.controller.js';
import { createUserSessionsProviders } from './user-sessions.providers.js';
import { SessionStoreService } from './store/session-store.service.js';
import { RequestSessionService } from './http/request-session.service.js';
import { SessionDetailsService } from './details/session-details.service.js';
import { UserSessionsGuard } from './user-sessions.guard.js';
import { UserSessionsReauthGuard } from './user-sessions-reauth.guard.js';
import { UserSessionsController } from './api/user-sessions.controller.js';
import { UserSessionsAdminController } from './api/user-sessions-admin.controller.js';
import { UserSessionsMiddleware } from './http/user-sessions.middleware.js';
import { ExpressSessionApiService } from './http/express-session-api.service.js';
import { sessionCookieName } from './http/session-cookie.js';
import { InvalidUserSessionsOptionsError } from './exceptions/invalid-user-sessions-options.error.js';
import { documentSessionCookie, documentUserIdType } from './api/user-sessions.openapi.js';


/**
 * Database-backed user sessions: the `Session` entity, `SessionStoreService`, the
 * middleware that loads and commits each request's session, the same-origin check, the
 * "your sessions" API and, with `adminPath`, the admin API. Register it once, in the application module, beside `TypeOrmModule`;
 * it is global, so every module can inject `SessionStoreService`.
 */
@Module({})
export class UserSessionsModule implements NestModule {
  constructor(
    private readonly middleware: UserSessionsMiddleware,
    @Inject(ExpressSessionApiService) private readonly expressSessionApi: ExpressSessionApiService | null,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /**
   * Every request: the middleware reads the cookie (no query) and commits on the way out. It
   * goes straight onto the HTTP adapter, before the routes: `forRoutes('{*path}')` would make
   * every request pay for matching a wildcard path and Nest's middleware wrapper, to reach a
   * middleware meant for every path anyway.
   */
  configure(consumer: MiddlewareConsumer): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) {
      consumer.apply(UserSessionsMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
      return;
    }
    const middleware = (request: object, response: ServerResponse, next: (error?: unknown) => void) => {
      try {
        this.middleware.use(request, response, next);
      } catch (error) {
        // As Nest's own middleware wrapper would: to the app's error handling.
        next(error);
      }
    };
    // With expressSessionApi, ahead of the app's own middleware (Passport's reads req.session).
    if (this.expressSessionApi) this.expressSessionApi.install(adapter, middleware);
    else adapter.use(middleware);
  }

  /**
   * @example
   * imports: [
   *   TypeOrmModule.forRoot({ type: 'better-sqlite3', database: 'app.db', autoLoadEntities: true }),
   *   UserSessionsModule.forRoot({ userIdType: 'number' }),
   * ]
   */
  static forRoot(options: UserSessionsModuleOptions = {}): DynamicModule {
    const resolved = resolveUserSessionsOptions(options);
    this.applyStaticOptions(resolved);
    documentSessionCookie(sessionCookieName(resolved));
    return this.assemble(resolved, [{ provide: USER_SESSIONS_MODULE_OPTIONS, useValue: resolved }]);
  }

  /**
   * Like `forRoot()`, with the runtime options (cookies, intervals, origins) built by a factory.
   * The table and route options stay beside the factory: they are needed before it runs.
   *
   * @example
   * UserSessionsModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ cookieName: config.get('SESSION_COOKIE') }),
   * })
   */
  static forRootAsync(options: UserSessionsModuleAsyncOptions): DynamicModule {
    const statics: UserSessionsStaticOptions = Object.fromEntries(
      STATIC_OPTION_KEYS.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]),
    );
    const resolved = resolveUserSessionsOptions(statics, 'static');
    this.applyStaticOptions(resolved);
    return this.assemble(resolved, this.createAsyncProviders(options, statics), options.imports ?? []);
  }

  private static applyStaticOptions(options: ResolvedUserSessionsOptions): void {
    configureSessionEntity(options);
    // The account's routes share the sessions API's prefix: `{path}/activity`, `{path}/devices`.
    const account = options.path.replace(/(^|\/)sessions$/, '') || options.path;
    Controller(options.path)(UserSessionsController);
    Controller(account)(UserActivityController);
    Controller(account)(UserDevicesController);
    if (options.adminPath !== undefined) {
      Controller(options.adminPath)(UserSessionsAdminController);
      Controller(options.adminPath)(UserActivityAdminController);
    }
    documentUserIdType(options.userIdType);
  }

  private static assemble(
    statics: UserSessionsStaticOptions,
    optionsProviders: Provider[],
    imports: DynamicModule['imports'] = [],
  ): DynamicModule {
    // Registers Session for TypeORM's autoLoadEntities. Its module is not imported: the session
    // table's repository comes from the DataSource (user-sessions.providers.ts), so that an app
    // without TypeOrmModule gets one error saying so, not an unresolved dependency.
    TypeOrmModule.forFeature([Session, UserDevice, SecurityActivityRecord]);
    return {
      module: UserSessionsModule,
      global: true,
      imports,
      // Without adminPath the admin API has no route at all, not merely a guard that refuses.
      controllers: statics.adminPath === undefined
        ? [UserSessionsController, UserActivityController, UserDevicesController]
        : [UserSessionsController, UserActivityController, UserDevicesController, UserSessionsAdminController, UserActivityAdminController],
      providers: [...optionsProviders, ...createUserSessionsProviders()],
      exports: [
        USER_SESSIONS_MODULE_OPTIONS,
        SessionStoreService,
        KnownDevicesService,
        SecurityActivityService,
        RequestSessionService,
        SessionDetailsService,
        UserSessionsGuard,
        UserSessionsReauthGuard,
        LiveSessionsService,
        UserSessionsInterceptor,
      ],
    };
  }

  private static createAsyncProviders(
    options: UserSessionsModuleAsyncOptions,
    statics: UserSessionsStaticOptions,
  ): Provider[] {
    if (options.useFactory || options.useExisting) {
      return [this.createAsyncOptionsProvider(options, statics)];
    }
    if (options.useClass) {
      return [
        this.createAsyncOptionsProvider(options, statics),
        { provide: options.useClass, useClass: options.useClass },
      ];
    }
    throw new InvalidUserSessionsOptionsError([
      'forRootAsync() needs one of useFactory, useClass or useExisting',
    ]);
  }

  private static createAsyncOptionsProvider(
    options: UserSessionsModuleAsyncOptions,
    statics: UserSessionsStaticOptions,
  ): Provider {
    const resolve = (runtime: UserSessionsRuntimeOptions) => {
      const misplaced = STATIC_OPTION_KEYS.filter((key) => key in (runtime ?? {}));
      if (misplaced.length > 0) {
        throw new InvalidUserSessionsOptionsError(
          misplaced.map((key) => `${key} shapes the table or routes, so give it beside useFactory/useClass, not from it`),
        );
      }
      const resolved = resolveUserSessionsOptions({ ...runtime, ...statics });
      documentSessionCookie(sessionCookieName(resolved));
      return resolved;
    };
    if (options.useFactory) {
      const factory = options.useFactory;
      return {
        provide: USER_SESSIONS_MODULE_OPTIONS,
        useFactory: async (...args: unknown[]) => resolve(await factory(...args)),
        inject: options.inject ?? [],
      };
    }
    return {
      provide: USER_SESSIONS_MODULE_OPTIONS,
      useFactory: async (factory: UserSessionsOptionsFactory) => resolve(await factory.createUserSessionsOptions()),
      inject: [options.useExisting ?? options.useClass!],
    };
  }
}
