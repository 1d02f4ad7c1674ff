import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateUtils } from 'typeorm/util/DateUtils.js';
import { Session } from '../session/session.entity.js';
import { createRowHydrator, parseSqliteUtcDatetime, type SelectedColumn } from './session-row.js';

describe('createRowHydrator', () => {
  let dataSource: DataSource;
  let columns: SelectedColumn[];

  beforeAll(async () => {
    dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [Session], synchronize: true });
    await dataSource.initialize();
    columns = dataSource.getMetadata(Session).columns.map((column) => ({ alias: `session_${column.databaseName}`, column }));
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  /** What TypeORM's own hydration makes of a raw row. */
  function byDriver(row: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(columns.map(({ alias, column }) => [column.propertyName, dataSource.driver.prepareHydratedValue(row[alias], column)]));
  }

  it('reads a row written through TypeORM as TypeORM reads it', async () => {
    const now = new Date('2026-11-26T10:49:01.123Z');
    await dataSource.getRepository(Session).insert({
      keyDigest: 'a'.repeat(64),
      id: 'a'.repeat(64),
      previousKeyDigest: 'b'.repeat(64),
      keySeal: 'S'.repeat(43),
      keyIssuedAt: now,
      data: '{"theme":"dark"}',
      expireDate: new Date(now.getTime() + 86_400_000),
      userId: 'alice',
      userAgent: 'Mozilla/5.0',
      clientPlatform: null,
      clientPlatformVersion: null,
      ip: '203.0.113.7',
      lastActivity: now,
      createdAt: now,
    });
    const [sql, parameters] = dataSource
      .getRepository(Session)
      .createQueryBuilder('session')
      .where('session.keyDigest = :keyDigest', { keyDigest: 'a'.repeat(64) })
      .getQueryAndParameters();
    const [row] = (await dataSource.query(sql, parameters)) as Record<string, unknown>[];
    const record = createRowHydrator(dataSource.driver, columns)(row);
    expect(record).toEqual(byDriver(row));
    expect(record.lastActivity).toEqual(now);
    expect(record.clientPlatform).toBeNull();
  });

  it('agrees with the driver on any date TypeORM writes, and on near misses of that format', () => {
    const hydrate = createRowHydrator(dataSource.driver, columns);
    const rowWith = (text: string) => ({
      session_key_digest: 'x',
      session_session_id: 'x',
      session_previous_key_digest: null,
      session_key_seal: null,
      session_key_issued_at: text,
      session_session_data: '{}',
      session_expire_date: text,
      session_user_id: null,
      session_user_agent: null,
      session_client_platform: null,
      session_client_platform_version: null,
      session_ip: null,
      session_last_activity: text,
      session_created_at: text,
    });
    const same = (text: string) => {
      // Dates compare by their time (an invalid one as NaN); anything else as it is.
      const comparable = (value: unknown) => (value instanceof Date ? `Date ${value.getTime()}` : value);
      expect(comparable(hydrate(rowWith(text)).expireDate)).toEqual(comparable(byDriver(rowWith(text)).expireDate));
    };
    const written = fc.date({ min: new Date('0100-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
    fc.assert(fc.property(written, (date) => same(DateUtils.mixedDateToUtcDatetimeString(date) as string)), { numRuns: 2000 });
    // The same shape with any digits (day 31 of April, hour 24, year 0050) and other shapes.
    const digits = (n: number) => fc.string({ unit: fc.constantFrom('0', '1', '2', '3', '5', '9'), minLength: n, maxLength: n });
    const shaped = fc
      .tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), digits(3))
      .map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d} ${h}:${mi}:${s}.${ms}`);
    fc.assert(fc.property(shaped, same), { numRuns: 2000 });
    for (const text of ['2026-11-26T10:49:01.123Z', '2026-11-26 10:49:01', '2026-11-26 10:49', '2026-11-26', '2026-11-26 10:49:01.12a', '']) {
      same(text);
    }
  });
});

describe('createRowHydrator on MySQL and MariaDB', () => {
  it("leaves date text (the dateStrings option) to the driver, which reads it in the process's time zone", async () => {
    // Not connected: only the driver's hydration is used, on the entity's columns as SQLite built them.
    const sqlite = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [Session] });
    await sqlite.initialize();
    const columns = sqlite.getMetadata(Session).columns.map((column) => ({ alias: `session_${column.databaseName}`, column }));
    await sqlite.destroy();
    const dataSource = new DataSource({ type: 'mariadb', dateStrings: true, entities: [Session] });
    const text = '2026-11-26 10:49:01.123';
    const row = Object.fromEntries(columns.map(({ alias }) => [alias, null]));
    Object.assign(row, { session_expire_date: text, session_last_activity: text, session_created_at: text });
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const record = createRowHydrator(dataSource.driver, columns)(row);
      const byDriver = dataSource.driver.prepareHydratedValue(text, columns.find(({ column }) => column.propertyName === 'expireDate')!.column);
      expect(byDriver).toEqual(new Date('2026-11-26T15:49:01.123Z'));
      expect(record.expireDate).toEqual(byDriver);
      expect(record.lastActivity).toEqual(byDriver);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});

describe('parseSqliteUtcDatetime', () => {
  it('reads the format TypeORM writes and nothing else', () => {
    expect(parseSqliteUtcDatetime('2026-11-26 10:49:01.123')).toEqual(new Date('2026-11-26T10:49:01.123Z'));
    expect(parseSqliteUtcDatetime('2026-11-26 10:49:01')).toBeNull();
    expect(parseSqliteUtcDatetime('2026-02-30 00:00:00.000')).toBeNull(); // the driver rolls it into March
    expect(parseSqliteUtcDatetime('0050-01-01 00:00:00.000')).toBeNull();
    expect(parseSqliteUtcDatetime('2026-11-26 24:00:00.000')).toBeNull();
    expect(parseSqliteUtcDatetime('2026-11-26 1-:00:00.000')).toBeNull();
  });
});
