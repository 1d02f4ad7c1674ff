import { TableColumn, TableIndex, type ColumnType, type MigrationInterface, type QueryRunner } from 'typeorm';
import { UserSessionsMigrationError } from '../exceptions/user-sessions-migration.error.js';

/** Timestamp of the key-rotation migration, 2026-12-06. */
export const ADD_SESSION_KEY_ROTATION_TIMESTAMP = 1796515200000;

/**
 * Version 2 of the session table, for key rotation: the public id gets a column of its own
 * (`session_id`, unique), since the key it was the digest of now changes; and the previous key's
 * digest (indexed), the current key sealed under it, and when the current key was issued. Rows
 * already there keep their public id (their key's digest) and count their key from `created_at`.
 */
export function addSessionKeyRotationMigration(tableName: string): new () => MigrationInterface {
  return class AddSessionKeyRotation1796515200000 implements MigrationInterface {
    readonly name = `AddSessionKeyRotation${ADD_SESSION_KEY_ROTATION_TIMESTAMP}`;

    async up(queryRunner: QueryRunner): Promise<void> {
      if (!(await queryRunner.hasTable(tableName))) {
        throw new UserSessionsMigrationError(`${this.name} alters the table "${tableName}", which does not exist: run CreateUserSessions first.`);
      }
      if (await queryRunner.hasColumn(tableName, 'session_id')) {
        throw new UserSessionsMigrationError(
          `${this.name} adds the key rotation's columns to "${tableName}", which has them already. If synchronize or a ` +
            `migration of your own added them, record ${this.name} as run instead of running it (see docs/migrations.md).`,
        );
      }
      const driver = queryRunner.connection.driver;
      const column = (name: string, type: ColumnType, nullable: boolean, length?: number) =>
        new TableColumn({ name, type: driver.normalizeType({ type }), length: length?.toString(), isNullable: nullable });
      // Added as nullable, filled, then made NOT NULL: a column cannot be NOT NULL without a
      // default while rows exist, and a default would be part of the table's shape.
      await queryRunner.addColumns(tableName, [
        column('session_id', 'varchar', true, 64),
        column('previous_key_digest', 'varchar', true, 64),
        column('key_seal', 'varchar', true, 64),
        column('key_issued_at', Date, true),
      ]);
      const table = driver.escape(tableName);
      await queryRunner.query(`UPDATE ${table} SET ${driver.escape('session_id')} = ${driver.escape('key_digest')}, ${driver.escape('key_issued_at')} = ${driver.escape('created_at')}`);
      await queryRunner.changeColumns(tableName, [
        { oldColumn: column('session_id', 'varchar', true, 64), newColumn: column('session_id', 'varchar', false, 64) },
        { oldColumn: column('key_issued_at', Date, true), newColumn: column('key_issued_at', Date, false) },
      ]);
      // Unnamed: the query runner names them with the data source's naming strategy, as the entity's metadata does.
      await queryRunner.createIndices(tableName, [
        new TableIndex({ columnNames: ['session_id'], isUnique: true }),
        new TableIndex({ columnNames: ['previous_key_digest'] }),
      ]);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      const table = await queryRunner.getTable(tableName);
      if (!table) return;
      for (const index of table.indices.filter((each) => ['session_id', 'previous_key_digest'].includes(each.columnNames[0]))) {
        await queryRunner.dropIndex(table, index);
      }
      // A row whose key changed since keeps only its current key: its public id changes with the table.
      await queryRunner.dropColumns(tableName, ['session_id', 'previous_key_digest', 'key_seal', 'key_issued_at']);
    }
  };
}
