import { Column, DataSource, Entity, PrimaryGeneratedColumn, QueryFailedError } from 'typeorm';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { Session, SessionStoreService, SessionStoreUnavailableException, UserSessionsEntities, UserSessionsModule } from '../lib/index.js';

@Entity('app_users')
class AppUser {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 50 })
  name: string;
}

// An explicit entity list (no autoLoadEntities), integer user ids and a foreign key to the
// app's own User entity: deleting the user deletes their sessions.
describeEachDatabase('Session entity with userIdType number and userEntity', (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let store: SessionStoreService;
  let close: () => Promise<void>;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    @Module({
      imports: [
        TypeOrmModule.forRoot({
          ...database.options,
          entities: [AppUser, ...UserSessionsEntities],
          synchronize: true,
        } as Parameters<typeof TypeOrmModule.forRoot>[0]),
        UserSessionsModule.forRoot({ userIdType: 'number', userEntity: () => AppUser, tableName: 'app_sessions' }),
      ],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    dataSource = app.get(DataSource);
    store = app.get(SessionStoreService);
    close = () => app.close();
  });
  afterAll(async () => {
    await close?.();
    await database?.drop();
  });

  it('stores integer user ids in the configured table', async () => {
    const user = await dataSource.getRepository(AppUser).save({ name: 'alice' });
    const session = await store.create();
    await store.login(session, String(user.id));
    const [row] = await dataSource.query(`SELECT user_id FROM app_sessions`);
    expect(Number(row.user_id)).toBe(user.id);
    expect((await store.load(session.key!))!.userId).toBe(user.id);
    expect(await store.listActive(user.id)).toHaveLength(1);
    await expect(store.login(session, 'alice')).rejects.toThrow(/userIdType 'number'/);
  });

  it('deleting a user deletes their sessions (ON DELETE CASCADE)', async () => {
    const users = dataSource.getRepository(AppUser);
    const carol = await users.save({ name: 'carol' });
    const dave = await users.save({ name: 'dave' });
    await store.create({ userId: carol.id });
    await store.create({ userId: carol.id });
    await store.create({ userId: dave.id });
    await users.delete({ id: carol.id });
    expect(await store.listActive(carol.id)).toHaveLength(0);
    expect(await store.listActive(dave.id)).toHaveLength(1);
  });

  it('refuses a session for a user that does not exist: a statement error, not an outage', async () => {
    const failure = await store.create({ userId: 999_999 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QueryFailedError);
    expect(failure).not.toBeInstanceOf(SessionStoreUnavailableException);
  });
});
