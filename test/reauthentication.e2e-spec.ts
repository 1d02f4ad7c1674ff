import { Controller, Delete, Logger, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { useLondonGeoipDirectory } from './support/geoip-fixture.js';
import { FAST_SIGN_INS } from './support/sample-app.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import { CurrentUserId, RequireRecentLogin, Session, SessionStoreService } from '../lib/index.js';
import { AppModule } from '../sample-app/app.module.js';

const ALICE = { username: 'alice', password: 'alice-password' };
const WINDOWS_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const LONDON_IP = '81.2.69.160';
const REAUTHENTICATE = { statusCode: 403, error: 'Forbidden', message: 'Re-authentication required', reauthenticate: true };

const geoipDir = useLondonGeoipDirectory('reauth');

/** An app's own sensitive route, in "sudo mode" for one minute. */
@Controller('account')
class AccountController {
  @Delete()
  @RequireRecentLogin(60_000)
  close(@CurrentUserId() userId: number) {
    return { closed: userId };
  }
}

// The sample app (numeric user ids, a foreign key to its users): "End all other sessions" needs
// the password within 5 minutes (requireRecentLogin), POST /auth/reauthenticate takes it again.
describeEachDatabase('re-authentication (sudo mode) in the sample app', (kind) => {
  let database: TestDatabase;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ ...database.options, autoLoadEntities: true, synchronize: true }, { geoipPath: geoipDir, ...FAST_SIGN_INS })],
      controllers: [AccountController],
    }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ logger: ['error'] });
    (app as NestExpressApplication).set('trust proxy', 'loopback');
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    await sessions().clear();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const sessions = () => app.get(DataSource).getRepository(Session);

  /** Signs alice in; returns her session key. */
  async function signIn(headers: Record<string, string> = {}): Promise<string> {
    const response = await request(url).post('/auth/login').set(headers).send(ALICE).expect(200);
    const cookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((value) => value.startsWith('sessionid='))!;
    return cookie.slice('sessionid='.length).split(';')[0];
  }
  const as = (key: string) => ({ Cookie: `sessionid=${key}` });
  /** The stored data of the session, as the database holds it. */
  async function storedData(key: string): Promise<Record<string, unknown>> {
    return JSON.parse((await sessions().findOneByOrFail({ keyDigest: digestSessionKey(key) })).data);
  }
  /** Moves the recorded password entry `ms` into the past, in the row: the clock stays real. */
  async function passwordEnteredAgo(key: string, ms: number | null): Promise<void> {
    const data = await storedData(key);
    data.__userSessions = ms === null ? undefined : { authenticatedAt: Date.now() - ms };
    await sessions().update({ keyDigest: digestSessionKey(key) }, { data: JSON.stringify(data) });
  }

  it('login records the time of the password entry on the session, out of the app data', async () => {
    const before = Date.now();
    const key = await signIn();
    const { __userSessions: recorded } = await storedData(key);
    expect((recorded as { authenticatedAt: number }).authenticatedAt).toBeGreaterThanOrEqual(before);
    expect((recorded as { authenticatedAt: number }).authenticatedAt).toBeLessThanOrEqual(Date.now());
    const session = (await app.get(SessionStoreService).load(key))!;
    expect(session.authenticatedAt!.getTime()).toBe((recorded as { authenticatedAt: number }).authenticatedAt);
    // The app's data holds only what Passport's req.logIn() put there (the sample app signs in through it).
    expect(session.toObject()).toEqual({ passport: { user: session.userId } });
  });

  it('"End all other sessions" passes within 5 minutes of the login, and answers 403 reauthenticate after', async () => {
    const laptop = await signIn();
    const phone = await signIn();
    await request(url).delete('/account/sessions').set(as(laptop)).expect(200, { deleted: 1 });
    await request(url).get('/auth/me').set(as(phone)).expect(401);

    const tablet = await signIn();
    await passwordEnteredAgo(laptop, 5 * 60_000 + 1000);
    const refused = await request(url).delete('/account/sessions').set(as(laptop)).expect(403);
    expect(refused.body).toEqual(REAUTHENTICATE);
    await request(url).get('/auth/me').set(as(tablet)).expect(200);
    // Listing needs no password; ending one other session follows endOtherSessions' rule (endSession unset),
    // or a stolen cookie would sign the user out everywhere one session at a time.
    await request(url).get('/account/sessions').set(as(laptop)).expect(200);
    await request(url).delete(`/account/sessions/${digestSessionKey(tablet)}`).set(as(laptop)).expect(403, REAUTHENTICATE);
    await request(url).get('/auth/me').set(as(tablet)).expect(200);
    // Signing out the current session never needs it, however old the password.
    await request(url).delete(`/account/sessions/${digestSessionKey(laptop)}`).set(as(laptop)).expect(204);
    await request(url).get('/auth/me').set(as(laptop)).expect(401);
    // Signed out, it is the 401 of any signed-in route.
    await request(url).delete('/account/sessions').expect(401);
  });

  it('a session signed in before the time was recorded needs the password too', async () => {
    const key = await signIn();
    await passwordEnteredAgo(key, null);
    expect(Object.keys(await storedData(key))).toEqual(['passport']);
    await request(url).delete('/account/sessions').set(as(key)).expect(403, REAUTHENTICATE);
  });

  it('POST /auth/reauthenticate: a wrong password is a 403; the right one renews the time and the key', async () => {
    const laptop = await signIn();
    const phone = await signIn();
    await passwordEnteredAgo(laptop, 10 * 60_000);

    const wrong = await request(url).post('/auth/reauthenticate').set(as(laptop)).send({ password: 'bob-password' }).expect(403);
    expect(wrong.body.message).toBe('Invalid password.');
    await request(url).post('/auth/reauthenticate').set(as(laptop)).send({}).expect(400);
    await request(url).delete('/account/sessions').set(as(laptop)).expect(403, REAUTHENTICATE);

    const before = Date.now();
    const right = await request(url).post('/auth/reauthenticate').set(as(laptop)).send({ password: ALICE.password }).expect(204);
    const renewed = ([] as string[]).concat(right.headers['set-cookie'] ?? []).find((value) => value.startsWith('sessionid='))!;
    const key = renewed.slice('sessionid='.length).split(';')[0];
    expect(key).not.toBe(laptop);
    // A copy of the old cookie does not get the new privilege: it is dead.
    await request(url).get('/auth/me').set(as(laptop)).expect(401);
    expect(((await storedData(key)).__userSessions as { authenticatedAt: number }).authenticatedAt).toBeGreaterThanOrEqual(before);

    await request(url).delete('/account/sessions').set(as(key)).expect(200, { deleted: 1 });
    await request(url).get('/auth/me').set(as(phone)).expect(401);
    await request(url).get('/auth/me').set(as(key)).expect(200);
  });

  it('POST /auth/reauthenticate needs a signed-in session, and a password string: junk is a 400', async () => {
    await request(url).post('/auth/reauthenticate').send({ password: ALICE.password }).expect(401);
    expect(await sessions().count()).toBe(0);
    const key = await signIn();
    for (const body of [{ password: 5 }, { password: [ALICE.password] }, { password: '' }, { password: 'p'.repeat(257) }, { secret: 'x' }]) {
      await request(url).post('/auth/reauthenticate').set(as(key)).send(body).expect(400);
    }
    await request(url).post('/auth/reauthenticate').set(as(key)).set('Content-Type', 'application/json').send('{"password":').expect(400);
    await request(url).get('/auth/me').set(as(key)).expect(200);
  });

  it('SessionStoreService.reauthenticate() refuses an anonymous session and one ended meanwhile', async () => {
    const store = app.get(SessionStoreService);
    const anonymous = await store.create({ data: { cart: [1] } });
    expect(await store.reauthenticate(anonymous)).toBe(false);
    expect(anonymous.authenticatedAt).toBeNull();
    expect(await storedData(anonymous.key!)).toEqual({ cart: [1] });

    const key = await signIn();
    const session = (await store.load(key))!;
    await store.delete(session.id!);
    expect(await store.reauthenticate(session)).toBe(false);
    expect(session.isAuthenticated).toBe(false);
    expect(await sessions().count()).toBe(1);
  });

  it('@RequireRecentLogin(60_000) on an app route: 401 signed out, passes within the minute, 403 after', async () => {
    await request(url).delete('/account').expect(401);
    const key = await signIn();
    const { id } = (await request(url).get('/auth/me').set(as(key)).expect(200)).body;
    await request(url).delete('/account').set(as(key)).expect(200, { closed: id });
    await passwordEnteredAgo(key, 50_000);
    await request(url).delete('/account').set(as(key)).expect(200);
    await passwordEnteredAgo(key, 61_000);
    await request(url).delete('/account').set(as(key)).expect(403, REAUTHENTICATE);
  });

  it('the sample app logs each sign-in: "New sign-in from Chrome on Windows · London, United Kingdom", then "Sign-in from …" for the same browser', async () => {
    const log = vi.spyOn(Logger.prototype, 'log');
    const fromLondon = { 'User-Agent': WINDOWS_CHROME, 'X-Forwarded-For': LONDON_IP };
    // One browser signs in twice: the second time it brings its device cookie.
    const laptop = request.agent(url);
    await laptop.post('/auth/login').set(fromLondon).send(ALICE).expect(200);
    await laptop.post('/auth/login').set(fromLondon).send(ALICE).expect(200);
    await signIn({ ...fromLondon, 'User-Agent': IPHONE_SAFARI });
    // Another browser without a user agent, from an IP the GeoIP database does not know.
    await signIn({ 'X-Forwarded-For': '192.0.2.1' });
    const signIns = log.mock.calls.map(([message]) => String(message)).filter((message) => /sign-in from/i.test(message));
    expect(signIns).toEqual([
      'New sign-in from Chrome on Windows · London, United Kingdom',
      'Sign-in from Chrome on Windows · London, United Kingdom',
      'New sign-in from Safari on iPhone · London, United Kingdom',
      'New sign-in from an unknown device',
    ]);
  });
});
