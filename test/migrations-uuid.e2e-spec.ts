import { randomUUID } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { schemaDiff, sessionRecord } from './support/migrations.js';
import { configureSessionEntity, createUserSessionsMigrations, Session, TypeOrmSessionStorage, UserSessionsEntities } from '../lib/index.js';

// UUID user ids: each database has its own type for them (uuid, or varchar(36) where there
// is none), which the migration must pick as the entity does. Once per process, hence its own file.
configureSessionEntity({ userIdType: 'uuid' });

describeEachDatabase('createUserSessionsMigrations() with userIdType uuid', (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    dataSource = new DataSource({
      ...database.options,
      entities: [...UserSessionsEntities],
      migrations: createUserSessionsMigrations({ userIdType: 'uuid' }),
      synchronize: false,
    } as DataSourceOptions);
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('up leaves an empty schema diff and the store keeps uuid user ids', async () => {
    expect(await schemaDiff(dataSource)).not.toEqual([]);
    await dataSource.runMigrations();
    const diff = await schemaDiff(dataSource);
    expect(diff, `schema diff after up:\n${diff.join(';\n')}`).toEqual([]);

    const storage = new TypeOrmSessionStorage(dataSource.getRepository(Session));
    const userId = randomUUID();
    await storage.insert(sessionRecord('f'.repeat(64), userId));
    expect((await storage.find('f'.repeat(64)))!.userId).toBe(userId);
    expect(await storage.listActive(userId, new Date())).toHaveLength(1);
  });
});
