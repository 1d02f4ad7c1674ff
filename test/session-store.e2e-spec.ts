import { DataSource, type Repository } from 'typeorm';
import { beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { describeEachDatabase } from './support/databases.js';
import { useTestApp } from './support/test-app.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import { RequestSessionService, Session, SessionStoreService, SessionStoreUnavailableException } from '../lib/index.js';

/** A request as the platform hands it to the request session service. */
function fakeRequest(key: string | null, ip = '127.0.0.1', userAgent = 'Python/2.7') {
  return { headers: { cookie: key ? `sessionid=${key}` : undefined, 'user-agent': userAgent }, ip, protocol: 'http' };
}

describeEachDatabase('SessionStoreService', (kind) => {
  const t = useTestApp(kind, { cleanupBatchSize: 10 });
  let store: SessionStoreService;
  let requests: RequestSessionService;
  let sessions: Repository<Session>;
  beforeAll(() => {
    store = t.store;
    requests = t.requests;
    sessions = t.sessions;
  });
  beforeEach(async () => {
    await sessions.clear();
  });

  it('a fresh session is neither modified nor accessed', async () => {
    const session = await requests.getSession(fakeRequest(null));
    expect(session.modified).toBe(false);
    expect(session.accessed).toBe(false);
    expect(session.isStored).toBe(false);
    expect(session.key).toBeNull();
  });

  it('reading a key accesses without modifying; setting one modifies', async () => {
    const session = await requests.getSession(fakeRequest(null));
    expect(session.get('missing')).toBeUndefined();
    expect(session.accessed).toBe(true);
    expect(session.modified).toBe(false);
    session.set('a', 1);
    expect(session.modified).toBe(true);
    session.remove('a');
    expect(session.get('a')).toBeUndefined();
  });

  it('save records user agent, IP, user and last activity, under the key digest', async () => {
    const session = await store.create({ userId: 'alice', ip: '127.0.0.1', userAgent: 'Python/2.7', data: { a: 'b' } });
    const key = session.key!;
    const row = await sessions.findOneByOrFail({ id: digestSessionKey(key) });
    expect(row).toMatchObject({ userId: 'alice', ip: '127.0.0.1', userAgent: 'Python/2.7' });
    expect(Math.abs(row.lastActivity.getTime() - Date.now())).toBeLessThan(5_000);
    expect(JSON.stringify(row)).not.toContain(key);
    expect((await store.load(key))!.get('a')).toBe('b');
  });

  it('loading with the same IP and user agent is unmodified; with another IP or user agent, modified', async () => {
    const session = await store.create({ ip: '127.0.0.1', userAgent: 'Python/2.7', data: { a: 'b' } });
    const key = session.key!;

    const same = await requests.getSession(fakeRequest(key));
    same.get('a');
    expect(same.modified).toBe(false);

    const otherIp = await requests.getSession(fakeRequest(key, '8.8.8.8'));
    otherIp.get('a');
    expect(otherIp.modified).toBe(true);

    const otherAgent = await requests.getSession(fakeRequest(key, '127.0.0.1', 'Python/3.12'));
    expect(otherAgent.modified).toBe(true);
  });

  it('invalid IPs are stored as null; IPv6 and IPv4-mapped addresses are kept', async () => {
    expect((await store.create({ ip: 'not-an-ip' })).ip).toBeNull();
    expect((await store.create({ ip: '2001:DB8::1' })).ip).toBe('2001:db8::1');
    expect((await store.create({ ip: '::ffff:10.0.0.1' })).ip).toBe('10.0.0.1');
    expect((await store.create({ ip: '999.1.1.1' })).ip).toBeNull();
  });

  it('exists and load see only unexpired sessions; junk keys cost nothing and find nothing', async () => {
    const session = await store.create();
    expect(await store.exists(session.key!)).toBe(true);
    session.setExpiry(new Date(Date.now() - 1000));
    await store.save(session);
    expect(await store.exists(session.key!)).toBe(false);
    expect(await store.load('junk')).toBeNull();
    expect(await store.exists('A'.repeat(43))).toBe(false);
  });

  it('the read of a request is a statement prepared on the driver, not text through a TypeORM query runner', async () => {
    const session = await store.create();
    const dataSource = sessions.manager.connection;
    const driver = dataSource.driver as unknown as {
      databaseConnection?: { prepare(sql: string): unknown };
      master?: { query(config: unknown): unknown };
      pool?: { execute(...args: unknown[]): unknown };
    };
    const runners = vi.spyOn(dataSource, 'createQueryRunner');
    const prepared =
      kind === 'sqlite' ? vi.spyOn(driver.databaseConnection!, 'prepare')
      : kind === 'postgres' ? vi.spyOn(driver.master!, 'query')
      : vi.spyOn(driver.pool!, 'execute');
    try {
      for (let request = 0; request < 3; request++) {
        const loaded = await requests.getSession(fakeRequest(session.key));
        expect(loaded.id).toBe(session.id);
      }
      expect(runners).not.toHaveBeenCalled();
      if (kind === 'sqlite') {
        // Prepared once on this connection (by create()'s read or here), then reused.
        expect(prepared.mock.calls.length).toBeLessThanOrEqual(1);
      } else if (kind === 'postgres') {
        expect(prepared).toHaveBeenCalledTimes(3);
        for (const [config] of prepared.mock.calls) expect(config).toMatchObject({ name: expect.stringMatching(/^user_sessions_find_/) });
      } else {
        expect(prepared).toHaveBeenCalledTimes(3);
      }
    } finally {
      runners.mockRestore();
      prepared.mockRestore();
    }
  });

  it('setExpiry moves the expiry date', async () => {
    const session = await store.create();
    session.setExpiry(60_000);
    await store.save(session);
    const loaded = await store.load(session.key!);
    expect(Math.abs(loaded!.getExpiryDate().getTime() - (Date.now() + 60_000))).toBeLessThan(5_000);
  });

  it('cycleKey keeps the data under a new key; the old key stops working', async () => {
    const session = await store.create({ data: { cart: [1] } });
    const oldKey = session.key!;
    await store.cycleKey(session);
    expect(session.key).not.toBe(oldKey);
    expect(await store.load(oldKey)).toBeNull();
    expect((await store.load(session.key!))!.get('cart')).toEqual([1]);
    expect(await sessions.count()).toBe(1);
  });

  it('login cycles the key and records the user; another user starts with empty data', async () => {
    const session = await store.create({ data: { cart: [1] } });
    const anonymousKey = session.key!;
    await store.login(session, 'alice');
    expect(session.key).not.toBe(anonymousKey);
    expect(await store.load(anonymousKey)).toBeNull();
    const alice = (await store.load(session.key!))!;
    expect(alice.userId).toBe('alice');
    expect(alice.get('cart')).toEqual([1]);

    await store.login(alice, 'bob');
    const bob = (await store.load(alice.key!))!;
    expect(bob.userId).toBe('bob');
    expect(bob.get('cart')).toBeUndefined();
    expect(await sessions.count()).toBe(1);
  });

  it('logout deletes the row', async () => {
    const session = await store.create({ userId: 'alice' });
    const key = session.key!;
    await store.logout(session);
    expect(await store.load(key)).toBeNull();
    expect(session.isAuthenticated).toBe(false);
    expect(await sessions.count()).toBe(0);
  });

  it('a session ended elsewhere is never written back by a later save', async () => {
    const session = await store.create({ userId: 'alice' });
    const copy = (await store.load(session.key!))!;
    await store.delete(session);
    copy.set('late', true);
    expect(await store.save(copy)).toBe(false);
    expect(await sessions.count()).toBe(0);
  });

  it('an activity update never overwrites data saved by a concurrent request', async () => {
    const created = await store.create({ userId: 'alice', ip: '127.0.0.1', userAgent: 'Python/2.7' });
    const key = created.key!;
    const reader = fakeRequest(key, '10.0.0.9'); // another IP: its commit writes activity
    const writer = fakeRequest(key);
    const readerSession = await requests.getSession(reader);
    const writerSession = await requests.getSession(writer);
    writerSession.set('written', 'by the writer');
    await requests.commit(writer, { append() {} });
    await requests.commit(reader, { append() {} });
    const row = await sessions.findOneByOrFail({ id: digestSessionKey(key) });
    expect(JSON.parse(row.data)).toEqual({ written: 'by the writer' });
    expect(row.ip).toBe('10.0.0.9');
    expect(readerSession.modified).toBe(false);
  });

  it('a user id that differs only in case or trailing spaces is another user: it sees and ends nothing of theirs', async () => {
    // MySQL's and MariaDB's default collations would call "ALICE " and "alice" equal.
    const alice = await store.create({ userId: 'alice' });
    await store.create({ userId: 'alice' });
    for (const lookalike of ['ALICE', 'Alice', 'alice ', 'ALICE ']) {
      expect(await store.listActive(lookalike)).toEqual([]);
      expect(await store.deleteForUser(lookalike, alice.id!)).toBe(false);
      expect(await store.deleteOthers(lookalike, null)).toBe(0);
      expect(await store.deleteAllForUser(lookalike)).toBe(0);
      expect((await store.list({ userId: lookalike, status: 'all' })).sessions).toEqual([]);
    }
    expect(await store.listActive('alice')).toHaveLength(2);
    expect((await store.list({ userId: 'alice' })).sessions).toHaveLength(2);
    expect(await store.deleteAllForUser('alice')).toBe(2);
  });

  it('listActive, deleteOthers, deleteForUser and clearExpired', async () => {
    const a1 = await store.create({ userId: 'alice' });
    const a2 = await store.create({ userId: 'alice' });
    const a3 = await store.create({ userId: 'alice' });
    const b1 = await store.create({ userId: 'bob' });
    const expired = await store.create({ userId: 'alice' });
    expired.setExpiry(new Date(Date.now() - 1000));
    await store.save(expired);
    await sessions.update({ id: a1.id! }, { lastActivity: new Date(Date.now() - 60_000) });

    const listed = await store.listActive('alice');
    expect(listed.map((s) => s.id).slice(-1)).toEqual([a1.id]);
    expect(listed.map((s) => s.id).sort()).toEqual([a1.id, a2.id, a3.id].sort());
    expect(listed[0]).not.toHaveProperty('data');

    expect(await store.deleteForUser('bob', a1.id!)).toBe(false);
    expect(await store.deleteForUser('alice', a1.id!)).toBe(true);
    expect(await store.deleteOthers('alice', a2)).toBe(1);
    expect((await store.listActive('alice')).map((s) => s.id)).toEqual([a2.id]);
    expect(await store.listActive('bob')).toHaveLength(1);
    expect(await store.clearExpired()).toBe(1);
    expect(await sessions.count()).toBe(2);
    expect(b1.isStored).toBe(true);
  });

  it('clearExpired deletes in batches of cleanupBatchSize and keeps the unexpired', async () => {
    for (let i = 0; i < 25; i++) {
      const session = await store.create({ userId: `old-${i}` });
      session.setExpiry(new Date(Date.now() - 60_000));
      await store.save(session);
    }
    const alive = await store.create({ userId: 'alice' });
    t.queries.reset();
    const progress: number[] = [];
    expect(await store.clearExpired({ onProgress: (deleted) => progress.push(deleted) })).toBe(25);
    expect(t.queries.sessionStatements().filter((statement) => /^DELETE/i.test(statement))).toHaveLength(3);
    expect(progress).toEqual([10, 20, 25]);
    expect(await sessions.count()).toBe(1);
    expect(await store.exists(alive.key!)).toBe(true);
    expect(await store.clearExpired()).toBe(0);
  });

  it('refuses a user id that does not fit userIdType and data too large for the column', async () => {
    const session = await store.create();
    await expect(store.login(session, '')).rejects.toThrow(/userIdType/);
    session.set('blob', 'x'.repeat(70_000));
    await expect(store.save(session)).rejects.toThrow(/at most 65535/);
  });

  it('turns a database failure into SessionStoreUnavailableException (503)', async () => {
    const dataSource = t.app.get(DataSource);
    const session = await store.create({ userId: 'alice' });
    await dataSource.destroy();
    try {
      await expect(store.load(session.key!)).rejects.toBeInstanceOf(SessionStoreUnavailableException);
      await expect(store.listActive('alice')).rejects.toBeInstanceOf(SessionStoreUnavailableException);
    } finally {
      await dataSource.initialize();
    }
  });
});
