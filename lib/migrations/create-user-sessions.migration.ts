import { Table, TableIndex, type ColumnType, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';
import { UserSessionsMigrationError } from '../exceptions/user-sessions-migration.error.js';
import type { UserIdType } from '../session/user-id.js';
import type { UserSessionsTableShape } from './user-sessions-table-shape.js';

/** Timestamp of the first migration, 2026-11-26: every later one must be greater. */
export const CREATE_USER_SESSIONS_TIMESTAMP = 1795651200000;

// The user_id column per userIdType as the entity declared it when this migration was
// written. A copy rather than an import, like every other type and length below: a released
// migration keeps creating its version's table whatever later versions of the entity say.
const USER_ID_COLUMN: Record<UserIdType, { type: ColumnType; length?: number }> = {
  string: { type: 'varchar', length: 255 },
  number: { type: 'integer' },
  uuid: { type: 'uuid' },
};

/**
 * Version 1 of the session table: its columns, the primary key on `key_digest`, and the
 * indexes on `expire_date` (the cleanup) and `user_id` (a user's sessions).
 */
export function createUserSessionsTableMigration(shape: UserSessionsTableShape): new () => MigrationInterface {
  const { tableName } = shape;
  const userId = USER_ID_COLUMN[shape.userIdType];
  return class CreateUserSessions1795651200000 implements MigrationInterface {
    // TypeORM reads the timestamp from the name; given here, it survives minified class names.
    readonly name = `CreateUserSessions${CREATE_USER_SESSIONS_TIMESTAMP}`;

    async up(queryRunner: QueryRunner): Promise<void> {
      if (await queryRunner.hasTable(tableName)) {
        throw new UserSessionsMigrationError(
          `${this.name} creates the table "${tableName}", which already exists. If synchronize or a migration of ` +
            `your own made it, record ${this.name} as run instead of running it (see docs/migrations.md).`,
        );
      }
      // Types in the entity's terms (Date, varchar…) that this database's driver turns into
      // its own, as synchronize does with the entity: the same table on every database.
      // `connection`, not `dataSource`: TypeORM 0.3 has only the former.
      const driver = queryRunner.connection.driver;
      const column = (
        name: string,
        type: ColumnType,
        options: { length?: number; nullable?: boolean; primary?: boolean } = {},
      ): TableColumnOptions => ({
        name,
        type: driver.normalizeType({ type }),
        length: options.length?.toString(),
        isNullable: options.nullable ?? false,
        isPrimary: options.primary ?? false,
      });
      await queryRunner.createTable(
        new Table({
          name: tableName,
          columns: [
            column('key_digest', 'varchar', { length: 64, primary: true }),
            column('session_data', 'text'),
            column('expire_date', Date),
            column('user_id', userId.type, { length: userId.length, nullable: true }),
            column('user_agent', 'varchar', { length: 200, nullable: true }),
            column('client_platform', 'varchar', { length: 32, nullable: true }),
            column('client_platform_version', 'varchar', { length: 32, nullable: true }),
            column('ip', 'varchar', { length: 45, nullable: true }),
            column('last_activity', Date),
            column('created_at', Date),
          ],
          // Unnamed on purpose: the query runner names them (and the primary key) with the
          // data source's naming strategy, as the entity's metadata does, so the names match.
          indices: [new TableIndex({ columnNames: ['expire_date'] }), new TableIndex({ columnNames: ['user_id'] })],
        }),
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      // Drops the indexes and any foreign key with it.
      await queryRunner.dropTable(tableName);
    }
  };
}
