import { Logger, ValidationPipe, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { useLondonGeoipDirectory } from './support/geoip-fixture.js';
import { createTestApplication, describeEachDatabaseAndPlatform } from './support/platforms.js';
import { startTestApp, useTestApp } from './support/test-app.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import {
  SessionStoreService,
  UserSession,
  UserSessionsModule,
  type AdminCheckContext,
  type AdminSessionView,
} from '../lib/index.js';

const WINDOWS_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ADMIN = 1;
const BOB = 2;
const CAROL = 3;

const geoipDir = useLondonGeoipDirectory('admin');

/** Whole seconds: MariaDB's DATETIME keeps no milliseconds. */
const secondsAgo = (seconds: number) => new Date(Math.floor(Date.now() / 1000) * 1000 - seconds * 1000);

// Integer user ids, so that a user id that does not fit userIdType can be tried over HTTP.
describeEachDatabaseAndPlatform('admin API', (kind, platform) => {
  const checks: AdminCheckContext[] = [];
  let decide: (context: AdminCheckContext) => boolean | Promise<boolean>;
  const t = useTestApp(kind, {
    userIdType: 'number',
    adminPath: '/admin/sessions/',
    geoip: { path: geoipDir },
    isAdmin: (context) => {
      checks.push(context);
      return decide(context);
    },
    // As most apps (and the sample app) have: a global pipe that strips unknown properties,
    // which must not make a mistyped admin filter disappear before it is refused.
  }, { platform, configure: (app) => app.useGlobalPipes(new ValidationPipe({ whitelist: true })) });

  /** Every key a session of this test was given: no response may contain one. */
  let keys: string[];
  beforeEach(async () => {
    await t.sessions.clear();
    checks.length = 0;
    decide = ({ userId }) => userId === ADMIN;
    keys = [];
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  async function signIn(userId: number | null, ip = '127.0.0.1', userAgent = WINDOWS_CHROME): Promise<UserSession> {
    const session = await t.store.create({ userId, ip, userAgent });
    keys.push(session.key!);
    return session;
  }
  /** The session's cookie, sent with its user agent so that the request changes no column. */
  const as = (session: UserSession) => ({ Cookie: `sessionid=${session.key}`, 'User-Agent': session.userAgent ?? '' });
  function expectNoKey(response: request.Response): void {
    for (const key of keys) expect(response.text).not.toContain(key);
  }
  async function list(admin: UserSession, query = ''): Promise<{ sessions: AdminSessionView[]; nextCursor: string | null }> {
    const response = await request(t.url).get(`/admin/sessions${query}`).set(as(admin)).expect(200);
    expectNoKey(response);
    expect(response.headers['cache-control']).toBe('no-store');
    return response.body;
  }
  const ids = (page: { sessions: AdminSessionView[] }) => page.sessions.map((session) => session.id);
  async function setTimes(session: UserSession, times: { lastActivity?: Date; expireDate?: Date }) {
    await t.sessions.update({ id: session.id! }, times);
  }

  it('answers 404 to anonymous users and non-administrators, as a path with no route does', async () => {
    const bob = await signIn(BOB);
    const anonymous = await t.store.create({ data: { cart: 1 } });
    keys.push(anonymous.key!);
    const noRoute = await request(t.url).get('/admin/sessionz').expect(404);
    expect(noRoute.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /admin/sessionz' });

    const attempts = [
      ['get', '/admin/sessions'],
      ['get', '/admin/sessions?limit=junk&cursor=junk'],
      ['delete', `/admin/sessions/${bob.id}`],
      ['delete', '/admin/sessions/not-an-id'],
      ['delete', `/admin/sessions/users/${BOB}`],
    ] as const;
    // The headers too: the same as a path with no route's, but for those made from the body.
    const comparable = (response: request.Response) =>
      Object.fromEntries(Object.entries(response.headers).filter(([name]) => !['date', 'content-length', 'etag'].includes(name)));
    for (const [method, path] of attempts) {
      for (const headers of [{}, as(anonymous), as(bob), { Cookie: 'sessionid=forged' }]) {
        const response = await request(t.url)[method](path).set(headers).expect(404);
        expect(response.body).toEqual({ statusCode: 404, error: 'Not Found', message: `Cannot ${method.toUpperCase()} ${path}` });
        const missing = await request(t.url)[method](path.replace('/admin/sessions', '/admin/sessionz')).set(headers).expect(404);
        expect(comparable(response)).toEqual(comparable(missing));
      }
    }
    // isAdmin is asked about signed-in users only, and refused bob every time.
    expect(checks.length).toBe(attempts.length);
    expect(checks.every((check) => check.userId === BOB)).toBe(true);
    expect(await t.sessions.count()).toBe(2);
    await request(t.url).get('/me').set(as(bob)).expect(200);
  });

  it('gives isAdmin the user, the session and the request; only true lets through', async () => {
    const admin = await signIn(ADMIN);
    await request(t.url).get('/admin/sessions').set(as(admin)).set('X-Role', 'ops').expect(200);
    expect(checks).toHaveLength(1);
    const [check] = checks;
    expect(check.userId).toBe(ADMIN);
    expect(check.session).toBeInstanceOf(UserSession);
    expect(check.session.id).toBe(digestSessionKey(admin.key!));
    expect((check.request as { headers: Record<string, string> }).headers['x-role']).toBe('ops');

    for (const answer of [1, 'yes', {}, Promise.resolve('true')]) {
      decide = () => answer as never;
      await request(t.url).get('/admin/sessions').set(as(admin)).expect(404);
    }
    decide = async ({ session }) => session.userId === ADMIN;
    await request(t.url).get('/admin/sessions').set(as(admin)).expect(200);
  });

  it('a throwing isAdmin is a 404 and one logged error per request, never a 500', async () => {
    const errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const admin = await signIn(ADMIN);
    decide = () => {
      throw new Error('role service down');
    };
    await request(t.url).get('/admin/sessions').set(as(admin)).expect(404);
    decide = () => Promise.reject(new Error('role lookup timed out'));
    await request(t.url).delete(`/admin/sessions/${admin.id}`).set(as(admin)).expect(404);
    const logged = errors.mock.calls.map(([message]) => String(message));
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatch(/isAdmin threw.*role service down/);
    expect(logged[1]).toMatch(/isAdmin threw.*role lookup timed out/);
    expect(await t.sessions.count()).toBe(1);
  });

  it('lists every user’s sessions with user, IP, device, location, times and validity; never a key', async () => {
    const admin = await signIn(ADMIN, '81.2.69.142');
    const bob = await signIn(BOB, '2001:DB8::1', 'curl/8.5.0');
    const anonymous = await t.store.create({ ip: '10.0.0.1', data: { cart: 1 } });
    keys.push(anonymous.key!);
    const bobActivity = secondsAgo(60);
    await setTimes(bob, { lastActivity: bobActivity });
    await setTimes(anonymous, { lastActivity: secondsAgo(120) });

    const page = await list(admin);
    expect(ids(page)).toEqual([admin.id, bob.id, anonymous.id]);
    expect(page.nextCursor).toBeNull();
    const [first, second, third] = page.sessions;
    expect(Object.keys(first).sort()).toEqual([
      'browser', 'createdAt', 'device', 'expireDate', 'id', 'ip', 'lastActivity', 'location', 'platform', 'userAgent', 'userId', 'valid',
    ]);
    expect(first).toMatchObject({
      id: digestSessionKey(admin.key!),
      userId: ADMIN,
      ip: '81.2.69.142',
      userAgent: WINDOWS_CHROME,
      device: 'Chrome on Windows',
      browser: 'Chrome',
      platform: 'Windows',
      location: 'London, United Kingdom',
      valid: true,
    });
    expect(new Date(first.createdAt).getTime()).toBeLessThanOrEqual(Date.now());
    expect(new Date(first.expireDate).getTime()).toBeGreaterThan(Date.now());
    expect(second).toMatchObject({ userId: BOB, ip: '2001:db8::1', userAgent: 'curl/8.5.0', device: 'curl', location: null, valid: true });
    expect(second.lastActivity).toBe(bobActivity.toISOString());
    expect(third).toMatchObject({ userId: null, ip: '10.0.0.1', userAgent: null, valid: true });
  });

  it('filters by status: active (the default), expired or all', async () => {
    const admin = await signIn(ADMIN);
    const live = await signIn(BOB);
    const dead = await signIn(BOB);
    await setTimes(live, { lastActivity: secondsAgo(10) });
    await setTimes(dead, { lastActivity: secondsAgo(20), expireDate: secondsAgo(5) });

    expect(ids(await list(admin))).toEqual([admin.id, live.id]);
    expect(ids(await list(admin, '?status=active'))).toEqual([admin.id, live.id]);
    const expired = await list(admin, '?status=expired');
    expect(ids(expired)).toEqual([dead.id]);
    expect(expired.sessions[0].valid).toBe(false);
    const all = await list(admin, '?status=all');
    expect(ids(all)).toEqual([admin.id, live.id, dead.id]);
    expect(all.sessions.map((session) => session.valid)).toEqual([true, true, false]);
  });

  it('filters by user id, checked against userIdType', async () => {
    const admin = await signIn(ADMIN);
    const bob1 = await signIn(BOB);
    const bob2 = await signIn(BOB);
    await signIn(CAROL);
    await setTimes(bob1, { lastActivity: secondsAgo(10) });
    await setTimes(bob2, { lastActivity: secondsAgo(20) });
    expect(ids(await list(admin, `?userId=${BOB}`))).toEqual([bob1.id, bob2.id]);
    expect(ids(await list(admin, '?userId=999'))).toEqual([]);

    for (const junk of ['bob', '1.5', '1e3', '99999999999999999', '%25']) {
      const response = await request(t.url).get(`/admin/sessions?userId=${junk}`).set(as(admin)).expect(400);
      expect(response.body.message).toEqual(["userId must be a whole number (userIdType 'number')"]);
    }
  });

  it('filters by IP prefix, IPv4 and IPv6, case-blind, with no LIKE wildcard', async () => {
    const admin = await signIn(ADMIN, '127.0.0.1');
    const v4a = await signIn(BOB, '203.0.113.7');
    const v4b = await signIn(BOB, '203.0.113.200');
    await signIn(BOB, '203.0.11.9');
    const v6 = await signIn(CAROL, '2001:db8:85a3::8a2e:370:7334');
    await signIn(CAROL, '2001:db9::1');
    await setTimes(v4a, { lastActivity: secondsAgo(10) });
    await setTimes(v4b, { lastActivity: secondsAgo(20) });

    expect(ids(await list(admin, '?ipPrefix=203.0.113.'))).toEqual([v4a.id, v4b.id]);
    expect(ids(await list(admin, '?ipPrefix=203.0.113.7'))).toEqual([v4a.id]);
    expect(ids(await list(admin, '?ipPrefix=2001:DB8:'))).toEqual([v6.id]);
    expect(ids(await list(admin, '?ipPrefix=2001:db8:85a3::'))).toEqual([v6.id]);
    expect(ids(await list(admin, `?ipPrefix=203.0.113.&userId=${CAROL}`))).toEqual([]);

    // Over HTTP, anything but address characters is refused...
    for (const junk of ['%25', '_', '203.0.113.%25', '1_', '*', '10.0.0.1%20OR%201=1', 'g', '', 'a'.repeat(46)]) {
      const response = await request(t.url).get(`/admin/sessions?ipPrefix=${junk}`).set(as(admin)).expect(400);
      expect(String(response.body.message)).toMatch(/ipPrefix must be the start of an IPv4 or IPv6 address/);
    }
    // ...and the store takes LIKE's metacharacters (and its escape character) literally.
    await signIn(BOB, '10.0.0.5');
    for (const prefix of ['%', '_', '10.0.0._', '10.0.0.%', '10!', '!', '2001:db_']) {
      expect((await t.store.list({ status: 'all', ipPrefix: prefix })).sessions).toEqual([]);
    }
    expect((await t.store.list({ ipPrefix: '10.0.0.' })).sessions).toHaveLength(1);
  });

  it('pages by cursor: every row exactly once, in order, even with equal last activity', async () => {
    const admin = await signIn(ADMIN);
    await setTimes(admin, { lastActivity: secondsAgo(0) });
    const same = secondsAgo(30);
    const others: UserSession[] = [];
    for (let index = 0; index < 9; index++) {
      const session = await signIn(index % 2 === 0 ? BOB : CAROL);
      // Seven share one instant; the order among them is by id.
      await setTimes(session, { lastActivity: index < 7 ? same : secondsAgo(60 + index) });
      others.push(session);
    }
    const expected: string[] = [
      admin.id!,
      ...others.slice(0, 7).map((session) => session.id!).sort().reverse(),
      others[7].id!,
      others[8].id!,
    ];

    t.queries.reset();
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { sessions: AdminSessionView[]; nextCursor: string | null } = await list(
        admin,
        `?limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      );
      seen.push(...ids(page));
      pageSizes.push(page.sessions.length);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(expected);
    expect(pageSizes).toEqual([3, 3, 3, 1]);
    // Keyset paging: no OFFSET, one SELECT per page (and the admin's session read).
    const statements = t.queries.sessionStatements();
    expect(statements.some((statement) => /OFFSET/i.test(statement))).toBe(false);
    expect(statements).toHaveLength(2 * 4);

    // Exactly a page's worth: the last full page says there is nothing after it.
    const whole = await list(admin, `?limit=${expected.length}`);
    expect(ids(whole)).toEqual(expected);
    expect(whole.nextCursor).toBeNull();

    // A session ended between pages shifts nothing: the next page starts where the last ended.
    const first = await list(admin, '?limit=4');
    await t.store.delete(first.sessions[1].id);
    const next = await list(admin, `?limit=4&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(ids(next)).toEqual(expected.slice(4, 8));

    // Filters and cursor together.
    const bobs = others.filter((session) => session.userId === BOB && session.id !== first.sessions[1].id).map((session) => session.id!);
    const bobPages: string[][] = [];
    let bobCursor: string | null = null;
    do {
      const page: { sessions: AdminSessionView[]; nextCursor: string | null } = await list(
        admin,
        `?userId=${BOB}&limit=2${bobCursor === null ? '' : `&cursor=${encodeURIComponent(bobCursor)}`}`,
      );
      bobPages.push(ids(page));
      bobCursor = page.nextCursor;
    } while (bobCursor !== null);
    expect(bobPages.flat()).toEqual(expected.filter((id) => bobs.includes(id)));
    // Full pages of 2, the last one not empty: a full last page says it is the last.
    expect(bobPages.map((page) => page.length)).toEqual(bobs.length === 5 ? [2, 2, 1] : [2, 2]);
  });

  it('limit defaults to 50 and is capped at 200', async () => {
    const admin = await signIn(ADMIN);
    const rows = Array.from({ length: 205 }, (_, index) => ({
      keyDigest: index.toString(16).padStart(64, '0'),
      id: index.toString(16).padStart(64, '0'),
      keyIssuedAt: secondsAgo(100 + index),
      data: '{}',
      userId: BOB,
      expireDate: secondsAgo(-3600),
      userAgent: null,
      clientPlatform: null,
      clientPlatformVersion: null,
      ip: null,
      lastActivity: secondsAgo(100 + index),
      createdAt: secondsAgo(100 + index),
    }));
    await t.sessions.insert(rows);
    expect((await list(admin)).sessions).toHaveLength(50);
    const capped = await list(admin, '?limit=200');
    expect(capped.sessions).toHaveLength(200);
    expect(capped.nextCursor).not.toBeNull();
    const response = await request(t.url).get('/admin/sessions?limit=201').set(as(admin)).expect(400);
    expect(response.body.message).toEqual(['limit must be at most 200 sessions per page']);
    await expect(t.store.list({ limit: 201 })).rejects.toThrow(/limit must be a whole number from 1 to 200/);
  });

  it('junk query parameters and cursors are a 400 with a clear message, never a 500', async () => {
    const admin = await signIn(ADMIN);
    await signIn(BOB);
    await signIn(BOB);
    const { nextCursor } = await list(admin, '?limit=1');
    expect(nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const cases: [string, RegExp][] = [
      ['status=bogus', /status must be 'active', 'expired' or 'all'/],
      ['status=active&status=all', /status must be/],
      ['limit=0', /limit must be at least 1/],
      ['limit=-5', /limit must be at least 1/],
      ['limit=1.5', /limit must be a whole number/],
      ['limit=ten', /limit must be a whole number/],
      ['limit=', /limit must be/],
      ['userId=2&userId=3', /userId must be a single user id/],
      ['userId[]=2', /property userId\[\] should not exist/],
      [`userId=${'9'.repeat(256)}`, /userId must be 1 to 255 characters/],
      ['ipPrefix=1&ipPrefix=2', /ipPrefix must be a single IP prefix/],
      ['cursor=junk', /cursor must be the nextCursor of a previous page/],
      ['cursor=', /cursor must be the nextCursor/],
      [`cursor=${nextCursor}A`, /cursor must be the nextCursor/],
      [`cursor=${nextCursor!.slice(0, -1)}`, /cursor must be the nextCursor/],
      [`cursor=${'a'.repeat(54)}`, /cursor must be the nextCursor/],
      // Well-formed base64, but a time outside what a Date can hold.
      [`cursor=${Buffer.concat([Buffer.from('7fffffffffffffff', 'hex'), Buffer.alloc(32)]).toString('base64url')}`, /cursor must be the nextCursor/],
      ["cursor=1'%20OR%20'1'='1", /cursor must be the nextCursor/],
      [`cursor=${nextCursor}&cursor=${nextCursor}`, /cursor must be the nextCursor/],
      ['sort=ip', /property sort should not exist/],
      ['offset=10', /property offset should not exist/],
      // A typo must not widen the list to every user's sessions.
      ['userid=2', /property userid should not exist/],
    ];
    for (const [query, message] of cases) {
      const response = await request(t.url).get(`/admin/sessions?${query}`).set(as(admin));
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(String(response.body.message)).toMatch(message);
    }
    await expect(t.store.list({ cursor: 'junk' })).rejects.toThrow(/cursor must be the nextCursor/);
  });

  it('ends any session: 204, and that session’s cookie is refused on its next request', async () => {
    const admin = await signIn(ADMIN);
    const bob = await signIn(BOB);
    const bobElsewhere = await signIn(BOB);
    await request(t.url).get('/me').set(as(bob)).expect(200);

    const response = await request(t.url).delete(`/admin/sessions/${bob.id}`).set(as(admin)).expect(204);
    expect(response.text).toBe('');
    await request(t.url).get('/me').set(as(bob)).expect(401);
    await request(t.url).get('/me').set(as(bobElsewhere)).expect(200);
    await request(t.url).get('/me').set(as(admin)).expect(200);

    const again = await request(t.url).delete(`/admin/sessions/${bob.id}`).set(as(admin)).expect(404);
    expect(again.body.message).toBe('No such session.');
    await request(t.url).delete(`/admin/sessions/${'0'.repeat(64)}`).set(as(admin)).expect(404);
    for (const id of ['x', 'A'.repeat(64), bobElsewhere.key!, "1' OR '1'='1"]) {
      await request(t.url).delete(`/admin/sessions/${encodeURIComponent(id)}`).set(as(admin)).expect(400);
    }
    expect(await t.sessions.count()).toBe(2);
  });

  it('ending the administrator’s own session signs them out and clears the cookie', async () => {
    const admin = await signIn(ADMIN);
    const response = await request(t.url).delete(`/admin/sessions/${admin.id}`).set(as(admin)).expect(204);
    expect(String(response.headers['set-cookie'])).toMatch(/^sessionid=; Path=\/; Max-Age=0/);
    await request(t.url).get('/admin/sessions').set(as(admin)).expect(404);
  });

  it('ends every session of a user, expired ones too, and no one else’s', async () => {
    const admin = await signIn(ADMIN);
    const bobs = [await signIn(BOB), await signIn(BOB), await signIn(BOB)];
    await setTimes(bobs[2], { expireDate: secondsAgo(10) });
    const carol = await signIn(CAROL);
    await setTimes(carol, { lastActivity: secondsAgo(10) });

    t.queries.reset();
    const response = await request(t.url).delete(`/admin/sessions/users/${BOB}`).set(as(admin)).expect(200);
    expect(response.body).toEqual({ ended: 3 });
    // The administrator's session read and one DELETE.
    expect(t.queries.sessionStatements()).toHaveLength(2);
    expectNoKey(response);
    for (const bob of bobs) await request(t.url).get('/me').set(as(bob)).expect(401);
    await request(t.url).get('/me').set(as(carol)).expect(200);
    expect(ids(await list(admin, '?status=all'))).toEqual([admin.id, carol.id]);

    const none = await request(t.url).delete(`/admin/sessions/users/${BOB}`).set(as(admin)).expect(200);
    expect(none.body).toEqual({ ended: 0 });
    for (const junk of ['bob', '1.5', ' 2']) {
      const bad = await request(t.url).delete(`/admin/sessions/users/${encodeURIComponent(junk)}`).set(as(admin)).expect(400);
      expect(bad.body.message).toEqual(["userId must be a whole number (userIdType 'number')"]);
    }
    // The administrator's own: every one of them ends, this request signs out.
    await signIn(ADMIN);
    const own = await request(t.url).delete(`/admin/sessions/users/${ADMIN}`).set(as(admin)).expect(200);
    expect(own.body).toEqual({ ended: 2 });
    expect(String(own.headers['set-cookie'])).toMatch(/^sessionid=; Path=\/; Max-Age=0/);
    expect(await t.sessions.count()).toBe(1);
  });

  it('SessionStoreService.deleteAllForUser ends every session of the user, outside HTTP too', async () => {
    const bobs = [await signIn(BOB), await signIn(BOB)];
    await setTimes(bobs[1], { expireDate: secondsAgo(10) });
    const carol = await signIn(CAROL);
    expect(await t.store.deleteAllForUser(String(BOB) as never)).toBe(2);
    expect(await t.store.deleteAllForUser(BOB)).toBe(0);
    for (const bob of bobs) expect(await t.store.load(bob.key!)).toBeNull();
    expect(await t.store.exists(carol.key!)).toBe(true);
    await expect(t.store.deleteAllForUser('bob')).rejects.toThrow(/userIdType 'number'/);
  });

  it('SessionStoreService.list pages the same way and never returns the data or a key', async () => {
    const bob = await t.store.create({ userId: BOB, data: { secret: 'do not list' } });
    keys.push(bob.key!);
    const page = await t.store.list({ userId: BOB });
    expect(page).toEqual({ sessions: [expect.objectContaining({ id: bob.id, userId: BOB })], nextCursor: null });
    expect(JSON.stringify(page)).not.toContain('do not list');
    expect(JSON.stringify(page)).not.toContain(bob.key);
  });

  describe('switched off', () => {
    let database: TestDatabase | undefined;
    let app: Awaited<ReturnType<typeof startTestApp>> | undefined;
    afterEach(async () => {
      await app?.close();
      await database?.drop();
      app = undefined;
      database = undefined;
    });

    it('without adminPath there is no admin API: 404 even for the user isAdmin would accept', async () => {
      database = await createTestDatabase(kind);
      app = await startTestApp(database, { userIdType: 'number' }, { platform });
      const admin = await app.store.create({ userId: ADMIN });
      for (const [method, path] of [['get', '/admin/sessions'], ['delete', `/admin/sessions/${admin.id}`], ['delete', `/admin/sessions/users/${ADMIN}`]] as const) {
        const response = await request(app.url)[method](path).set('Cookie', `sessionid=${admin.key}`).expect(404);
        expect(response.body).toEqual({ statusCode: 404, error: 'Not Found', message: `Cannot ${method.toUpperCase()} ${path}` });
      }
      expect(await app.store.exists(admin.key!)).toBe(true);
    });
  });

  describe('with forRootAsync', () => {
    let database: TestDatabase | undefined;
    let app: INestApplication | undefined;
    afterEach(async () => {
      await app?.close();
      await database?.drop();
    });

    it('takes adminPath beside the factory and isAdmin from it', async () => {
      database = await createTestDatabase(kind);
      const asked: AdminCheckContext[] = [];
      const moduleRef = await Test.createTestingModule({
        imports: [
          TypeOrmModule.forRoot({ ...database.options, autoLoadEntities: true, synchronize: true } as Parameters<typeof TypeOrmModule.forRoot>[0]),
          UserSessionsModule.forRootAsync({
            userIdType: 'number',
            adminPath: 'ops/sessions',
            useFactory: async () => ({
              isAdmin: (context: AdminCheckContext) => {
                asked.push(context);
                return context.userId === ADMIN;
              },
            }),
          }),
        ],
      }).compile();
      app = await createTestApplication(moduleRef, { platform });
      await app.listen(0, '127.0.0.1');
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const store = app.get(SessionStoreService);
      const admin = await store.create({ userId: ADMIN });
      const bob = await store.create({ userId: BOB });

      const response = await request(url).get('/ops/sessions').set('Cookie', `sessionid=${admin.key}`).expect(200);
      expect(response.body.sessions.map((session: AdminSessionView) => session.userId).sort()).toEqual([ADMIN, BOB]);
      expect(response.text).not.toContain(admin.key);
      expect(response.text).not.toContain(bob.key);
      await request(url).get('/ops/sessions').set('Cookie', `sessionid=${bob.key}`).expect(404);
      expect(asked.map((check) => check.userId)).toEqual([ADMIN, BOB]);
      await request(url).get('/admin/sessions').set('Cookie', `sessionid=${admin.key}`).expect(404);
      await request(url).delete(`/ops/sessions/users/${BOB}`).set('Cookie', `sessionid=${admin.key}`).expect(200, { ended: 1 });
      expect(await store.exists(bob.key!)).toBe(false);
    });
  });
});

describe('admin API options', () => {
  it('forRootAsync refuses adminPath without isAdmin from the factory, at start-up', async () => {
    const compiling = Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', autoLoadEntities: true, synchronize: true }),
        UserSessionsModule.forRootAsync({ userIdType: 'number', adminPath: 'ops/sessions', useFactory: () => ({}) }),
      ],
    }).compile();
    await expect(compiling).rejects.toThrow(/adminPath turns the admin API on, so isAdmin must say who is an administrator/);
  });
});
