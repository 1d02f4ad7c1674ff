import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import expressSession from 'express-session';
import { TypeormStore } from 'connect-typeorm';
import request from 'supertest';
import { DataSource, type Repository } from 'typeorm';
import { Controller, Get, Logger, Module, Req } from '@nestjs/common';
import passport from 'passport';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { sessionCookie, startTestApp, type TestApp } from './support/test-app.js';
import { digestLegacySessionId, digestSessionKey } from '../lib/session/session-key.js';
import { importExpressSessions } from '../lib/express-session/express-session-import.js';
import { Session } from '../lib/index.js';
import { ConnectTypeormSession } from './support/connect-typeorm-session.js';

declare module 'express-session' {
  interface SessionData {
    passport: { user: string };
    cart: number[];
    theme: string;
  }
}

/** express-session signs with the first of its secrets; the new app also knows a newer one. */
const OLD_APP_SECRETS = ['old-app-secret', 'retired-secret'];
const LEGACY_SECRETS = ['secret-of-the-future', 'old-app-secret'];
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

/** The old app: express-session on connect-typeorm, with a passport-style login. */
function oldApp(repository: Repository<ConnectTypeormSession>) {
  const app = express();
  // ttl in seconds: expiredAt = now + 1 hour. No maxAge: connect-typeorm's touch() calls back
  // twice for a cookie with an expiry.
  const store = new TypeormStore({ ttl: 3600 }).connect(repository);
  app.use(expressSession({ secret: OLD_APP_SECRETS, resave: false, saveUninitialized: false, store }));
  app.post('/login/:user', (req, res) => {
    req.session.passport = { user: req.params.user };
    req.session.cart = [1, 2];
    res.json({ ok: true });
  });
  app.post('/theme', (req, res) => {
    req.session.theme = 'dark';
    res.json({ ok: true });
  });
  app.post('/logout', (req, res, next) => req.session.destroy((error) => (error ? next(error) : res.json({ ok: true }))));
  app.get('/me', (req, res) => res.json({ user: req.session.passport?.user ?? null }));
  return app;
}

/** The `connect.sid=…` pair the old app set, ready for a Cookie header. */
function legacyCookieOf(response: request.Response): string {
  const header = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((value) => value.startsWith('connect.sid='));
  expect(header).toBeDefined();
  return header!.split(';')[0];
}

/** express-session's id inside a `connect.sid` pair (between `s:` and the last dot). */
function sidOf(cookie: string): string {
  const value = decodeURIComponent(cookie.slice('connect.sid='.length));
  return value.slice(2, value.lastIndexOf('.'));
}

describeEachDatabaseAndPlatform('moving over from express-session + connect-typeorm', (kind, platform) => {
  let database: TestDatabase;
  let legacySource: DataSource;
  let legacyRows: Repository<ConnectTypeormSession>;
  let server: Server;
  let oldUrl: string;
  let t: TestApp;
  let dataSource: DataSource;
  let sessions: Repository<Session>;
  const cookies = {} as Record<'alice' | 'dave' | 'erin' | 'anonymous' | 'bob' | 'carol', string>;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    legacySource = new DataSource({ ...database.options, entities: [ConnectTypeormSession], synchronize: true } as ConstructorParameters<typeof DataSource>[0]);
    await legacySource.initialize();
    legacyRows = legacySource.getRepository(ConnectTypeormSession);
    server = oldApp(legacyRows).listen(0, '127.0.0.1');
    await once(server, 'listening');
    oldUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // Sessions made by the real old app: signed in, anonymous, expired and destroyed ones.
    for (const user of ['alice', 'dave', 'erin', 'bob', 'carol'] as const) {
      cookies[user] = legacyCookieOf(await request(oldUrl).post(`/login/${user}`).expect(200));
    }
    cookies.anonymous = legacyCookieOf(await request(oldUrl).post('/theme').expect(200));
    await request(oldUrl).get('/me').set('Cookie', cookies.alice).expect(200, { user: 'alice' });
    await legacyRows.update({ id: sidOf(cookies.bob) }, { expiredAt: Date.now() - 1000 });
    await request(oldUrl).post('/logout').set('Cookie', cookies.carol).expect(200);
    // connect-typeorm calls back before its soft delete has finished (it does not wait for
    // the promise), so the old app answers first: wait for the row.
    await vi.waitFor(async () => expect(await legacyRows.count()).toBe(5)); // carol's row is soft-deleted, so not counted
    expect(await legacyRows.count({ withDeleted: true })).toBe(6);

    t = await startTestApp(database, { legacyCookie: { secret: LEGACY_SECRETS } }, { platform });
    dataSource = t.app.get(DataSource);
    sessions = dataSource.getRepository(Session);
  });
  afterAll(async () => {
    await t?.close();
    server?.close();
    await legacySource?.destroy();
    await database?.drop();
  });

  it('imports the live sessions once; a second run creates nothing', async () => {
    const first = await importExpressSessions(dataSource, { table: 'session', userPath: 'passport.user' });
    expect(first).toEqual({ read: 4, imported: 4, alreadyImported: 0, skipped: 0 });
    // Again, one row a batch: the keyset pages through every row once.
    const batches: number[] = [];
    const second = await importExpressSessions(dataSource, {
      table: 'session',
      userPath: 'passport.user',
      batchSize: 1,
      onProgress: (progress) => batches.push(progress.read),
    });
    expect(batches).toEqual([1, 2, 3, 4]);
    expect(second).toEqual({ read: 4, imported: 0, alreadyImported: 4, skipped: 0 });
    expect(await sessions.count()).toBe(4);

    const alice = await sessions.findOneByOrFail({ id: digestLegacySessionId(sidOf(cookies.alice)) });
    expect(alice).toMatchObject({ userId: 'alice', ip: null, userAgent: null });
    expect(JSON.parse(alice.data)).toEqual({ passport: { user: 'alice' }, cart: [1, 2] });
    const aliceRow = await legacyRows.findOneByOrFail({ id: sidOf(cookies.alice) });
    // MariaDB's DATETIME keeps whole seconds.
    expect(Math.abs(alice.expireDate.getTime() - Number(aliceRow.expiredAt))).toBeLessThan(1000);
    expect((await sessions.findOneByOrFail({ id: digestLegacySessionId(sidOf(cookies.anonymous)) })).userId).toBeNull();
  });

  it('with legacyCookie set, requests without the old cookie cost what they always did', async () => {
    t.queries.reset();
    await request(t.url).get('/public').expect(200);
    expect(t.queries.statements).toEqual([]);

    const login = await request(t.url).post('/login').send({ userId: 'frank' }).expect(201);
    const key = sessionCookie(login.headers['set-cookie'])!;
    t.queries.reset();
    await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200, { userId: 'frank' });
    expect(t.queries.statements).toHaveLength(1);
    expect(t.queries.statements[0]).toMatch(/^SELECT/i);
    await sessions.delete({ id: digestSessionKey(key) });
  });

  it('the old cookie signs alice in once, moves her session to our cookie and clears the old one', async () => {
    t.queries.reset();
    const response = await request(t.url).get('/me').set('Cookie', cookies.alice).set('User-Agent', BROWSER).expect(200);
    expect(response.body).toEqual({ userId: 'alice' });
    // One primary-key SELECT, the old row marked destroyed, the row renamed (with the client).
    expect(t.queries.statements).toHaveLength(3);
    expect(t.queries.statements.map((statement) => statement.split(' ')[0].toUpperCase())).toEqual(['SELECT', 'UPDATE', 'UPDATE']);

    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    const key = sessionCookie(setCookie)!;
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cleared = setCookie.find((value) => value.startsWith('connect.sid='));
    expect(cleared).toMatch(/^connect\.sid=; Path=\/; Max-Age=0; /);
    expect(setCookie).toHaveLength(2);

    // The session moved: the same data under our key, the client recorded; the old id is dead
    // as a key, and stays the session's public id.
    expect(await sessions.findOneBy({ keyDigest: digestLegacySessionId(sidOf(cookies.alice)) })).toBeNull();
    const row = await sessions.findOneByOrFail({ keyDigest: digestSessionKey(key) });
    expect(row).toMatchObject({ id: digestLegacySessionId(sidOf(cookies.alice)), userId: 'alice', ip: '127.0.0.1', userAgent: BROWSER });
    const oldRow = await legacyRows.findOne({ where: { id: sidOf(cookies.alice) }, withDeleted: true });
    expect(oldRow!.destroyedAt).toBeInstanceOf(Date);

    // Our cookie works next, with the data; express-session's `cookie` key was left behind.
    await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200, { userId: 'alice' });
    await request(t.url).get('/data/cart').set('Cookie', `sessionid=${key}`).expect(200, { value: [1, 2] });
    await request(t.url).get('/data/cookie').set('Cookie', `sessionid=${key}`).expect(200, { value: null });

    // The old cookie is refused from now on, here and by the old app (its row is destroyed).
    const again = await request(t.url).get('/me').set('Cookie', cookies.alice).expect(401);
    expect(again.headers['set-cookie']).toBeUndefined();
    await request(oldUrl).get('/me').set('Cookie', cookies.alice).expect(200, { user: null });
  });

  it('a tampered old cookie is anonymous and costs no query; a junk one is no error', async () => {
    const value = cookies.anonymous.slice('connect.sid='.length);
    const tamperedId = `connect.sid=${value.replace(/^s%3A./, (prefix) => `${prefix.slice(0, -1)}${prefix.endsWith('x') ? 'y' : 'x'}`)}`;
    const tamperedSignature = `connect.sid=${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`;
    for (const cookie of [tamperedId, tamperedSignature, 'connect.sid=s%3A%E0%A4%A', `connect.sid=${sidOf(cookies.anonymous)}`]) {
      expect(cookie).not.toBe(cookies.anonymous);
      t.queries.reset();
      const response = await request(t.url).get('/data/theme').set('Cookie', cookie).expect(200);
      expect(response.body).toEqual({ value: null });
      expect(response.headers['set-cookie']).toBeUndefined();
      expect(t.queries.statements).toEqual([]);
    }
    // The genuine cookie still moves the anonymous session over, data and all.
    const response = await request(t.url).get('/data/theme').set('Cookie', cookies.anonymous).expect(200, { value: 'dark' });
    const key = sessionCookie(response.headers['set-cookie'])!;
    await request(t.url).get('/data/theme').set('Cookie', `sessionid=${key}`).expect(200, { value: 'dark' });
  });

  it('the cookies of expired, destroyed and never-imported sessions find nothing and are left alone', async () => {
    for (const cookie of [cookies.bob, cookies.carol]) {
      const response = await request(t.url).get('/me').set('Cookie', cookie).expect(401);
      expect(response.headers['set-cookie']).toBeUndefined();
    }
  });

  it('a move-over in a request that fails with a 5xx still hands out our cookie', async () => {
    const response = await request(t.url).post('/data-then-crash').set('Cookie', cookies.dave).expect(500);
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    const key = sessionCookie(setCookie)!;
    expect(setCookie.some((value) => value.startsWith('connect.sid=; '))).toBe(true);
    await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200, { userId: 'dave' });
    // Nothing the failed handler set was saved.
    await request(t.url).get('/data/half-done').set('Cookie', `sessionid=${key}`).expect(200, { value: null });
  });

  it('importing again after the move-over brings no old id back', async () => {
    const before = await sessions.count();
    const result = await importExpressSessions(dataSource, { table: 'session', userPath: 'passport.user' });
    expect(result).toEqual({ read: 1, imported: 0, alreadyImported: 1, skipped: 0 }); // erin's, not moved yet
    expect(await sessions.count()).toBe(before);
    await request(t.url).get('/me').set('Cookie', cookies.alice).expect(401);
    await request(t.url).get('/me').set('Cookie', cookies.dave).expect(401);
  });

  it('with a wrong legacyCookie.table the session still moves over, and a warning says what to fix', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    const misconfigured = await startTestApp(database, { legacyCookie: { secret: LEGACY_SECRETS, table: 'no_such_table' } }, { platform });
    try {
      const response = await request(misconfigured.url).get('/me').set('Cookie', cookies.erin).expect(200, { userId: 'erin' });
      expect(sessionCookie(response.headers['set-cookie'])).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const messages = warn.mock.calls.map(([message]) => String(message));
      expect(messages.some((message) => message.includes('"no_such_table"') && message.includes('set legacyCookie.table'))).toBe(true);
      expect(messages.join('\n')).not.toContain(sidOf(cookies.erin));
    } finally {
      warn.mockRestore();
      await misconfigured.close();
    }
  });

  it('with expressSessionApi, an old Passport sign-in is signed in on its first request: one import, one command', async () => {
    const gina = legacyCookieOf(await request(oldUrl).post('/login/gina').expect(200));
    await importExpressSessions(dataSource, { table: 'session', userPath: 'passport.user' });
    expect((await sessions.findOneByOrFail({ id: digestLegacySessionId(sidOf(gina)) })).userId).toBe('gina');
    const passportApp = await startTestApp(
      database,
      { legacyCookie: { secret: LEGACY_SECRETS }, expressSessionApi: true },
      {
        platform,
        // main.ts as it was under express-session, less its session line.
        configure: (app) => {
          if (platform === 'fastify') return;
          passport.deserializeUser((id: string, done: (error: null, user: object) => void) => done(null, { id, from: 'passport' }));
          app.use(passport.initialize());
          app.use(passport.session());
        },
      },
      undefined,
      [PassportSessionModule],
    );
    try {
      const response = await request(passportApp.url).get('/passport-session').set('Cookie', gina).expect(200);
      expect(response.body).toEqual({
        session: { passport: { user: 'gina' }, cart: [1, 2] },
        user: platform === 'fastify' ? null : { id: 'gina', from: 'passport' },
      });
      const key = sessionCookie(response.headers['set-cookie'])!;
      await request(passportApp.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200, { userId: 'gina' });
      // One session, under the new key, still named by its old id.
      const [only, ...none] = await passportApp.store.listActive('gina');
      expect(none).toEqual([]);
      expect(await passportApp.app.get(DataSource).getRepository(Session).findOneByOrFail({ id: only.id })).toMatchObject({ keyDigest: digestSessionKey(key) });
    } finally {
      await passportApp.close();
    }
  });
});

/** What Passport and express-session code read on a request: req.session and req.user. */
@Controller('passport-session')
class PassportSessionController {
  @Get()
  read(@Req() request: { session: object; user?: unknown }) {
    return { session: { ...request.session }, user: request.user ?? null };
  }
}

@Module({ controllers: [PassportSessionController] })
class PassportSessionModule {}
