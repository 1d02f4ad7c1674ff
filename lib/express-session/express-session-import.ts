import type { DataSource, EntityMetadata } from 'typeorm';
import type { RelationMetadata } from 'typeorm/metadata/RelationMetadata.js';
import { Session } from '../session/session.entity.js';
import type { SessionRecord } from '../storage/session-storage.interface.js';
import { ExpressSessionTable, type ExpressSessionRow } from './express-session-table.js';
import { digestLegacySessionId } from '../session/session-key.js';
import { normalizeUserId } from '../session/user-id.js';
import { DEFAULT_MAX_AGE, MAX_DATA_BYTES } from '../user-sessions.constants.js';
import { RESERVED_DATA_KEY } from '../session/session-data.js';
import type { UserId, UserIdType } from '../session/user-id.js';
import { ExpressSessionImportError } from '../exceptions/express-session-import.error.js';

/**
 * The largest `batchSize` of `importExpressSessions()`: each batch inserts 15 parameters a
 * row, and 2000 rows stay under SQLite's 32766.
 */
export const MAX_IMPORT_BATCH_SIZE = 2000;

/** Options of `importExpressSessions()`. */
export interface ImportExpressSessionsOptions {
  /**
   * The connect-typeorm table to read (columns `id`, `expiredAt`, `json`, `destroyedAt`).
   * @default 'session'
   */
  table?: string;
  /**
   * Dot path of the user id inside the old session data, e.g. `'passport.user'`; unset or not
   * found leaves the imported session anonymous.
   */
  userPath?: string;
  /** Rows read and written per statement (1 to 2000). @default 500 */
  batchSize?: number;
  /**
   * The module's `maxAge`, in milliseconds: no imported session outlives the import by more,
   * whatever expiry the old row claims. @default 14 days (the module's default)
   */
  maxAge?: number;
  /** Called after each batch with the running totals. */
  onProgress?: (progress: ImportExpressSessionsResult) => void;
}

/** What an import did. */
export interface ImportExpressSessionsResult {
  /** Old rows read (unexpired, not destroyed). */
  read: number;
  /** New rows written to the session table. */
  imported: number;
  /** Rows already imported by an earlier run (or already moved over), left alone. */
  alreadyImported: number;
  /**
   * Rows not imported (always set by `importExpressSessions()`): data that is not a JSON
   * object or is larger than 64 KiB, a user id at `userPath` that does not fit the
   * `userIdType` (an object, say: point `userPath` at the id inside it), or, with
   * `userEntity`, a user that no longer exists. Their users sign in again.
   */
  skipped?: number;
}

/**
 * Copies the live sessions of express-session's connect-typeorm store (neither destroyed nor
 * expired) into the `Session` table, so that nobody is signed out by the switch. The `Session`
 * entity must be registered in `dataSource`, with the app's `tableName` / `userIdType` /
 * `userEntity` (see `configureSessionEntity()`).
 *
 * Each session keeps its data (but express-session's `cookie` key, and the library's own
 * records, which an old row cannot vouch for: a signed-in session imported needs the password
 * again for "sudo mode"), its expiry (`expiredAt`, at most `maxAge` from the import) and the
 * user found at `userPath`; it is stored under `digestLegacySessionId()` of its old
 * id, where the `legacyCookie` option finds it. Its IP, user agent and platform are unknown
 * (null) until its first request, and its `createdAt` and `lastActivity` are the time of the
 * import, since connect-typeorm keeps neither. So with the `idleTimeout` option its idle time
 * counts from the import (run it just before the switch), and from its first request on its
 * lifetime is `maxAge` from the import.
 *
 * Idempotent: a row that is already there is left alone (one `INSERT … ON CONFLICT DO
 * NOTHING` / `INSERT IGNORE` a batch), and a session that moved over to our cookie had its old
 * row marked destroyed, so it is not read again. A session changed in the old app after it was
 * imported is not copied again: run the import once the old app no longer serves requests.
 * (A re-run can still copy back a session that moves over during the very batch that reads
 * it; only a stolen copy of its old cookie could use that copy, which expires as the old one.)
 *
 * @example
 * const result = await importExpressSessions(dataSource, { table: 'session', userPath: 'passport.user' });
 */
export async function importExpressSessions(
  dataSource: DataSource,
  options: ImportExpressSessionsOptions = {},
): Promise<ImportExpressSessionsResult> {
  const { table = 'session', userPath, batchSize = 500, maxAge = DEFAULT_MAX_AGE, onProgress } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_IMPORT_BATCH_SIZE) {
    throw new ExpressSessionImportError(`batchSize must be a whole number from 1 to ${MAX_IMPORT_BATCH_SIZE}, got ${batchSize}.`);
  }
  if (!Number.isSafeInteger(maxAge) || maxAge < 1000) {
    throw new ExpressSessionImportError(`maxAge is the module's maxAge in milliseconds, at least 1000, got ${maxAge}.`);
  }
  const path = parseUserPath(userPath);
  if (!dataSource.isInitialized) {
    throw new ExpressSessionImportError('The DataSource is not initialized: call dataSource.initialize() first.');
  }
  if (!dataSource.hasMetadata(Session)) {
    throw new ExpressSessionImportError(
      'The Session entity is not registered in this DataSource: add Session to its entities, after configureSessionEntity() with the options the app gives UserSessionsModule.',
    );
  }
  const metadata = dataSource.getMetadata(Session);
  const legacy = new ExpressSessionTable(dataSource, table);
  await legacy.assertExists();
  await assertSessionTableExists(dataSource, metadata);
  const userIdType = userIdTypeOf(metadata);
  const userRelation = metadata.relations.find((relation) => relation.propertyName === 'user');

  const result = { read: 0, imported: 0, alreadyImported: 0, skipped: 0 };
  // One instant for the whole run, so that the set of live rows does not shift under the pages.
  const now = new Date();
  let after: string | null = null;
  for (;;) {
    const rows = await legacy.readLive(now.getTime(), after, batchSize);
    if (rows.length === 0) break;
    after = rows[rows.length - 1].sid;
    result.read += rows.length;
    let records = rows
      .map((row) => toSessionRecord(row, path, userIdType, now, maxAge))
      .filter((record): record is SessionRecord => record !== null);
    if (userRelation) records = await withExistingUsers(dataSource, userRelation, records);
    const inserted = records.length === 0 ? 0 : await insertMissing(dataSource, records);
    result.skipped += rows.length - records.length;
    result.imported += inserted;
    result.alreadyImported += records.length - inserted;
    onProgress?.({ ...result });
    if (rows.length < batchSize) break;
  }
  return result;
}

function parseUserPath(userPath: string | undefined): string[] | null {
  if (userPath === undefined) return null;
  const segments = typeof userPath === 'string' ? userPath.split('.') : [];
  if (segments.length === 0 || segments.some((segment) => segment.length === 0)) {
    throw new ExpressSessionImportError(`userPath must be a dot path such as "passport.user", got ${JSON.stringify(userPath)}.`);
  }
  return segments;
}

/** The value at `path` in `data`, following own properties only; undefined when absent. */
function valueAt(data: Record<string, unknown>, path: string[]): unknown {
  let value: unknown = data;
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** The user id column's type, as `configureSessionEntity()` set it from `userIdType`. */
function userIdTypeOf(metadata: EntityMetadata): UserIdType {
  const type = metadata.findColumnWithPropertyName('userId')?.type;
  if (type === 'uuid') return 'uuid';
  if (type === 'integer' || type === 'int' || type === Number) return 'number';
  return 'string';
}

async function assertSessionTableExists(dataSource: DataSource, metadata: EntityMetadata): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    if (!(await runner.hasTable(metadata.tablePath))) {
      throw new ExpressSessionImportError(
        `The session table "${metadata.tablePath}" does not exist yet: run the app's migrations (or start it once with synchronize) first.`,
      );
    }
  } finally {
    await runner.release();
  }
}

/** The row to insert for an old session, or null when it cannot be imported (see `skipped`). */
function toSessionRecord(row: ExpressSessionRow, path: string[] | null, userIdType: UserIdType, now: Date, maxAge: number): SessionRecord | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.json);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  // express-session's own cookie settings: our cookie has its own. The library's own records
  // (when the password was entered) are never taken from a row it did not write.
  const { cookie: _cookie, [RESERVED_DATA_KEY]: _reserved, ...data } = parsed as Record<string, unknown>;

  let userId: UserId | null = null;
  const found = path === null ? undefined : valueAt(data, path);
  if (found !== undefined && found !== null) {
    try {
      userId = normalizeUserId(found, userIdType);
    } catch {
      return null;
    }
  }
  const text = JSON.stringify(data);
  const expireDate = new Date(Math.min(row.expiredAt, now.getTime() + maxAge));
  if (Buffer.byteLength(text) > MAX_DATA_BYTES || Number.isNaN(expireDate.getTime())) return null;
  // The old id's digest is both the key (until the move-over gives a new one) and the public id.
  const digest = digestLegacySessionId(row.sid);
  return {
    keyDigest: digest,
    id: digest,
    previousKeyDigest: null,
    keySeal: null,
    keyIssuedAt: now,
    data: text,
    expireDate,
    userId,
    ip: null,
    userAgent: null,
    clientPlatform: null,
    clientPlatformVersion: null,
    lastActivity: now,
    createdAt: now,
  };
}

/**
 * With `userEntity`, `user_id` is a foreign key: a session of a deleted user would fail the
 * whole batch, so such sessions are left out (one SELECT on the users' primary key a batch).
 */
async function withExistingUsers(dataSource: DataSource, relation: RelationMetadata, records: SessionRecord[]): Promise<SessionRecord[]> {
  const ids = [...new Set(records.map((record) => record.userId).filter((id): id is UserId => id !== null))];
  if (ids.length === 0) return records;
  const column = relation.joinColumns[0].referencedColumn!;
  const rows: { id: unknown }[] = await dataSource
    .createQueryBuilder()
    .select(`user.${column.propertyPath}`, 'id')
    .from(relation.inverseEntityMetadata.target, 'user')
    .where(`user.${column.propertyPath} IN (:...ids)`, { ids })
    .getRawMany();
  const existing = new Set(rows.map((row) => String(row.id)));
  return records.filter((record) => record.userId === null || existing.has(String(record.userId)));
}

/** Inserts the rows whose digest is not in the table yet; returns how many it inserted. */
async function insertMissing(dataSource: DataSource, records: SessionRecord[]): Promise<number> {
  // ON CONFLICT DO NOTHING (PostgreSQL, SQLite) or INSERT IGNORE (MySQL, MariaDB): no error
  // and no change for a row already there, even one a concurrent run has just inserted. MySQL's
  // IGNORE would also let other errors pass as warnings; `toSessionRecord()` and
  // `withExistingUsers()` have checked every value that could raise one.
  const [sql, parameters] = dataSource
    .getRepository(Session)
    .createQueryBuilder()
    .insert()
    .values(records)
    .orIgnore()
    .updateEntity(false)
    .getQueryAndParameters();
  const runner = dataSource.createQueryRunner();
  try {
    const result = await runner.query(sql, parameters, true);
    return result.affected ?? 0;
  } finally {
    await runner.release();
  }
}
