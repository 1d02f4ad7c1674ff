import {
  Column,
  DataSource,
  Entity,
  PrimaryGeneratedColumn,
  Table,
  type DataSourceOptions,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { schemaDiff, sessionRecord } from './support/migrations.js';
import {
  configureSessionEntity,
  createUserSessionsMigrations,
  Session,
  TypeOrmSessionStorage,
  UserSessionsEntities,
  UserSessionsMigrationError,
} from '../lib/index.js';

@Entity('app_users')
class AppUser {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 50 })
  name: string;
}

// What UserSessionsModule.forRoot({ tableName, userIdType, userEntity }) does to the entity;
// once per process, hence this file apart from migrations.e2e-spec.ts.
configureSessionEntity({
  tableName: 'app_sessions',
  userIdType: 'number',
  userEntity: () => AppUser,
  devicesTableName: 'app_devices',
  activityTableName: 'app_activity',
});

/** The app's own migration for its users table, at the given timestamp. */
function createAppUsers(timestamp: number): new () => MigrationInterface {
  return class CreateAppUsers implements MigrationInterface {
    readonly name = `CreateAppUsers${timestamp}`;
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.createTable(
        new Table({
          name: 'app_users',
          columns: [
            { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
            { name: 'name', type: 'varchar', length: '50' },
          ],
        }),
      );
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.dropTable('app_users');
    }
  };
}

const SHAPE = { tableName: 'app_sessions', userIdType: 'number', devicesTableName: 'app_devices', activityTableName: 'app_activity' } as const;

describeEachDatabase('createUserSessionsMigrations() with tableName, userIdType number and userForeignKey', (kind) => {
  const databases: TestDatabase[] = [];
  const dataSources: DataSource[] = [];

  /** A data source on a fresh database of this kind, with these migrations. */
  async function open(migrations: (new () => MigrationInterface)[]): Promise<DataSource> {
    const database = await createTestDatabase(kind);
    databases.push(database);
    const dataSource = new DataSource({
      ...database.options,
      entities: [AppUser, ...UserSessionsEntities],
      migrations,
      synchronize: false,
    } as DataSourceOptions);
    await dataSource.initialize();
    dataSources.push(dataSource);
    return dataSource;
  }

  afterAll(async () => {
    for (const dataSource of dataSources) await dataSource.destroy();
    for (const database of databases) await database.drop();
  });

  describe('users table made by an older migration, default foreign-key timestamp', () => {
    let dataSource: DataSource;
    beforeAll(async () => {
      dataSource = await open([
        ...createUserSessionsMigrations({ ...SHAPE, userForeignKey: { table: 'app_users' } }),
        createAppUsers(1700000000000),
      ]);
    });

    it('runs in timestamp order and leaves an empty schema diff, foreign key included', async () => {
      const before = await schemaDiff(dataSource);
      const foreignKey = dataSource.getMetadata(Session).foreignKeys[0];
      expect(foreignKey.onDelete).toBe('CASCADE');
      expect(before.join('\n')).toContain(foreignKey.name);

      const ran = await dataSource.runMigrations();
      expect(ran.map((migration) => migration.name)).toEqual([
        'CreateAppUsers1700000000000',
        'CreateUserSessions1795651200000',
        'AddUserSessionsForeignKey1795651200001',
        'AddSessionKeyRotation1796515200000',
        'AddDevicesAndActivity1796601600000',
      ]);
      const diff = await schemaDiff(dataSource);
      expect(diff, `schema diff after up:\n${diff.join(';\n')}`).toEqual([]);
      expect(await dataSource.runMigrations()).toEqual([]);
    });

    it('stores integer user ids; deleting a user deletes their sessions (ON DELETE CASCADE)', async () => {
      const users = dataSource.getRepository(AppUser);
      const carol = await users.save({ name: 'carol' });
      const dave = await users.save({ name: 'dave' });
      const storage = new TypeOrmSessionStorage(dataSource.getRepository(Session));
      await storage.insert(sessionRecord('c'.repeat(64), carol.id));
      await storage.insert(sessionRecord('d'.repeat(64), dave.id));
      expect((await storage.find('c'.repeat(64)))!.userId).toBe(carol.id);

      await users.delete({ id: carol.id });
      expect(await storage.find('c'.repeat(64))).toBeNull();
      expect(await storage.listActive(carol.id, new Date())).toHaveLength(0);
      expect(await storage.listActive(dave.id, new Date())).toHaveLength(1);
      await expect(storage.insert(sessionRecord('e'.repeat(64), 999_999))).rejects.toThrow();
    });

    it('down removes the devices and activity, the key rotation, the foreign key, then the table; the users table stays', async () => {
      await dataSource.undoLastMigration();
      await dataSource.undoLastMigration();
      await dataSource.undoLastMigration();
      const withoutForeignKey = await schemaDiff(dataSource);
      expect(withoutForeignKey.join('\n')).toContain(dataSource.getMetadata(Session).foreignKeys[0].name);
      expect(withoutForeignKey.join('\n')).not.toMatch(/CREATE TABLE .?app_sessions/);

      await dataSource.undoLastMigration();
      const queryRunner = dataSource.createQueryRunner();
      try {
        expect(await queryRunner.hasTable('app_sessions')).toBe(false);
        expect(await queryRunner.hasTable('app_users')).toBe(true);
      } finally {
        await queryRunner.release();
      }
      const diff = await schemaDiff(dataSource);
      expect(diff.join('\n')).toMatch(/CREATE TABLE .?app_sessions/);
      expect(diff.join('\n')).not.toMatch(/CREATE TABLE .?app_users/);

      expect(await dataSource.runMigrations()).toHaveLength(4);
      expect(await schemaDiff(dataSource)).toEqual([]);
    });
  });

  it('a users table made by a newer migration than the foreign key: a clear error', async () => {
    const dataSource = await open([
      ...createUserSessionsMigrations({ ...SHAPE, userForeignKey: { table: 'app_users' } }),
      createAppUsers(1800000000000),
    ]);
    const failure = await dataSource.runMigrations().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UserSessionsMigrationError);
    expect(String(failure)).toMatch(/"app_users", which does not exist yet.*userForeignKey\.timestamp later/);
  });

  it('a users table made by a newer migration, with a later foreign-key timestamp: an empty schema diff', async () => {
    const dataSource = await open([
      ...createUserSessionsMigrations({ ...SHAPE, userForeignKey: { table: 'app_users', timestamp: 1800000000001 } }),
      createAppUsers(1800000000000),
    ]);
    const ran = await dataSource.runMigrations();
    expect(ran.map((migration) => migration.name)).toEqual([
      'CreateUserSessions1795651200000',
      'AddSessionKeyRotation1796515200000',
      'AddDevicesAndActivity1796601600000',
      'CreateAppUsers1800000000000',
      'AddUserSessionsForeignKey1800000000001',
    ]);
    const diff = await schemaDiff(dataSource);
    expect(diff, `schema diff after up:\n${diff.join(';\n')}`).toEqual([]);
  });
});
