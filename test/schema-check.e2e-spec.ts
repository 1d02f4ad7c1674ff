import { Logger } from '@nestjs/common';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { memorySessionStorage } from './support/memory-storage.js';
import { expectStoreServesThenClose, startAppOn } from './support/start-app.js';
import {
  Session,
  SessionTableMismatchError,
  UserSessionsMigrations,
  type UserSessionsModuleOptions,
} from '../lib/index.js';

/** Starts an app on `database` with synchronize off, as in production. */
function startApp(database: TestDatabase, options: UserSessionsModuleOptions = {}) {
  return startAppOn(database, { autoLoadEntities: true, synchronize: false }, options);
}

/** Runs SQL on the database outside the app (to shape the table as a test needs). */
async function withDataSource<T>(database: TestDatabase, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = new DataSource({ ...database.options, entities: [Session], migrations: [...UserSessionsMigrations] } as DataSourceOptions);
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

// The default table shape (string user ids, no user entity); the other shape has its own file,
// since the Session entity is shaped once per process.
describeEachDatabase('start-up check of the session table', (kind) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await database?.drop();
  });

  it('refuses to start without the table, naming the migrations to run and synchronize', async () => {
    const started = startApp(database);
    await expect(started).rejects.toThrow(SessionTableMismatchError);
    await expect(started).rejects.toThrow(
      /The session table "user_sessions" does not exist, so the first request that signs in would fail\. Create it: add \.\.\.UserSessionsMigrations to your DataSource's migrations and run them .*or set synchronize: true/,
    );
    await expect(started).rejects.toThrow(/schemaCheck: 'warn' or 'off'/);
  });

  it('starts on the table the shipped migrations made, and serves it', async () => {
    await withDataSource(database, (dataSource) => dataSource.runMigrations());
    await expectStoreServesThenClose(await startApp(database));
  });

  it('refuses a table that lacks a column or an index, naming each', async () => {
    await withDataSource(database, async (dataSource) => {
      await dataSource.runMigrations();
      const runner = dataSource.createQueryRunner();
      try {
        const table = (await runner.getTable('user_sessions'))!;
        await runner.dropIndex(table, table.indices.find((index) => index.columnNames[0] === 'expire_date')!);
        await runner.dropColumn('user_sessions', 'client_platform_version');
      } finally {
        await runner.release();
      }
    });
    const started = startApp(database);
    await expect(started).rejects.toThrow(/does not match the module's options: column "client_platform_version" is missing; there is no index on "expire_date"\. Alter the table with a migration \(TypeORM's migration:generate proposes one\); on a new database, \.\.\.UserSessionsMigrations creates it in this shape/);
  });

  it("'warn' logs the same and starts; 'off' does not look", async () => {
    const warn = vi.spyOn(Logger, 'warn').mockImplementation(() => undefined);
    try {
      const warned = await startApp(database, { schemaCheck: 'warn' });
      await warned.close();
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/The session table "user_sessions" does not exist/), 'UserSessions');
      warn.mockClear();
      const unchecked = await startApp(database, { schemaCheck: 'off' });
      await unchecked.close();
      expect(warn.mock.calls.some(([message]) => /session table/.test(String(message)))).toBe(false);
    } finally {
      warn.mockRestore();
    }
  });

  it('does not look when the app keeps sessions in its own storage', async () => {
    const app = await startApp(database, { storage: memorySessionStorage() });
    await app.close();
  });
});
