import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { configureSessionEntity, importExpressSessions, Session } from '../lib/index.js';
import { digestLegacySessionId } from '../lib/session/session-key.js';
import { ConnectTypeormSession } from './support/connect-typeorm-session.js';

@Entity('app_users')
class AppUser {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 50 })
  name: string;
}

// Integer user ids and a foreign key to the app's users: what the import makes of the ids
// passport stored, and of sessions whose user has been deleted since.
describeEachDatabase('importExpressSessions with userIdType number and userEntity', (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    configureSessionEntity({ userIdType: 'number', userEntity: () => AppUser, tableName: 'app_sessions' });
    database = await createTestDatabase(kind);
    dataSource = new DataSource({
      ...database.options,
      entities: [AppUser, Session, ConnectTypeormSession],
      synchronize: true,
    } as ConstructorParameters<typeof DataSource>[0]);
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('imports ids that fit, skips those that do not or whose user is gone, and counts them', async () => {
    const alice = await dataSource.getRepository(AppUser).save({ name: 'alice' });
    const expiredAt = Date.now() + 3_600_000;
    const rows = {
      'alice-as-string': { passport: { user: String(alice.id) } },
      'alice-as-number': { passport: { user: alice.id } },
      'deleted-user': { passport: { user: alice.id + 1000 } },
      'not-a-number': { passport: { user: 'alice' } },
      anonymous: { cart: [1] },
    };
    await dataSource.getRepository(ConnectTypeormSession).insert(
      Object.entries(rows).map(([id, data]) => ({ id, expiredAt, json: JSON.stringify({ cookie: { path: '/' }, ...data }) })),
    );

    const options = { userPath: 'passport.user' };
    expect(await importExpressSessions(dataSource, options)).toEqual({ read: 5, imported: 3, alreadyImported: 0, skipped: 2 });
    expect(await importExpressSessions(dataSource, options)).toEqual({ read: 5, imported: 0, alreadyImported: 3, skipped: 2 });

    const sessions = dataSource.getRepository(Session);
    for (const sid of ['alice-as-string', 'alice-as-number']) {
      expect((await sessions.findOneByOrFail({ id: digestLegacySessionId(sid) })).userId).toBe(alice.id);
    }
    expect((await sessions.findOneByOrFail({ id: digestLegacySessionId('anonymous') })).userId).toBeNull();
    expect(await sessions.count()).toBe(3);
  });
});
