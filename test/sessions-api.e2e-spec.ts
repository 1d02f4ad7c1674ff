import request from 'supertest';
import type { Repository } from 'typeorm';
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { sessionCookie, useTestApp } from './support/test-app.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import { Session } from '../lib/index.js';

const TRUSTED = 'https://app.example.com';

describeEachDatabaseAndPlatform('sessions API', (kind, platform) => {
  const t = useTestApp(kind, { trustedOrigins: [TRUSTED] }, { platform });
  let sessions: Repository<Session>;
  beforeAll(() => {
    sessions = t.sessions;
  });
  beforeEach(async () => {
    await sessions.clear();
  });

  async function login(userId: string, userAgent = `Agent-${userId}`): Promise<string> {
    const response = await request(t.url).post('/login').set('User-Agent', userAgent).send({ userId }).expect(201);
    return sessionCookie(response.headers['set-cookie'])!;
  }
  const as = (key: string) => ({ Cookie: `sessionid=${key}` });

  it('every route answers 401 without a signed-in session', async () => {
    await request(t.url).get('/account/sessions').expect(401);
    await request(t.url).delete('/account/sessions').expect(401);
    await request(t.url).delete(`/account/sessions/${'a'.repeat(64)}`).expect(401);
    const anonymous = await request(t.url).post('/data').send({ name: 'x', value: 1 }).expect(201);
    await request(t.url).get('/account/sessions').set(as(sessionCookie(anonymous.headers['set-cookie'])!)).expect(401);
  });

  it("lists only the caller's unexpired sessions, most recent first, and never a key", async () => {
    const first = await login('alice', 'Phone');
    const second = await login('alice', 'Laptop');
    const expired = await login('alice', 'Old');
    const bobs = await login('bob');
    await sessions.update({ id: digestSessionKey(expired) }, { expireDate: new Date(Date.now() - 1000) });
    await sessions.update({ id: digestSessionKey(first) }, { lastActivity: new Date(Date.now() - 3_600_000) });

    const response = await request(t.url).get('/account/sessions').set(as(second)).set('User-Agent', 'Laptop').expect(200);
    expect(response.body).toHaveLength(2);
    expect(response.body.map((s: { userAgent: string }) => s.userAgent)).toEqual(['Laptop', 'Phone']);
    expect(response.body.map((s: { current: boolean }) => s.current)).toEqual([true, false]);
    expect(Object.keys(response.body[0]).sort()).toEqual([
      'browser', 'current', 'device', 'expireDate', 'id', 'ip', 'lastActivity', 'location', 'platform', 'userAgent',
    ]);
    expect(response.body[0]).toMatchObject({ id: digestSessionKey(second), ip: '127.0.0.1' });
    expect(new Date(response.body[0].expireDate).getTime()).toBeGreaterThan(Date.now());
    for (const key of [first, second, expired, bobs]) {
      expect(response.text).not.toContain(key);
    }
    // Devices, IPs and places: no cache keeps them.
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('a Cookie header over 8 KiB (a site with many cookies) keeps the user signed in', async () => {
    const key = await login('alice');
    const others = Array.from({ length: 60 }, (_, index) => `c${index}=${'p'.repeat(200)}`).join('; ');
    await request(t.url).get('/me').set('Cookie', `${others}; sessionid=${key}`).expect(200, { userId: 'alice' });
  });

  it('the id in the list cannot be used as a cookie', async () => {
    const key = await login('alice');
    const [listed] = (await request(t.url).get('/account/sessions').set(as(key)).expect(200)).body;
    await request(t.url).get('/me').set('Cookie', `sessionid=${listed.id}`).expect(401);
  });

  it('ends another of the caller’s sessions: 204, and that session is signed out', async () => {
    const phone = await login('alice', 'Phone');
    const laptop = await login('alice', 'Laptop');
    await request(t.url).delete(`/account/sessions/${digestSessionKey(phone)}`).set(as(laptop)).expect(204);
    await request(t.url).get('/me').set(as(phone)).expect(401);
    await request(t.url).get('/me').set(as(laptop)).expect(200);
    const listed = (await request(t.url).get('/account/sessions').set(as(laptop)).expect(200)).body;
    expect(listed.map((s: { id: string }) => s.id)).toEqual([digestSessionKey(laptop)]);
  });

  it('ending the current session signs out and clears the cookie', async () => {
    const key = await login('alice');
    const response = await request(t.url).delete(`/account/sessions/${digestSessionKey(key)}`).set(as(key)).expect(204);
    expect(String(response.headers['set-cookie'])).toMatch(/^sessionid=; Path=\/; Max-Age=0/);
    await request(t.url).get('/me').set(as(key)).expect(401);
    expect(await sessions.count()).toBe(0);
  });

  it("another user's session and an unknown one get the same 404; a malformed id gets 400", async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const foreign = await request(t.url).delete(`/account/sessions/${digestSessionKey(alice)}`).set(as(bob)).expect(404);
    const unknown = await request(t.url).delete(`/account/sessions/${'0'.repeat(64)}`).set(as(bob)).expect(404);
    expect(foreign.body).toEqual(unknown.body);
    await request(t.url).get('/me').set(as(alice)).expect(200);

    for (const id of ['x', 'A'.repeat(64), alice, `${'a'.repeat(64)}0`, '%00', "1' OR '1'='1"]) {
      await request(t.url).delete(`/account/sessions/${encodeURIComponent(id)}`).set(as(bob)).expect(400);
    }
    expect(await sessions.count()).toBe(2);
  });

  it('ends all the caller’s other sessions and keeps the current one and other users’', async () => {
    const current = await login('alice');
    await login('alice');
    await login('alice');
    const bob = await login('bob');
    const response = await request(t.url).delete('/account/sessions').set(as(current)).expect(200);
    expect(response.body).toEqual({ deleted: 2 });
    expect(response.headers['cache-control']).toBe('no-store');
    await request(t.url).get('/me').set(as(current)).expect(200);
    await request(t.url).get('/me').set(as(bob)).expect(200);
    expect(await sessions.count()).toBe(2);
    const again = await request(t.url).delete('/account/sessions').set(as(current)).expect(200);
    expect(again.body).toEqual({ deleted: 0 });
  });

  it('refuses state-changing requests from a foreign origin and changes nothing', async () => {
    const alice = await login('alice');
    const other = await login('alice');
    const otherId = digestSessionKey(other);
    const foreign = [
      { Origin: 'https://evil.example' },
      { Origin: 'null' },
      { Origin: `http://${new URL(t.url).hostname}:1` },
      { Referer: 'https://evil.example/page' },
      { Origin: 'not a url' },
    ];
    for (const headers of foreign) {
      await request(t.url).delete(`/account/sessions/${otherId}`).set(as(alice)).set(headers).expect(403);
      await request(t.url).delete('/account/sessions').set(as(alice)).set(headers).expect(403);
      await request(t.url).post('/login').set(headers).send({ userId: 'mallory' }).expect(403);
    }
    expect(await sessions.count()).toBe(2);
    // Reads are not state-changing.
    await request(t.url).get('/account/sessions').set(as(alice)).set({ Origin: 'https://evil.example' }).expect(200);
    // Same origin, and a trusted one, may.
    await request(t.url).delete(`/account/sessions/${otherId}`).set(as(alice)).set({ Origin: t.url }).expect(204);
    await request(t.url).delete('/account/sessions').set(as(alice)).set({ Origin: TRUSTED }).expect(200);
    await request(t.url).delete('/account/sessions').set(as(alice)).set({ Referer: `${t.url}/account` }).expect(200);
  });
});
