/**
 * better-auth in a Nest app, set up as its NestJS page says (`@thallesp/nestjs-better-auth`'s
 * `AuthModule.forRoot({ auth })`, Nest's body parser off), on its own database adapter (a
 * better-sqlite3 `Database` or a pg `Pool`, the tables made by its own migrations), email and
 * password sign-in; nothing else set:
 *
 * - `better-auth-read`: `GET /me` behind its global `AuthGuard` (`getSession`), cookie cache off:
 *   every read checks the database, as the module's does.
 * - `better-auth-cookie-cache`: the same with `session.cookieCache` on (its default `maxAge`, 5
 *   minutes): a signed cookie carries the session, so a read makes no statement, and a revoked
 *   session is accepted until that cookie expires. Each window gets freshly signed cookies, as a
 *   browser would after its cache cookie expired.
 * - `better-auth-end`: `POST /api/auth/revoke-session { token }`, its own route: every
 *   connection is signed in as one user, and each request ends another of that user's sessions.
 */
import { randomBytes } from 'node:crypto';
import { Controller, Get } from '@nestjs/common';
import { AuthModule, Session as CurrentBetterAuthSession, type UserSession } from '@thallesp/nestjs-better-auth';
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { Session } from '../../lib/index.js';
import type { BenchDatabase, VariantName } from '../protocol.js';
import { POOL_IDLE_MS } from '../databases.js';
import { freePort } from '../../test/support/throwaway-servers.js';
import {
  BenchAppModule,
  checkSessionsEnded,
  createApp,
  HelloController,
  INSERT_BATCH,
  journalNote,
  sessionsToEnd,
  typeOrm,
  userIdFor,
  type StartedVariant,
  type VariantOptions,
} from './common.js';

const PASSWORD = 'bench password 1234';
const SESSION_TOKEN_COOKIE = 'better-auth.session_token';

@Controller()
class BetterAuthController {
  @Get('me')
  me(@CurrentBetterAuthSession() session: UserSession) {
    // The name it was signed up with: the bench's user id, which each response is checked for.
    return { userId: session.user.name };
  }
}

/** Its database adapter on the variant's database: what its installation page passes as `database`. */
function ownDatabase(database: BenchDatabase): Database.Database | pg.Pool {
  const options = database.typeorm as { database: string; host?: string; port?: number; username?: string };
  if (database.kind === 'sqlite') return new Database(options.database);
  if (database.kind === 'postgres') {
    return new pg.Pool({ host: options.host, port: options.port, user: options.username, database: options.database, idleTimeoutMillis: POOL_IDLE_MS });
  }
  throw new Error(`better-auth variants run on SQLite and PostgreSQL, not ${database.kind}`);
}

function createAuth(database: BenchDatabase, origin: string, cookieCache: boolean) {
  return betterAuth({
    database: ownDatabase(database),
    baseURL: origin,
    secret: randomBytes(32).toString('hex'),
    emailAndPassword: { enabled: true },
    ...(cookieCache ? { session: { cookieCache: { enabled: true } } } : {}),
  });
}

type Auth = ReturnType<typeof createAuth>;

/** The `name=value` pairs of a response's Set-Cookie headers, as one Cookie header. */
function cookieHeader(headers: Headers): string {
  return headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** Signs up `name`: its Cookie header, and the user's id in better-auth. */
async function signUp(auth: Auth, name: string): Promise<{ cookie: string; userId: string }> {
  const { headers, response } = await auth.api.signUpEmail({ body: { email: emailOf(name), password: PASSWORD, name }, returnHeaders: true });
  return { cookie: cookieHeader(headers), userId: response.user.id };
}

const emailOf = (name: string) => `${name}@bench.example`;

async function signIn(auth: Auth, name: string): Promise<string> {
  const { headers } = await auth.api.signInEmail({ body: { email: emailOf(name), password: PASSWORD }, returnHeaders: true });
  return cookieHeader(headers);
}

/** The `better-auth.session_token=…` pair of a Cookie header. */
function tokenCookieOf(cookie: string): string {
  return cookie.split('; ').find((pair) => pair.startsWith(`${SESSION_TOKEN_COOKIE}=`))!;
}

/** Each cookie's session read from the database once more: the Cookie headers with a freshly signed cache cookie. */
async function refreshCookieCache(auth: Auth, cookies: string[]): Promise<string[]> {
  return Promise.all(
    cookies.map(async (cookie) => {
      const token = tokenCookieOf(cookie);
      const { headers } = await auth.api.getSession({
        headers: new Headers({ cookie: token }),
        query: { disableCookieCache: true },
        returnHeaders: true,
      });
      return `${token}; ${cookieHeader(headers)}`;
    }),
  );
}

/** Quotes a column name of better-auth's camel-case tables for the database (PostgreSQL folds bare names). */
const escaper = (dataSource: DataSource) => (name: string) => dataSource.driver.escape(name);

/** The session token in a Cookie header: its signed cookie's value before the signature. */
function tokenOf(cookie: string): string {
  const value = tokenCookieOf(cookie).slice(SESSION_TOKEN_COOKIE.length + 1);
  return decodeURIComponent(value).split('.')[0];
}

/**
 * The sessions the `better-auth-end` requests end: one made by better-auth itself, then copies of
 * its row with new ids and tokens, written in batches (one at a time through its adapter would
 * take minutes). The user's other sessions but the connections' own are deleted first.
 */
async function seedSessionsToEnd(auth: Auth, dataSource: DataSource, userId: string, own: string[], count: number): Promise<string[]> {
  const escape = escaper(dataSource);
  await dataSource
    .createQueryBuilder()
    .delete()
    .from('session')
    .where(`${escape('userId')} = :userId AND ${escape('token')} NOT IN (:...own)`, { userId, own })
    .execute();
  const context = await auth.$context;
  const template = await context.internalAdapter.createSession(userId);
  const [row] = (await dataSource
    .createQueryBuilder()
    .select('*')
    .from('session', 'session')
    .where(`${escape('token')} = :token`, { token: template.token })
    .getRawMany()) as Record<string, unknown>[];
  const newId = () => randomBytes(24).toString('base64url').slice(0, 32);
  const rows = Array.from({ length: count - 1 }, () => ({ ...row, id: newId(), token: newId() }));
  await dataSource.transaction(async (manager) => {
    for (let start = 0; start < rows.length; start += INSERT_BATCH) {
      await manager.createQueryBuilder().insert().into('session', Object.keys(row)).values(rows.slice(start, start + INSERT_BATCH)).execute();
    }
  });
  return [template.token, ...rows.map((copy) => copy.token)];
}

/** The better-auth instance and the Nest app around it, not listening yet. */
async function createBetterAuthApp(variant: VariantName, database: BenchDatabase) {
  // Its origin check needs the app's own origin (`baseURL`) before the app listens.
  const port = await freePort();
  const cookieCache = variant === 'better-auth-cookie-cache';
  const auth = createAuth(database, `http://127.0.0.1:${port}`, cookieCache);
  await (await getMigrations(auth.options)).runMigrations();
  const app = await createApp(
    {
      module: BenchAppModule,
      imports: [typeOrm(database, [Session]), AuthModule.forRoot({ auth })],
      controllers: [HelloController, BetterAuthController],
    },
    { bodyParser: false },
  );
  const setup = `better-auth (emailAndPassword, ${cookieCache ? 'session.cookieCache on, maxAge 5 min' : 'cookie cache off'}) through @thallesp/nestjs-better-auth's AuthModule, on its ${
    database.kind === 'sqlite' ? 'better-sqlite3 Database' : 'pg Pool'
  }${journalNote(database)}`;
  return { auth, app, port, cookieCache, setup, dataSource: app.get(DataSource) };
}

export async function startBetterAuth(variant: VariantName, database: BenchDatabase, options: VariantOptions): Promise<StartedVariant> {
  if (variant === 'better-auth-end') return startBetterAuthEnd(variant, database, options);
  const { auth, app, port, cookieCache, setup, dataSource } = await createBetterAuthApp(variant, database);
  const cookies: string[] = [];
  for (let index = 0; index < options.sessions; index++) cookies.push((await signUp(auth, userIdFor(variant, index))).cookie);
  await app.listen(port, '127.0.0.1');
  return {
    app,
    dataSource,
    ...(cookieCache ? { beforeMeasure: async () => ({ cookies: await refreshCookieCache(auth, cookies) }) } : {}),
    ready: {
      route: { method: 'GET', path: '/me' },
      cookies,
      expectBody: JSON.stringify({ userId: userIdFor(variant, 0) }),
      bodyContains: `"userId":"${variant}-user-`,
      anonymousStatus: 401,
      notes: `${setup}; GET /me with its @Session() decorator behind its global AuthGuard`,
    },
  };
}

async function startBetterAuthEnd(variant: VariantName, database: BenchDatabase, { sessions, windowSeconds }: VariantOptions): Promise<StartedVariant> {
  const { auth, app, port, setup, dataSource } = await createBetterAuthApp(variant, database);
  const name = userIdFor(variant, 0);
  const { cookie, userId } = await signUp(auth, name);
  const cookies = [cookie];
  while (cookies.length < sessions) cookies.push(await signIn(auth, name));
  const own = cookies.map(tokenOf);
  const count = sessionsToEnd(windowSeconds);
  const escape = escaper(dataSource);
  const countLeft = async () => {
    const { n } = (await dataSource
      .createQueryBuilder()
      .select('COUNT(*)', 'n')
      .from('session', 'session')
      .where(`${escape('userId')} = :userId`, { userId })
      .getRawOne()) as { n: number | string };
    return Number(n);
  };
  const firstIds = await seedSessionsToEnd(auth, dataSource, userId, own, count);
  await app.listen(port, '127.0.0.1');
  return {
    app,
    dataSource,
    beforeMeasure: async () => ({ ids: await seedSessionsToEnd(auth, dataSource, userId, own, count) }),
    afterMeasure: (requests) => checkSessionsEnded(countLeft, sessions + count, requests),
    ready: {
      route: { method: 'POST', path: '/api/auth/revoke-session', body: '{"token":"{id}"}', sameOrigin: true },
      cookies,
      ids: firstIds,
      expectBody: JSON.stringify({ status: true }),
      bodyContains: '"status":true',
      anonymousStatus: 401,
      notes: `${setup}; POST /api/auth/revoke-session (its route) from one user's ${sessions} sessions, each request ending another session of the user (${count.toLocaleString('en')} written before each window); every response checked, and the sessions left counted after the window`,
    },
  };
}
