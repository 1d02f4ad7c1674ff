/** connect-typeorm, the SQL store of the express-session and @fastify/session variants. */
import { TypeormStore } from 'connect-typeorm';
import type { DataSource } from 'typeorm';
import { ConnectTypeormSession } from '../../test/support/connect-typeorm-session.js';
import type { DatabaseKind } from '../protocol.js';

/** The store as connect-typeorm's README makes it (MariaDB: no LIMIT in its cleanup subquery). */
export function connectTypeormStore(dataSource: DataSource, kind: DatabaseKind): TypeormStore {
  return new TypeormStore({
    cleanupLimit: 2,
    limitSubquery: kind !== 'mariadb',
    ttl: 86400,
  }).connect(dataSource.getRepository(ConnectTypeormSession));
}

/** The store's options, for a variant's notes. */
export function connectTypeormNotes(kind: DatabaseKind): string {
  return `connect-typeorm (cleanupLimit 2, ttl 86400${kind === 'mariadb' ? ', limitSubquery false' : ''})`;
}
