import request from 'supertest';
import passport from 'passport';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { SessionStoreService } from '../lib/index.js';
import { AppModule } from '../examples/passport/src/app.module.js';
import { setUpApp } from '../examples/passport/src/app.setup.js';
import { UsersService } from '../examples/passport/src/users/users.service.js';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { sessionCookie } from './support/test-app.js';

// examples/passport: an app written for express-session + Passport, with express-session's
// line replaced by UserSessionsModule.forRoot({ expressSessionApi: true }). Express only:
// passport.session() is Express middleware.
describeEachDatabase('examples/passport', (kind) => {
  let database: TestDatabase;
  let app: INestApplication;
  let server: Server;
  let store: SessionStoreService;
  let users: UsersService;
  let aliceId: number;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(database.options)] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    setUpApp(app);
    await app.init();
    server = app.getHttpServer();
    store = app.get(SessionStoreService);
    users = app.get(UsersService);
    aliceId = (await users.create('alice', 'wonderland')).id;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    // Passport keeps serializers in the process-wide instance, one more per app started: the
    // next database's app must not find this closed app's first.
    const registry = passport as unknown as { _serializers: unknown[]; _deserializers: unknown[] };
    registry._serializers.length = 0;
    registry._deserializers.length = 0;
  });

  beforeEach(async () => {
    await store.deleteAllForUser(aliceId);
  });

  async function signIn(): Promise<string> {
    const response = await request(server).post('/auth/login').send({ username: 'alice', password: 'wonderland' }).expect(200);
    expect(response.body).toEqual({ id: aliceId, username: 'alice' });
    return `sessionid=${sessionCookie(response.headers['set-cookie'])}`;
  }

  it('signs in with req.login(), lists the session under the user, ends it, and refuses it afterwards', async () => {
    const cookie = await signIn();
    // passport.session() finds the user on the next request; the data lives in the session.
    expect((await request(server).get('/profile').set('Cookie', cookie).expect(200)).body).toEqual({ id: aliceId, username: 'alice' });
    expect((await request(server).post('/visits').set('Cookie', cookie).expect(201)).body).toEqual({ visits: 1 });
    expect((await request(server).post('/visits').set('Cookie', cookie).expect(201)).body).toEqual({ visits: 2 });

    // Listed under alice, by the module's own API and by the store.
    const listed = await request(server).get('/account/sessions').set('Cookie', cookie).expect(200);
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0]).toMatchObject({ current: true });
    expect((await store.listActive(aliceId)).map((session) => session.id)).toEqual([listed.body[0].id]);

    // Ended from another of alice's devices: the first is refused at once.
    const other = await signIn();
    await request(server).delete(`/account/sessions/${listed.body[0].id}`).set('Cookie', other).expect(204);
    await request(server).get('/profile').set('Cookie', cookie).expect(403);
    await request(server).post('/visits').set('Cookie', cookie).expect(403);
    expect(await store.listActive(aliceId)).toHaveLength(1);
  });

  it('signs out with req.logout(): the session ends and its cookie is cleared', async () => {
    const cookie = await signIn();
    const logout = await request(server).post('/auth/logout').set('Cookie', cookie).expect(204);
    expect(String(logout.headers['set-cookie'])).toMatch(/sessionid=;.*Max-Age=0/);
    await request(server).get('/profile').set('Cookie', cookie).expect(403);
    expect(await store.listActive(aliceId)).toEqual([]);
  });

  it('ending the current session through the sessions API does not sign it in again', async () => {
    const cookie = await signIn();
    const [session] = await store.listActive(aliceId);
    await request(server).delete(`/account/sessions/${session.id}`).set('Cookie', cookie).expect(204);
    await request(server).get('/profile').set('Cookie', cookie).expect(403);
    expect(await store.listActive(aliceId)).toEqual([]);
  });

  it('gives a planted session a new key at sign-in (session fixation)', async () => {
    const planted = await store.create({ data: { theme: 'dark' } });
    const response = await request(server)
      .post('/auth/login')
      .set('Cookie', `sessionid=${planted.key}`)
      .send({ username: 'alice', password: 'wonderland' })
      .expect(200);
    const key = sessionCookie(response.headers['set-cookie']);
    expect(key).not.toBe(planted.key);
    expect(await store.load(planted.key!)).toBeNull();
    expect((await store.load(key!))?.userId).toBe(aliceId);
  });

  it('refuses a wrong password without signing in', async () => {
    const response = await request(server).post('/auth/login').send({ username: 'alice', password: 'nope' }).expect(401);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(await store.listActive(aliceId)).toEqual([]);
  });

  it("ends the user's sessions when the user is deleted", async () => {
    const bob = await users.create('bob', 'builder');
    const response = await request(server).post('/auth/login').send({ username: 'bob', password: 'builder' }).expect(200);
    const cookie = `sessionid=${sessionCookie(response.headers['set-cookie'])}`;
    await users.remove(bob.id);
    await request(server).get('/profile').set('Cookie', cookie).expect(403);
    expect(await store.listActive(bob.id)).toEqual([]);
  });
});
