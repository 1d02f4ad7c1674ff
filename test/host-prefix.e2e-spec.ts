import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidUserSessionsOptionsError, Session, UserSessionsModule } from '../lib/index.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { sessionCookie, startTestApp, type TestApp } from './support/test-app.js';

// secure: true, no Domain, Path=/: the cookie is __Host-sessionid, which no sibling subdomain can plant or shadow.
describeEachDatabaseAndPlatform('the __Host- cookie prefix', (kind, platform) => {
  let database: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    t = await startTestApp(database, { secure: true }, { platform });
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });
  beforeEach(() => t.app.get(DataSource).getRepository(Session).clear());

  const setCookies = (response: request.Response) => ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  /** A session of `userId` whose row says it was created an hour ago, before the app started. */
  async function sessionFromBefore(userId: string): Promise<string> {
    const session = await t.store.create({ userId });
    await t.app.get(DataSource).getRepository(Session).update({ id: session.id! }, { createdAt: new Date(Date.now() - 3_600_000) });
    return session.key!;
  }

  it('names the cookie __Host-sessionid, Secure, Path=/, no Domain; the plain name is not read', async () => {
    const login = await request(t.url).post('/login').send({ userId: 'alice' }).expect(201);
    const [header, device] = setCookies(login);
    expect(header).toMatch(/^__Host-sessionid=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    // The device cookie (knownDevices) gets the prefix too.
    expect(device).toMatch(/^__Host-sessionid_device=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=34560000; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    const key = sessionCookie(login.headers['set-cookie'], '__Host-sessionid')!;
    await request(t.url).get('/me').set('Cookie', `__Host-sessionid=${key}`).expect(200, { userId: 'alice' });
    // A session of this app's time under the plain name: planted, not moved over; cleared.
    const refused = await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(401);
    expect(setCookies(refused).join()).toMatch(/^sessionid=; Path=\/; Max-Age=0/);
  });

  it('moves a session from before the switch, carried under the plain name, to the prefixed cookie', async () => {
    const key = await sessionFromBefore('bob');
    const moved = await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200, { userId: 'bob' });
    const headers = setCookies(moved);
    expect(headers).toHaveLength(2);
    expect(headers.some((header) => /^sessionid=; Path=\/; Max-Age=0/.test(header))).toBe(true);
    expect(sessionCookie(headers, '__Host-sessionid')).toBe(key);
    await request(t.url).get('/me').set('Cookie', `__Host-sessionid=${key}`).expect(200, { userId: 'bob' });
    expect(await t.store.exists(key)).toBe(true);
  });

  it('the prefixed cookie wins over a planted plain one', async () => {
    const planted = await sessionFromBefore('mallory');
    const login = await request(t.url).post('/login').send({ userId: 'carol' }).expect(201);
    const key = sessionCookie(login.headers['set-cookie'], '__Host-sessionid')!;
    await request(t.url).get('/me').set('Cookie', `sessionid=${planted}; __Host-sessionid=${key}`).expect(200, { userId: 'carol' });
    expect(digestSessionKey(key)).not.toBe(digestSessionKey(planted));
  });
});

describe('hostPrefix option', () => {
  it('refuses the prefix where browsers would refuse the cookie, and can be turned off', () => {
    for (const options of [{ hostPrefix: true }, { hostPrefix: true, secure: true, cookieDomain: 'example.test' }, { hostPrefix: true, secure: true, cookiePath: '/app' }]) {
      expect(() => UserSessionsModule.forRoot(options)).toThrow(InvalidUserSessionsOptionsError);
      expect(() => UserSessionsModule.forRoot(options)).toThrow(/hostPrefix needs secure: true, no cookieDomain and cookiePath '\/'/);
    }
    expect(() => UserSessionsModule.forRoot({ hostPrefix: false, secure: true })).not.toThrow();
  });
});
