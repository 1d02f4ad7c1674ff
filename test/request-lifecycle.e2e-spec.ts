import request from 'supertest';
import { DataSource, type Repository } from 'typeorm';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { sessionCookie, useTestApp } from './support/test-app.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import { Session } from '../lib/index.js';

const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describeEachDatabaseAndPlatform('request lifecycle', (kind, platform) => {
  const t = useTestApp(kind, { activityInterval: 60_000 }, { platform });
  let sessions: Repository<Session>;
  beforeAll(() => {
    sessions = t.sessions;
  });
  beforeEach(async () => {
    await sessions.clear();
    t.queries.reset();
  });

  async function login(userId: string, userAgent = BROWSER): Promise<string> {
    const response = await request(t.url).post('/login').set('User-Agent', userAgent).send({ userId }).expect(201);
    const key = sessionCookie(response.headers['set-cookie']);
    expect(key).toBeDefined();
    return key!;
  }

  it('a request that never touches its session costs no query and sets no cookie', async () => {
    const response = await request(t.url).get('/public').expect(200);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(t.queries.sessionStatements()).toEqual([]);
  });

  it('reading an anonymous session stores no row and sets no cookie (unmodified session)', async () => {
    const response = await request(t.url).get('/data/theme').expect(200);
    expect(response.body).toEqual({ value: null });
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(t.queries.sessionStatements()).toEqual([]);
    expect(await sessions.count()).toBe(0);
  });

  it('a modified session is stored with user agent and IP, and sets a safe cookie', async () => {
    const response = await request(t.url)
      .post('/data')
      .set('User-Agent', BROWSER)
      .send({ name: 'theme', value: 'dark' })
      .expect(201);
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    expect(setCookie).toHaveLength(1);
    expect(setCookie[0]).toMatch(/^sessionid=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=1209599|^sessionid=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=1209600/);
    expect(setCookie[0]).toContain('HttpOnly');
    expect(setCookie[0]).toContain('SameSite=Lax');
    expect(setCookie[0]).not.toContain('Secure');

    const key = sessionCookie(setCookie)!;
    const [row] = await sessions.find();
    expect(row.id).toBe(digestSessionKey(key));
    expect(JSON.stringify(row)).not.toContain(key);
    expect(row.userAgent).toBe(BROWSER);
    expect(row.ip).toBe('127.0.0.1');
    expect(row.userId).toBeNull();
    expect(JSON.parse(row.data)).toEqual({ theme: 'dark' });

    const read = await request(t.url).get('/data/theme').set('Cookie', `sessionid=${key}`).expect(200);
    expect(read.body).toEqual({ value: 'dark' });
  });

  it('login stores the user and issues a new key; the key from before login is dead', async () => {
    const before = await request(t.url).post('/data').send({ name: 'cart', value: [1, 2] }).expect(201);
    const anonymousKey = sessionCookie(before.headers['set-cookie'])!;

    const response = await request(t.url)
      .post('/login')
      .set('Cookie', `sessionid=${anonymousKey}`)
      .send({ userId: 'alice' })
      .expect(201);
    const key = sessionCookie(response.headers['set-cookie'])!;
    expect(key).toBeDefined();
    expect(key).not.toBe(anonymousKey);

    const [row] = await sessions.find();
    expect(row.userId).toBe('alice');
    expect(row.id).toBe(digestSessionKey(key));
    // Beside the app's data, the time of the password entry, for "sudo mode".
    // and the known device it was signed in on.
    expect(JSON.parse(row.data)).toEqual({ cart: [1, 2], __userSessions: { authenticatedAt: expect.any(Number), deviceId: expect.any(String) } });
    expect(await sessions.count()).toBe(1);

    await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200, { userId: 'alice' });
    await request(t.url).get('/me').set('Cookie', `sessionid=${anonymousKey}`).expect(401);
  });

  it('an authenticated read within activityInterval costs exactly one SELECT and no write', async () => {
    const key = await login('alice');
    t.queries.reset();
    const response = await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).set('User-Agent', BROWSER).expect(200);
    expect(response.headers['set-cookie']).toBeUndefined();
    const statements = t.queries.sessionStatements();
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^SELECT/i);
  });

  it('a stale activity, or another IP or user agent, updates only those columns', async () => {
    const key = await login('alice');
    await request(t.url).post('/data').set('Cookie', `sessionid=${key}`).set('User-Agent', BROWSER).send({ name: 'n', value: 1 }).expect(201);

    t.queries.reset();
    await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).set('User-Agent', 'Other/1.0').expect(200);
    const writes = t.queries.sessionStatements().filter((statement) => /^UPDATE/i.test(statement));
    expect(writes).toHaveLength(1);
    expect(writes[0]).not.toContain('session_data');
    expect(writes[0]).not.toContain('user_id');
    expect(writes[0]).toContain('last_activity');
    const [row] = await sessions.find();
    expect(row.userAgent).toBe('Other/1.0');
    expect(JSON.parse(row.data)).toEqual({ n: 1, __userSessions: { authenticatedAt: expect.any(Number), deviceId: expect.any(String) } });

    // Make the stored activity old: the next read refreshes it, once.
    await sessions.update({ id: row.id }, { lastActivity: new Date(Date.now() - 5 * 60_000) });
    t.queries.reset();
    await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).set('User-Agent', 'Other/1.0').expect(200);
    expect(t.queries.sessionStatements().filter((statement) => /^UPDATE/i.test(statement))).toHaveLength(1);
    const [touched] = await sessions.find();
    expect(Date.now() - touched.lastActivity.getTime()).toBeLessThan(30_000);

    t.queries.reset();
    await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).set('User-Agent', 'Other/1.0').expect(200);
    expect(t.queries.sessionStatements().filter((statement) => /^UPDATE/i.test(statement))).toHaveLength(0);
  });

  it('a 400-character user agent works and is stored cut to 200 characters', async () => {
    const userAgent = 'A'.repeat(400);
    const key = await login('alice', userAgent);
    await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).set('User-Agent', userAgent).expect(200);
    const [row] = await sessions.find();
    expect(row.userAgent).toBe('A'.repeat(200));
  });

  it('commits the session when the handler answers 4xx, not when it crashes', async () => {
    const refused = await request(t.url).post('/login-then-refuse').send({ userId: 'alice' }).expect(403);
    const key = sessionCookie(refused.headers['set-cookie'])!;
    await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200, { userId: 'alice' });

    const crashed = await request(t.url).post('/data-then-crash').set('Cookie', `sessionid=${key}`).expect(500);
    expect(crashed.headers['set-cookie']).toBeUndefined();
    await request(t.url).get('/data/half-done').set('Cookie', `sessionid=${key}`).expect(200, { value: null });
  });

  it("the session's headers join those the app sets: every Set-Cookie, Vary and Accept-CH arrive once", async () => {
    const routeHeaders = await request(t.url)
      .post('/login-with-headers')
      .set('Sec-CH-UA-Platform', '"Windows"')
      .send({ userId: 'alice' })
      .expect(201);
    const cookies = ([] as string[]).concat(routeHeaders.headers['set-cookie'] ?? []);
    expect(cookies).toHaveLength(3);
    expect(cookies).toContain('theme=dark; Path=/');
    expect(sessionCookie(cookies, 'sessionid_device')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessionCookie(cookies)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(String(routeHeaders.headers.vary).split(/\s*,\s*/).sort()).toEqual(['Accept', 'Cookie']);
    expect(routeHeaders.headers['accept-ch']).toBe('Sec-CH-UA-Platform-Version');

    const middlewareCookie = await request(t.url).post('/login-after-middleware-cookie').send({ userId: 'alice' }).expect(201);
    const both = ([] as string[]).concat(middlewareCookie.headers['set-cookie'] ?? []);
    expect(both).toHaveLength(3);
    expect(both).toContain('consent=yes; Path=/');
    const key = sessionCookie(both)!;
    await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200, { userId: 'alice' });
  });

  it('a streamed answer still writes the session; on Fastify, which commits before the headers, it gets its cookie too', async () => {
    const response = await request(t.url).post('/data-streamed').expect(201);
    expect(response.text).toBe('ab');
    const [row] = await sessions.find();
    expect(JSON.parse(row.data)).toEqual({ streamed: true });
    const key = sessionCookie(response.headers['set-cookie']);
    if (platform === 'express') {
      // Express sent the headers with the first chunk, before the response ended.
      expect(key).toBeUndefined();
    } else {
      expect(digestSessionKey(key!)).toBe(row.id);
    }
  });

  it('logout deletes the row and clears the cookie; the key is dead', async () => {
    const key = await login('alice');
    const response = await request(t.url).post('/logout').set('Cookie', `sessionid=${key}`).expect(204);
    const cleared = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatch(/^sessionid=; Path=\/; Max-Age=0;/);
    expect(await sessions.count()).toBe(0);
    await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(401);
  });

  it('malformed, oversized, unknown and forged cookies are anonymous and create nothing', async () => {
    const junk = [
      'sessionid=',
      'sessionid=abc',
      `sessionid=${'x'.repeat(5000)}`,
      'sessionid=%00%ff%fe',
      `sessionid=${'A'.repeat(43)}`,
      'sessionid="unterminated',
      'sessionid=a;sessionid=b;sessionid=c',
      '=;;;==;sessionid',
    ];
    for (const cookie of junk) {
      const response = await request(t.url).get('/me').set('Cookie', cookie).expect(401);
      expect(response.headers['set-cookie']).toBeUndefined();
      await request(t.url).get('/data/x').set('Cookie', cookie).expect(200, { value: null });
    }
    // Only the one well-formed (forged) key reached the database, once per route.
    expect(t.queries.sessionStatements().length).toBe(2);
    expect(await sessions.count()).toBe(0);
  });

  it('the first well-formed key of several sessionid cookies is used', async () => {
    const key = await login('alice');
    await request(t.url).get('/me').set('Cookie', `sessionid=junk; sessionid=${key}`).expect(200, { userId: 'alice' });
  });

  it('a session past its expiry is never loaded, whether or not its row is still there', async () => {
    const key = await login('alice');
    await sessions.update({ id: digestSessionKey(key) }, { expireDate: new Date(Date.now() - 1000) });
    await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(401);
    expect(await t.store.load(key)).toBeNull();
  });

  it('session data that outgrows its column is a 500 (logged), not a 503 that says retry', async () => {
    const key = await login('alice');
    const cookie = { Cookie: `sessionid=${key}`, 'User-Agent': BROWSER };
    const part = 'x'.repeat(8000);
    for (let index = 0; index < 8; index++) {
      await request(t.url).post('/data').set(cookie).send({ name: `part${index}`, value: part }).expect(201);
    }
    const errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const response = await request(t.url).post('/data').set(cookie).send({ name: 'part8', value: part }).expect(500);
      expect(response.body).toEqual({ statusCode: 500, message: 'Internal server error' });
      expect(response.headers['set-cookie']).toBeUndefined();
      expect(errors.mock.calls.map(([message]) => String(message))).toEqual([
        expect.stringMatching(/^Session commit failed: RangeError: Session data is \d+ bytes of JSON; at most 65535 fit/),
      ]);
    } finally {
      errors.mockRestore();
    }
    await request(t.url).get('/data/part8').set(cookie).expect(200, { value: null });
    await request(t.url).get('/data/part7').set(cookie).expect(200, { value: part });
  });

  it('answers 503 while the database is unreachable, and recovers when it returns', async () => {
    const key = await login('alice');
    const dataSource = t.app.get(DataSource);
    await dataSource.destroy();
    try {
      const response = await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(503);
      expect(JSON.stringify(response.body)).not.toContain(key);
      // A write that cannot be committed is a 503 too, not a 201 with a cookie that means nothing.
      const unsaved = await request(t.url).post('/data').send({ name: 'x', value: 1 }).expect(503);
      expect(unsaved.headers['set-cookie']).toBeUndefined();
      expect(unsaved.body).toMatchObject({ statusCode: 503 });
      await request(t.url).get('/public').expect(200);
    } finally {
      await dataSource.initialize();
    }
    await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200, { userId: 'alice' });
  });
});
