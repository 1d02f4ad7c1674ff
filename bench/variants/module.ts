/**
 * The module's variants, each `UserSessionsModule.forRoot()` behind `UserSessionsGuard`:
 *
 * - `module-read`: `GET /me` with `rotationInterval: 15 min`, to show that key rotation costs the
 *   read path nothing. `module-read-fastify`: the same app on `@nestjs/platform-fastify`.
 * - `module-read-redis`: the same with the Redis read cache (`cache` option), warm: a lookup is
 *   one Redis round trip and no statement.
 * - `module-write`, `module-write-wal`: `POST /write` sets a session key on every request (one
 *   UPDATE), on SQLite's default journal and on WAL.
 * - `module-end`: `DELETE /account/sessions/{id}`, the module's own route: every connection is signed in
 *   as one user, and each request ends another of that user's sessions ("End session" on the
 *   sessions page). The sessions to end are written before each window.
 */
import { randomBytes } from 'node:crypto';
import { Controller, Get, HttpCode, Post, UseGuards, type INestApplication } from '@nestjs/common';
import { DataSource, In, Not } from 'typeorm';
import {
  CurrentSession,
  CurrentUserId,
  Session,
  SessionStorage,
  SessionStoreService,
  UserSession,
  UserSessionsGuard,
  UserSessionsEntities,
  UserSessionsModule,
  type UserSessionsModuleOptions,
} from '../../lib/index.js';
import { digestSessionKey } from '../../lib/session/session-key.js';
import { REDIS_SERVER } from '../databases.js';
import { BENCH_IP, BENCH_USER_AGENT, type BenchDatabase, type VariantName } from '../protocol.js';
import {
  BenchAppModule,
  checkSessionsEnded,
  createApp,
  createFastifyApp,
  HelloController,
  journalNote,
  SESSION_COOKIE,
  sessionsToEnd,
  typeOrm,
  userIdFor,
  type StartedVariant,
  type VariantOptions,
} from './common.js';
import { insertSessionRows } from './session-rows.js';

@Controller()
class ModuleController {
  private writes = 0;

  @Get('me')
  @UseGuards(UserSessionsGuard)
  me(@CurrentUserId() userId: string) {
    return { userId };
  }

  @Post('write')
  @HttpCode(200)
  @UseGuards(UserSessionsGuard)
  write(@CurrentUserId() userId: string, @CurrentSession() session: UserSession) {
    session.set('n', ++this.writes);
    return { userId };
  }
}

/**
 * Sets `last_activity` to now on these users' sessions, as a request at this moment would
 * have. The module refreshes a session's activity once per `activityInterval` (60 s): without
 * this, the sessions made at start-up fall due all at once a minute later, in whatever window
 * runs then. With it, a window shorter than 60 s measures the request alone; in steady state
 * the refresh is one UPDATE per session per minute.
 */
export async function refreshActivity(dataSource: DataSource, userIds: string[]): Promise<void> {
  await dataSource.getRepository(Session).update({ userId: In(userIds) }, { lastActivity: new Date() });
}

/**
 * `refreshActivity()` for the cached variant: through the module's storage, so that each
 * update deletes the session's cache entry as any write does, then one lookup per session
 * fills it again. The window that follows measures warm lookups alone.
 */
function refreshActivityAndWarmCache(app: INestApplication, cookies: string[]): () => Promise<void> {
  const storage = app.get<SessionStorage>(SessionStorage);
  const digests = cookies.map((cookie) => digestSessionKey(cookie.slice(`${SESSION_COOKIE}=`.length)));
  return async () => {
    const now = new Date();
    for (const digest of digests) await storage.update(digest, { lastActivity: now });
    for (const digest of digests) await storage.find(digest);
  };
}

/** Sessions made through the module's store, as a sign-in makes them: their cookies. */
export async function signIn(app: INestApplication, count: number, userIdOf: (index: number) => string): Promise<string[]> {
  const store = app.get(SessionStoreService);
  const cookies: string[] = [];
  for (let index = 0; index < count; index++) {
    const session = await store.create({ userId: userIdOf(index), ip: BENCH_IP, userAgent: BENCH_USER_AGENT });
    cookies.push(`${SESSION_COOKIE}=${session.key}`);
  }
  return cookies;
}

async function startModuleApp(variant: VariantName, database: BenchDatabase, options: UserSessionsModuleOptions): Promise<INestApplication> {
  const module = {
    module: BenchAppModule,
    imports: [typeOrm(database, [...UserSessionsEntities]), UserSessionsModule.forRoot(options)],
    controllers: [HelloController, ModuleController],
  };
  return variant === 'module-read-fastify' ? createFastifyApp(module) : createApp(module);
}

async function listen(app: INestApplication): Promise<void> {
  await app.listen(0, '127.0.0.1');
}

export async function startModule(variant: VariantName, database: BenchDatabase, { sessions, windowSeconds }: VariantOptions): Promise<StartedVariant> {
  const journal = journalNote(database);
  const userIds = Array.from({ length: sessions }, (_, index) => userIdFor(variant, index));
  const signedIn = {
    expectBody: JSON.stringify({ userId: userIds[0] }),
    bodyContains: `"userId":"${variant}-user-`,
    anonymousStatus: 401,
  };

  switch (variant) {
    case 'module-read':
    case 'module-read-fastify':
    case 'module-write':
    case 'module-write-wal': {
      const reads = variant === 'module-read' || variant === 'module-read-fastify';
      const app = await startModuleApp(variant, database, reads ? { rotationInterval: 15 * 60_000 } : {});
      const cookies = await signIn(app, sessions, (index) => userIds[index]);
      await listen(app);
      const dataSource = app.get(DataSource);
      const platform = variant === 'module-read-fastify' ? ', on @nestjs/platform-fastify' : '';
      return {
        app,
        dataSource,
        beforeMeasure: () => refreshActivity(dataSource, userIds),
        ready: {
          route: reads ? { method: 'GET', path: '/me' } : { method: 'POST', path: '/write' },
          cookies,
          ...signedIn,
          notes: reads
            ? `UserSessionsModule.forRoot({ rotationInterval: 15 min }), activityInterval 60 s, UserSessionsGuard; last_activity set to now before each window${platform}${journal}`
            : `UserSessionsModule.forRoot(), session.set() on every request${journal}`,
        },
      };
    }
    case 'module-read-redis': {
      const { Redis } = await import('ioredis');
      const redis = new Redis(REDIS_SERVER);
      // Connection errors are the module's to report (one warning), not one line per retry.
      redis.on('error', () => undefined);
      const app = await startModuleApp(variant, database, {
        cache: { redis, secret: randomBytes(32), keyPrefix: `user-sessions-bench:${database.kind}:` },
      });
      const cookies = await signIn(app, sessions, (index) => userIds[index]);
      await listen(app);
      return {
        app,
        dataSource: app.get(DataSource),
        beforeMeasure: refreshActivityAndWarmCache(app, cookies),
        ready: {
          route: { method: 'GET', path: '/me' },
          cookies,
          ...signedIn,
          notes: `module-read with cache: { redis, secret } (ioredis to Redis on ${REDIS_SERVER.host}:${REDIS_SERVER.port}, ttl 60 s); activity set to now through the cache and every session looked up once before each window; an ended session is refused at once on every instance${journal}`,
        },
      };
    }
    case 'module-end':
      return startModuleEnd(variant, database, { sessions, windowSeconds });
    default:
      throw new Error(`not a module variant: ${variant}`);
  }
}

async function startModuleEnd(variant: VariantName, database: BenchDatabase, { sessions, windowSeconds }: VariantOptions): Promise<StartedVariant> {
  const userId = userIdFor(variant, 0);
  const app = await startModuleApp(variant, database, {});
  const cookies = await signIn(app, sessions, () => userId);
  await listen(app);
  const dataSource = app.get(DataSource);
  const sessionsTable = dataSource.getRepository(Session);
  const own = cookies.map((cookie) => digestSessionKey(cookie.slice(`${SESSION_COOKIE}=`.length)));
  const count = sessionsToEnd(windowSeconds);
  // The last window's leftovers go; the connections' own sessions stay, their activity fresh.
  const seed = async () => {
    await sessionsTable.delete({ userId, keyDigest: Not(In(own)) });
    await sessionsTable.update({ keyDigest: In(own) }, { lastActivity: new Date() });
    return (await insertSessionRows(dataSource, count, () => userId)).ids;
  };
  const firstIds = await seed();
  return {
    app,
    dataSource,
    beforeMeasure: async () => ({ ids: await seed() }),
    afterMeasure: (requests) => checkSessionsEnded(() => sessionsTable.countBy({ userId }), sessions + count, requests),
    ready: {
      route: { method: 'DELETE', path: '/account/sessions/{id}', sameOrigin: true },
      cookies,
      ids: firstIds,
      expectBody: '',
      expectStatus: 204,
      bodyContains: '',
      anonymousStatus: 401,
      notes: `UserSessionsModule.forRoot(); DELETE /account/sessions/:id (its REST API) from one user's ${sessions} sessions, each request ending another session of the user (${count.toLocaleString('en')} written before each window); every response 204, and the sessions left counted after the window${journalNote(database)}`,
    },
  };
}
