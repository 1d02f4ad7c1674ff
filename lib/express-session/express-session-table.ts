import type { DataSource } from 'typeorm';
import { ExpressSessionImportError } from '../exceptions/express-session-import.error.js';
import { EXPRESS_SESSION_TABLE_PATTERN } from '../options/user-sessions-options.schema.js';


/** The columns of connect-typeorm's `Session` entity (its `ISession`), by their default names. */
const COLUMNS = ['id', 'expiredAt', 'json', 'destroyedAt'] as const;

/** A live row of the old table, as `readLive()` returns it. */
export interface ExpressSessionRow {
  /** express-session's session id (the cookie's value before signing). */
  sid: string;
  /** When connect-typeorm lets the session expire, in milliseconds since the epoch. */
  expiredAt: number;
  /** The session as express-session serialized it, `cookie` key included. */
  json: string;
}

/**
 * The table of connect-typeorm, the express-session store on TypeORM: `id` VARCHAR primary
 * key, `expiredAt` BIGINT milliseconds, `json` TEXT, `destroyedAt` the soft-delete date
 * (NULL while the session lives). The name is checked against a strict pattern and quoted:
 * it is spliced into SQL, so nothing else gets in.
 */
export class ExpressSessionTable {
  private readonly table: string;
  private readonly column: Record<(typeof COLUMNS)[number], string>;

  constructor(
    private readonly dataSource: DataSource,
    readonly name = 'session',
  ) {
    if (typeof name !== 'string' || !EXPRESS_SESSION_TABLE_PATTERN.test(name)) {
      throw new ExpressSessionImportError(
        `The express-session table must be a plain SQL name such as "session" or "public.session", got ${JSON.stringify(name)}.`,
      );
    }
    const { driver } = dataSource;
    this.table = name.split('.').map((part) => driver.escape(part)).join('.');
    this.column = Object.fromEntries(COLUMNS.map((column) => [column, driver.escape(column)])) as typeof this.column;
  }

  /** Throws a clear error when the table is missing or lacks one of connect-typeorm's columns. */
  async assertExists(): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const table = await runner.getTable(this.name);
      if (!table) {
        throw new ExpressSessionImportError(
          `There is no table "${this.name}" in this database: name the table of connect-typeorm's Session entity (default "session").`,
        );
      }
      const present = new Set(table.columns.map((column) => column.name));
      const missing = COLUMNS.filter((column) => !present.has(column));
      if (missing.length > 0) {
        throw new ExpressSessionImportError(
          `Table "${this.name}" is not a connect-typeorm session table: it lacks ${missing.join(', ')} ` +
            `(expected ${COLUMNS.join(', ')}, as connect-typeorm's README declares its Session entity).`,
        );
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * Up to `limit` rows that are neither destroyed nor expired at `now`, in id order after
   * `after`: a keyset page, which costs the same on the last page as on the first.
   */
  async readLive(now: number, after: string | null, limit: number): Promise<ExpressSessionRow[]> {
    const { id, expiredAt, json, destroyedAt } = this.column;
    const sql =
      `SELECT ${id} AS legacy_sid, ${expiredAt} AS legacy_expires, ${json} AS legacy_json FROM ${this.table} ` +
      `WHERE ${destroyedAt} IS NULL AND ${expiredAt} > :now${after === null ? '' : ` AND ${id} > :after`} ` +
      `ORDER BY ${id} LIMIT ${Math.floor(limit)}`;
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      ...this.dataSource.driver.escapeQueryWithParameters(sql, { now, after }),
    );
    // BIGINT comes back as a string from PostgreSQL and MySQL, as a number from SQLite.
    return rows.map((row) => ({
      sid: String(row.legacy_sid),
      expiredAt: Number(row.legacy_expires),
      json: String(row.legacy_json),
    }));
  }

  /**
   * Soft-deletes the row of `sid` as connect-typeorm's own `destroy()` does. Once marked, the
   * old store no longer loads or re-saves it and a later import skips it.
   */
  async markDestroyed(sid: string): Promise<void> {
    const { id, destroyedAt } = this.column;
    const sql = `UPDATE ${this.table} SET ${destroyedAt} = CURRENT_TIMESTAMP WHERE ${id} = :sid AND ${destroyedAt} IS NULL`;
    await this.dataSource.query(...this.dataSource.driver.escapeQueryWithParameters(sql, { sid }));
  }
}
