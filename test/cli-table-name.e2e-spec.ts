import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { main } from '../lib/cli/main.js';
import { configureSessionEntity, Session } from '../lib/index.js';

// Its own file: the Session entity takes one shape per process, here as an app with
// tableName 'app_sessions' and userIdType 'number' has it.
configureSessionEntity({ tableName: 'app_sessions', userIdType: 'number' });

describeEachDatabase('clear-expired --table-name --user-id-type', (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    dataSource = new DataSource({ ...database.options, entities: [Session], synchronize: true } as never);
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('deletes from the table the flags name', async () => {
    const now = Date.now();
    const rows = [-1000, -2000, 60_000].map((offset, i) => {
      const digest = randomBytes(32).toString('hex');
      return {
        keyDigest: digest,
        id: digest,
        keyIssuedAt: new Date(now),
        data: '{}',
        expireDate: new Date(now + offset),
        userId: i + 1,
        lastActivity: new Date(now),
        createdAt: new Date(now),
      };
    });
    await dataSource.getRepository(Session).insert(rows);
    const options = database.options as { host?: string; port?: number; username?: string; database: string };
    const url = kind === 'sqlite'
      ? options.database
      : `${kind}://${options.username}@${options.host}:${options.port}/${options.database}`;

    let stdout = '';
    let stderr = '';
    const code = await main(['clear-expired', '--table-name', 'app_sessions', '--user-id-type', 'number'], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: { DATABASE_URL: url },
    });

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Deleted 2 expired sessions in /);
    const left = await dataSource.query(`SELECT ${dataSource.driver.escape('user_id')} AS u FROM ${dataSource.driver.escape('app_sessions')}`);
    expect(left.map((row: { u: unknown }) => Number(row.u))).toEqual([3]);
  });
});
