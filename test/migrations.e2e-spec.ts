import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { schemaDiff, sessionRecord } from './support/migrations.js';
import { digestSessionKey, generateSessionKey } from '../lib/session/session-key.js';
import {
  SecurityActivityRecord,
  Session,
  SessionStoreService,
  UserDevice,
  UserSessionsEntities,
  TypeOrmSessionStorage,
  UserSessionsMigrationError,
  UserSessionsMigrations,
  UserSessionsModule,
} from '../lib/index.js';

// The default table (user_sessions, string user ids, no foreign key), made by the shipped
// migrations in an app with synchronize off. The custom shape has its own file:
// configureSessionEntity() shapes the entity once per process.
describeEachDatabase('UserSessionsMigrations', (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let emptyDatabaseDiff: string[];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    dataSource = new DataSource({
      ...database.options,
      entities: [...UserSessionsEntities],
      migrations: [...UserSessionsMigrations],
      synchronize: false,
    } as DataSourceOptions);
    await dataSource.initialize();
    emptyDatabaseDiff = await schemaDiff(dataSource);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('up creates exactly the table the entity describes: the schema diff is empty', async () => {
    // The diff sees a missing table and its indexes, so an empty one below means something.
    expect(emptyDatabaseDiff.join('\n')).toMatch(/CREATE TABLE .?user_sessions/);
    expect(emptyDatabaseDiff.join('\n')).toMatch(/CREATE TABLE .?user_devices/);
    expect(emptyDatabaseDiff.join('\n')).toMatch(/CREATE TABLE .?user_security_activity/);
    const indexes = [Session, UserDevice, SecurityActivityRecord].flatMap((entity) => dataSource.getMetadata(entity).indices.map((index) => index.name));
    expect(indexes).toHaveLength(8);
    for (const index of indexes) expect(emptyDatabaseDiff.join('\n')).toContain(index);

    const ran = await dataSource.runMigrations();
    expect(ran.map((migration) => migration.name)).toEqual([
      'CreateUserSessions1795651200000',
      'AddSessionKeyRotation1796515200000',
      'AddDevicesAndActivity1796601600000',
    ]);
    const diff = await schemaDiff(dataSource);
    expect(diff, `schema diff after up:\n${diff.join(';\n')}`).toEqual([]);
  });

  it('the store reads and writes the migrated table', async () => {
    const storage = new TypeOrmSessionStorage(dataSource.getRepository(Session));
    const record = sessionRecord('a'.repeat(64), 'alice');
    await storage.insert(record);
    expect(await storage.find(record.id)).toEqual(record);
    expect(await storage.listActive('alice', new Date())).toHaveLength(1);
    expect(await storage.delete(record)).toBe(true);
    expect(await storage.find(record.id)).toBeNull();
  });

  it('running the migrations again is a no-op', async () => {
    await dataSource.getRepository(Session).insert(sessionRecord('b'.repeat(64), 'bob'));
    expect(await dataSource.runMigrations()).toEqual([]);
    expect(await dataSource.showMigrations()).toBe(false);
    expect(await dataSource.getRepository(Session).countBy({ userId: 'bob' })).toBe(1);
    expect(await schemaDiff(dataSource)).toEqual([]);
  });

  it('down removes the tables and their indexes: the database is as it was before up', async () => {
    await dataSource.undoLastMigration();
    const queryRunner = dataSource.createQueryRunner();
    try {
      expect(await queryRunner.hasTable('user_devices')).toBe(false);
      expect(await queryRunner.hasTable('user_security_activity')).toBe(false);
      expect(await queryRunner.hasTable('user_sessions')).toBe(true);
      await dataSource.undoLastMigration();
      await dataSource.undoLastMigration();
      expect(await queryRunner.hasTable('user_sessions')).toBe(false);
    } finally {
      await queryRunner.release();
    }
    expect(await schemaDiff(dataSource)).toEqual(emptyDatabaseDiff);
    expect(await dataSource.showMigrations()).toBe(true);

    // And up again after down.
    expect(await dataSource.runMigrations()).toHaveLength(3);
    expect(await schemaDiff(dataSource)).toEqual([]);
  });

  it('refuses to create a table that synchronize already made; recorded as run, it is left alone', async () => {
    await dataSource.undoLastMigration();
    await dataSource.undoLastMigration();
    await dataSource.undoLastMigration();
    await dataSource.synchronize();
    const failure = await dataSource.runMigrations().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UserSessionsMigrationError);
    expect(String(failure)).toMatch(/"user_sessions", which already exists.*record CreateUserSessions1795651200000 as run/);
    expect(await dataSource.showMigrations()).toBe(true);

    // What docs/migrations.md says to do instead; the next migration then finds its columns there too.
    await dataSource.query(
      "INSERT INTO migrations (timestamp, name) VALUES (1795651200000, 'CreateUserSessions1795651200000')",
    );
    const second = await dataSource.runMigrations().catch((error: unknown) => error);
    expect(second).toBeInstanceOf(UserSessionsMigrationError);
    expect(String(second)).toMatch(/has them already.*record AddSessionKeyRotation1796515200000 as run/);
    await dataSource.query(
      "INSERT INTO migrations (timestamp, name) VALUES (1796515200000, 'AddSessionKeyRotation1796515200000')",
    );
    const third = await dataSource.runMigrations().catch((error: unknown) => error);
    expect(third).toBeInstanceOf(UserSessionsMigrationError);
    expect(String(third)).toMatch(/"user_devices", which already exists.*record AddDevicesAndActivity1796601600000 as run/);
    await dataSource.query(
      "INSERT INTO migrations (timestamp, name) VALUES (1796601600000, 'AddDevicesAndActivity1796601600000')",
    );
    expect(await dataSource.runMigrations()).toEqual([]);
    expect(await schemaDiff(dataSource)).toEqual([]);
  });

  it('a table of the first version, with sessions in it, is brought up to date: the sessions keep their keys and public ids', async () => {
    const oldDatabase = await createTestDatabase(kind);
    const [createTable, addRotation] = UserSessionsMigrations;
    const open = (migrations: typeof UserSessionsMigrations) =>
      new DataSource({ ...oldDatabase.options, entities: [Session], migrations, synchronize: false } as DataSourceOptions).initialize();
    let old = await open([createTable]);
    try {
      await old.runMigrations();
      const key = generateSessionKey();
      const digest = digestSessionKey(key);
      const created = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
      await old
        .createQueryBuilder()
        .insert()
        .into('user_sessions', ['key_digest', 'session_data', 'expire_date', 'user_id', 'last_activity', 'created_at'])
        .values({ key_digest: digest, session_data: '{"a":1}', expire_date: new Date(Date.now() + 3_600_000), user_id: 'alice', last_activity: created, created_at: created })
        .execute();
      await old.destroy();
      old = await open([createTable, addRotation]);
      expect((await old.runMigrations()).map((migration) => migration.name)).toEqual(['AddSessionKeyRotation1796515200000']);
      expect(await schemaDiff(old)).toEqual([]);
      const record = await new TypeOrmSessionStorage(old.getRepository(Session)).find(digest);
      expect(record).toMatchObject({ keyDigest: digest, id: digest, previousKeyDigest: null, keySeal: null, keyIssuedAt: created, userId: 'alice', data: '{"a":1}' });
    } finally {
      if (old.isInitialized) await old.destroy();
      await oldDatabase.drop();
    }
  });

  it('an app with synchronize off runs them at start-up (migrationsRun) and its store works', async () => {
    const appDatabase = await createTestDatabase(kind);
    @Module({
      imports: [
        TypeOrmModule.forRoot({
          ...appDatabase.options,
          autoLoadEntities: true,
          synchronize: false,
          migrations: [...UserSessionsMigrations],
          migrationsRun: true,
        } as Parameters<typeof TypeOrmModule.forRoot>[0]),
        UserSessionsModule.forRoot(),
      ],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: ['error'] });
    try {
      await app.init();
      const appDataSource = app.get(DataSource);
      expect(await appDataSource.showMigrations()).toBe(false);
      expect(await schemaDiff(appDataSource)).toEqual([]);
      const store = app.get(SessionStoreService);
      const session = await store.create({ userId: 'alice' });
      expect((await store.load(session.key!))!.userId).toBe('alice');
    } finally {
      await app.close();
      await appDatabase.drop();
    }
  });

  it('an app updated without running AddDevicesAndActivity does not start: the check names the migration and the options that turn it off', async () => {
    const appDatabase = await createTestDatabase(kind);
    const [createTable, addRotation] = UserSessionsMigrations;
    const start = async (options: Parameters<typeof UserSessionsModule.forRoot>[0]) => {
      @Module({
        imports: [
          TypeOrmModule.forRoot({
            ...appDatabase.options,
            autoLoadEntities: true,
            synchronize: false,
            migrations: [createTable, addRotation],
            migrationsRun: true,
          } as Parameters<typeof TypeOrmModule.forRoot>[0]),
          UserSessionsModule.forRoot(options),
        ],
      })
      class AppModule {}
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      try {
        await app.init();
      } finally {
        await app.close();
      }
    };
    try {
      const failure = await start({}).catch((error: unknown) => error);
      expect(String(failure)).toMatch(
        /"user_devices" and "user_security_activity" .* do not exist.*AddDevicesAndActivity1796601600000.*knownDevices: \{ enabled: false \}, activityHistoryDays: 0/,
      );
      // With both features off, the two tables are not needed.
      await start({ knownDevices: { enabled: false }, activityHistoryDays: 0 });
    } finally {
      await appDatabase.drop();
    }
  });
});
