/**
 * The apps the HTTP bench compares, one per child process (see `server.ts`). Each is a small
 * Nest app on platform-express with TypeORM connected to the same kind of database and the
 * library's `Session` entity synchronized, so they differ only in their session layer:
 *
 * - `bare`: `GET /hello` → `{ ok: true }`, no session layer.
 * - `floor`: a Nest middleware that parses the `sessionid` cookie, hashes it with SHA-256 and
 *   runs ONE raw prepared primary-key SELECT on `user_sessions`, below TypeORM; `GET /me`
 *   returns the row's user id. The least any database session layer can cost.
 * - `module-read`: `UserSessionsModule.forRoot({ rotationInterval: 15 min })`, `GET /me` behind
 *   `UserSessionsGuard`: key rotation on, to show that it costs the read path nothing.
 * - `module-read-redis`: the same with the Redis read cache (`cache` option), warm: a lookup is
 *   one Redis round trip and no statement.
 * - `express-session*`: express-session + connect-typeorm as connect-typeorm's README sets
 *   it up; `GET /me` reads `req.session.userId`. It touches (UPDATEs) the row on every request.
 * - `module-write`: the module, `POST /write` sets a session key each request (one UPDATE).
 *
 * Sessions are created by the child before it reports ready: one per autocannon connection.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import {
  Controller,
  Get,
  HttpCode,
  Injectable,
  Module,
  Post,
  Req,
  UnauthorizedException,
  UseGuards,
  type DynamicModule,
  type INestApplication,
  type MiddlewareConsumer,
  type NestMiddleware,
  type NestModule,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import expressSession from 'express-session';
import { TypeormStore } from 'connect-typeorm';
import { DataSource, In } from 'typeorm';
import {
  CurrentSession,
  CurrentUserId,
  Session,
  SessionStorage,
  SessionStoreService,
  UserSession,
  UserSessionsGuard,
  UserSessionsModule,
} from '../lib/index.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import { ConnectTypeormSession } from '../test/support/connect-typeorm-session.js';
import { REDIS_SERVER } from './databases.js';
import type { BenchDatabase, ReadyMessage, VariantName } from './protocol.js';

/** The one user agent every measured request sends, so that it matches the stored row. */
export const BENCH_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
/** The IP autocannon connects from (127.0.0.1 only), as stored on the sessions. */
export const BENCH_IP = '127.0.0.1';

const SESSION_COOKIE = 'sessionid';
const EXPRESS_SESSION_SECRET = 'nestjs-user-sessions bench secret';

/** What `startVariant()` hands back: the listening app and what the parent must know. */
export interface StartedVariant {
  app: INestApplication;
  dataSource: DataSource;
  ready: Omit<ReadyMessage, 'type' | 'port'>;
  /** Run before each measured window (outside it). */
  beforeMeasure?: () => Promise<void>;
}

// ------------------------------------------------------------------ shared

@Controller()
class HelloController {
  @Get('hello')
  hello() {
    return { ok: true };
  }
}

function typeOrm(database: BenchDatabase, entities: Type<unknown>[]): DynamicModule {
  return TypeOrmModule.forRoot({
    ...database.typeorm,
    entities,
    synchronize: true,
    logging: false,
  } as TypeOrmModuleOptions);
}

function userIdFor(variant: VariantName, index: number): string {
  return `${variant}-user-${index}`;
}

/** The value of the first `name` cookie in a Cookie header, or undefined. */
function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return undefined;
}

async function createApp(module: DynamicModule): Promise<NestExpressApplication> {
  return NestFactory.create<NestExpressApplication>(module, { logger: ['error', 'warn'] });
}

// ------------------------------------------------------------------ the root module (bare: nothing else)

@Module({})
class BenchAppModule {}

// ------------------------------------------------------------------ floor

type Row = Record<string, unknown>;
type FindRow = (digest: string) => Promise<Row | undefined>;

interface FloorRequest extends Request {
  floorSession?: { row: Row; userId: unknown };
}

/**
 * One prepared primary-key SELECT of every column of the session row, on the driver that
 * TypeORM opened (no query runner, no entity mapping).
 */
function floorFinder(dataSource: DataSource): FindRow {
  const metadata = dataSource.getMetadata(Session);
  const driver = dataSource.driver as unknown as Record<string, unknown> & { escape(name: string): string };
  const table = driver.escape(metadata.tableName);
  const columns = metadata.columns.map((column) => driver.escape(column.databaseName)).join(', ');
  const key = driver.escape(metadata.primaryColumns[0].databaseName);
  switch (dataSource.options.type) {
    case 'better-sqlite3': {
      const connection = driver.databaseConnection as { prepare(sql: string): { get(...values: unknown[]): unknown } };
      const statement = connection.prepare(`SELECT ${columns} FROM ${table} WHERE ${key} = ?`);
      return async (digest) => statement.get(digest) as Row | undefined;
    }
    case 'postgres': {
      const pool = driver.master as { query(config: object): Promise<{ rows: Row[] }> };
      const text = `SELECT ${columns} FROM ${table} WHERE ${key} = $1`;
      return async (digest) => (await pool.query({ name: 'bench_floor_find', text, values: [digest] })).rows[0];
    }
    case 'mariadb':
    case 'mysql': {
      type Execute = (sql: string, values: unknown[], callback: (error: Error | null, rows: Row[]) => void) => void;
      const pool = driver.pool as { execute: Execute };
      const sql = `SELECT ${columns} FROM ${table} WHERE ${key} = ?`;
      return (digest) =>
        new Promise((resolve, reject) =>
          pool.execute(sql, [digest], (error, rows) => (error ? reject(error) : resolve(rows[0]))),
        );
    }
    default:
      throw new Error(`floor: no raw query for ${dataSource.options.type}`);
  }
}

@Injectable()
class FloorSessionMiddleware implements NestMiddleware {
  private readonly find: FindRow;
  private readonly userIdColumn: string;

  constructor(dataSource: DataSource) {
    this.find = floorFinder(dataSource);
    this.userIdColumn = dataSource.getMetadata(Session).findColumnWithPropertyName('userId')!.databaseName;
  }

  async use(request: FloorRequest, response: Response, next: NextFunction): Promise<void> {
    try {
      const key = readCookie(request.headers.cookie, SESSION_COOKIE);
      const row = key ? await this.find(createHash('sha256').update(key).digest('hex')) : undefined;
      if (!row) {
        response.status(401).json({ statusCode: 401, message: 'Unauthorized' });
        return;
      }
      request.floorSession = { row, userId: row[this.userIdColumn] };
      next();
    } catch (error) {
      next(error);
    }
  }
}

@Controller()
class FloorController {
  @Get('me')
  me(@Req() request: FloorRequest) {
    return { userId: request.floorSession!.userId };
  }
}

@Module({ controllers: [FloorController], providers: [FloorSessionMiddleware] })
class FloorModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(FloorSessionMiddleware).forRoutes(FloorController);
  }
}

/** Session rows written straight into the table, keys made like the library makes them. */
async function seedFloorSessions(dataSource: DataSource, variant: VariantName, count: number): Promise<string[]> {
  const now = new Date();
  const keys = Array.from({ length: count }, () => randomBytes(32).toString('base64url'));
  await dataSource.getRepository(Session).insert(
    keys.map((key, index) => {
      const digest = createHash('sha256').update(key).digest('hex');
      return {
        keyDigest: digest,
        id: digest,
        previousKeyDigest: null,
        keySeal: null,
        keyIssuedAt: now,
        data: '{}',
        expireDate: new Date(now.getTime() + 14 * 86_400_000),
        userId: userIdFor(variant, index),
        userAgent: BENCH_USER_AGENT,
        clientPlatform: null,
        clientPlatformVersion: null,
        ip: BENCH_IP,
        lastActivity: now,
        createdAt: now,
      };
    }),
  );
  return keys.map((key) => `${SESSION_COOKIE}=${key}`);
}

// ------------------------------------------------------------------ the module

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
 * Sets `last_activity` to now on the variant's sessions, as a request at this moment would
 * have. The module refreshes a session's activity once per `activityInterval` (60 s): without
 * this, the sessions made at start-up fall due all at once a minute later, in whatever window
 * runs then. With it, a window shorter than 60 s measures the read path alone (one SELECT);
 * in steady state the refresh is one UPDATE per session per minute.
 */
function refreshActivity(dataSource: DataSource, variant: VariantName, count: number): () => Promise<void> {
  const userIds = Array.from({ length: count }, (_, index) => userIdFor(variant, index));
  return async () => {
    await dataSource.getRepository(Session).update({ userId: In(userIds) }, { lastActivity: new Date() });
  };
}

/**
 * `refreshActivity()` for the cached variant: through the module's storage, so that each
 * update deletes the session's cache entry as any write does, then one lookup per session
 * fills it again. The window that follows measures warm lookups alone.
 */
function refreshActivityAndWarmCache(app: INestApplication, cookies: string[]): () => Promise<void> {
  const storage = app.get<SessionStorage>(SessionStorage);
  const ids = cookies.map((cookie) => digestSessionKey(cookie.slice(`${SESSION_COOKIE}=`.length)));
  return async () => {
    const now = new Date();
    for (const id of ids) await storage.update(id, { lastActivity: now });
    for (const id of ids) await storage.find(id);
  };
}

async function seedModuleSessions(app: INestApplication, variant: VariantName, count: number): Promise<string[]> {
  const store = app.get(SessionStoreService);
  const cookies: string[] = [];
  for (let index = 0; index < count; index++) {
    const session = await store.create({ userId: userIdFor(variant, index), ip: BENCH_IP, userAgent: BENCH_USER_AGENT });
    cookies.push(`${SESSION_COOKIE}=${session.key}`);
  }
  return cookies;
}

// ------------------------------------------------------------------ express-session + connect-typeorm

declare module 'express-session' {
  interface SessionData {
    userId: string;
  }
}

@Controller()
class ExpressSessionController {
  @Get('me')
  me(@Req() request: Request) {
    const userId = request.session?.userId;
    if (!userId) throw new UnauthorizedException();
    return { userId };
  }
}

/** express-session's own `cookie-signature`, whichever copy it resolves. */
function cookieSignature(): { sign(value: string, secret: string): string } {
  const fromExpressSession = createRequire(createRequire(import.meta.url).resolve('express-session'));
  return fromExpressSession('cookie-signature') as { sign(value: string, secret: string): string };
}

function installExpressSession(app: NestExpressApplication, dataSource: DataSource, kind: BenchDatabase['kind']): TypeormStore {
  const store = new TypeormStore({
    cleanupLimit: 2,
    // connect-typeorm's README: MariaDB does not take LIMIT in its cleanup subquery.
    limitSubquery: kind !== 'mariadb',
    ttl: 86400,
  }).connect(dataSource.getRepository(ConnectTypeormSession));
  app.use(
    expressSession({
      secret: EXPRESS_SESSION_SECRET,
      resave: false,
      saveUninitialized: false,
      store,
    }),
  );
  return store;
}

/**
 * Sessions stored through the store's own `set()`, with browser-session cookies (no
 * `expires`: connect-typeorm's `touch()` calls back twice when the cookie has one), and the
 * signed `connect.sid` values express-session expects.
 */
async function seedExpressSessions(store: TypeormStore, variant: VariantName, count: number): Promise<string[]> {
  const { sign } = cookieSignature();
  const set = promisify(store.set) as (sid: string, session: object) => Promise<void>;
  const cookies: string[] = [];
  for (let index = 0; index < count; index++) {
    const sid = randomBytes(24).toString('base64url');
    await set(sid, {
      cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' },
      userId: userIdFor(variant, index),
    });
    cookies.push(`connect.sid=${encodeURIComponent(`s:${sign(sid, EXPRESS_SESSION_SECRET)}`)}`);
  }
  return cookies;
}

// ------------------------------------------------------------------ assembly

/** Builds, seeds and starts listening the app of `variant` on 127.0.0.1 (random port). */
export async function startVariant(
  variant: VariantName,
  database: BenchDatabase,
  sessions: number,
): Promise<StartedVariant> {
  const firstUser = JSON.stringify({ userId: userIdFor(variant, 0) });
  const userBody = `"userId":"${variant}-user-`;
  const journal = database.kind === 'sqlite' ? (database.typeorm.enableWAL ? ', WAL journal' : ', default (rollback) journal') : '';

  switch (variant) {
    case 'bare': {
      const app = await createApp({ module: BenchAppModule, imports: [typeOrm(database, [Session])], controllers: [HelloController] });
      await app.listen(0, '127.0.0.1');
      return {
        app,
        dataSource: app.get(DataSource),
        ready: {
          route: { method: 'GET', path: '/hello' },
          cookies: [],
          expectBody: JSON.stringify({ ok: true }),
          bodyContains: '"ok":true',
          anonymousStatus: null,
          notes: `no session layer${journal}`,
        },
      };
    }
    case 'floor': {
      const app = await createApp({
        module: BenchAppModule,
        imports: [typeOrm(database, [Session]), FloorModule],
        controllers: [HelloController],
      });
      const dataSource = app.get(DataSource);
      const cookies = await seedFloorSessions(dataSource, variant, sessions);
      await app.listen(0, '127.0.0.1');
      return {
        app,
        dataSource,
        ready: {
          route: { method: 'GET', path: '/me' },
          cookies,
          expectBody: firstUser,
          bodyContains: userBody,
          anonymousStatus: 401,
          notes: `cookie parse + SHA-256 + one raw prepared primary-key SELECT${journal}`,
        },
      };
    }
    case 'module-read':
    case 'module-write': {
      const app = await createApp({
        module: BenchAppModule,
        imports: [typeOrm(database, [Session]), UserSessionsModule.forRoot(variant === 'module-read' ? { rotationInterval: 15 * 60_000 } : {})],
        controllers: [HelloController, ModuleController],
      });
      const cookies = await seedModuleSessions(app, variant, sessions);
      await app.listen(0, '127.0.0.1');
      const dataSource = app.get(DataSource);
      return {
        app,
        dataSource,
        beforeMeasure: refreshActivity(dataSource, variant, sessions),
        ready: {
          route: variant === 'module-read' ? { method: 'GET', path: '/me' } : { method: 'POST', path: '/write' },
          cookies,
          expectBody: firstUser,
          bodyContains: userBody,
          anonymousStatus: 401,
          notes:
            variant === 'module-read'
              ? `UserSessionsModule.forRoot({ rotationInterval: 15 min }), activityInterval 60 s, UserSessionsGuard; last_activity set to now before each window${journal}`
              : `UserSessionsModule.forRoot(), session.set() on every request${journal}`,
        },
      };
    }
    case 'module-read-redis': {
      const { Redis } = await import('ioredis');
      const redis = new Redis(REDIS_SERVER);
      // Connection errors are the module's to report (one warning), not one line per retry.
      redis.on('error', () => undefined);
      const app = await createApp({
        module: BenchAppModule,
        imports: [
          typeOrm(database, [Session]),
          UserSessionsModule.forRoot({ cache: { redis, secret: randomBytes(32), keyPrefix: `user-sessions-bench:${database.kind}:` } }),
        ],
        controllers: [HelloController, ModuleController],
      });
      const cookies = await seedModuleSessions(app, variant, sessions);
      await app.listen(0, '127.0.0.1');
      return {
        app,
        dataSource: app.get(DataSource),
        beforeMeasure: refreshActivityAndWarmCache(app, cookies),
        ready: {
          route: { method: 'GET', path: '/me' },
          cookies,
          expectBody: firstUser,
          bodyContains: userBody,
          anonymousStatus: 401,
          notes: `module-read with cache: { redis, secret } (ioredis to Redis on ${REDIS_SERVER.host}:${REDIS_SERVER.port}, ttl 60 s); activity set to now through the cache and every session looked up once before each window${journal}`,
        },
      };
    }
    case 'express-session':
    case 'express-session-default':
    case 'express-session-wal': {
      const app = await createApp({
        module: BenchAppModule,
        imports: [typeOrm(database, [Session, ConnectTypeormSession])],
        controllers: [HelloController, ExpressSessionController],
      });
      const dataSource = app.get(DataSource);
      const store = installExpressSession(app, dataSource, database.kind);
      const cookies = await seedExpressSessions(store, variant, sessions);
      await app.listen(0, '127.0.0.1');
      return {
        app,
        dataSource,
        ready: {
          route: { method: 'GET', path: '/me' },
          cookies,
          expectBody: firstUser,
          bodyContains: userBody,
          anonymousStatus: 401,
          notes: `express-session (resave false, saveUninitialized false) + connect-typeorm (cleanupLimit 2, ttl 86400${
            database.kind === 'mariadb' ? ', limitSubquery false' : ''
          })${journal}`,
        },
      };
    }
  }
}
