import request from 'supertest';
import { Body, Controller, Get, HttpCode, Injectable, Module, Post, Req, UseGuards, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { AuthGuard, PassportModule, PassportSerializer, PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { Test } from '@nestjs/testing';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { UserSessionsModule, type ExpressSessionApi } from '../lib/index.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { createTestApplication, describeEachDatabaseAndPlatform, describeEachPlatform } from './support/platforms.js';
import { memorySessionStorage } from './support/memory-storage.js';
import { sessionCookie, startTestApp, type TestApp } from './support/test-app.js';

type SessionRequest = { session: ExpressSessionApi; user?: unknown; logIn(user: unknown, done: (error?: unknown) => void): void };

/** express-session's callback methods, awaited. */
function done(call: (callback: (error?: unknown) => void) => unknown): Promise<void> {
  return new Promise((resolve, reject) => void call((error) => (error ? reject(error) : resolve())));
}

const THIRTY_DAYS = 30 * 24 * 3600_000;

/** Routes that use req.session as express-session apps do. */
@Controller('compat')
class CompatController {
  @Post('data')
  @HttpCode(200)
  setData(@Req() request: SessionRequest, @Body() body: Record<string, unknown>) {
    for (const [name, value] of Object.entries(body)) request.session[name] = value;
    return { id: request.session.id };
  }

  @Get('data')
  getData(@Req() request: SessionRequest) {
    const { maxAge, expires, httpOnly, path } = request.session.cookie;
    return { data: { ...request.session }, id: request.session.id, cookie: { maxAge, expires, httpOnly, path } };
  }

  /** What Passport's req.login() does, step by step. */
  @Post('sign-in')
  @HttpCode(200)
  async signIn(@Req() request: SessionRequest, @Body() body: { user: unknown }) {
    await done((callback) => request.session.regenerate(callback));
    request.session.passport = { user: body.user };
    await done((callback) => request.session.save(callback));
    return { id: request.session.id };
  }

  /** What Passport's req.logout() does. */
  @Post('sign-out')
  @HttpCode(204)
  async signOut(@Req() request: SessionRequest) {
    delete (request.session.passport as { user?: unknown }).user;
    await done((callback) => request.session.save(callback));
    await done((callback) => request.session.regenerate(callback));
  }

  @Post('destroy')
  @HttpCode(200)
  async destroy(@Req() request: SessionRequest) {
    await done((callback) => request.session.destroy(callback));
    return { session: request.session ?? null };
  }

  @Post('reload')
  @HttpCode(200)
  async reload(@Req() request: SessionRequest) {
    request.session.unsaved = true;
    try {
      await done((callback) => request.session.reload(callback));
    } catch (error) {
      return { error: (error as Error).message };
    }
    return { data: { ...request.session } };
  }

  /** Whether the app's own request hook ran too. */
  @Get('hooked')
  hooked(@Req() request: SessionRequest & { hooked?: boolean }) {
    return { hooked: request.hooked === true, session: request.session instanceof Object };
  }

  @Post('remember')
  @HttpCode(204)
  remember(@Req() request: SessionRequest) {
    request.session.cookie.maxAge = THIRTY_DAYS;
  }
}

/** Passport's local strategy on both platforms: req.logIn() from the guard, as @nestjs/passport apps do. */
@Injectable()
class CompatLocalStrategy extends PassportStrategy(Strategy, 'compat-local') {
  validate(username: string, password: string) {
    return password === 'secret' ? { id: username, name: `${username}!` } : false;
  }
}

@Injectable()
class CompatSerializer extends PassportSerializer {
  serializeUser(user: { id: string }, callback: (error: unknown, id?: string) => void) {
    callback(null, user.id);
  }
  deserializeUser(id: string, callback: (error: unknown, user?: unknown) => void) {
    callback(null, { id });
  }
}

@Injectable()
class CompatLoginGuard extends AuthGuard('compat-local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    await super.logIn(context.switchToHttp().getRequest());
    return true;
  }
}

@Controller('passport')
class PassportController {
  @Post('login')
  @HttpCode(200)
  @UseGuards(CompatLoginGuard)
  login(@Req() request: SessionRequest) {
    return { user: request.user, passport: request.session.passport };
  }
}

@Module({
  imports: [PassportModule.register({ session: true })],
  controllers: [CompatController, PassportController],
  providers: [CompatLocalStrategy, CompatSerializer],
})
class CompatModule {}

describeEachDatabaseAndPlatform('expressSessionApi: req.session', (kind, platform) => {
  let database: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // The app sets a request hook of its own, which Nest's adapter keeps one of: both run.
    const configure = (app: INestApplication) =>
      (app.getHttpAdapter() as AbstractHttpAdapter).setOnRequestHook((request: { hooked?: boolean }, _response: unknown, next: () => void) => {
        request.hooked = true;
        next();
      });
    t = await startTestApp(database, { expressSessionApi: true }, { platform, configure }, undefined, [CompatModule]);
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });
  beforeEach(() => t.queries.reset());

  async function signedIn(user: unknown): Promise<string> {
    const response = await request(t.url).post('/compat/sign-in').send({ user }).expect(200);
    return `sessionid=${sessionCookie(response.headers['set-cookie'])}`;
  }

  it('keeps data as properties; a request that changes nothing costs its one SELECT', async () => {
    const created = await request(t.url).post('/compat/data').send({ cart: [1, 2], theme: 'dark' }).expect(200);
    const cookie = `sessionid=${sessionCookie(created.headers['set-cookie'])}`;
    t.queries.reset();
    const read = await request(t.url).get('/compat/data').set('Cookie', cookie).expect(200);
    expect(read.body.data).toEqual({ cart: [1, 2], theme: 'dark' });
    expect(read.body.id).toMatch(/^[0-9a-f]{64}$/);
    expect(read.body.cookie).toMatchObject({ httpOnly: true, path: '/' });
    expect(read.body.cookie.maxAge).toBeGreaterThan(0);
    expect(t.queries.sessionStatements()).toHaveLength(1);
    expect(read.headers['set-cookie']).toBeUndefined();

    t.queries.reset();
    await request(t.url).get('/compat/data').expect(200);
    expect(t.queries.sessionStatements()).toHaveLength(0);
  });

  it("signs passport.user in: a new key, listed under the user, the module's guard lets it through", async () => {
    const planted = await request(t.url).post('/compat/data').send({ before: 'sign-in' }).expect(200);
    const plantedKey = sessionCookie(planted.headers['set-cookie'])!;
    const response = await request(t.url).post('/compat/sign-in').set('Cookie', `sessionid=${plantedKey}`).send({ user: 'alice' }).expect(200);
    const key = sessionCookie(response.headers['set-cookie'])!;
    expect(key).not.toBe(plantedKey);
    expect(await t.store.load(plantedKey)).toBeNull();
    expect((await t.store.listActive('alice')).map((session) => session.id)).toEqual([response.body.id]);
    expect((await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200)).body).toEqual({ userId: 'alice' });
    // express-session's regenerate() starts empty: nothing of the planted session carries over.
    expect((await request(t.url).get('/compat/data').set('Cookie', `sessionid=${key}`).expect(200)).body.data).toEqual({
      passport: { user: 'alice' },
    });
  });

  it('signs out when passport.user goes: the row is deleted and the cookie cleared', async () => {
    const cookie = await signedIn('bob');
    const response = await request(t.url).post('/compat/sign-out').set('Cookie', cookie).expect(204);
    expect(String(response.headers['set-cookie'])).toMatch(/sessionid=;.*Max-Age=0/);
    expect(await t.store.listActive('bob')).toEqual([]);
    await request(t.url).get('/me').set('Cookie', cookie).expect(401);
  });

  it('takes the id of a user object, and refuses a user it cannot tell', async () => {
    await signedIn({ id: 'carol', name: 'Carol' });
    expect(await t.store.listActive('carol')).toHaveLength(1);
    await request(t.url).post('/compat/sign-in').send({ user: { name: 'nobody' } }).expect(500);
  });

  it('destroy() ends the session, unsets req.session and clears the cookie', async () => {
    const cookie = await signedIn('dave');
    const response = await request(t.url).post('/compat/destroy').set('Cookie', cookie).expect(200);
    expect(response.body).toEqual({ session: null });
    expect(String(response.headers['set-cookie'])).toMatch(/sessionid=;.*Max-Age=0/);
    expect(await t.store.listActive('dave')).toEqual([]);
  });

  it('reload() drops what the request changed; a session ended meanwhile is an error', async () => {
    const cookie = await signedIn('erin');
    expect((await request(t.url).post('/compat/reload').set('Cookie', cookie).expect(200)).body).toEqual({
      data: { passport: { user: 'erin' } },
    });
    expect((await request(t.url).post('/compat/reload').expect(200)).body).toEqual({ error: 'failed to load session' });
  });

  it("cookie.maxAge moves the session's expiry and the cookie's", async () => {
    const cookie = await signedIn('frank');
    const response = await request(t.url).post('/compat/remember').set('Cookie', cookie).expect(204);
    const maxAge = Number(/Max-Age=(\d+)/.exec(String(response.headers['set-cookie']) ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(THIRTY_DAYS / 1000 - 60);
    const [session] = await t.store.listActive('frank');
    expect(session.expireDate.getTime()).toBeGreaterThan(Date.now() + THIRTY_DAYS - 60_000);
  });

  it("signs in through Passport's req.logIn() in a @nestjs/passport guard", async () => {
    await request(t.url).post('/passport/login').send({ username: 'gina', password: 'wrong' }).expect(401);
    const response = await request(t.url).post('/passport/login').send({ username: 'gina', password: 'secret' }).expect(200);
    expect(response.body).toEqual({ user: { id: 'gina', name: 'gina!' }, passport: { user: 'gina' } });
    const key = sessionCookie(response.headers['set-cookie']);
    expect((await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200)).body).toEqual({ userId: 'gina' });
    expect(await t.store.listActive('gina')).toHaveLength(1);
  });

  it("runs after the app's own request hook, which it keeps", async () => {
    expect((await request(t.url).get('/compat/hooked').expect(200)).body).toEqual({ hooked: true, session: true });
  });

  it('still refuses a cross-origin state change', async () => {
    await request(t.url).post('/compat/data').set('Origin', 'https://evil.example').send({ a: 1 }).expect(403);
  });
});

describeEachPlatform('expressSessionApi with the database unreachable', (platform) => {
  it('answers 503 from the load, before any of the app\'s code runs', async () => {
    const unreachable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const storage = { ...memorySessionStorage(), find: async () => Promise.reject(unreachable) };
    const moduleRef = await Test.createTestingModule({
      imports: [UserSessionsModule.forRoot({ storage, expressSessionApi: true })],
      controllers: [CompatController],
    }).compile();
    const app = await createTestApplication(moduleRef, { platform, logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const response = await request(url).get('/compat/data').set('Cookie', `sessionid=${'a'.repeat(43)}`).expect(503);
      expect(response.body).toEqual({ statusCode: 503, message: 'The session store is unavailable; please retry shortly.' });
      // Without a cookie there is nothing to load.
      await request(url).get('/compat/data').expect(200);
    } finally {
      await app.close();
    }
  });
});
