import { Column, DataSource, Entity, PrimaryGeneratedColumn, type DataSourceOptions, type MigrationInterface } from 'typeorm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { startAppOn } from './support/start-app.js';
import {
  createUserSessionsMigrations,
  Session,
  SessionStoreService,
  UserSessionsEntities,
  UserSessionsMigrations,
  userSessionsMigrationsFor,
  type UserSessionsModuleOptions,
} from '../lib/index.js';

/** The module's options, given once to forRoot() and to the migrations, as the docs show. */
const sessionOptions = { userIdType: 'number', userEntity: () => User, cookieName: 'sid' } satisfies UserSessionsModuleOptions;

@Entity('users')
class User {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 50 })
  name: string;
}

/** Creates the users table, as the app's own first migration would. */
class CreateUsers1700000000000 implements MigrationInterface {
  async up(runner: Parameters<MigrationInterface['up']>[0]): Promise<void> {
    const { Table } = await import('typeorm');
    await runner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'name', type: 'varchar', length: '50' },
        ],
      }),
    );
  }

  async down(runner: Parameters<MigrationInterface['down']>[0]): Promise<void> {
    await runner.dropTable('users');
  }
}

/** Runs the app's migrations outside the app, as `typeorm migration:run` would. */
async function migrate(database: TestDatabase, migrations: (new () => MigrationInterface)[]): Promise<void> {
  const dataSource = new DataSource({ ...database.options, entities: [User, ...UserSessionsEntities], migrations } as DataSourceOptions);
  await dataSource.initialize();
  try {
    await dataSource.runMigrations();
  } finally {
    await dataSource.destroy();
  }
}

function startApp(database: TestDatabase) {
  return startAppOn(database, { entities: [User, ...UserSessionsEntities], synchronize: false }, sessionOptions);
}

// The first hour's trap: forRoot({ userIdType: 'number', userEntity }) with the default
// migrations left a varchar user_id and no foreign key, and the app started.
describeEachDatabase('start-up check of a table made for other options', (kind) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await database?.drop();
  });

  it("refuses the default migrations' table for userIdType 'number' and userEntity, naming the column, the key and the fix", async () => {
    await migrate(database, [CreateUsers1700000000000, ...UserSessionsMigrations]);
    const started = startApp(database);
    await expect(started).rejects.toThrow(/column "user_id" is [^,;]+, expected [^;]+ \(userIdType: 'number'\)/);
    await expect(started).rejects.toThrow(/there is no foreign key from "user_id" to "users" \(userEntity is set\)/);
    await expect(started).rejects.toThrow(/createUserSessionsMigrations\(\{ userIdType: 'number', userForeignKey: \{ table: 'users' \} \}\) creates it in this shape/);
  });

  it('userSessionsMigrationsFor(the module options) makes the table the module expects, foreign key included', async () => {
    await migrate(database, [CreateUsers1700000000000, ...userSessionsMigrationsFor(sessionOptions)]);
    const app = await startApp(database);
    await app.close();
    const names = userSessionsMigrationsFor(sessionOptions).map((Migration) => new Migration().name);
    expect(names).toEqual([
      'CreateUserSessions1795651200000',
      'AddUserSessionsForeignKey1795651200001',
      'AddSessionKeyRotation1796515200000',
      'AddDevicesAndActivity1796601600000',
    ]);
  });

  it('names the foreign key migration when the key alone is missing', async () => {
    await migrate(database, [CreateUsers1700000000000, ...createUserSessionsMigrations({ userIdType: 'number' })]);
    await expect(startApp(database)).rejects.toThrow(
      /: there is no foreign key from "user_id" to "users" \(userEntity is set\)\. Add it with \.\.\.createUserSessionsMigrations\(\{ userIdType: 'number', userForeignKey: \{ table: 'users' \} \}\): its AddUserSessionsForeignKey migration/,
    );
    // Following the message fixes it.
    await migrate(database, [CreateUsers1700000000000, ...createUserSessionsMigrations({ userIdType: 'number', userForeignKey: { table: 'users' } })]);
    await (await startApp(database)).close();
  });

  it('starts on the table the migrations of the same options made', async () => {
    await migrate(database, [CreateUsers1700000000000, ...createUserSessionsMigrations({ userIdType: 'number', userForeignKey: { table: 'users' } })]);
    const app = await startApp(database);
    try {
      const user = await app.get(DataSource).getRepository(User).save({ name: 'alice' });
      const store = app.get(SessionStoreService);
      const session = await store.create();
      await store.login(session, user.id);
      expect(await store.listActive(user.id)).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
