import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachPlatform } from './support/platforms.js';
import { sessionCookie, startTestApp, type TestApp, type TestAppSetup } from './support/test-app.js';
import {
  InvalidUserSessionsOptionsError,
  SessionStoreService,
  UserSessionsModule,
  type UserSessionsOptionsFactory,
  type UserSessionsRuntimeOptions,
} from '../lib/index.js';

// Module configuration: the session shape is the default one here, so these run on SQLite.
describeEachPlatform('UserSessionsModule options', (platform) => {
  let database: TestDatabase | undefined;
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    await database?.drop();
    t = undefined;
    database = undefined;
  });

  async function start(options: Parameters<typeof startTestApp>[1], setup: TestAppSetup = {}) {
    database = await createTestDatabase('sqlite');
    t = await startTestApp(database, options, { platform, ...setup });
    return t;
  }

  it('fails at start-up naming a wrong option and the fix', () => {
    expect(() => UserSessionsModule.forRoot({ maxAge: 14 } as never)).toThrow(/maxAge is in milliseconds and must be at least 1000/);
    expect(() => UserSessionsModule.forRoot({ cookiename: 'x' } as never)).toThrow(/unknown option "cookiename"/);
    expect(() => UserSessionsModule.forRoot({ sameSite: 'none' })).toThrow(/requires secure: true/);
    expect(() => UserSessionsModule.forRoot({ trustedOrigins: ['https://a.example/path'] })).toThrow(InvalidUserSessionsOptionsError);
  });

  it('uses the cookie options: name, path, domain, Secure, SameSite, browser-session cookie', async () => {
    const app = await start({
      cookieName: 'sid',
      cookiePath: '/app',
      cookieDomain: 'example.test',
      secure: true,
      sameSite: 'strict',
      expireAtBrowserClose: true,
    });
    const response = await request(app.url).post('/login').send({ userId: 'alice' }).expect(201);
    const [header, device] = [response.headers['set-cookie']].flat() as string[];
    expect(header).toMatch(/^sid=[A-Za-z0-9_-]{43}; Path=\/app; Domain=example.test; HttpOnly; Secure; SameSite=Strict$/);
    // The device cookie follows them, and outlives the browser session (400 days).
    expect(device).toMatch(/^sid_device=[A-Za-z0-9_-]{43}; Path=\/app; Domain=example.test; Max-Age=34560000; Expires=[^;]+; HttpOnly; Secure; SameSite=Strict$/);
  });

  it("with secure 'auto', sets Secure only for HTTPS as the app's trust proxy setting sees it", async () => {
    const app = await start({}, { trustProxy: 'loopback' });
    const https = await request(app.url).post('/login').set('X-Forwarded-Proto', 'https').send({ userId: 'a' }).expect(201);
    expect(String(https.headers['set-cookie'])).toContain('; Secure;');
    const http = await request(app.url).post('/login').send({ userId: 'a' }).expect(201);
    expect(String(http.headers['set-cookie'])).not.toContain('Secure');
  });

  it('records request.ip: X-Forwarded-For only counts when the app trusts the proxy', async () => {
    const untrusting = await start({});
    const key = sessionCookie((await request(untrusting.url).post('/login').set('X-Forwarded-For', '203.0.113.7').send({ userId: 'a' })).headers['set-cookie'])!;
    expect((await untrusting.store.load(key))!.ip).toBe('127.0.0.1');
    await untrusting.close();
    await database!.drop();

    const trusting = await start({}, { trustProxy: 'loopback' });
    const trustedKey = sessionCookie((await request(trusting.url).post('/login').set('X-Forwarded-For', '203.0.113.7').send({ userId: 'a' })).headers['set-cookie'])!;
    expect((await trusting.store.load(trustedKey))!.ip).toBe('203.0.113.7');
  });

  it('sends no Accept-CH when requestClientHints is off', async () => {
    const app = await start({ requestClientHints: false });
    const response = await request(app.url).get('/public').set('Sec-CH-UA-Platform', '"Windows"').expect(200);
    expect(response.headers['accept-ch']).toBeUndefined();
  });

  it('with a global prefix: sessions under it and on a route excluded from it, one SELECT a request, the origin check on every path', async () => {
    const app = await start({}, { configure: (nest) => nest.setGlobalPrefix('api', { exclude: ['me'] }) });
    const key = sessionCookie((await request(app.url).post('/api/login').send({ userId: 'a' }).expect(201)).headers['set-cookie'])!;
    app.queries.reset();
    await request(app.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200, { userId: 'a' });
    expect(app.queries.sessionStatements().filter((statement) => statement.startsWith('SELECT'))).toHaveLength(1);
    // The middleware sits on the HTTP adapter: a path no route of the prefix covers is checked too.
    await request(app.url).post('/elsewhere').set('Origin', 'https://evil.example').expect(403);
    await request(app.url).post('/elsewhere').expect(404);
  });

  it('serves the API under the path option', async () => {
    const app = await start({ path: '/me/devices/' });
    const key = sessionCookie((await request(app.url).post('/login').send({ userId: 'a' })).headers['set-cookie'])!;
    const listed = await request(app.url).get('/me/devices').set('Cookie', `sessionid=${key}`).expect(200);
    expect(listed.body).toHaveLength(1);
  });
});

describe('UserSessionsModule.forRootAsync', () => {
  async function compile(asyncOptions: Parameters<typeof UserSessionsModule.forRootAsync>[0]) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', autoLoadEntities: true, synchronize: true }),
        UserSessionsModule.forRootAsync(asyncOptions),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  @Injectable()
  class SessionSettings implements UserSessionsOptionsFactory {
    createUserSessionsOptions(): UserSessionsRuntimeOptions {
      return { cookieName: 'from_class' };
    }
  }
  @Module({ providers: [SessionSettings], exports: [SessionSettings] })
  class SettingsModule {}

  it('takes runtime options from useFactory with inject', async () => {
    const app = await compile({
      imports: [SettingsModule],
      inject: [SessionSettings],
      useFactory: async (settings: SessionSettings) => ({ ...settings.createUserSessionsOptions(), cookieName: 'from_factory' }),
    });
    expect(app.get('USER_SESSIONS:MODULE_OPTIONS')).toMatchObject({ cookieName: 'from_factory' });
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    await request(url).get('/account/sessions').expect(401);
    const session = await app.get(SessionStoreService).create({ userId: 'a' });
    await request(url).get('/account/sessions').set('Cookie', `from_factory=${session.key}`).expect(200);
    await app.close();
  });

  it('takes runtime options from useClass and useExisting', async () => {
    const withClass = await compile({ useClass: SessionSettings });
    expect(withClass.get('USER_SESSIONS:MODULE_OPTIONS')).toMatchObject({ cookieName: 'from_class' });
    await withClass.close();
    const withExisting = await compile({ imports: [SettingsModule], useExisting: SessionSettings });
    expect(withExisting.get('USER_SESSIONS:MODULE_OPTIONS')).toMatchObject({ cookieName: 'from_class' });
    await withExisting.close();
  });

  it('fails at start-up for a wrong option from the factory, or a table option given by it', async () => {
    await expect(compile({ useFactory: () => ({ activityInterval: -1 }) })).rejects.toThrow(/activityInterval must be 0 or more/);
    await expect(compile({ useFactory: () => ({ path: 'x' }) as never })).rejects.toThrow(/give it beside useFactory/);
    expect(() => UserSessionsModule.forRootAsync({})).toThrow(/needs one of useFactory, useClass or useExisting/);
  });
});
