import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, expect, inject, it } from 'vitest';
import { DataSource, type Repository } from 'typeorm';
import { SecurityActivityRecord, Session, UserSessionsEvents, type SessionTheftSuspectedEvent, type UserSessionsEvent } from '../lib/index.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { cleanUpRedis, connectRedis } from './support/redis.js';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { sessionCookie, startTestApp, type TestApp } from './support/test-app.js';

const LAPTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const THIEF = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const MINUTE = 60_000;

// rotationInterval 10 minutes, grace 5 seconds. Time passes by moving the row's times back.
describeEachDatabaseAndPlatform('key rotation and stolen-cookie detection', (kind, platform) => {
  let database: TestDatabase;
  let t: TestApp;
  let sessions: Repository<Session>;
  const heard: UserSessionsEvent[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    t = await startTestApp(
      database,
      { rotationInterval: 10 * MINUTE, rotationGrace: 5000, onEvent: (event) => void heard.push(event) },
      { platform },
    );
    sessions = t.app.get(DataSource).getRepository(Session);
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    await t.store.deleteAllForUser('alice');
    heard.length = 0;
  });

  const cookie = (key: string) => ({ Cookie: `sessionid=${key}`, 'User-Agent': LAPTOP });
  const newKey = (response: request.Response) => sessionCookie(response.headers['set-cookie']);

  async function signIn(): Promise<{ key: string; id: string }> {
    const response = await request(t.url).post('/login').set('User-Agent', LAPTOP).send({ userId: 'alice' }).expect(201);
    const key = newKey(response)!;
    return { key, id: digestSessionKey(key) };
  }

  /** The row as if its key was issued, and last used, `issuedAgo` and `usedAgo` ms ago. */
  async function age(key: string, issuedAgo: number, usedAgo = issuedAgo): Promise<void> {
    const now = Date.now();
    await sessions.update({ keyDigest: digestSessionKey(key) }, { keyIssuedAt: new Date(now - issuedAgo), lastActivity: new Date(now - usedAgo) });
  }

  it('the key is replaced once rotationInterval has passed, by the activity write alone; the public id stays', async () => {
    const { key, id } = await signIn();
    const fresh = await request(t.url).get('/me').set(cookie(key)).expect(200);
    expect(newKey(fresh)).toBeUndefined();

    await age(key, 11 * MINUTE);
    t.queries.reset();
    const rotating = await request(t.url).get('/me').set(cookie(key)).expect(200, { userId: 'alice' });
    const rotated = newKey(rotating)!;
    expect(rotated).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated).not.toBe(key);
    // One SELECT and the activity UPDATE, as any request whose activity is due.
    const statements = t.queries.sessionStatements();
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(/^SELECT/);
    expect(statements[1]).toMatch(/^UPDATE/);

    const row = await sessions.findOneByOrFail({ id });
    expect(row.keyDigest).toBe(digestSessionKey(rotated));
    expect(row.previousKeyDigest).toBe(digestSessionKey(key));
    expect((await t.store.listActive('alice')).map((session) => session.id)).toEqual([id]);
    // The list and "End session" keep naming it.
    const listed = await request(t.url).get('/account/sessions').set(cookie(rotated)).expect(200);
    expect(listed.body).toEqual([expect.objectContaining({ id, current: true })]);
    expect(newKey(await request(t.url).get('/me').set(cookie(rotated)).expect(200))).toBeUndefined();
  });

  it('a stolen cookie: the copy of the replaced key, used after the grace, ends the session and raises the event with both devices', async () => {
    const { key: copied, id } = await signIn();
    await age(copied, 11 * MINUTE);
    // The user's browser rotates, and goes on with the new key a minute later.
    const current = newKey(await request(t.url).get('/me').set(cookie(copied)).expect(200))!;
    await age(current, 2 * MINUTE, MINUTE);

    const thief = await request(t.url).get('/me').set({ Cookie: `sessionid=${copied}`, 'User-Agent': THIEF }).expect(401);
    expect(thief.headers['set-cookie']?.[0]).toMatch(/^sessionid=; .*Max-Age=0/);
    // Neither copy works now: the server cannot tell which is the thief's.
    await request(t.url).get('/me').set(cookie(current)).expect(401);
    expect(await sessions.findOneBy({ id })).toBeNull();

    const ended = heard.filter((event) => event.type === UserSessionsEvents.ended);
    expect(ended).toEqual([expect.objectContaining({ endedBy: 'theft-suspected', scope: 'session', sessionId: id, userId: 'alice', count: 1 })]);
    const suspected = heard.filter((event): event is SessionTheftSuspectedEvent => event.type === UserSessionsEvents.theftSuspected);
    expect(suspected).toEqual([
      {
        type: 'user-sessions.theft-suspected',
        sessionId: id,
        userId: 'alice',
        currentKeyDevice: expect.objectContaining({ ip: '127.0.0.1', userAgent: LAPTOP, device: 'Chrome on Windows', seenAt: expect.any(Date) }),
        previousKeyDevice: expect.objectContaining({ ip: '127.0.0.1', userAgent: THIEF, device: 'Firefox on Linux', seenAt: expect.any(Date) }),
        at: expect.any(Date),
      },
    ]);
    expect(JSON.stringify(suspected)).not.toContain(copied);
    expect(JSON.stringify(suspected)).not.toContain(current);
    // And alice's security activity says why the session ended.
    const history = await t.app.get(DataSource).getRepository(SecurityActivityRecord).findBy({ sessionId: id, kind: 'session-ended' });
    expect(history.map((entry) => JSON.parse(entry.details!).endedBy)).toEqual(['theft-suspected']);
  });

  it('the thief rotates first: the real user, coming back with the replaced key, ends the session', async () => {
    const { key: copied } = await signIn();
    await age(copied, 11 * MINUTE);
    const thiefKey = newKey(await request(t.url).get('/me').set({ Cookie: `sessionid=${copied}`, 'User-Agent': THIEF }).expect(200))!;
    await age(thiefKey, 3 * MINUTE, MINUTE);
    await request(t.url).get('/me').set(cookie(copied)).expect(401);
    await request(t.url).get('/me').set({ Cookie: `sessionid=${thiefKey}`, 'User-Agent': THIEF }).expect(401);
    expect(heard.filter((event) => event.type === UserSessionsEvents.theftSuspected)).toHaveLength(1);
  });

  it('requests in flight during a rotation are served, get the same new key, and their writes land', async () => {
    const { key } = await signIn();
    await age(key, 11 * MINUTE);
    const all = await Promise.all(Array.from({ length: 6 }, () => request(t.url).get('/me').set(cookie(key))));
    expect(all.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const given = new Set(all.map(newKey).filter((value) => value !== undefined));
    expect(given.size).toBe(1);
    const [current] = given as Set<string>;
    expect(await t.store.exists(current!)).toBe(true);

    // Sent with the old key after the rotation, within the grace: served, with the new key, and its data is kept.
    const late = await request(t.url).post('/data').set(cookie(key)).send({ name: 'cart', value: [1, 2] }).expect(201);
    expect(newKey(late)).toBe(current);
    const read = await request(t.url).get('/data/cart').set(cookie(current!)).expect(200);
    expect(read.body).toEqual({ value: [1, 2] });
    expect(heard.filter((event) => event.type === UserSessionsEvents.ended)).toEqual([]);
  });

  it('outside HTTP: a save by a session loaded before a rotation follows it; load() of the replaced key gives the current one', async () => {
    const { key } = await signIn();
    await age(key, 11 * MINUTE);
    const slow = (await t.store.load(key))!;
    const fast = (await t.store.load(key))!;
    await t.store.touch(fast);
    expect(fast.key).not.toBe(key);
    slow.set('cart', [3]);
    expect(await t.store.save(slow)).toBe(true);
    expect(slow.key).toBe(fast.key);
    expect((await t.store.load(fast.key!))!.get('cart')).toEqual([3]);
    expect((await t.store.load(key))!.key).toBe(fast.key);
  });

  it('a browser that never got the new cookie keeps its session after the grace, and is given the new key again', async () => {
    const { key } = await signIn();
    await age(key, 11 * MINUTE);
    const lost = newKey(await request(t.url).get('/me').set(cookie(key)).expect(200))!;
    // Hours later, the new key never used (its response was lost): the old key is no copy.
    await age(lost, 3 * 60 * MINUTE);
    const back = await request(t.url).get('/me').set(cookie(key)).expect(200, { userId: 'alice' });
    expect(newKey(back)).toBe(lost);
    await request(t.url).get('/me').set(cookie(lost)).expect(200);
    expect(heard.filter((event) => event.type === UserSessionsEvents.theftSuspected)).toEqual([]);
  });

  it('a key two rotations old is refused like any unknown key, without ending the session', async () => {
    const { key: first } = await signIn();
    await age(first, 11 * MINUTE);
    const second = newKey(await request(t.url).get('/me').set(cookie(first)).expect(200))!;
    await age(second, 11 * MINUTE, 5 * MINUTE);
    const third = newKey(await request(t.url).get('/me').set(cookie(second)).expect(200))!;
    await request(t.url).get('/me').set(cookie(first)).expect(401);
    await request(t.url).get('/me').set(cookie(third)).expect(200);
    expect(heard.filter((event) => event.type === UserSessionsEvents.ended)).toEqual([]);
  });

  it('signing in again and re-authenticating leave no previous key: the old key is simply unknown', async () => {
    const { key: before } = await signIn();
    await age(before, 11 * MINUTE);
    const rotated = newKey(await request(t.url).get('/me').set(cookie(before)).expect(200))!;
    const again = newKey(await request(t.url).post('/login').set(cookie(rotated)).send({ userId: 'alice' }).expect(201))!;
    expect((await sessions.findOneByOrFail({ keyDigest: digestSessionKey(again) })).previousKeyDigest).toBeNull();
    await age(again, MINUTE, 30_000);
    await request(t.url).get('/me').set(cookie(rotated)).expect(401);
    await request(t.url).get('/me').set(cookie(before)).expect(401);
    await request(t.url).get('/me').set(cookie(again)).expect(200);
    expect(heard.filter((event) => event.type === UserSessionsEvents.theftSuspected)).toEqual([]);
  });

  it('anonymous sessions keep their key', async () => {
    const created = await request(t.url).post('/data').set('User-Agent', LAPTOP).send({ name: 'theme', value: 'dark' }).expect(201);
    const key = newKey(created)!;
    await age(key, 11 * MINUTE);
    const read = await request(t.url).get('/data/theme').set(cookie(key)).expect(200, { value: 'dark' });
    expect(newKey(read)).toBeUndefined();
  });
});

const REDIS_SKIP = inject('services').redis;
const PREFIX = `test-${process.pid}-${randomBytes(3).toString('hex')}:rotation:`;

// Two instances sharing the database and a Redis cache: the rotation on one, the copy on the other.
describeEachDatabase('key rotation with the Redis cache, two instances', (kind) => {
  if (REDIS_SKIP !== null) {
    it.skip(`needs Redis: ${REDIS_SKIP}`);
    return;
  }
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  const heard: UserSessionsEvent[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const options = { rotationInterval: 10 * MINUTE, cache: { secret: randomBytes(32), keyPrefix: `${PREFIX}${kind}:` } };
    a = await startTestApp(database, { ...options, cache: { ...options.cache, redis: await connectRedis() }, onEvent: (event) => void heard.push(event) });
    b = await startTestApp(database, { ...options, cache: { ...options.cache, redis: await connectRedis() }, onEvent: (event) => void heard.push(event) });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
    await cleanUpRedis(PREFIX);
  });

  it('the copy of the replaced key, used on the other instance, ends the session there and here, cached or not', async () => {
    const sessions = a.app.get(DataSource).getRepository(Session);
    const age = (key: string, issuedAgo: number, usedAgo: number) =>
      sessions.update({ keyDigest: digestSessionKey(key) }, { keyIssuedAt: new Date(Date.now() - issuedAgo), lastActivity: new Date(Date.now() - usedAgo) });
    const me = (app: TestApp, key: string) => request(app.url).get('/me').set('Cookie', `sessionid=${key}`);

    const login = await request(a.url).post('/login').send({ userId: 'alice' }).expect(201);
    const copied = sessionCookie(login.headers['set-cookie'])!;
    await age(copied, 11 * MINUTE, 11 * MINUTE);
    const current = sessionCookie((await me(a, copied).expect(200)).headers['set-cookie'])!;
    expect(current).not.toBe(copied);
    // Cached on A: its next read costs no statement.
    await me(a, current).expect(200);
    a.queries.reset();
    await me(a, current).expect(200);
    expect(a.queries.sessionStatements()).toEqual([]);

    await age(current, 2 * MINUTE, MINUTE);
    await me(b, copied).expect(401);
    await me(a, current).expect(401);
    await me(b, current).expect(401);
    expect(heard.filter((event) => event.type === UserSessionsEvents.ended)).toEqual([
      expect.objectContaining({ endedBy: 'theft-suspected', userId: 'alice' }),
    ]);
  });
});
