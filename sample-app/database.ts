import type { TypeOrmModuleOptions } from '@nestjs/typeorm';

/** The SQLite file used when DATABASE_URL is unset, relative to the working directory. */
export const DEFAULT_SQLITE_FILE = '.data/sample-app.sqlite';

const ACCEPTED_FORMS =
  'postgres://…, postgresql://…, mysql://…, mariadb://…, sqlite:<file>, or unset for ' + DEFAULT_SQLITE_FILE;

/**
 * The TypeORM options for the database that `DATABASE_URL` names:
 * - `postgres://…` or `postgresql://…`: PostgreSQL;
 * - `mysql://…` or `mariadb://…`: MySQL or MariaDB, through the mysql2 driver;
 * - `sqlite:<file>`: a SQLite file, through better-sqlite3;
 * - unset (or empty): the SQLite file `.data/sample-app.sqlite`.
 *
 * TypeORM's better-sqlite3 driver creates the file's directory (`.data`) when it connects.
 */
export function databaseOptionsFromEnv(env: NodeJS.ProcessEnv): TypeOrmModuleOptions {
  return {
    ...connectionOptions(env.DATABASE_URL),
    autoLoadEntities: true,
    // Creates and alters the tables to match the entities at startup. Good enough for a
    // demo; a real app uses migrations, since synchronize may drop columns with their data.
    synchronize: true,
  };
}

function connectionOptions(url: string | undefined): TypeOrmModuleOptions {
  if (url === undefined || url.trim() === '') {
    return { type: 'better-sqlite3', database: DEFAULT_SQLITE_FILE };
  }
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
  // Only the scheme is echoed: the rest of a URL may hold a password.
  const scheme = /^[^:/]*:?/.exec(url)?.[0];
  throw new Error(`DATABASE_URL "${scheme}…" is not supported. Accepted: ${ACCEPTED_FORMS}.`);
}
