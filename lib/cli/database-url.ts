/** The forms of `DATABASE_URL` that `connectionOptionsFromUrl()` understands, for messages. */
export const DATABASE_URL_FORMS =
  'postgres://…, postgresql://…, mysql://…, mariadb://…, sqlite:<file>, or the path of a SQLite file';

/** The connection part of TypeORM data-source options, as a database URL gives it. */
export type UrlConnectionOptions =
  | { type: 'postgres' | 'mysql' | 'mariadb'; url: string }
  | { type: 'better-sqlite3'; database: string };

/**
 * The TypeORM connection options for a database URL:
 * - `postgres://…` or `postgresql://…`: PostgreSQL;
 * - `mysql://…` or `mariadb://…`: MySQL or MariaDB, through the mysql2 driver;
 * - `sqlite:<file>`, or a path with no scheme (`./app.sqlite`, `/var/lib/app/db.sqlite`): a
 *   SQLite file, through better-sqlite3.
 * Anything else throws, naming the accepted forms but never the rest of the URL (it may hold
 * a password).
 */
export function connectionOptionsFromUrl(url: string): UrlConnectionOptions {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    return { type: 'postgres', url };
  }
  if (/^mysql:\/\//i.test(url)) {
    return { type: 'mysql', url };
  }
  if (/^mariadb:\/\//i.test(url)) {
    // Same mysql2 driver as 'mysql'; the type tells TypeORM which server's features and
    // schema quirks to expect.
    return { type: 'mariadb', url };
  }
  const sqliteFile = /^sqlite:(.+)$/i.exec(url)?.[1];
  if (sqliteFile !== undefined) {
    return { type: 'better-sqlite3', database: sqliteFile };
  }
  // "host:5432" or "file:x" look like a scheme, and a typo in one must not become a new
  // SQLite file; a Windows drive ("C:\…") is a path.
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(url)?.[0];
  if (url.trim() !== '' && (scheme === undefined || /^[A-Za-z]:[\\/]/.test(url))) {
    return { type: 'better-sqlite3', database: url };
  }
  throw new Error(`DATABASE_URL "${scheme ?? ''}…" is not supported. Accepted: ${DATABASE_URL_FORMS}.`);
}
