import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { SessionStoreUnavailableException } from '../lib/index.js';
import { digestSessionKey, generateSessionKey } from '../lib/session/session-key.js';
import { encodeSessionRecord } from '../lib/storage/redis-cache-entry.js';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { cleanUpRedis, connectRedis, until } from './support/redis.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { SERVICES } from './support/services.js';
import { sessionCookie, startTestApp, type TestApp } from './support/test-app.js';

/**
 * SECURITY.md's promise 1 with the Redis cache (`cache` option): a session ended on one
 * instance is refused on the very next request on every other, also when the ending instance
 * cannot reach Redis; and whoever can write to Redis cannot sign anyone in.
 */
const REDIS_SKIP = inject('services').redis;
const PREFIX = `test-${process.pid}-${randomBytes(3).toString('hex')}:`;
const SECRET = randomBytes(32);

afterAll(async () => {
  if (REDIS_SKIP === null) await cleanUpRedis(PREFIX);
});

const me = (app: TestApp, key: string) => request(app.url).get('/me').set('Cookie', `sessionid=${key}`);

async function login(app: TestApp, userId: string, cookie?: string): Promise<string> {
  const post = request(app.url).post('/login').send({ userId });
  const response = await (cookie ? post.set('Cookie', `sessionid=${cookie}`) : post).expect(201);
  return sessionCookie(response.headers['set-cookie'])!;
}

/**
 * Makes `app` answer `key` from its cache: a read then costs no statement. (After its link was
 * cut, an instance reads the cache again only once it has started a new epoch.)
 */
async function warm(app: TestApp, key: string): Promise<void> {
  await until(async () => {
    await me(app, key).expect(200);
    app.queries.reset();
    await me(app, key).expect(200);
    return app.queries.sessionStatements().length === 0;
  }, 5_000, 'the session to be answered from the cache');
}

/** The ways a session ends, each run on instance `a` for the session `victim` of `user`. */
const ENDINGS: [string, (a: TestApp, victim: string, user: string) => Promise<number>][] = [
  ['sign-out', async (a, victim) => (await request(a.url).post('/logout').set('Cookie', `sessionid=${victim}`)).status],
  [
    '"end this session" from another session',
    async (a, victim, user) => {
      const ender = await login(a, user);
      const id = digestSessionKey(victim);
      return (await request(a.url).delete(`/account/sessions/${id}`).set('Cookie', `sessionid=${ender}`)).status;
    },
  ],
  [
    '"end all other sessions"',
    async (a, _victim, user) => {
      const ender = await login(a, user);
      return (await request(a.url).delete('/account/sessions').set('Cookie', `sessionid=${ender}`)).status;
    },
  ],
  ['signing in again (a new key)', async (a, victim, user) => (await request(a.url).post('/login').set('Cookie', `sessionid=${victim}`).send({ userId: user })).status],
  [
    'deleteAllForUser()',
    (a, _victim, user) =>
      a.store.deleteAllForUser(user).then(
        () => 200,
        (error: unknown) => (error instanceof SessionStoreUnavailableException ? 503 : Promise.reject(error)),
      ),
  ],
];

/** Two instances over one database and one Redis; only `a` reaches Redis through a proxy that can cut it. */
describeEachDatabase('Redis cache, instance A cut off from Redis', (kind) => {
  if (REDIS_SKIP !== null) {
    it.skip(`needs Redis: ${REDIS_SKIP}`);
    return;
  }
  let database: TestDatabase;
  let proxy: TcpProxy;
  let aClient: Redis;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    proxy = await TcpProxy.start(SERVICES.redis);
    const keyPrefix = `${PREFIX}cut-${kind}:`;
    aClient = await connectRedis(proxy.port);
    a = await startTestApp(database, { cache: { redis: aClient, secret: SECRET, keyPrefix } });
    b = await startTestApp(database, { cache: { redis: await connectRedis(), secret: SECRET, keyPrefix } });
  });
  afterAll(async () => {
    proxy?.resume();
    await a?.close();
    await b?.close();
    await proxy?.close();
    await database?.drop();
  });

  for (const link of ['silent', 'reset'] as const) {
    it.each(ENDINGS)(
      `ending a session on A while its link is ${link} (%s): 503 and the session stays valid everywhere; with the link back it ends, and B refuses it on its very next request`,
      async (_, end) => {
        const user = `user-${randomBytes(4).toString('hex')}`;
        const victim = await login(a, user);
        await warm(b, victim);
        await warm(a, victim);

        if (link === 'silent') proxy.silence();
        else proxy.cut();
        try {
          const ended = await end(a, victim, user);
          // Never 2xx on A and then 200 on B. Here: 503, and nothing changed: both instances
          // still accept it, the database still has it.
          expect({ ended, onB: (await me(b, victim)).status }).toEqual({ ended: 503, onB: 200 });
          await me(a, victim).expect(200, { userId: user });
          expect((await b.store.listActive(user)).map((session) => session.id)).toContain(digestSessionKey(victim));
        } finally {
          proxy.resume();
        }

        await until(() => aClient.status === 'ready', 5_000, "A's Redis client to reconnect");
        expect([200, 201, 204]).toContain(await end(a, victim, user));
        await me(b, victim).expect(401);
        await me(a, victim).expect(401);
      },
    );
  }

  it('reads on A while its link is cut still answer, from the database', async () => {
    const key = await login(a, 'reader');
    await warm(b, key);
    proxy.silence();
    try {
      for (let i = 0; i < 3; i++) await me(a, key).expect(200, { userId: 'reader' });
      await me(b, key).expect(200, { userId: 'reader' });
    } finally {
      proxy.resume();
    }
  });
});

/** Entries that the app did not write, or that were changed or moved, sign no one in. */
describeEachDatabase('Redis cache, entries written by someone else', (kind) => {
  if (REDIS_SKIP !== null) {
    it.skip(`needs Redis: ${REDIS_SKIP}`);
    return;
  }
  const keyPrefix = `${PREFIX}forged-${kind}:`;
  let database: TestDatabase;
  let redis: Redis;
  let app: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    redis = await connectRedis();
    app = await startTestApp(database, { cache: { redis: await connectRedis(), secret: SECRET, keyPrefix } });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const hex = (userId: string) => Buffer.from(userId).toString('hex');

  /** A token newer than the current epoch, as the cache's own fill would write. */
  async function freshToken(): Promise<string> {
    return String(BigInt((await redis.get(`${keyPrefix}epoch`)) ?? '0') + 1_000_000n);
  }

  /** `GET /me` with `key`: its status and body, and how many statements it made about sessions. */
  async function meCosting(key: string): Promise<{ status: number; body: unknown; statements: number }> {
    app.queries.reset();
    const response = await me(app, key);
    return { status: response.status, body: response.body, statements: app.queries.sessionStatements().length };
  }

  it('a hand-written entry with no row behind it: 401, after a database read', async () => {
    const now = Date.now();
    const forge = async (shape: (id: string, json: string, token: string) => string) => {
      const key = generateSessionKey();
      const id = digestSessionKey(key);
      const json = encodeSessionRecord({
        keyDigest: id,
        id,
        previousKeyDigest: null,
        keySeal: null,
        keyIssuedAt: new Date(now),
        data: '{}',
        expireDate: new Date(now + 86_400_000),
        userId: 'admin',
        userAgent: null,
        clientPlatform: null,
        clientPlatformVersion: null,
        ip: null,
        lastActivity: new Date(now),
        createdAt: new Date(now),
      });
      await redis.set(`${keyPrefix}session:${id}`, shape(id, json, await freshToken()), 'PX', 60_000);
      return key;
    };
    // The entry format before entries were signed, and the signed format with a made-up MAC.
    const unsigned = await forge((_, json, token) => `${token}|${hex('admin')}|${json}`);
    const badMac = await forge((_, json, token) => `${token}|${hex('admin')}|${randomBytes(32).toString('base64url')}|${now + 60_000}|${json}`);
    for (const key of [unsigned, badMac]) {
      expect(await meCosting(key)).toMatchObject({ status: 401, statements: 1 });
      expect(await meCosting(key)).toMatchObject({ status: 401, statements: 1 });
    }
  });

  it('a genuine entry moved under another key, or changed, is not believed: the database answers', async () => {
    const alice = await login(app, 'alice');
    await warm(app, alice);
    const entry = `${keyPrefix}session:${digestSessionKey(alice)}`;
    const genuine = (await redis.get(entry))!;
    expect(genuine).toContain('"userId":"alice"');

    // Moved: alice's entry under the digest of a key that has no row.
    const stranger = generateSessionKey();
    await redis.set(`${keyPrefix}session:${digestSessionKey(stranger)}`, genuine, 'PX', 60_000);
    expect(await meCosting(stranger)).toMatchObject({ status: 401, statements: 1 });

    // Changed: alice's entry now says admin; the database still says alice.
    await redis.set(entry, genuine.replace('"userId":"alice"', '"userId":"admin"'), 'PX', 60_000);
    expect(await meCosting(alice)).toEqual({ status: 200, body: { userId: 'alice' }, statements: 1 });
  });
});
