import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import { connectionOptionsFromUrl } from '../lib/cli/database-url.js';

/** The SQLite file used when DATABASE_URL is unset, relative to the working directory. */
export const DEFAULT_SQLITE_FILE = '.data/sample-app.sqlite';

/**
 * The TypeORM options for the database that `DATABASE_URL` names:
 * - `postgres://…` or `postgresql://…`: PostgreSQL;
 * - `mysql://…` or `mariadb://…`: MySQL or MariaDB, through the mysql2 driver;
 * - `sqlite:<file>`, or a path with no scheme: a SQLite file, through better-sqlite3;
 * - unset (or empty): the SQLite file `.data/sample-app.sqlite`.
 *
 * The package's command line (`lib/cli/`) reads `DATABASE_URL` with the same rules.
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
  return connectionOptionsFromUrl(url);
}
