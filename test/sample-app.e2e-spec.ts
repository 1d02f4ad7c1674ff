import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeMmdb } from './support/mmdb-writer.js';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { FAST_SIGN_INS } from './support/sample-app.js';
import { until } from './support/redis.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import { Session, type AdminSessionView, type SessionView } from '../lib/index.js';
import { AppModule } from '../sample-app/app.module.js';
import { createSampleApp } from '../sample-app/platform.js';
import { User } from '../sample-app/users/user.entity.js';
import { UsersService } from '../sample-app/users/users.service.js';

const ALICE = { username: 'alice', password: 'alice-password' };
const BOB = { username: 'bob', password: 'bob-password' };

// The sample app configures the Session entity with numeric user ids and a foreign key to
// its User, so this file must not start test/support/test-app.ts (string ids) as well.
describeEachDatabaseAndPlatform('sample app', (kind, platform) => {
  let database: TestDatabase;
  let app: INestApplication;
  let url: string;

  async function startApp(geoipPath?: string): Promise<void> {
    // As main.ts with TRUST_PROXY=loopback: X-Forwarded-For from the test client counts.
    app = await createSampleApp(
      AppModule.forRoot({ ...database.options, autoLoadEntities: true, synchronize: true }, { geoipPath, ...FAST_SIGN_INS }),
      platform,
      'loopback',
      { logger: ['error'], abortOnError: false },
    );
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  }

  const users = () => app.get(DataSource).getRepository(User);
  const sessions = () => app.get(DataSource).getRepository(Session);
  const userId = async (username: string) => (await users().findOneByOrFail({ username })).id;

  /** The `sessionid=<key>` pair a response sets. */
  function sessionCookie(response: request.Response): string {
    const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    const cookie = cookies.find((value) => value.startsWith('sessionid='));
    expect(cookie).toBeDefined();
    return cookie!.split(';')[0];
  }

  /** A client with its own cookie jar, signed in as `credentials`. */
  async function signedIn(credentials: { username: string; password: string }) {
    const agent = request.agent(url);
    await agent.post('/auth/login').send(credentials).expect(200);
    return agent;
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await startApp();
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    await sessions().clear();
    // Brings back a demo user that a test deleted.
    await app.get(UsersService).seedDemoUsers();
  });

  it('seeds alice and bob with scrypt password hashes', async () => {
    expect((await users().find({ order: { username: 'ASC' } })).map((user) => user.username)).toEqual(['alice', 'bob']);
    const alice = await users().findOneByOrFail({ username: 'alice' });
    // At the suites' cost (FAST_SIGN_INS); test/password-hashes.e2e-spec.ts checks the real one.
    expect(alice.passwordHash).toMatch(/^scrypt\$N=1024,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==$/);
    expect((await users().find({ order: { username: 'ASC' } })).map((user) => user.role)).toEqual(['admin', 'user']);
  });

  it('login answers 200 with the user and sets the session cookie', async () => {
    const response = await request(url).post('/auth/login').send(ALICE).expect(200);
    expect(response.body).toEqual({ id: await userId('alice'), username: 'alice' });
    expect(sessionCookie(response)).toMatch(/^sessionid=[A-Za-z0-9_-]{43}$/);
    expect(response.headers['set-cookie']?.[0]).toContain('HttpOnly');
  });

  it('a wrong password and an unknown user get the same 401, and no cookie', async () => {
    const wrongPassword = await request(url)
      .post('/auth/login')
      .send({ username: 'alice', password: 'bob-password' })
      .expect(401);
    const unknownUser = await request(url)
      .post('/auth/login')
      .send({ username: 'mallory', password: 'alice-password' })
      .expect(401);
    expect(unknownUser.body).toEqual(wrongPassword.body);
    expect(wrongPassword.body.message).toBe('Invalid username or password.');
    expect(wrongPassword.headers['set-cookie']).toBeUndefined();
    expect(unknownUser.headers['set-cookie']).toBeUndefined();
    expect(await sessions().count()).toBe(0);
  });

  it('a malformed login body is a 400', async () => {
    const bodies: object[] = [
      { username: 5, password: 'alice-password' },
      { username: 'alice', password: ['alice-password'] },
      { username: 'alice' },
      { password: 'alice-password' },
      {},
      { username: '', password: '' },
    ];
    for (const body of bodies) {
      await request(url).post('/auth/login').send(body).expect(400);
    }
    await request(url).post('/auth/login').set('Content-Type', 'application/json').send('{"username": "alice",').expect(400);
    await request(url).post('/auth/login').set('Content-Type', 'text/plain').send('alice:alice-password').expect(400);
    expect(await sessions().count()).toBe(0);
  });

  it('/auth/me answers the signed-in user, and 401 without a session', async () => {
    const alice = await signedIn(ALICE);
    await alice.get('/auth/me').expect(200, { id: await userId('alice'), username: 'alice' });
    await request(url).get('/auth/me').expect(401);
  });

  it("lists the user's sessions; another user can neither see nor end them", async () => {
    const aliceLaptop = await signedIn(ALICE);
    const alicePhone = await signedIn(ALICE);
    const bob = await signedIn(BOB);

    const listed: SessionView[] = (await aliceLaptop.get('/account/sessions').expect(200)).body;
    expect(listed).toHaveLength(2);
    expect(listed.filter((session) => session.current)).toHaveLength(1);
    const phoneId = listed.find((session) => !session.current)!.id;

    const bobsList: SessionView[] = (await bob.get('/account/sessions').expect(200)).body;
    expect(bobsList).toHaveLength(1);
    expect(bobsList.map((session) => session.id)).not.toContain(phoneId);

    await bob.delete(`/account/sessions/${phoneId}`).expect(404);
    await alicePhone.get('/auth/me').expect(200);

    await aliceLaptop.delete(`/account/sessions/${phoneId}`).expect(204);
    await alicePhone.get('/auth/me').expect(401);
  });

  it('alice, an admin, lists and ends every session at /admin/sessions; bob and strangers get 404', async () => {
    const alice = await signedIn(ALICE);
    const bobLaptop = await signedIn(BOB);
    const bobPhone = await signedIn(BOB);
    const [aliceId, bobId] = [await userId('alice'), await userId('bob')];

    const page = (await alice.get('/admin/sessions').expect(200)).body;
    expect(page.sessions.map((session: AdminSessionView) => session.userId).sort()).toEqual([aliceId, bobId, bobId].sort());
    expect(page.sessions.every((session: AdminSessionView) => session.valid)).toBe(true);
    expect(page.nextCursor).toBeNull();
    const bobs = (await alice.get(`/admin/sessions?userId=${bobId}`).expect(200)).body.sessions;
    expect(bobs).toHaveLength(2);

    await bobLaptop.get('/admin/sessions').expect(404);
    await bobLaptop.delete(`/admin/sessions/users/${aliceId}`).expect(404);
    await request(url).get('/admin/sessions').expect(404);

    await alice.delete(`/admin/sessions/${bobs[0].id}`).expect(204);
    await alice.delete(`/admin/sessions/users/${bobId}`).expect(200, { ended: 1 });
    await bobLaptop.get('/auth/me').expect(401);
    await bobPhone.get('/auth/me').expect(401);
    await alice.get('/auth/me').expect(200);
  });

  it('the admin role is read on each request: taken away, it counts at once', async () => {
    const alice = await signedIn(ALICE);
    await alice.get('/admin/sessions').expect(200);
    await users().update({ username: 'alice' }, { role: 'user' });
    await alice.get('/admin/sessions').expect(404);
    await users().update({ username: 'bob' }, { role: 'admin' });
    await (await signedIn(BOB)).get('/admin/sessions').expect(200);
  });

  it('logout answers 204; the session is gone', async () => {
    const login = await request(url).post('/auth/login').send(ALICE).expect(200);
    const cookie = sessionCookie(login);

    await request(url).post('/auth/logout').set('Cookie', cookie).expect(204);
    await request(url).get('/auth/me').set('Cookie', cookie).expect(401);
    expect(await sessions().count()).toBe(0);
  });

  it('a password change signs the user out everywhere else; this session stays, with a new key', async () => {
    const laptopLogin = await request(url).post('/auth/login').send(BOB).expect(200);
    const laptop = sessionCookie(laptopLogin);
    const phone = await signedIn(BOB);
    const alice = await signedIn(ALICE);
    const change = { currentPassword: BOB.password, newPassword: 'a new bob password' };
    try {
      await request(url).post('/auth/password').set('Cookie', laptop).send({ ...change, currentPassword: 'wrong' }).expect(403);
      await request(url).post('/auth/password').set('Cookie', laptop).send({ ...change, newPassword: 'short' }).expect(400);
      await phone.get('/auth/me').expect(200);

      const changed = await request(url).post('/auth/password').set('Cookie', laptop).send(change).expect(204);
      const renewed = sessionCookie(changed);
      expect(renewed).not.toBe(laptop);
      await request(url).get('/auth/me').set('Cookie', renewed).expect(200);
      await request(url).get('/auth/me').set('Cookie', laptop).expect(401);
      await phone.get('/auth/me').expect(401);
      await alice.get('/auth/me').expect(200);
      await request(url).post('/auth/login').send(BOB).expect(401);
      await request(url).post('/auth/login').send({ username: 'bob', password: change.newPassword }).expect(200);
    } finally {
      // The next test's seeding brings bob back with his demo password.
      await users().delete({ id: await userId('bob') });
    }
  });

  it('a stolen cookie: the copy that comes back after a key rotation ends the session, and the next sign-in says so, once', async () => {
    const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
    const login = await request(url).post('/auth/login').set('User-Agent', CHROME).send(ALICE).expect(200);
    expect(login.body.securityNotice).toBeUndefined();
    const copied = sessionCookie(login);
    /** The row as if its key was issued `issuedAgo` ms ago and last used `usedAgo` ms ago (rotationInterval is 15 minutes). */
    const age = (cookie: string, issuedAgo: number, usedAgo: number) =>
      sessions().update(
        { keyDigest: digestSessionKey(cookie.slice('sessionid='.length)) },
        { keyIssuedAt: new Date(Date.now() - issuedAgo), lastActivity: new Date(Date.now() - usedAgo) },
      );
    await age(copied, 20 * 60_000, 20 * 60_000);
    const current = sessionCookie(await request(url).get('/auth/me').set({ Cookie: copied, 'User-Agent': CHROME }).expect(200));
    await age(current, 2 * 60_000, 60_000);

    await request(url).get('/auth/me').set({ Cookie: copied, 'User-Agent': FIREFOX }).expect(401);
    await request(url).get('/auth/me').set({ Cookie: current, 'User-Agent': CHROME }).expect(401);
    const aliceId = await userId('alice');
    await until(async () => (await users().findOneByOrFail({ id: aliceId })).securityNotice !== null, 5_000, 'the notice');

    const next = await request(url).post('/auth/login').set('User-Agent', CHROME).send(ALICE).expect(200);
    expect(next.body.securityNotice).toMatch(/used from two devices: Chrome on Windows, and Firefox on Linux\. If one of them was not you, change your password\./);
    const after = await request(url).post('/auth/login').set('User-Agent', CHROME).send(ALICE).expect(200);
    expect(after.body.securityNotice).toBeUndefined();
  });

  it('deleting a user deletes their sessions (ON DELETE CASCADE)', async () => {
    const alice = await signedIn(ALICE);
    await signedIn(ALICE);
    await signedIn(BOB);
    const aliceId = await userId('alice');
    expect(await sessions().countBy({ userId: aliceId })).toBe(2);

    await users().delete({ id: aliceId });

    expect(await sessions().countBy({ userId: aliceId })).toBe(0);
    expect(await sessions().countBy({ userId: await userId('bob') })).toBe(1);
    await alice.get('/auth/me').expect(401);
  });

  it('with GEOIP_PATH, lists where and on what each session signed in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sample-geoip-'));
    writeMmdb(join(dir, 'GeoLite2-City.mmdb'), {
      databaseType: 'GeoLite2-City',
      records: [{ network: '31.151.0.0/16', data: { city: { names: { en: 'Zwolle' } }, country: { names: { en: 'Netherlands' } } } }],
    });
    await app.close();
    await startApp(dir);
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
    const agent = request.agent(url);
    await agent.post('/auth/login').set({ 'User-Agent': iphone, 'X-Forwarded-For': '31.151.20.1' }).send(ALICE).expect(200);
    const listed = await agent.get('/account/sessions').set({ 'User-Agent': iphone, 'X-Forwarded-For': '31.151.20.1' }).expect(200);
    expect(listed.body[0]).toMatchObject({ device: 'Safari on iPhone', location: 'Zwolle, Netherlands', current: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('seeding again, or restarting, neither duplicates users nor ends sessions', async () => {
    const login = await request(url).post('/auth/login').send(ALICE).expect(200);
    const cookie = sessionCookie(login);
    const aliceId = await userId('alice');
    await app.get(UsersService).seedDemoUsers();
    expect(await users().count()).toBe(2);

    // Startup seeds what is missing, and only that.
    await users().delete({ username: 'bob' });
    await app.close();
    await startApp();

    expect((await users().find({ order: { username: 'ASC' } })).map((user) => user.username)).toEqual(['alice', 'bob']);
    expect(await userId('alice')).toBe(aliceId);
    // A role changed by hand goes back to the demo's on the next start.
    await users().update({ username: 'alice' }, { role: 'user' });
    await app.get(UsersService).seedDemoUsers();
    expect((await users().findOneByOrFail({ username: 'alice' })).role).toBe('admin');
    await request(url).get('/auth/me').set('Cookie', cookie).expect(200, { id: aliceId, username: 'alice' });
  });
});
