import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { importExpressSessions, type ImportExpressSessionsResult } from './express-session-import.js';
import { ExpressSessionImportError } from '../exceptions/express-session-import.error.js';
import { Session } from '../session/session.entity.js';
import { digestLegacySessionId } from '../session/session-key.js';
import { ConnectTypeormSession } from '../../test/support/connect-typeorm-session.js';

const HOUR = 3_600_000;

/** What express-session stores: its `cookie` settings beside the app's data. */
function sessionJson(data: object): string {
  return JSON.stringify({ cookie: { originalMaxAge: null, httpOnly: true, path: '/' }, ...data });
}

describe('importExpressSessions (SQLite in memory)', () => {
  let dataSource: DataSource;
  const legacy = () => dataSource.getRepository(ConnectTypeormSession);
  const sessions = () => dataSource.getRepository(Session);

  async function addLegacy(id: string, data: object | string, expiresIn = HOUR, destroyed = false): Promise<number> {
    const expiredAt = Date.now() + expiresIn;
    await legacy().insert({ id, expiredAt, json: typeof data === 'string' ? data : sessionJson(data) });
    if (destroyed) await legacy().softDelete({ id });
    return expiredAt;
  }

  beforeAll(async () => {
    dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [Session, ConnectTypeormSession], synchronize: true });
    await dataSource.initialize();
  });
  afterAll(() => dataSource.destroy());
  beforeEach(async () => {
    await legacy().clear();
    await sessions().clear();
  });

  it('copies live sessions only, with their data (but cookie), expiry and user; client unknown', async () => {
    const before = Date.now();
    const aliceExpiry = await addLegacy('alice-sid', { passport: { user: 'alice' }, cart: [1, 2] });
    await addLegacy('anonymous-sid', { theme: 'dark' });
    await addLegacy('numeric-sid', { passport: { user: 42 } });
    await addLegacy('expired-sid', { passport: { user: 'bob' } }, -1000);
    await addLegacy('destroyed-sid', { passport: { user: 'carol' } }, HOUR, true);

    const result = await importExpressSessions(dataSource, { userPath: 'passport.user' });
    expect(result).toEqual({ read: 3, imported: 3, alreadyImported: 0, skipped: 0 });

    const alice = await sessions().findOneByOrFail({ id: digestLegacySessionId('alice-sid') });
    expect(alice.userId).toBe('alice');
    expect(JSON.parse(alice.data)).toEqual({ passport: { user: 'alice' }, cart: [1, 2] });
    expect(alice.expireDate.getTime()).toBe(aliceExpiry);
    expect(alice).toMatchObject({ ip: null, userAgent: null, clientPlatform: null, clientPlatformVersion: null });
    expect(alice.createdAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(alice.lastActivity.getTime()).toBe(alice.createdAt.getTime());

    const anonymous = await sessions().findOneByOrFail({ id: digestLegacySessionId('anonymous-sid') });
    expect(anonymous.userId).toBeNull();
    expect(JSON.parse(anonymous.data)).toEqual({ theme: 'dark' });
    // userIdType 'string': a number becomes its decimal string, as SessionStoreService.login() does.
    expect((await sessions().findOneByOrFail({ id: digestLegacySessionId('numeric-sid') })).userId).toBe('42');
    expect(await sessions().count()).toBe(3);
    // The old ids reach our table only hashed.
    expect(JSON.stringify(await sessions().find())).not.toContain('alice-sid');
  });

  it('is idempotent: a second run finds every row already there', async () => {
    await addLegacy('one', { passport: { user: 'alice' } });
    await addLegacy('two', {});
    expect(await importExpressSessions(dataSource, { userPath: 'passport.user' })).toMatchObject({ imported: 2 });
    expect(await importExpressSessions(dataSource, { userPath: 'passport.user' })).toEqual({
      read: 2,
      imported: 0,
      alreadyImported: 2,
      skipped: 0,
    });
    expect(await sessions().count()).toBe(2);
  });

  it('without userPath, every session is anonymous', async () => {
    await addLegacy('one', { passport: { user: 'alice' } });
    await importExpressSessions(dataSource);
    expect((await sessions().findOneByOrFail({ id: digestLegacySessionId('one') })).userId).toBeNull();
  });

  it("trusts no old row with the library's records or with an expiry beyond maxAge", async () => {
    // An old row claiming a password entered in the year 275760 and an expiry in 2223.
    await addLegacy('forged', { passport: { user: 'mallory' }, __userSessions: { authenticatedAt: 8.64e15 } }, 200 * 365 * 24 * HOUR);
    const before = Date.now();
    expect(await importExpressSessions(dataSource, { userPath: 'passport.user', maxAge: HOUR })).toMatchObject({ imported: 1 });
    const row = await sessions().findOneByOrFail({ id: digestLegacySessionId('forged') });
    expect(JSON.parse(row.data)).toEqual({ passport: { user: 'mallory' } });
    expect(row.expireDate.getTime()).toBeGreaterThanOrEqual(before + HOUR - 1000);
    expect(row.expireDate.getTime()).toBeLessThanOrEqual(Date.now() + HOUR);
  });

  it('caps at the default maxAge (14 days) unless told', async () => {
    await addLegacy('long', {}, 365 * 24 * HOUR);
    await importExpressSessions(dataSource);
    const row = await sessions().findOneByOrFail({ id: digestLegacySessionId('long') });
    expect(row.expireDate.getTime()).toBeLessThanOrEqual(Date.now() + 14 * 24 * HOUR);
    await expect(importExpressSessions(dataSource, { maxAge: 10 })).rejects.toThrow(/maxAge is the module's maxAge in milliseconds, at least 1000/);
  });

  it('skips what it cannot carry over, and counts it', async () => {
    await addLegacy('object-user', { passport: { user: { id: 7, name: 'dave' } } });
    await addLegacy('empty-user', { passport: { user: '' } });
    await addLegacy('not-json', '{"cookie":');
    await addLegacy('array', '[1,2]');
    await addLegacy('too-big', { blob: 'x'.repeat(70_000) });
    await addLegacy('fine', { passport: { user: 'erin' } });
    const result = await importExpressSessions(dataSource, { userPath: 'passport.user' });
    expect(result).toEqual({ read: 6, imported: 1, alreadyImported: 0, skipped: 5 });
    expect((await sessions().find()).map((row) => row.id)).toEqual([digestLegacySessionId('fine')]);
  });

  it('reads in keyset batches and reports running totals', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e']) await addLegacy(id, {});
    await importExpressSessions(dataSource, { batchSize: 5 });
    await addLegacy('f', {});
    const progress: ImportExpressSessionsResult[] = [];
    const result = await importExpressSessions(dataSource, { batchSize: 2, onProgress: (totals) => progress.push(totals) });
    expect(progress).toEqual([
      { read: 2, imported: 0, alreadyImported: 2, skipped: 0 },
      { read: 4, imported: 0, alreadyImported: 4, skipped: 0 },
      { read: 6, imported: 1, alreadyImported: 5, skipped: 0 },
    ]);
    expect(result).toEqual(progress[2]);
    expect(await sessions().count()).toBe(6);
  });

  it('refuses a table name that is not a plain identifier, before any query', async () => {
    for (const table of ['session; DROP TABLE user_sessions', 'a"b', 'a.b.c', '', '1session']) {
      await expect(importExpressSessions(dataSource, { table })).rejects.toThrow(ExpressSessionImportError);
    }
    expect(await dataSource.query(`SELECT count(*) AS n FROM user_sessions`)).toEqual([{ n: 0 }]);
  });

  it('says when the table is missing or is not connect-typeorm\'s', async () => {
    await expect(importExpressSessions(dataSource, { table: 'sessions' })).rejects.toThrow(/There is no table "sessions"/);
    await dataSource.query('CREATE TABLE other_sessions (id varchar(255) PRIMARY KEY, json text)');
    await expect(importExpressSessions(dataSource, { table: 'other_sessions' })).rejects.toThrow(
      /"other_sessions" is not a connect-typeorm session table: it lacks expiredAt, destroyedAt/,
    );
  });

  it('checks its options', async () => {
    await expect(importExpressSessions(dataSource, { batchSize: 0 })).rejects.toThrow(/batchSize must be a whole number from 1 to 2000/);
    await expect(importExpressSessions(dataSource, { batchSize: 2.5 })).rejects.toThrow(/batchSize/);
    await expect(importExpressSessions(dataSource, { userPath: 'passport..user' })).rejects.toThrow(/userPath must be a dot path/);
    await expect(importExpressSessions(dataSource, { userPath: '' })).rejects.toThrow(/userPath must be a dot path/);
  });

  it('needs the Session entity in the DataSource', async () => {
    const other = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [ConnectTypeormSession], synchronize: true });
    await other.initialize();
    try {
      await expect(importExpressSessions(other)).rejects.toThrow(/The Session entity is not registered/);
    } finally {
      await other.destroy();
    }
  });
});
