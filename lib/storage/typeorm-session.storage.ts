import { Brackets, In, IsNull, MoreThan, Not, Raw, type DataSource, type FindOperator, type Repository } from 'typeorm';
import { Session } from '../session/session.entity.js';
import { createRowHydrator } from './session-row.js';
import type {
  DeleteExpiredOptions,
  ExpiredSession,
  SessionListQuery,
  SessionRecord,
  SessionRecordChanges,
  SessionStorage,
  SessionTarget,
} from './session-storage.interface.js';
import type { UserId } from '../session/user-id.js';
import { DEFAULT_CLEANUP_BATCH_SIZE } from '../user-sessions.constants.js';

/** The largest batch whose rows are named to `onExpired` (see `deleteExpiredBatchNamed()`). */
const NAMED_BATCH_LIMIT = 1000;

/** The part of a better-sqlite3 statement the fast path uses. */
interface SqliteStatement {
  get(...parameters: unknown[]): Record<string, unknown> | undefined;
}

/** The part of a pg pool the fast path uses. */
interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[] }>;
  on(event: 'acquire', listener: (client: PgClient) => void): void;
}

interface PgClient {
  on(event: 'error', listener: (error: Error) => void): void;
}

/** The part of a mysql2 pool the fast path uses (TypeORM's `driver.pool`, absent with replication). */
interface MysqlPool {
  execute(sql: string, values: unknown[], callback: (error: Error | null, rows: Record<string, unknown>[]) => void): void;
}

/** The pg pools whose clients `guardPgPool()` looks after, and the clients it did. */
const guardedPools = new WeakSet<object>();
const guardedClients = new WeakSet<object>();

/**
 * Keeps a PostgreSQL connection error from crashing the app. pg-pool takes its error listener
 * off a client when it hands the client out, and TypeORM's query runner puts its own on only
 * once a promise resolves; when the server's answer to one query and its "terminating
 * connection" error (a fast shutdown, `pg_terminate_backend`) arrive in one read, the answer
 * hands the client to a waiting runner and the error is emitted with no listener: an uncaught
 * exception. So every client the pool hands out gets a listener of its own, for good. Nothing
 * is lost by it: the client is unusable from then on, the runner's next query on it fails (a
 * 503 here, logged), and the pool drops it when it comes back.
 */
function guardPgPool(pool: PgPool): void {
  if (guardedPools.has(pool)) return;
  guardedPools.add(pool);
  pool.on('acquire', (client) => {
    if (guardedClients.has(client)) return;
    guardedClients.add(client);
    client.on('error', () => undefined);
  });
}

/**
 * The default `SessionStorage`: the `Session` entity's table, through TypeORM.
 *
 * `find()` runs on every request, so it skips TypeORM's entity machinery (a `findOne` costs
 * several times the query itself): the SELECT is built once by TypeORM's query builder, then
 * run as a prepared statement on the driver's own connection or pool (better-sqlite3,
 * PostgreSQL, MySQL and MariaDB through mysql2) or through `dataSource.query()` (others, and
 * MySQL with replication), and hydrated as the driver would (`session-row.ts`). It is still
 * logged through TypeORM's logger like any query.
 */
export class TypeOrmSessionStorage implements SessionStorage {
  private readonly dataSource: DataSource;
  private readonly findSql: string;
  private readonly findStatementName: string;
  private readonly driverType: string;
  private readonly hydrate: (row: Record<string, unknown>) => SessionRecord;
  private sqlite: { connection: unknown; statement: SqliteStatement } | undefined;
  private readonly userIdComparesLoosely: boolean;
  private readonly isMysql: boolean;

  constructor(
    private readonly repository: Repository<Session>,
    private readonly cleanupBatchSize = DEFAULT_CLEANUP_BATCH_SIZE,
  ) {
    this.dataSource = repository.manager.connection;
    const [sql] = repository
      .createQueryBuilder('session')
      .where('session.keyDigest = :keyDigest', { keyDigest: '' })
      .getQueryAndParameters();
    this.findSql = sql;
    this.findStatementName = `user_sessions_find_${repository.metadata.tableName}`;
    const driverType = this.dataSource.driver.options.type;
    this.driverType = driverType;
    this.isMysql = driverType === 'mysql' || driverType === 'mariadb';
    this.userIdComparesLoosely =
      this.isMysql &&
      repository.metadata.findColumnWithPropertyName('userId')?.type === 'varchar';
    this.hydrate = createRowHydrator(
      this.dataSource.driver,
      repository.metadata.columns.map((column) => ({ alias: `session_${column.databaseName}`, column })),
    );
    const pool = (this.dataSource.driver as unknown as { master?: PgPool }).master;
    if (driverType === 'postgres' && pool) guardPgPool(pool);
  }

  /** One primary-key SELECT, prepared once per connection. */
  async find(keyDigest: string): Promise<SessionRecord | null> {
    // better-sqlite3 answers synchronously: no await, no extra turn of the event loop.
    const row = this.driverType === 'better-sqlite3' ? this.selectSqlite(keyDigest) : await this.selectById(keyDigest);
    return row ? this.hydrate(row) : null;
  }

  /** One SELECT on the indexed `previous_key_digest`: only for a key the primary key did not find. */
  findByPreviousKey(keyDigest: string): Promise<SessionRecord | null> {
    return this.repository.findOne({ where: { previousKeyDigest: keyDigest } });
  }

  /** One SELECT on the unique `session_id`. */
  findById(id: string): Promise<SessionRecord | null> {
    return this.repository.findOne({ where: { id } });
  }

  private selectSqlite(id: string): Record<string, unknown> | undefined {
    const connection = (this.dataSource.driver as unknown as { databaseConnection?: { prepare(sql: string): SqliteStatement } })
      .databaseConnection;
    if (!connection) throw new Error('The database connection is not open');
    if (this.sqlite?.connection !== connection) {
      this.sqlite = { connection, statement: connection.prepare(this.findSql) };
    }
    this.dataSource.logger.logQuery(this.findSql, [id]);
    return this.sqlite.statement.get(id);
  }

  private async selectById(id: string): Promise<Record<string, unknown> | undefined> {
    const driver = this.dataSource.driver as unknown as { master?: PgPool; pool?: Partial<MysqlPool> };
    if (this.driverType === 'postgres') {
      const master = driver.master;
      if (!master) throw new Error('The database connection is not open');
      // A DataSource initialized again has a new pool.
      guardPgPool(master);
      this.dataSource.logger.logQuery(this.findSql, [id]);
      const result = await master.query({ name: this.findStatementName, text: this.findSql, values: [id] });
      return result.rows[0];
    }
    const pool = driver.pool;
    if (this.isMysql && typeof pool?.execute === 'function') {
      // mysql2 prepares the statement once per pooled connection and keeps it; `query()` would
      // send the SQL as text for the server to parse on every request (and cost TypeORM's
      // query runner on top).
      this.dataSource.logger.logQuery(this.findSql, [id]);
      return new Promise((resolve, reject) => {
        (pool as MysqlPool).execute(this.findSql, [id], (error, rows) => (error ? reject(error) : resolve(rows[0])));
      });
    }
    const rows: Record<string, unknown>[] = await this.dataSource.query(this.findSql, [id]);
    return rows[0];
  }

  async insert(record: SessionRecord): Promise<void> {
    await this.repository
      .createQueryBuilder()
      .insert()
      .values(record)
      .updateEntity(false)
      .execute();
  }

  async update(keyDigest: string, changes: SessionRecordChanges): Promise<boolean> {
    const result = await this.repository
      .createQueryBuilder()
      .update()
      .set(changes)
      .where({ keyDigest })
      .updateEntity(false)
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async delete({ id, userId, keyDigest }: SessionTarget): Promise<boolean> {
    if (userId === null && !keyDigest) throw new TypeError('delete() of an anonymous session takes its keyDigest');
    const result = await this.repository.delete(
      userId === null ? { id, userId: IsNull(), keyDigest: keyDigest! } : { id, userId: this.sameUser(userId) },
    );
    return (result.affected ?? 0) > 0;
  }

  async listActive(userId: UserId, now: Date): Promise<SessionRecord[]> {
    return this.repository.find({
      where: { userId: this.sameUser(userId), expireDate: MoreThan(now) },
      order: { lastActivity: 'DESC', createdAt: 'DESC', id: 'ASC' },
    });
  }

  async deleteOthers(userId: UserId, exceptId: string | null, now: Date): Promise<number> {
    const user = this.sameUser(userId);
    const where = exceptId === null
      ? { userId: user, expireDate: MoreThan(now) }
      : { userId: user, expireDate: MoreThan(now), id: Not(exceptId) };
    const result = await this.repository.delete(where);
    return result.affected ?? 0;
  }

  /** One DELETE on the indexed `user_id`. */
  async deleteAllForUser(userId: UserId): Promise<number> {
    const result = await this.repository.delete({ userId: this.sameUser(userId) });
    return result.affected ?? 0;
  }

  /**
   * The condition "this very user" on `user_id`. MySQL and MariaDB compare strings by their
   * default collation, which ignores case and trailing spaces: "ALICE " would see and end
   * alice's sessions. There the indexed equality is narrowed by a byte-wise comparison (a
   * collation on the column instead would break a foreign key to the app's users table).
   * UUIDs are stored lower-cased, and MariaDB's own UUID type compares them exactly.
   */
  private sameUser(userId: UserId): UserId | FindOperator<UserId> {
    if (typeof userId !== 'string' || !this.userIdComparesLoosely) return userId;
    return Raw((column) => `(${column} = :sameUser AND BINARY ${column} = BINARY :sameUser)`, { sameUser: userId });
  }

  /**
   * One SELECT. The status and user filters use the `expire_date` and `user_id` indexes; the
   * order has none: an index on `last_activity` would cost a write on every activity update
   * of every session, to speed up a page an administrator opens now and then.
   */
  async list(query: SessionListQuery, now: Date): Promise<SessionRecord[]> {
    const builder = this.repository.createQueryBuilder('session');
    if (query.status === 'active') builder.andWhere('session.expireDate > :now', { now });
    if (query.status === 'expired') builder.andWhere('session.expireDate <= :now', { now });
    if (query.userId !== undefined) builder.andWhere({ userId: this.sameUser(query.userId) });
    if (query.ipPrefix !== undefined) {
      // '!' as the escape character: a backslash means different things in MySQL's strings.
      const pattern = `${query.ipPrefix.replace(/[!%_]/g, '!$&')}%`;
      builder.andWhere("session.ip LIKE :ipPattern ESCAPE '!'", { ipPattern: pattern });
    }
    const after = query.after;
    if (after) {
      builder.andWhere(
        new Brackets((position) =>
          position
            .where('session.lastActivity < :afterActivity', { afterActivity: after.lastActivity })
            .orWhere('(session.lastActivity = :afterActivity AND session.id < :afterId)', { afterId: after.id }),
        ),
      );
    }
    return builder
      .orderBy('session.lastActivity', 'DESC')
      .addOrderBy('session.id', 'DESC')
      .limit(query.limit)
      .getMany();
  }

  /**
   * Deletes expired rows in batches of `cleanupBatchSize`, each its own short statement, so
   * that millions of expired rows never hold a long lock or build one huge transaction.
   * `onProgress` hears the running total after each batch; an aborted `signal` stops the
   * loop before the next batch.
   */
  async deleteExpired(now: Date, { onProgress, signal, onExpired }: DeleteExpiredOptions = {}): Promise<number> {
    let total = 0;
    while (!signal?.aborted) {
      const batch = onExpired ? await this.deleteExpiredBatchNamed(now, onExpired) : { deleted: await this.deleteExpiredBatch(now), full: false };
      total += batch.deleted;
      onProgress?.(total);
      if (!batch.full && batch.deleted < this.cleanupBatchSize) break;
    }
    return total;
  }

  /**
   * One batch, read before it is deleted, so that `onExpired` hears whose sessions ended. At
   * most 1000 rows: their ids are bound parameters (PostgreSQL takes 65535, SQLite 32766), and
   * so are the history rows made of them.
   */
  private async deleteExpiredBatchNamed(
    now: Date,
    onExpired: (sessions: ExpiredSession[]) => Promise<void>,
  ): Promise<{ deleted: number; full: boolean }> {
    const rows = await this.repository
      .createQueryBuilder('session')
      .select(['session.keyDigest', 'session.id', 'session.userId', 'session.ip', 'session.userAgent', 'session.expireDate'])
      .where('session.expireDate <= :now', { now })
      .take(Math.min(Math.floor(this.cleanupBatchSize), NAMED_BATCH_LIMIT))
      .getMany();
    if (rows.length === 0) return { deleted: 0, full: false };
    // The expiry is checked again: a row read here may have been signed in anew meanwhile.
    const result = await this.repository
      .createQueryBuilder()
      .delete()
      .where({ keyDigest: In(rows.map((row) => row.keyDigest)) })
      .andWhere('expire_date <= :now', { now })
      .execute();
    const signedIn = rows.filter((row) => row.userId !== null);
    if (signedIn.length > 0) {
      await onExpired(signedIn.map(({ id, userId, ip, userAgent, expireDate }) => ({ id, userId: userId!, ip, userAgent, expireDate })));
    }
    return { deleted: result.affected ?? rows.length, full: rows.length === Math.min(Math.floor(this.cleanupBatchSize), NAMED_BATCH_LIMIT) };
  }

  private async deleteExpiredBatch(now: Date): Promise<number> {
    const { driver } = this.dataSource;
    const metadata = this.repository.metadata;
    const table = driver.escape(metadata.tablePath);
    const key = driver.escape(metadata.findColumnWithPropertyName('keyDigest')!.databaseName);
    const expire = driver.escape(metadata.findColumnWithPropertyName('expireDate')!.databaseName);
    const limit = Math.floor(this.cleanupBatchSize);
    const mysql = driver.options.type === 'mysql' || driver.options.type === 'mariadb';
    // MySQL has DELETE … LIMIT but no LIMIT in an IN subquery; the others the other way round.
    const sql = mysql
      ? `DELETE FROM ${table} WHERE ${expire} <= :now LIMIT ${limit}`
      : `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${expire} <= :now LIMIT ${limit})`;
    const [query, parameters] = driver.escapeQueryWithParameters(sql, { now });
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(query, parameters, true);
      return result.affected ?? 0;
    } finally {
      await runner.release();
    }
  }
}
