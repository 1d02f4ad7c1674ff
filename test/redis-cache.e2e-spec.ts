import { randomBytes } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisCachedSessionStorage } from '../lib/storage/redis-cached-session.storage.js';
import { SCRIPTS } from '../lib/storage/redis-cache-scripts.js';
import type { SessionRecord, SessionStorage, SessionTarget } from '../lib/index.js';
import { createTestDatabase, databaseMatrix, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { requiredServices, SERVICES } from './support/services.js';
import { cleanUpRedis, connectRedis, until } from './support/redis.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { sessionCookie, startTestApp, type TestApp } from './support/test-app.js';
import { freePort, ThrowawayRedis, throwawayRedisUnavailable } from './support/throwaway-servers.js';

/**
 * The Redis read cache (`cache` option): lookups from Redis, every write deleting what it made
 * stale before it returns, the race of a fill with a deletion, and Redis down or silent. Runs
 * against the Redis on 127.0.0.1:6379 (REDIS_HOST / REDIS_PORT), each test file under its own
 * key prefix; the mid-run stop uses a throw-away `redis-server`.
 */
const REDIS_SKIP = inject('services').redis;
const THROWAWAY_SKIP = throwawayRedisUnavailable();
if (THROWAWAY_SKIP !== null && requiredServices().has('redis-server')) {
  throw new Error(`A throw-away Redis is required (USER_SESSIONS_REQUIRE=redis-server): ${THROWAWAY_SKIP}`);
}
const PREFIX = `test-${process.pid}-${randomBytes(3).toString('hex')}:`;
/** The instances' shared `cache.secret`. */
const SECRET = randomBytes(32);
const DAY = 86_400_000;

const connect = connectRedis;

afterAll(async () => {
  if (REDIS_SKIP === null) await cleanUpRedis(PREFIX);
});

/** What the cache logs. */
class LogCapture implements LoggerService {
  readonly warnings: string[] = [];
  readonly infos: string[] = [];
  log(message: string): void {
    this.infos.push(String(message));
  }
  warn(message: string): void {
    this.warnings.push(String(message));
  }
  error(): void {}
  cacheWarnings(): string[] {
    return this.warnings.filter((message) => message.includes('Redis session cache is unavailable'));
  }
}

/** A storage in memory whose next `find()` can be held between reading the row and answering. */
class MemoryStorage implements SessionStorage {
  readonly rows = new Map<string, SessionRecord>();
  finds = 0;
  private held: { read: () => void; gate: Promise<void> } | null = null;

  /** The next find reads the row, then waits for `release()`; `read` resolves once it has read. */
  holdNextFind(): { read: Promise<void>; release: () => void } {
    let read!: () => void;
    let release!: () => void;
    const readPromise = new Promise<void>((resolve) => (read = resolve));
    this.held = { read, gate: new Promise<void>((resolve) => (release = resolve)) };
    return { read: readPromise, release };
  }

  async find(id: string): Promise<SessionRecord | null> {
    this.finds++;
    const row = this.rows.get(id);
    const copy = row ? structuredClone(row) : null;
    const held = this.held;
    if (held) {
      this.held = null;
      held.read();
      await held.gate;
    }
    return copy;
  }
  async findByPreviousKey(keyDigest: string): Promise<SessionRecord | null> {
    return [...this.rows.values()].find((row) => row.previousKeyDigest === keyDigest) ?? null;
  }
  async findById(id: string): Promise<SessionRecord | null> {
    return [...this.rows.values()].find((row) => row.id === id) ?? null;
  }
  async insert(record: SessionRecord): Promise<void> {
    this.rows.set(record.keyDigest, structuredClone(record));
  }
  async update(keyDigest: string, changes: Partial<SessionRecord>): Promise<boolean> {
    const row = this.rows.get(keyDigest);
    if (!row) return false;
    this.rows.delete(keyDigest);
    const next = { ...row, ...changes };
    this.rows.set(next.keyDigest, next);
    return true;
  }
  async delete(target: SessionTarget): Promise<boolean> {
    const row = [...this.rows.values()].find((each) => each.id === target.id);
    if (!row || row.userId !== target.userId || (target.userId === null && row.keyDigest !== target.keyDigest)) return false;
    return this.rows.delete(row.keyDigest);
  }
  async listActive(userId: string | number, now: Date): Promise<SessionRecord[]> {
    return [...this.rows.values()].filter((row) => row.userId === userId && row.expireDate > now);
  }
  async deleteOthers(userId: string | number, exceptId: string | null, now: Date): Promise<number> {
    const doomed = [...this.rows.values()].filter((row) => row.userId === userId && row.id !== exceptId && row.expireDate > now);
    for (const row of doomed) this.rows.delete(row.keyDigest);
    return doomed.length;
  }
  async deleteAllForUser(userId: string | number): Promise<number> {
    const doomed = [...this.rows.values()].filter((row) => row.userId === userId);
    for (const row of doomed) this.rows.delete(row.keyDigest);
    return doomed.length;
  }
  async list(): Promise<SessionRecord[]> {
    return [...this.rows.values()];
  }
  async deleteExpired(now: Date): Promise<number> {
    const doomed = [...this.rows.values()].filter((row) => row.expireDate <= now);
    for (const row of doomed) this.rows.delete(row.keyDigest);
    return doomed.length;
  }
}

function record(userId: string | number | null, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  // Key digest and public id alike, as in a row that was never rotated: the tests name rows by either.
  const id = randomBytes(32).toString('hex');
  return {
    keyDigest: id,
    id,
    previousKeyDigest: null,
    keySeal: null,
    keyIssuedAt: new Date(now),
    data: JSON.stringify({ cart: [1, 2], name: 'Zoë' }),
    expireDate: new Date(now + DAY),
    userId,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
    clientPlatform: null,
    clientPlatformVersion: null,
    ip: '203.0.113.7',
    lastActivity: new Date(now - 1234),
    createdAt: new Date(now - 5678),
    ...overrides,
  };
}

describe.skipIf(REDIS_SKIP !== null)(
  REDIS_SKIP === null ? 'Redis cache storage, two instances over one storage' : `Redis cache storage (skipped: ${REDIS_SKIP})`,
  () => {
    const log = new LogCapture();
    const inner = new MemoryStorage();
    const prefix = `${PREFIX}storage:`;
    let redis: Redis;
    let a: RedisCachedSessionStorage;
    let b: RedisCachedSessionStorage;

    async function instance(client: Redis, options: { timeout?: number; storage?: SessionStorage } = {}): Promise<RedisCachedSessionStorage> {
      const settings = { redis: client, secret: SECRET, ttl: 60_000, keyPrefix: prefix, timeout: options.timeout ?? 500 };
      const storage = new RedisCachedSessionStorage(options.storage ?? inner, settings, log);
      await storage.onModuleInit();
      return storage;
    }
    const entry = (id: string) => `${prefix}session:${id}`;

    /** Stores `row` and makes sure `storage` has it cached: its second find costs the storage nothing. */
    async function cached(storage: RedisCachedSessionStorage, row: SessionRecord): Promise<void> {
      if (!inner.rows.has(row.id)) inner.rows.set(row.id, structuredClone(row));
      await storage.find(row.id);
      const finds = inner.finds;
      expect(await storage.find(row.id)).toEqual(inner.rows.get(row.id));
      expect(inner.finds).toBe(finds);
    }

    beforeAll(async () => {
      redis = await connect();
      a = await instance(await connect());
      b = await instance(await connect());
    });
    afterAll(() => {
      a?.onModuleDestroy();
      b?.onModuleDestroy();
    });

    it('a hit is the stored record, dates and all, from either instance; the entry expires with the session', async () => {
      const row = record('alice', { expireDate: new Date(Date.now() + 5_000), clientPlatform: 'Windows', clientPlatformVersion: '15.0.0' });
      inner.rows.set(row.id, structuredClone(row));
      const finds = inner.finds;
      expect(await a.find(row.id)).toEqual(row);
      const hit = await b.find(row.id);
      expect(hit).toEqual(row);
      expect(hit!.lastActivity).toBeInstanceOf(Date);
      expect(hit!.expireDate.getTime()).toBe(row.expireDate.getTime());
      expect(inner.finds).toBe(finds + 1);
      const ttl = await redis.pttl(entry(row.id));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_000);
      const numeric = record(42);
      await cached(b, numeric);
      expect((await a.find(numeric.id))!.userId).toBe(42);
    });

    it('a missing or expired row is not cached', async () => {
      const expired = record('alice', { expireDate: new Date(Date.now() - 1000) });
      inner.rows.set(expired.id, expired);
      expect(await a.find(expired.id)).toEqual(expired);
      expect(await a.find('f'.repeat(64))).toBeNull();
      expect(await redis.exists(entry(expired.id), entry('f'.repeat(64)))).toBe(0);
    });

    it('every write deletes what it made stale before it returns', async () => {
      const row = record('carol');
      await cached(a, row);
      expect(await b.update(row.id, { lastActivity: new Date(Date.now() + 1), data: '{"n":2}' })).toBe(true);
      expect(await a.find(row.id)).toMatchObject({ data: '{"n":2}' });

      const renamed = randomBytes(32).toString('hex');
      await cached(a, row);
      expect(await b.update(row.id, { keyDigest: renamed })).toBe(true);
      expect(await a.find(row.id)).toBeNull();
      expect(await a.find(renamed)).toMatchObject({ keyDigest: renamed, id: row.id, userId: 'carol' });

      await cached(a, inner.rows.get(renamed)!);
      expect(await b.delete({ id: row.id, userId: 'carol' })).toBe(true);
      expect(await a.find(renamed)).toBeNull();

      const [kept, other, bystander] = [record('dave'), record('dave'), record('erin')];
      for (const each of [kept, other, bystander]) await cached(a, each);
      expect(await b.deleteOthers('dave', kept.id, new Date())).toBe(1);
      expect(await a.find(other.id)).toBeNull();
      expect(await a.find(kept.id)).toEqual(kept);

      await cached(a, kept);
      expect(await b.deleteAllForUser('dave')).toBe(1);
      expect(await a.find(kept.id)).toBeNull();
      const finds = inner.finds;
      expect(await a.find(bystander.id)).toEqual(bystander);
      expect(inner.finds).toBe(finds);
    });

    // A misses and reads the row; B ends the session (row and entry); A's fill comes last.
    it.each([
      ['delete', (row: SessionRecord) => b.delete(row)],
      ['a rename', (row: SessionRecord) => b.update(row.id, { keyDigest: randomBytes(32).toString('hex') })],
      ['deleteOthers', (row: SessionRecord) => b.deleteOthers(row.userId!, null, new Date())],
      ['deleteAllForUser', (row: SessionRecord) => b.deleteAllForUser(row.userId!)],
    ])('a lookup that read the row before %s never caches it afterwards', async (_, end) => {
      const row = record(`racer-${randomBytes(4).toString('hex')}`);
      inner.rows.set(row.id, structuredClone(row));
      const held = inner.holdNextFind();
      const lookup = a.find(row.id);
      await held.read;
      await end(row);
      held.release();
      expect(await lookup).toEqual(row);
      expect(await redis.exists(entry(row.id))).toBe(0);
      expect(await b.find(row.id)).toBeNull();
      expect(await a.find(row.id)).toBeNull();
    });

    it('a lookup that read the row before a data write caches the new data, not its own', async () => {
      const row = record('frank');
      inner.rows.set(row.id, structuredClone(row));
      const held = inner.holdNextFind();
      const lookup = a.find(row.id);
      await held.read;
      await b.update(row.id, { data: '{"v":2}' });
      held.release();
      expect((await lookup)!.data).toBe(row.data);
      expect((await b.find(row.id))!.data).toBe('{"v":2}');
      expect((await a.find(row.id))!.data).toBe('{"v":2}');
    });

    /** `client`, with the methods `failing` names (`del`, or scripts by name) rejecting while it says so. */
    function flaky(client: Redis, failing: () => { del?: boolean; scripts?: string[] }): Redis {
      return new Proxy(client, {
        get(target, property) {
          const value = Reflect.get(target, property, target) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            const { del = false, scripts = [] } = failing();
            const script = property === 'evalsha' || property === 'eval' ? Object.entries(SCRIPTS).find(([, each]) => each.sha === args[0] || each.source === args[0]) : undefined;
            if ((property === 'del' && del) || (script && scripts.includes(script[0]))) return Promise.reject(new Error('connection reset'));
            return (value as (...args: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    }

    it('a revocation that cannot reach Redis changes nothing and fails; once Redis answers, it goes through', async () => {
      let down = true;
      const c = await instance(flaky(await connect(), () => ({ scripts: down ? ['holdSessions', 'holdUser'] : [] })));
      const row = record('gina');
      await cached(b, row);
      const warnings = log.cacheWarnings().length;
      for (const end of [() => c.delete(row), () => c.update(row.id, { data: '{"n":2}' }), () => c.deleteAllForUser('gina')]) {
        await expect(end()).rejects.toThrow(/The Redis session cache is unreachable \(connection reset\), so nothing was changed/);
      }
      expect(log.cacheWarnings()).toHaveLength(warnings + 1);
      expect(inner.rows.get(row.id)).toEqual(row);
      expect(await b.find(row.id)).toEqual(row);
      down = false;
      expect(await c.delete(row)).toBe(true);
      expect(await b.find(row.id)).toBeNull();
      c.onModuleDestroy();
    });

    // c's write waits until b has read the row (after c's hold); c's lift then fails.
    it.each([
      ['delete', (c: RedisCachedSessionStorage, row: SessionRecord) => c.delete(row), `ending-user:`],
      ['deleteAllForUser', (c: RedisCachedSessionStorage, row: SessionRecord) => c.deleteAllForUser(row.userId!), `ending-user:`],
    ])('a lookup that read the row while %s was writing never caches it, even when the revocation could not lift its hold', async (_, end, counter) => {
      const row = record(`lifter-${randomBytes(4).toString('hex')}`);
      await cached(b, row);
      let write!: () => void;
      const writing = new Promise<void>((resolve) => (write = resolve));
      const gated = new Proxy(inner, {
        get: (target, property) =>
          property === 'delete' || property === 'deleteAllForUser'
            ? async (...args: unknown[]) => {
                await writing;
                return (Reflect.get(target, property) as (...args: unknown[]) => unknown).apply(target, args);
              }
            : Reflect.get(target, property, target),
      });
      const c = await instance(flaky(await connect(), () => ({ scripts: ['liftSessions', 'liftUser'] })), { storage: gated });
      const revocation = end(c, row);
      const user = Buffer.from(String(row.userId)).toString('hex');
      await until(async () => (await redis.exists(`${prefix}${counter}${counter === 'ending:' ? row.id : user}`)) === 1, 5_000, 'the hold');
      // The revocation is not done: the row is still valid, read from the storage, and not cached.
      const finds = inner.finds;
      expect(await b.find(row.id)).toEqual(row);
      expect(inner.finds).toBe(finds + 1);
      write();
      expect(await revocation).toBeTruthy();
      expect(await redis.exists(entry(row.id))).toBe(0);
      expect(await b.find(row.id)).toBeNull();
      expect(await a.find(row.id)).toBeNull();
      c.onModuleDestroy();
    });

    it('an activity update whose deletion did not reach Redis: the entry it left is ignored once the instance has reached Redis again', async () => {
      let failDeletes = true;
      const c = await instance(flaky(await connect(), () => ({ del: failDeletes })));
      const row = record('hilda');
      await cached(b, row);
      const warnings = log.cacheWarnings().length;
      const lastActivity = new Date(row.lastActivity.getTime() + 60_000);
      expect(await c.update(row.id, { lastActivity, ip: '198.51.100.1' })).toBe(true);
      expect(log.cacheWarnings()).toHaveLength(warnings + 1);
      expect(log.cacheWarnings().at(-1)).toContain('connection reset');
      // The entry is still there; c reads the storage meanwhile.
      expect(await redis.exists(entry(row.id))).toBe(1);
      expect((await c.find(row.id))!.lastActivity).toEqual(lastActivity);
      failDeletes = false;
      // c starts a new epoch a second after the failure, on its next lookup.
      await until(async () => {
        await c.find(row.id);
        return (await b.find(row.id))!.lastActivity.getTime() === lastActivity.getTime();
      }, 5_000, 'the entry left behind to be ignored');
      expect(log.infos.at(-1)).toContain('answers again');
      expect(log.cacheWarnings()).toHaveLength(warnings + 1);
      c.onModuleDestroy();
    });

    it('a lost connection: the instance reads the cache again only after it has started a new epoch', async () => {
      const name = `lost-${process.pid}-${randomBytes(3).toString('hex')}`;
      const client = await connect(undefined, true, name);
      const c = await instance(client);
      const row = record('ivan');
      await cached(c, row);
      const epoch = await redis.get(`${prefix}epoch`);
      const line = String(await redis.client('LIST')).split('\n').find((each) => each.includes(`name=${name} `))!;
      const closed = new Promise((resolve) => client.once('close', resolve));
      await redis.client('KILL', 'ID', /\bid=(\d+)/.exec(line)![1]);
      await closed;
      await until(() => client.status === 'ready', 5_000, 'the client to reconnect');
      // Deletions may have been lost with the connection: this lookup goes to the storage.
      const finds = inner.finds;
      expect(await c.find(row.id)).toEqual(row);
      expect(inner.finds).toBe(finds + 1);
      await until(async () => (await redis.get(`${prefix}epoch`)) !== epoch, 5_000, 'a new epoch');
      await until(async () => {
        const before = inner.finds;
        await c.find(row.id);
        return inner.finds === before;
      }, 5_000, 'the cache to answer again');
      c.onModuleDestroy();
    });

    it('a Redis that stops answering: lookups go to the storage after the timeout, one warning; then the cache again', async () => {
      const proxy = await TcpProxy.start(SERVICES.redis);
      try {
        const c = await instance(await connect(proxy.port), { timeout: 100 });
        const row = record('hank');
        await cached(c, row);
        const warnings = log.cacheWarnings().length;
        proxy.silence();
        const started = Date.now();
        for (let i = 0; i < 5; i++) expect(await c.find(row.id)).toEqual(row);
        expect(Date.now() - started).toBeLessThan(1_000);
        expect(log.cacheWarnings()).toHaveLength(warnings + 1);
        expect(log.cacheWarnings().at(-1)).toContain('no answer within 100 ms');
        proxy.resume();
        await until(async () => {
          const finds = inner.finds;
          await c.find(row.id);
          return inner.finds === finds;
        }, 5_000, 'the cache to answer again');
        expect(log.cacheWarnings()).toHaveLength(warnings + 1);
        c.onModuleDestroy();
      } finally {
        proxy.resume();
        await proxy.close();
      }
    });
  },
);

/** Two app instances over one database, sharing one Redis, each with its own client. */
describeEachDatabase('Redis cache, two app instances', (kind) => {
  if (REDIS_SKIP !== null) {
    it.skip(`needs Redis: ${REDIS_SKIP}`);
    return;
  }
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const keyPrefix = `${PREFIX}${kind}:`;
    a = await startTestApp(database, { cache: { redis: await connect(), secret: SECRET, keyPrefix } });
    b = await startTestApp(database, { cache: { redis: await connect(), secret: SECRET, keyPrefix } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  async function login(app: TestApp, userId: string, cookie?: string): Promise<string> {
    const post = request(app.url).post('/login').send({ userId });
    const response = await (cookie ? post.set('Cookie', `sessionid=${cookie}`) : post).expect(201);
    return sessionCookie(response.headers['set-cookie'])!;
  }
  const me = (app: TestApp, key: string) => request(app.url).get('/me').set('Cookie', `sessionid=${key}`);

  /** Makes `app` answer `key` from its cache: checks that a read then costs no statement. */
  async function warm(app: TestApp, key: string): Promise<void> {
    await me(app, key).expect(200);
    app.queries.reset();
    await me(app, key).expect(200);
    expect(app.queries.sessionStatements()).toEqual([]);
  }

  it('an authenticated read with a warm cache costs no statement, on either instance', async () => {
    // The first epoch was started at start-up, before any lookup.
    expect(await (await connect()).exists(`${PREFIX}${kind}:epoch`)).toBe(1);
    const key = await login(a, 'alice');
    b.queries.reset();
    await me(b, key).expect(200, { userId: 'alice' });
    expect(b.queries.sessionStatements()).toHaveLength(1);
    b.queries.reset();
    for (let i = 0; i < 3; i++) await me(b, key).expect(200, { userId: 'alice' });
    expect(b.queries.sessionStatements()).toEqual([]);
    a.queries.reset();
    await me(a, key).expect(200, { userId: 'alice' });
    expect(a.queries.sessionStatements()).toEqual([]);
    await request(a.url).get('/account/sessions').set('Cookie', `sessionid=${key}`).expect(200);
  });

  it('a session ended on one instance is refused at once on the other, by every way of ending it', async () => {
    // Sign-out.
    const signedOut = await login(a, 'bob');
    await warm(b, signedOut);
    await request(a.url).post('/logout').set('Cookie', `sessionid=${signedOut}`).expect(204);
    await me(b, signedOut).expect(401);

    // "End this session" from another of the user's sessions.
    const [ended, ender] = [await login(a, 'bob'), await login(a, 'bob')];
    await warm(b, ended);
    const listed = (await request(a.url).get('/account/sessions').set('Cookie', `sessionid=${ended}`).expect(200)).body
      .find((session: { current: boolean }) => session.current);
    await request(a.url).delete(`/account/sessions/${listed.id}`).set('Cookie', `sessionid=${ender}`).expect(204);
    await me(b, ended).expect(401);

    // "End all other sessions".
    const others = [await login(a, 'bob'), await login(a, 'bob')];
    for (const key of [...others, ender]) await warm(b, key);
    await request(a.url).delete('/account/sessions').set('Cookie', `sessionid=${ender}`).expect(200, { deleted: 2 });
    for (const key of others) await me(b, key).expect(401);
    await me(b, ender).expect(200);

    // Every session of the user (a password reset).
    await warm(b, ender);
    expect(await a.store.deleteAllForUser('bob')).toBe(1);
    await me(b, ender).expect(401);

    // A new key (signing in again): the old one is dead at once.
    const first = await login(a, 'carol');
    await warm(b, first);
    const second = await login(a, 'carol', first);
    expect(second).not.toBe(first);
    await me(b, first).expect(401);
    await me(b, second).expect(200, { userId: 'carol' });

    // Expiry moved into the past.
    await warm(b, second);
    const session = (await a.store.load(second))!;
    session.setExpiry(new Date(Date.now() - 1000));
    await a.store.save(session);
    await me(b, second).expect(401);
  });

  it('data written and the client recorded on one instance are what the other reads', async () => {
    const created = await request(a.url).post('/data').send({ name: 'colour', value: 'blue' }).expect(201);
    const key = sessionCookie(created.headers['set-cookie'])!;
    await request(b.url).get('/data/colour').set('Cookie', `sessionid=${key}`).expect(200, { value: 'blue' });
    await request(b.url).get('/data/colour').set('Cookie', `sessionid=${key}`).expect(200, { value: 'blue' });
    await request(a.url).post('/data').set('Cookie', `sessionid=${key}`).send({ name: 'colour', value: 'green' }).expect(201);
    await request(b.url).get('/data/colour').set('Cookie', `sessionid=${key}`).expect(200, { value: 'green' });

    // An activity update (the user agent changed): the other instance sees the new client.
    const signedIn = await login(a, 'dora');
    expect((await b.store.load(signedIn))!.userAgent).not.toBe('Other/1.0');
    await me(a, signedIn).set('User-Agent', 'Other/1.0').expect(200);
    expect((await b.store.load(signedIn))!.userAgent).toBe('Other/1.0');
  });
});

const OUTAGE_DATABASE = databaseMatrix().find((entry) => entry.kind === 'postgres')!;
const OUTAGE_SKIP = REDIS_SKIP ?? OUTAGE_DATABASE.skip ?? THROWAWAY_SKIP;

describe.skipIf(OUTAGE_SKIP !== null)(
  OUTAGE_SKIP === null ? 'Redis cache outages on PostgreSQL' : `Redis cache outages (skipped: ${OUTAGE_SKIP})`,
  () => {
    const log = new LogCapture();
    let database: TestDatabase;
    const apps: TestApp[] = [];
    let redis: ThrowawayRedis | undefined;

    beforeAll(async () => {
      database = await createTestDatabase('postgres');
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      await redis?.stop();
      await database?.drop();
    });

    async function start(client: Redis): Promise<TestApp> {
      const app = await startTestApp(database, { cache: { redis: client, secret: SECRET, keyPrefix: `${PREFIX}outage:` } }, (nest) => nest.useLogger(log));
      apps.push(app);
      return app;
    }

    it('a Redis on a closed port: lookups and sign-ins are served from the database, with one warning; a sign-out answers 503 and changes nothing', async () => {
      const warnings = log.cacheWarnings().length;
      const app = await start(await connect(await freePort(), false));
      const key = sessionCookie((await request(app.url).post('/login').send({ userId: 'alice' }).expect(201)).headers['set-cookie'])!;
      for (let i = 0; i < 5; i++) await me(app, key).expect(200, { userId: 'alice' });
      await request(app.url).post('/logout').set('Cookie', `sessionid=${key}`).expect(503);
      await me(app, key).expect(200, { userId: 'alice' });
      expect(log.cacheWarnings()).toHaveLength(warnings + 1);
      expect(log.cacheWarnings().at(-1)).toMatch(/^The Redis session cache is unavailable \(the connection is \w+\); session lookups go to the database/);
    });

    it('Redis stopped mid-run: lookups are served from the database, one warning per instance; a revocation answers 503 and changes nothing; back, it goes through and the cache serves again', async () => {
      redis = await ThrowawayRedis.create();
      const [a, b] = [await start(await connect(redis.port)), await start(await connect(redis.port))];
      const kept = sessionCookie((await request(a.url).post('/login').send({ userId: 'erin' }).expect(201)).headers['set-cookie'])!;
      const revoked = sessionCookie((await request(a.url).post('/login').send({ userId: 'erin' }).expect(201)).headers['set-cookie'])!;
      for (const app of [a, b]) for (const key of [kept, revoked]) await warmOn(app, key);
      const warnings = log.cacheWarnings().length;

      await redis.stop();
      for (let i = 0; i < 3; i++) {
        await me(a, kept).expect(200);
        await me(b, kept).expect(200);
      }
      await request(a.url).post('/logout').set('Cookie', `sessionid=${revoked}`).expect(503);
      await me(b, revoked).expect(200);
      b.queries.reset();
      await me(b, kept).expect(200);
      expect(b.queries.sessionStatements()).toHaveLength(1);
      expect(log.cacheWarnings()).toHaveLength(warnings + 2);

      await redis.start();
      await until(async () => {
        b.queries.reset();
        await me(b, kept).expect(200);
        return b.queries.sessionStatements().length === 0;
      }, 10_000, 'instance b to read from the cache again');
      await until(async () => {
        a.queries.reset();
        await me(a, kept).expect(200);
        return a.queries.sessionStatements().length === 0;
      }, 10_000, 'instance a to read from the cache again');
      await warmOn(b, revoked);
      await request(a.url).post('/logout').set('Cookie', `sessionid=${revoked}`).expect(204);
      await me(b, revoked).expect(401);
      await me(a, revoked).expect(401);
      expect(log.cacheWarnings()).toHaveLength(warnings + 2);
      expect(log.infos.filter((message) => message.includes('answers again')).length).toBeGreaterThanOrEqual(2);
    });

    const me = (app: TestApp, key: string) => request(app.url).get('/me').set('Cookie', `sessionid=${key}`);
    async function warmOn(app: TestApp, key: string): Promise<void> {
      await me(app, key).expect(200);
      app.queries.reset();
      await me(app, key).expect(200);
      expect(app.queries.sessionStatements()).toEqual([]);
    }
  },
);
