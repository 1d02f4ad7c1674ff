import { Module, type DynamicModule } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ThrottlerModule, type ThrottlerOptions } from '@nestjs/throttler';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { UserSessionsModule } from '../lib/index.js';
import { AuthModule } from './auth/auth.module.js';
import { SIGN_IN_LIMITS } from './auth/sign-in-limits.js';
import { validationPipe } from './json-depth.pipe.js';
import { PagesModule } from './pages/pages.module.js';
import { SessionsGraphqlModule } from './graphql/sessions-graphql.module.js';
import { SessionsGateway } from './live/sessions.gateway.js';
import { OWASP_SCRYPT_COST, type ScryptCost } from './users/password-hash.js';
import { ScryptCostModule } from './users/scrypt-cost.module.js';
import { UsersModule } from './users/users.module.js';
import { User } from './users/user.entity.js';
import { UsersService } from './users/users.service.js';

/** How the sample app is made besides its database. */
export interface SampleAppOptions {
  /** A GeoLite2 City/Country database, or a directory of them (`GEOIP_PATH`). Default: none, no places. */
  geoipPath?: string;
  /**
   * The scrypt cost of new password hashes. Default: OWASP's, N=2^17, r=8, p=1. Only tests
   * set less, to sign in in milliseconds; `main.ts` never does.
   */
  scryptCost?: ScryptCost;
  /**
   * The limits on password attempts. Default: `SIGN_IN_LIMITS`. Only tests set others, for
   * suites that sign in more often than a person would; `main.ts` never does.
   */
  signInLimits?: ThrottlerOptions[];
}

/**
 * The sample app over the database that `database` describes (`main.ts` passes
 * `databaseOptionsFromEnv(process.env)`; tests pass a database of their own).
 */
@Module({})
export class AppModule {
  static forRoot(database: TypeOrmModuleOptions, options: SampleAppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot(database),
        ScryptCostModule.forRoot(options.scryptCost ?? OWASP_SCRYPT_COST),
        // Password attempts, counted in this process's memory (several instances would need a
        // shared storage, Redis say). No X-RateLimit headers: they would tell anyone how often
        // an account was tried; a 429 says when to come back (SignInThrottlerGuard).
        ThrottlerModule.forRoot({ throttlers: options.signInLimits ?? SIGN_IN_LIMITS, setHeaders: false }),
        // With userEntity, user_sessions.user_id is a foreign key to users.id with
        // ON DELETE CASCADE: deleting a user ends their sessions.
        UserSessionsModule.forRootAsync({
          userIdType: 'number',
          userEntity: () => User,
          // The admin API (every user's sessions) for users whose role is 'admin'.
          adminPath: 'admin/sessions',
          imports: [UsersModule],
          inject: [UsersService],
          useFactory: (users: UsersService) => ({
            // A GeoLite2 City/Country database (or a directory of them) names each session's place.
            geoip: options.geoipPath ? { path: options.geoipPath } : undefined,
            // Read from the users table on each admin request, so a role taken away counts at once.
            isAdmin: ({ userId }) => users.isAdmin(userId as number),
            // Expired rows are deleted hourly inside the app (main.ts enables shutdown hooks).
            cleanupInterval: 60 * 60 * 1000,
            // "End all other sessions" asks for the password again unless it was entered in
            // the last 5 minutes (POST /auth/reauthenticate).
            requireRecentLogin: { endOtherSessions: 5 * 60_000 },
            // req.session for Passport: the sign-in is @nestjs/passport's local strategy and req.logIn().
            expressSessionApi: true,
            // A new session key every 15 minutes of use: a copied cookie that comes back after
            // that ends the session, and TheftListener tells the user at their next sign-in.
            rotationInterval: 15 * 60_000,
          }),
        }),
        // The store's events (sign-ins, sessions ended) reach @OnEvent listeners: SignInListener.
        EventEmitterModule.forRoot(),
        UsersModule,
        AuthModule,
        // The sign-in page at / and the "Active sessions" page at /account/sessions.
        PagesModule,
        // The sessions in GraphQL, at POST /graphql.
        SessionsGraphqlModule,
      ],
      providers: [
        { provide: APP_PIPE, useValue: validationPipe() },
        // The sessions page's WebSocket, at /account/sessions/live.
        SessionsGateway,
      ],
    };
  }
}
