import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { INestApplication } from '@nestjs/common';
import { expect } from 'vitest';
import { SessionStoreService, UserSessionsModule, type UserSessionsModuleOptions } from '../../lib/index.js';
import type { TestDatabase } from './databases.js';

/**
 * Starts an app (no HTTP server) on `database` with these TypeORM and module options, and
 * resolves to it; rejects as `app.init()` does, with the app closed.
 */
export async function startAppOn(
  database: TestDatabase,
  typeorm: Partial<TypeOrmModuleOptions>,
  options: UserSessionsModuleOptions = {},
): Promise<INestApplication> {
  @Module({
    imports: [TypeOrmModule.forRoot({ ...database.options, ...typeorm } as TypeOrmModuleOptions), UserSessionsModule.forRoot(options)],
  })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

/** Checks that the app's store keeps a session (alice's) and finds it by its key, then closes the app. */
export async function expectStoreServesThenClose(app: INestApplication): Promise<void> {
  try {
    const store = app.get(SessionStoreService);
    const session = await store.create({ userId: 'alice' });
    expect((await store.load(session.key!))?.userId).toBe('alice');
  } finally {
    await app.close();
  }
}
