import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { expect, it } from 'vitest';
import { MissingDataSourceError, SessionEntityNotRegisteredError, UserSessionsModule } from '../lib/index.js';
import { memorySessionStorage } from './support/memory-storage.js';
import { expectStoreServesThenClose } from './support/start-app.js';

async function start(imports: Parameters<typeof Module>[0]['imports']) {
  @Module({ imports })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

it('without TypeOrmModule the app refuses to start with one error that names the fix', async () => {
  const started = start([UserSessionsModule.forRoot()]);
  await expect(started).rejects.toThrow(MissingDataSourceError);
  await expect(started).rejects.toThrow(/no TypeORM DataSource: import TypeOrmModule\.forRoot\(.*autoLoadEntities: true.*\) in the application module/);
});

it('with its own storage, the module needs no TypeORM at all', async () => {
  await expectStoreServesThenClose(await start([UserSessionsModule.forRoot({ storage: memorySessionStorage() })]));
});

it('an explicit entity list without Session refuses to start with one error that names the fix', async () => {
  const { TypeOrmModule } = await import('@nestjs/typeorm');
  const started = start([
    TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: [], synchronize: true }),
    UserSessionsModule.forRoot(),
  ]);
  await expect(started).rejects.toThrow(SessionEntityNotRegisteredError);
  await expect(started).rejects.toThrow(
    /does not know the Session and UserDevice and SecurityActivityRecord entities .*add them to the entities list \(entities: \[User, \.\.\.UserSessionsEntities\].*or set autoLoadEntities: true.*or turn their feature off \(knownDevices: \{ enabled: false \}, activityHistoryDays: 0\)/,
  );
});

it('an entity list with Session alone names the two entities that known devices and the activity history need', async () => {
  const { TypeOrmModule } = await import('@nestjs/typeorm');
  const { Session } = await import('../lib/index.js');
  const started = start([
    TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: [Session], synchronize: true }),
    UserSessionsModule.forRoot(),
  ]);
  await expect(started).rejects.toThrow(/does not know the UserDevice and SecurityActivityRecord entities/);
  // With the two features off, Session alone is enough.
  const { TypeOrmModule: Again } = await import('@nestjs/typeorm');
  await expectStoreServesThenClose(
    await start([
      Again.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: [Session], synchronize: true }),
      UserSessionsModule.forRoot({ knownDevices: { enabled: false }, activityHistoryDays: 0 }),
    ]),
  );
});
