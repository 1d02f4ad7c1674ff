import { TableForeignKey, type MigrationInterface, type QueryRunner } from 'typeorm';
import { UserSessionsMigrationError } from '../exceptions/user-sessions-migration.error.js';
import type { UserSessionsForeignKeyShape } from './user-sessions-table-shape.js';

/**
 * The foreign key from `user_id` to the app's users table, `ON DELETE CASCADE`: what the
 * entity declares when the module has `userEntity`. A migration of its own, because it needs
 * the app's users table, which the app's own migrations create at their own timestamps: the
 * app chooses when this one runs (`userForeignKey.timestamp`).
 */
export function addUserSessionsForeignKeyMigration(
  tableName: string,
  userForeignKey: UserSessionsForeignKeyShape,
): new () => MigrationInterface {
  return class AddUserSessionsForeignKey implements MigrationInterface {
    readonly name = `AddUserSessionsForeignKey${userForeignKey.timestamp}`;

    async up(queryRunner: QueryRunner): Promise<void> {
      if (!(await queryRunner.hasTable(userForeignKey.table))) {
        throw new UserSessionsMigrationError(
          `${this.name} adds a foreign key from "${tableName}".user_id to "${userForeignKey.table}", which does not ` +
            'exist yet. TypeORM runs pending migrations in timestamp order: give createUserSessionsMigrations() a ' +
            `userForeignKey.timestamp later than that of the migration that creates "${userForeignKey.table}".`,
        );
      }
      // Unnamed: the query runner names it with the data source's naming strategy, as the
      // entity's metadata does. On SQLite this copies the table into a new one (no ALTER).
      await queryRunner.createForeignKey(
        tableName,
        new TableForeignKey({
          columnNames: ['user_id'],
          referencedTableName: userForeignKey.table,
          referencedColumnNames: [userForeignKey.column],
          onDelete: 'CASCADE',
          onUpdate: 'NO ACTION',
        }),
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      const table = await queryRunner.getTable(tableName);
      const foreignKey = table?.foreignKeys.find(
        (candidate) => candidate.columnNames.length === 1 && candidate.columnNames[0] === 'user_id',
      );
      // Already gone (dropped by hand, or with the table): nothing to undo.
      if (table && foreignKey) await queryRunner.dropForeignKey(table, foreignKey);
    }
  };
}
