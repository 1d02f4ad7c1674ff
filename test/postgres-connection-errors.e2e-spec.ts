import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session, TypeOrmSessionStorage } from '../lib/index.js';
import { createTestDatabase, databaseMatrix, type TestDatabase } from './support/databases.js';
import { SERVICES } from './support/services.js';
import { TcpProxy } from './support/tcp-proxy.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const postgres = databaseMatrix().find((entry) => entry.kind === 'postgres')!;

/**
 * pg-pool takes its error listener off a client when it hands the client out, and TypeORM puts
 * its own on only once a promise resolves. When the server's answer to one query and its
 * "terminating connection" error arrive in one read (a fast shutdown, pg_terminate_backend), the
 * answer releases the client to a waiting TypeORM query runner and the error is then emitted on
 * a client that nobody listens to: an uncaught exception, the end of the app. Found by the
 * fault suite (`pg_ctl stop -m fast` under load); here made to happen on purpose, with a proxy
 * that holds back the server's bytes and delivers the answer and the error together.
 */
describe.skipIf(postgres.skip !== null)(
  postgres.skip === null ? 'PostgreSQL connection errors' : `PostgreSQL connection errors (skipped: ${postgres.skip})`,
  () => {
    let database: TestDatabase;
    let proxy: TcpProxy;
    let dataSource: DataSource;
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);

    beforeAll(async () => {
      database = await createTestDatabase('postgres');
      proxy = await TcpProxy.start(SERVICES.postgres);
      dataSource = new DataSource({
        ...(database.options as { type: 'postgres'; username: string; database: string }),
        host: '127.0.0.1',
        port: proxy.port,
        entities: [Session],
        synchronize: true,
        poolSize: 1,
      });
      await dataSource.initialize();
      process.on('uncaughtException', record);
    });
    afterAll(async () => {
      process.off('uncaughtException', record);
      await dataSource?.destroy();
      await proxy?.close();
      await database?.drop();
    });

    it('a server that ends a connection just as the pool hands it over does not crash the process', async () => {
      const storage = new TypeOrmSessionStorage(dataSource.getRepository(Session));
      const [{ pid }] = await dataSource.query('SELECT pg_backend_pid() AS pid');
      const { default: pg } = await import('pg');
      const admin = new pg.Client({ host: SERVICES.postgres.host, port: SERVICES.postgres.port, user: 'postgres', database: database.options.database as string });
      await admin.connect();
      try {
        proxy.silence('toClient');
        // The find holds the pool's one client (pg's pool.query); the update, a TypeORM query
        // runner, waits for it.
        const found = storage.find('a'.repeat(64));
        const updated = storage.update('b'.repeat(64), { lastActivity: new Date() });
        const backend = async () =>
          (await admin.query('SELECT state, query FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0] as { state: string; query: string } | undefined;
        for (let tries = 0; !(await backend())?.query.includes('user_sessions') || (await backend())?.state !== 'idle'; tries++) {
          if (tries > 200) throw new Error('the find never reached the server');
          await sleep(10);
        }
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        for (let tries = 0; (await backend()) !== undefined; tries++) {
          if (tries > 200) throw new Error('the backend did not end');
          await sleep(10);
        }
        proxy.resume();

        expect(await found).toBeNull();
        await expect(updated).rejects.toThrow();
        await sleep(100);
        expect(uncaught).toEqual([]);
        // The broken client left the pool: the next query gets a new connection.
        expect(await storage.find('a'.repeat(64))).toBeNull();
      } finally {
        proxy.resume();
        await admin.end();
      }
    });
  },
);
