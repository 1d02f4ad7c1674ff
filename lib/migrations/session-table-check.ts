import type { Type } from '@nestjs/common';
import type { DataSource, Table } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import { Session } from '../session/session.entity.js';
import { ADD_SESSION_KEY_ROTATION_TIMESTAMP } from './add-session-key-rotation.migration.js';
import type { UserIdType } from '../session/user-id.js';

/** The options the table's shape follows (the module's static options). */
export interface SessionTableShapeOptions {
  tableName: string;
  userIdType: UserIdType;
  userEntity?: () => Type<unknown>;
}

/** What `checkSessionTable()` found: nothing wrong, no table, or the differences. */
export type SessionTableCheck =
  | { status: 'ok' }
  | { status: 'missing'; fix: string }
  | { status: 'mismatch'; differences: string[]; fix: string };

/** The columns the key-rotation migration adds. */
const ROTATION_COLUMNS = ['session_id', 'previous_key_digest', 'key_seal', 'key_issued_at'];

/** The columns the store's statements rely on an index for. */
const INDEXED_COLUMNS = ['expire_date', 'user_id', 'session_id', 'previous_key_digest'];

/**
 * Compares the session table in the database with the `Session` entity as the module's options
 * shaped it, the way TypeORM's own schema diff does (`driver.findChangedColumns()`), plus the
 * foreign key to the users table (with `userEntity`) and the indexes the store's queries use.
 * One metadata read of one table, at start-up only.
 */
export async function checkSessionTable(dataSource: DataSource, options: SessionTableShapeOptions): Promise<SessionTableCheck> {
  const metadata = dataSource.getMetadata(Session);
  const runner = dataSource.createQueryRunner();
  let table: Table | undefined;
  try {
    table = await runner.getTable(metadata.tablePath);
  } finally {
    await runner.release();
  }
  const migrations = migrationsFor(dataSource, options);
  if (!table) {
    return {
      status: 'missing',
      fix:
        `Create it: add ${migrations} to your DataSource's migrations and run them (docs/migrations.md), ` +
        'or set synchronize: true in TypeOrmModule.forRoot() while developing.',
    };
  }

  const differences: string[] = [];
  const columns = metadata.columns;
  for (const column of columns) {
    if (!table.findColumnByName(column.databaseName)) differences.push(`column "${column.databaseName}" is missing`);
  }
  const present = columns.filter((column) => table.findColumnByName(column.databaseName));
  for (const changed of dataSource.driver.findChangedColumns(table.columns, present)) {
    const found = table.findColumnByName(changed.databaseName)!;
    differences.push(
      `column "${changed.databaseName}" is ${describeFound(found.type, found.length, found.isNullable)}, ` +
        `expected ${describeExpected(dataSource, changed)}${changed.propertyName === 'userId' ? ` (userIdType: '${options.userIdType}')` : ''}`,
    );
  }
  if (options.userEntity) {
    const users = dataSource.getMetadata(options.userEntity());
    const hasKey = table.foreignKeys.some(
      (key) => key.columnNames.length === 1 && key.columnNames[0] === 'user_id' && sameTable(key.referencedTableName, users.tablePath),
    );
    if (!hasKey) differences.push(`there is no foreign key from "user_id" to "${users.tableName}" (userEntity is set)`);
  }
  for (const name of INDEXED_COLUMNS) {
    const indexed = table.indices.some((index) => index.columnNames[0] === name);
    const byForeignKey = dataSource.driver.options.type.match(/mysql|mariadb/) && table.foreignKeys.some((key) => key.columnNames[0] === name);
    if (!indexed && !byForeignKey) differences.push(`there is no index on "${name}"`);
  }
  if (differences.length === 0) return { status: 'ok' };
  // The shipped migrations create the table; on an existing one the foreign key's and the
  // key rotation's can run.
  const onlyTheKey = differences.every((difference) => difference.startsWith('there is no foreign key'));
  const onlyRotation = differences.every((difference) => ROTATION_COLUMNS.some((name) => difference.includes(`"${name}"`)));
  return {
    status: 'mismatch',
    differences,
    fix: onlyTheKey
      ? `Add it with ${migrations}: its AddUserSessionsForeignKey migration adds the key to the existing table.`
      : onlyRotation
        ? `Run the pending migrations of ${migrations}: AddSessionKeyRotation${ADD_SESSION_KEY_ROTATION_TIMESTAMP} adds the key rotation's columns to the existing table (docs/migrations.md).`
        : "Alter the table with a migration (TypeORM's migration:generate proposes one); on a new database, " +
        `${migrations} creates it in this shape. synchronize: true does it while developing.`,
  };
}

/** The call that gives this shape's migrations, as an app would write it. */
function migrationsFor(dataSource: DataSource, options: SessionTableShapeOptions): string {
  const given: string[] = [];
  if (options.tableName !== 'user_sessions') given.push(`tableName: '${options.tableName}'`);
  if (options.userIdType !== 'string') given.push(`userIdType: '${options.userIdType}'`);
  if (options.userEntity) {
    const users = dataSource.getMetadata(options.userEntity());
    const key = users.primaryColumns[0]?.databaseName ?? 'id';
    given.push(`userForeignKey: { table: '${users.tableName}'${key === 'id' ? '' : `, column: '${key}'`} }`);
  }
  return given.length === 0 ? '...UserSessionsMigrations' : `...createUserSessionsMigrations({ ${given.join(', ')} })`;
}

function describeFound(type: string, length: string, nullable: boolean): string {
  return `${type}${length ? `(${length})` : ''}${nullable ? '' : ' NOT NULL'}`;
}

function describeExpected(dataSource: DataSource, column: ColumnMetadata): string {
  const type = dataSource.driver.normalizeType(column);
  const length = column.length || dataSource.driver.getColumnLength(column);
  return describeFound(type, length, column.isNullable);
}

/** Table names as the drivers report them: with or without the schema, in any case. */
function sameTable(referenced: string, tablePath: string): boolean {
  const last = (name: string) => name.split('.').at(-1)!.toLowerCase();
  return last(referenced) === last(tablePath);
}
